// The save-time checks of an experiment document, given to ExperimentService by the composition
// root: they need the evaluator catalogue, the template compiler and the code sandbox, which app/
// must not import, so they are written here, where every concrete module may be named.
import { z } from 'zod';
import type { DocumentCheck } from '../app/experiments.js';
import type { RowLimits } from '../app/row-limits.js';
import { checkRowArray } from '../app/row-sources.js';
import { type Issue, isAssayError } from '../core/errors.js';
import type { ExperimentDocument } from '../core/model/experiment.js';
import { yieldIfBusy } from '../core/turns.js';
import { findEvaluator, validateEvaluatorSettings } from '../evaluators/catalogue.js';
import { CODE_PARAMS, customCode } from '../evaluators/custom-code.js';
import { EVALUATOR_SET_ID } from '../evaluators/evaluator-set.js';
import { evaluatorSpecIssues } from './evaluator-spec-checks.js';
import { jsonPathCheck } from './jsonpath-checks.js';
import type { IsolatedSandbox } from '../sandbox/isolated.js';
import { CODE_TARGET_PARAMS } from '../targets/code.js';
import { compileCheck, countTags, MAX_DOCUMENT_TAGS, MAX_TEMPLATE_TAGS } from '../targets/templates.js';
import { secretsUsed } from '../targets/secret-reads.js';
import { SECRET_NAME_PATTERN } from '../app/secrets.js';

/**
 * Whether each evaluator spec's settings passed evaluatorCheck, for codeCheck, which runs after
 * it on the same document: validating settings compiles their patterns and schemas, and doing it
 * again there doubled the save of 100 costly text_rules evaluators (4 s, review of 2026-12-05).
 */
const settingsValid = new WeakMap<object, boolean>();

/**
 * Save-time checks: evaluator types and settings exist and are valid, and mapped inputs are read.
 * A turn of the event loop at a time: checking settings compiles their schemas and patterns,
 * each bounded (tens of ms at worst; a set's members share one budget, evaluator-set.ts), and a
 * document has up to 100 evaluators.
 */
const evaluatorCheck: DocumentCheck = async (doc) => {
  const issues: Issue[] = [];
  for (const [i, e] of doc.evaluators.entries()) {
    await yieldIfBusy();
    if (findEvaluator(e.type)?.scope === 'row' && (e.targets?.length ?? doc.targets.length) < 2) {
      issues.push({ path: ['evaluators', i, 'targets'], message: 'a comparison needs at least two targets to compare' });
    }
    const v = validateEvaluatorSettings(e.type, e.settings);
    settingsValid.set(e, v.ok);
    if (v.ok) {
      issues.push(...evaluatorSpecIssues(e, ['evaluators', i]));
      continue;
    }
    for (const issue of v.issues) {
      issues.push(issue.path.length === 0 && !findEvaluator(e.type)
        ? { path: ['evaluators', i, 'type'], message: issue.message }
        : { path: ['evaluators', i, 'settings', ...issue.path], message: issue.message });
    }
  }
  return issues;
};

/** A place in the document, as a chain to its parent: paths are only spelled out for an issue. */
interface Place {
  parent: Place | null;
  key: string | number;
}

function pathOf(place: Place): (string | number)[] {
  const path: (string | number)[] = [];
  for (let p: Place | null = place; p; p = p.parent) path.push(p.key);
  return path.reverse();
}

const at = (...keys: (string | number)[]): Place => keys.reduce<Place | null>((parent, key) => ({ parent, key }), null)!;

/**
 * Save-time checks: every Liquid template parses. A body can hold hundreds of thousands of
 * strings, each a template: 400,000 held the main thread 1.8 s, parsed in one go with a path
 * array copied for each. They are walked with their places kept as chains and parsed a turn of
 * the event loop at a time (core/turns.ts).
 */
