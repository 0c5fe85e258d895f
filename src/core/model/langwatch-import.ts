// Converts a LangWatch Evaluations V3 saved experiment (its `workbenchState`) into an Assay
// experiment document, so an experiment built in LangWatch's workbench can move here without
// being retyped. Anything that only exists inside LangWatch (saved prompts, agents, workflows)
// cannot come along; those are reported together, each with a way out, instead of one by one.
import type { z } from 'zod';
import { type Issue, ValidationError } from '../errors.js';
import { type EvaluatorSpec, type ExperimentDocumentInput, type InputMapping, type PromptTarget, evaluatorSpecSchema, promptTargetSchema } from './experiment.js';
import { importDataset, own, type Path, type Report } from './langwatch-import-dataset.js';
import { slugSchema } from './slug.js';
import { type EvaluatorConfig, type FieldMapping, type TargetConfig, workbenchStateSchema } from './langwatch-workbench.js';

export { type WorkbenchState, workbenchStateSchema } from './langwatch-workbench.js';
export { MAX_IMPORTED_CELLS, MAX_IMPORTED_RECORDS } from './langwatch-import-dataset.js';


const ROOT = 'workbenchState';
const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_]*$/;
const SECRET_REF = /\{\{-?\s*secrets\./;
const MAX_ID = 64;
const MAX_NAME = 200;
/** `llm` keys copied into params (LangWatch's snake_case `max_tokens` is handled separately). */
const PARAM_KEYS = ['temperature', 'maxTokens', 'topP', 'topK', 'seed', 'frequencyPenalty', 'presencePenalty'] as const;

/** What the catalogue says of an evaluator type (each true when it does not know the type). */
export interface ImportCatalogue {
  /** Whether it reads an input named `name`. */
  readsInput(type: string, name: string): boolean;
  /** Whether it has a setting named `name`. */
  hasSetting(type: string, name: string): boolean;
}

const KNOWS_NOTHING: ImportCatalogue = { readsInput: () => true, hasSetting: () => true };

/**
 * Converts a LangWatch workbenchState into an experiment document, or throws a ValidationError
 * listing every unsupported part. LangWatch's workbench maps every standard field (input,
 * output, contexts, expected_output, expected_contexts) for every evaluator, and an evaluator
 * reads only its own: mappings of inputs it does not read are dropped, as LangWatch ignores them.
 * Likewise settings keys the evaluator does not have (LangWatch stores extra keys).
 */
export async function importWorkbenchState(state: unknown, catalogue: ImportCatalogue = KNOWS_NOTHING): Promise<ExperimentDocumentInput> {
  const parsed = workbenchStateSchema.safeParse(state);
  if (!parsed.success) {
    fail(parsed.error.issues.map((i) => ({ path: [ROOT, ...i.path.map(key)], message: i.message })));
  }
  const ws = parsed.data;
  const issues: Issue[] = [];
  const report: Report = (path, message) => issues.push({ path: [ROOT, ...path], message });

  const name = ws.name.trim().slice(0, MAX_NAME).trim();
  if (name === '') report(['name'], 'is empty; an Assay experiment needs a name');
  const slug = ws.experimentSlug != null && slugSchema.safeParse(ws.experimentSlug).success ? ws.experimentSlug : undefined;

  // LangWatch's /run only ever reads the first dataset, and keys every mapping by its id.
  const first = ws.datasets[0];
  const dataset = await importDataset(first, report);
  const dsKey = first?.id;

  const targets: PromptTarget[] = [];
  ws.targets.forEach((t, i) => {
    const imported = importTarget(t, ['targets', i], dsKey, report);
    if (imported) targets.push(imported);
  });
  if (ws.targets.length === 0) report(['targets'], 'is empty; an Assay experiment needs at least one target');
  if (targets.length > 50) report(['targets'], `has ${targets.length} targets; Assay allows at most 50`);
  flagDuplicates(ws.targets.map((t) => t.id), (i) => report(['targets', i, 'id'], 'duplicate target id'));
  flagDuplicates(ws.evaluators.map((e) => e.id), (i) => report(['evaluators', i, 'id'], 'duplicate evaluator id'));

  const takenIds = new Set(ws.evaluators.map((e) => e.id));
  const evaluators = ws.evaluators.flatMap((e, i) => importEvaluator(e, ['evaluators', i], dsKey, targets, takenIds, report, catalogue));
  if (evaluators.length > 100) report(['evaluators'], `make ${evaluators.length} evaluators (after splitting per target); Assay allows at most 100`);

  if (issues.length > 0) fail(issues);
  return {
    name,
    ...(slug === undefined ? {} : { slug }),
    dataset,
    targets,
    evaluators,
    ...(ws.concurrency == null ? {} : { execution: { concurrency: ws.concurrency } }),
  };
}

function importTarget(t: TargetConfig, at: Path, dsKey: string | undefined, report: Report): PromptTarget | undefined {
  const unsupported = {
    agent: 'is an agent target: the agent is stored in LangWatch and cannot be imported. Re-create it as an http target (its url, headers and body template) or as a code target',
    workflow: 'is a workflow target: the Studio workflow lives in LangWatch and cannot be imported. Expose it over HTTP and re-create it as an http target',
    evaluator: 'is an evaluator target (an evaluator run as a column or a comparison): the saved evaluator lives in LangWatch. Add it to the evaluators list instead; comparison columns are not supported yet',
  } as const;
  if (t.type !== 'prompt') {
    report([...at, 'type'], unsupported[t.type]);
    return undefined;
  }
  const local = t.localPromptConfig;
  if (!local) {
    report(
      [...at, t.promptId ? 'promptId' : 'localPromptConfig'],
      t.promptId
        ? `references prompt "${t.promptId}" stored in LangWatch, which cannot be imported. Open the prompt in the workbench and edit it (so its model and messages are saved into the experiment as localPromptConfig), or re-create it here as a prompt target`
        : 'a prompt target needs a localPromptConfig (model and messages)',
    );
    return undefined;
  }
  const lp = [...at, 'localPromptConfig'];
  const llm = local.llm;
  const sourceOf = (param: string): string => (param === 'maxTokens' && llm.maxTokens == null ? 'max_tokens' : param);
  const params: Record<string, number> = {};
  for (const p of PARAM_KEYS) {
    const value = llm[sourceOf(p) as keyof typeof llm];
    if (typeof value === 'number') params[p] = value;
  }

  const mappings = own(t.mappings, dsKey) ?? {};
  const variables: Record<string, InputMapping> = {};
  // LangWatch leaves unmapped inputs empty; without this our engine would read a same-named column.
  for (const input of local.inputs ?? []) {
    if (IDENTIFIER.test(input.identifier)) variables[input.identifier] = { value: '' };
  }
  for (const [input, m] of Object.entries(mappings)) {
    const path = [...at, 'mappings', dsKey ?? '', input];
    if (!IDENTIFIER.test(input)) {
      report(path, `input "${input}" is not an identifier (letters, digits, "_"), so a template cannot refer to it`);
    } else if (m.type === 'value') {
      variables[input] = { value: m.value };
    } else if (m.source === 'target') {
      continue; // chained targets: LangWatch ignores them at run time, so the input stays empty
    } else if (m.sourceField === '') {
      report([...path, 'sourceField'], 'names no dataset column');
    } else {
      variables[input] = `row.${m.sourceField}`;
    }
  }

  const outputs = local.outputs ?? [];
  const structured = outputs.length === 1 && outputs[0]?.type === 'json_schema' ? outputs[0].json_schema : undefined;
  if (structured !== undefined && !isPlainObject(structured)) {
    report([...lp, 'outputs', 0, 'json_schema'], 'must be a JSON Schema object');
  }
  local.messages.forEach((m, j) => {
    if (SECRET_REF.test(JSON.stringify(m.content))) {
      report([...lp, 'messages', j, 'content'], "uses {{secrets.…}}, which Assay only expands in an HTTP target's url, headers and auth");
    }
  });

  const target: PromptTarget = {
    id: t.id,
    ...(t.name ? { name: t.name.slice(0, MAX_NAME) } : {}),
    type: 'prompt',
    model: llm.model,
    ...(Object.keys(params).length > 0 ? { params } : {}),
    messages: local.messages.map((m) => ({ role: m.role, content: m.content })),
    ...(Object.keys(variables).length > 0 ? { variables } : {}),
    ...(isPlainObject(structured) ? { outputSchema: structured } : {}),
  };
  // Our own schema is the last word on what the engine accepts; point its complaints back at
  // the LangWatch field that produced each value.
  const ok = check(promptTargetSchema, target, report, ([head, sub, ...rest]) => {
    if (head === 'model') return [...lp, 'llm', 'model'];
    if (head === 'params') return [...lp, 'llm', sourceOf(String(sub))];
    if (head === 'messages') return [...lp, 'messages', ...(sub === undefined ? [] : [sub, ...rest])];
    if (head === 'variables') return [...at, 'mappings', dsKey ?? '', ...(sub === undefined ? [] : [sub])];
    if (head === 'outputSchema') return [...lp, 'outputs', 0, 'json_schema'];
    return [...at, ...(head === undefined ? [] : [head])];
  });
  return ok ? target : undefined;
}

function importEvaluator(
  e: EvaluatorConfig,
  at: Path,
  dsKey: string | undefined,
  targets: PromptTarget[],
  takenIds: Set<string>,
  report: Report,
  catalogue: ImportCatalogue,
): EvaluatorSpec[] {
  if (e.comparison != null || e.pairwise != null) {
    report([...at, e.comparison != null ? 'comparison' : 'pairwise'], 'is a comparison evaluator; comparison evaluators are not supported by the importer yet. Remove it, or re-create it after import as a per-target evaluator');
    return [];
  }
  const local = e.localEvaluatorConfig;
  const stored = local?.settings ?? e.settings ?? undefined;
  const settings = stored && typeof stored === 'object' && !Array.isArray(stored)
    ? Object.fromEntries(Object.entries(stored).filter(([k]) => catalogue.hasSetting(e.evaluatorType, k)))
    : stored;
  const settingsPath = local?.settings != null ? [...at, 'localEvaluatorConfig', 'settings'] : [...at, 'settings'];
  const name = local?.name || e.name || undefined;
  const base = {
    type: e.evaluatorType,
    ...(name ? { name: name.slice(0, MAX_NAME) } : {}),
    ...(settings ? { settings } : {}),
  };

  const byTarget = targets.map((t) => ({ targetId: t.id, inputs: evaluatorInputs(e, at, dsKey, t.id, report, catalogue.readsInput) }));
  const shapes = new Set(byTarget.map((b) => canonical(b.inputs)));
  const specs: { spec: EvaluatorSpec; targetId?: string }[] =
    shapes.size <= 1
      ? [{ spec: { id: e.id, ...base, ...withInputs(byTarget[0]?.inputs ?? {}) } }]
      : byTarget.map(({ targetId, inputs }) => ({
          targetId,
          spec: { id: freeId(`${e.id}.${targetId}`, takenIds), ...base, ...withInputs(inputs), targets: [targetId] },
        }));

  return specs.flatMap(({ spec, targetId }) => {
    const ok = check(evaluatorSpecSchema, spec, report, ([head, sub]) => {
      if (head === 'type') return [...at, 'evaluatorType'];
      if (head === 'name') return local?.name ? [...at, 'localEvaluatorConfig', 'name'] : [...at, 'name'];
      if (head === 'settings') return settingsPath;
      if (head === 'inputs') return [...at, 'mappings', dsKey ?? '', targetId ?? byTarget[0]?.targetId ?? '', ...(sub === undefined ? [] : [sub])];
      return [...at, 'id'];
    });
    return ok ? [spec] : [];
  });
}

function evaluatorInputs(e: EvaluatorConfig, at: Path, dsKey: string | undefined, targetId: string, report: Report, readsInput: ImportCatalogue['readsInput']): Record<string, InputMapping> {
  const mappings: Record<string, FieldMapping> = own(own(e.mappings, dsKey), targetId) ?? {};
  const inputs: Record<string, InputMapping> = {};
  for (const [input, m] of Object.entries(mappings)) {
    if (!readsInput(e.evaluatorType, input)) continue;
    const path = [...at, 'mappings', dsKey ?? '', targetId, input];
    if (m.type === 'value') {
      inputs[input] = { value: m.value };
    } else if (m.source === 'target' && m.sourceId !== targetId) {
      continue; // another target's output: LangWatch ignores it for this cell too
    } else if (m.sourceField === '') {
      report([...path, 'sourceField'], m.source === 'dataset' ? 'names no dataset column' : 'names no target output');
    } else if (m.source === 'dataset') {
      inputs[input] = `row.${m.sourceField}`;
    } else {
      inputs[input] = m.sourceField === 'output' ? 'output' : `output.${m.sourceField}`;
    }
  }
  return inputs;
}

// ---------------------------------------------------------------------------------------------

function check<T>(schema: z.ZodType<T>, value: unknown, report: Report, locate: (ourPath: Path) => Path): boolean {
  const result = schema.safeParse(value);
  if (result.success) return true;
  for (const issue of result.error.issues) report(locate(issue.path.map(key)), issue.message);
  return false;
}

function withInputs(inputs: Record<string, InputMapping>): { inputs?: Record<string, InputMapping> } {
  return Object.keys(inputs).length > 0 ? { inputs } : {};
}

function canonical(inputs: Record<string, InputMapping>): string {
  return JSON.stringify(Object.entries(inputs).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}

/** `base` cut to the id length limit, made unique among `taken` with a `-N` suffix if needed. */
function freeId(base: string, taken: Set<string>): string {
  let id = base.slice(0, MAX_ID);
  for (let n = 2; taken.has(id); n++) id = `${base.slice(0, MAX_ID - String(n).length - 1)}-${n}`;
  taken.add(id);
  return id;
}

function flagDuplicates(ids: string[], onDuplicate: (index: number) => void): void {
  const seen = new Set<string>();
  ids.forEach((id, i) => {
    if (seen.has(id)) onDuplicate(i);
    seen.add(id);
  });
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function key(p: PropertyKey): string | number {
  return typeof p === 'symbol' ? String(p) : p;
}

function fail(issues: Issue[]): never {
  const unique = [...new Map(issues.map((i) => [JSON.stringify(i), i])).values()];
  const shown = unique.slice(0, 3).map((i) => `${i.path.join('.')}: ${i.message}`);
  const more = unique.length > 3 ? ` (and ${unique.length - 3} more)` : '';
  throw new ValidationError(`Cannot import the LangWatch experiment: ${shown.join('; ')}${more}`, unique);
}