const templateCheck: DocumentCheck = async (doc) => {
  // Depth first, in document order: the stack holds values still to visit, last first.
  const stack: { value: unknown; place: Place }[] = [];
  doc.targets.forEach((t, i) => {
    if (t.type === 'prompt') t.messages.forEach((m, j) => stack.push({ value: m.content, place: at('targets', i, 'messages', j, 'content') }));
    if (t.type === 'http') {
      for (const key of ['url', 'headers', 'auth', 'body'] as const) stack.push({ value: t[key], place: at('targets', i, key) });
    }
  });
  stack.reverse();
  const issues: Issue[] = [];
  let tags = 0;
  while (stack.length > 0) {
    // A clock read a step: a template of 10,000 tags parses in ≈ 8 ms.
    await yieldIfBusy();
    const { value, place } = stack.pop()!;
    if (typeof value === 'string') {
      // Counted before parsing: past the document's bound nothing more is parsed.
      tags += countTags(value, MAX_TEMPLATE_TAGS);
      if (tags > MAX_DOCUMENT_TAGS) {
        issues.push({ path: pathOf(place), message: `the experiment's templates have more than ${MAX_DOCUMENT_TAGS} tags ({{ }} or {% %}) in all; this one goes past it` });
        return issues;
      }
      const problem = compileCheck(value);
      if (problem) issues.push({ path: pathOf(place), message: `template does not parse: ${problem}` });
    } else if (Array.isArray(value)) {
      for (let i = value.length - 1; i >= 0; i--) stack.push({ value: value[i], place: { parent: place, key: i } });
    } else if (typeof value === 'object' && value !== null) {
      const entries = Object.entries(value);
      for (let i = entries.length - 1; i >= 0; i--) stack.push({ value: entries[i]![1], place: { parent: place, key: entries[i]![0] } });
    }
  }
  return issues;
};

/** Save-time checks: an experiment's inline rows obey ASSAY_MAX_ROWS and ASSAY_MAX_ROW_BYTES (400 naming the row). */
const rowLimitCheck = (limits: RowLimits): DocumentCheck => async (doc) => {
  if (!('rows' in doc.dataset)) return [];
  try {
    await checkRowArray(doc.dataset.rows, limits, 'dataset.rows');
    return [];
  } catch (error) {
    if (!isAssayError(error)) throw error;
    const index = error.meta.rowIndex;
    return [{ path: ['dataset', 'rows', ...(typeof index === 'number' ? [index] : [])], message: error.message }];
  }
};

/** A URL scheme written out at the start of a URL template (`file:`, `https:`), or null. */
const LITERAL_SCHEME = /^([A-Za-z][A-Za-z0-9+.-]*):/;

/**
 * Save-time checks: an HTTP target's URL, as far as it is written out. A URL without templates
 * must parse as http(s); one with templates must not start with another scheme. Before, `not a
 * url` and `file:///etc/passwd` were saved and failed every cell of every run.
 */
const urlCheck: DocumentCheck = (doc) => {
  const issues: Issue[] = [];
  doc.targets.forEach((t, i) => {
    if (t.type !== 'http') return;
    const path = ['targets', i, 'url'];
    const templated = t.url.includes('{{') || t.url.includes('{%');
    const scheme = LITERAL_SCHEME.exec(t.url)?.[1]?.toLowerCase();
    if (scheme !== undefined && scheme !== 'http' && scheme !== 'https') {
      issues.push({ path, message: `unsupported URL scheme ${scheme}: (http and https only)` });
    } else if (!templated && !URL.canParse(t.url)) {
      issues.push({ path, message: 'is not a valid URL (an absolute http or https URL, or a Liquid template that renders one)' });
    }
  });
  return issues;
};

/**
 * Save-time checks: `{{secrets.NAME}}` names a secret that can exist. Names are upper case
 * (secrets.ts); `{{ secrets.agent_token }}` was saved, and its run was refused with "set it with
 * PUT /api/secrets/agent_token", which the secrets API refuses: a dead end (review of 2026-12-06).
 */
const secretNameCheck: DocumentCheck = (doc) => {
  const issues: Issue[] = [];
  doc.targets.forEach((t, i) => {
    if (t.type !== 'http') return;
    const used = secretsUsed(t);
    if (used === 'all') return;
    for (const name of used) {
      if (SECRET_NAME_PATTERN.test(name)) continue;
      const upper = name.toUpperCase().replace(/[^A-Z0-9_]/g, '_');
      const hint = SECRET_NAME_PATTERN.test(upper) ? `: did you mean {{secrets.${upper}}}?` : '';
      issues.push({ path: ['targets', i], message: `{{secrets.${name.slice(0, 130)}}} can never be set: secret names are upper-case letters, digits and _ (^[A-Z_][A-Z0-9_]{0,127}$)${hint}` });
    }
  });
  return issues;
};

type Path = (string | number)[];

/** A piece of user code in a document: where it is, and the parameters the sandbox gives it. */
interface CodePlace {
  path: Path;
  body: string;
  params: readonly string[];
}

/** The members of an evaluator set's (already validated) settings, as far as this check reads them. */
const setMembers = z.object({ evaluators: z.array(z.object({ type: z.string(), settings: z.unknown().optional() })) });

/**
 * The code of one evaluator spec: a custom code evaluator's, or its set members'. Settings the
 * catalogue refuses are skipped: evaluatorCheck names them already, and an over-long body is not
 * worth compiling. Their validity is evaluatorCheck's verdict, not validated again (only a spec
 * it has not seen is); a valid set's members are valid, as the set's settings check parses them.
 * A turn of the event loop at a time, per evaluator and per member.
 */
async function evaluatorCode(spec: { type: string; settings?: unknown }, path: Path, places: CodePlace[]): Promise<void> {
  await yieldIfBusy();
  if (!(settingsValid.get(spec) ?? validateEvaluatorSettings(spec.type, spec.settings).ok)) return;
  await memberCode(spec.type, spec.settings, path, places);
}

/** evaluatorCode of settings already found valid. */
async function memberCode(type: string, settings: unknown, path: Path, places: CodePlace[]): Promise<void> {
  const id = findEvaluator(type)?.id;
  if (id === customCode.id) {
    const parsed = customCode.settings.safeParse(settings ?? {});
    if (parsed.success) places.push({ path: [...path, 'settings', 'code'], body: parsed.data.code, params: CODE_PARAMS });
    return;
  }
  if (id !== EVALUATOR_SET_ID) return;
  const members = setMembers.safeParse(settings);
  if (!members.success) return;
  for (const [j, m] of members.data.evaluators.entries()) {
    await yieldIfBusy();
    await memberCode(m.type, m.settings, [...path, 'settings', 'evaluators', j], places);
  }
}

async function codePlaces(doc: ExperimentDocument): Promise<CodePlace[]> {
  const places: CodePlace[] = [];
  doc.targets.forEach((t, i) => {
    if (t.type === 'code') places.push({ path: ['targets', i, 'code'], body: t.code, params: CODE_TARGET_PARAMS });
  });
  for (const [i, e] of doc.evaluators.entries()) await evaluatorCode(e, ['evaluators', i], places);
  return places;
}

/**
 * Save-time checks: code targets and custom code evaluators compile, by the sandbox's own compile
 * (its wrapper, parameters and V8), so exactly what a run would compile is accepted. Before, a
 * syntax error was saved and failed every cell of every run. The compiling runs on the checking
 * isolate's thread: a 200,000-character body holds the main thread under a millisecond
 * (docs/decisions.md, "Code sandbox"). When isolated-vm cannot be loaded on this server the check
 * is skipped, not failed: the save must not depend on the sandbox, and the runs report the same
 * trouble on every cell anyway. So is a body the checker itself could not compile (`unchecked`:
 * its isolate ran out of memory twice): that is no verdict on the code, and runs compile it again.
 */
const codeCheck = (sandbox: Pick<IsolatedSandbox, 'check'>): DocumentCheck => async (doc) => {
  const places = await codePlaces(doc);
  const outcomes = await Promise.all(places.map((p) => sandbox.check(p.body, p.params)));
  const issues: Issue[] = [];
  outcomes.forEach((outcome, i) => {
    if (outcome.status === 'compile_error') issues.push({ path: places[i]!.path, message: outcome.error.message });
  });
  return issues;
};

/** Every save-time check of an experiment document, in the order their issues are reported. */
export function documentChecks(rowLimits: RowLimits, sandbox: Pick<IsolatedSandbox, 'check'>): DocumentCheck[] {
  return [evaluatorCheck, templateCheck, urlCheck, jsonPathCheck, codeCheck(sandbox), rowLimitCheck(rowLimits), secretNameCheck];
}
