// Evaluator sets (promptfoo's assert-set): several evaluators judged as one. Each member has
// its own settings, input mapping and the usual controls (negate, threshold, weight), and runs
// through the one evaluation pipeline (core/engine/evaluate.ts) under the set's deadline, so a
// member that times out or fails reports so with its type; the set passes when the weighted
// share of passing members reaches its threshold. Skipped members do not count; a member that
// errors counts as failing.
import { CallCosts } from './call-costs.js';
import { z } from 'zod';
import { bindEvaluator, deadlineOf, evaluate, NEVER_STOPS } from '../core/engine/evaluate.js';
import type { EvaluatorDefinition, EvaluatorDeps } from '../core/model/adapters.js';
import { evaluatorSpecSchema } from '../core/model/experiment.js';
import type { EvaluationResult, EvaluatorInstance } from '../core/model/results.js';
import { MAX_SCHEMA_WORK, schemaWork } from './json-schema.js';
import { MAX_RULES_WORK, regexRuleWork, textRules } from './text-rules.js';
import { MAX_TOOL_SCHEMAS_WORK, toolCalls } from './tool-calls.js';
import { validFormat } from './valid-format.js';

const memberSchema = evaluatorSpecSchema.omit({ targets: true });

/** The set's catalogue id (save-time checks look into its members). */
export const EVALUATOR_SET_ID = 'evaluator_set';

/**
 * The compile budgets of one set, shared by all its members: each member family bounds its own
 * compile work (text_rules' regexes by MAX_RULES_WORK, tool_calls' schemas by
 * MAX_TOOL_SCHEMAS_WORK), and a set of 50 members would multiply them by 50: 50 text_rules
 * members of 24 `a{1000}` rules held the main thread 4–6 s at save and again at every run start
 * (review of 2026-12-05). So a member's work is weighed from its raw settings (one scan, nothing
 * compiled) before they are parsed, and the member that would take the set past a budget is
 * refused, naming the rule or schema, with no member after it compiled.
 */
interface SetBudget {
  regex: number;
  schema: number;
}

/** A schema setting's compile work as prepareJsonSchema weighs it; 0 when it is refused unseen. */
function schemaSettingWork(setting: unknown): number {
  let schema = setting;
  if (typeof setting === 'string') {
    if (setting.trim() === '' || setting.length > 200_000) return 0;
    try {
      schema = JSON.parse(setting);
    } catch {
      return 0;
    }
  }
  if (typeof schema !== 'object' || schema === null) return 0;
  const work = schemaWork(schema);
  return work === 'too deep' || work > MAX_SCHEMA_WORK ? 0 : work;
}

type Issue = { path: (string | number)[]; message: string };

/**
 * Charges a member's compile work to the set's budget; returns the issue of the first rule or
 * schema that goes past it (the budget is then spent), or undefined.
 */
function chargeMember(def: EvaluatorDefinition, settings: unknown, spent: SetBudget): Issue | undefined {
  const s = (typeof settings === 'object' && settings !== null ? settings : {}) as Record<string, unknown>;
  if (def.id === textRules.id && Array.isArray(s['rules'])) {
    for (const [j, rule] of s['rules'].entries()) {
      spent.regex += regexRuleWork(rule);
      if (spent.regex > MAX_RULES_WORK) {
        return { path: ['rules', j, 'value'], message: `rule ${j}: the regex rules of this set's members up to this one take ${spent.regex} units of compile work, at most ${MAX_RULES_WORK} are allowed in one evaluator set, all its members together (use fewer or shorter patterns)` };
      }
    }
  }
  const schemas: [(string | number)[], unknown][] = [];
  if (def.id === toolCalls.id && typeof s['schemas'] === 'object' && s['schemas'] !== null) {
    for (const [name, schema] of Object.entries(s['schemas'])) schemas.push([['schemas', name], schema]);
  }
  if (def.id === validFormat.id && (s['format'] ?? 'json') === 'json') schemas.push([['json_schema'], s['json_schema']]);
  for (const [path, schema] of schemas) {
    spent.schema += schemaSettingWork(schema);
    if (spent.schema > MAX_TOOL_SCHEMAS_WORK) {
      return { path, message: `${path.join('.')}: the JSON schemas of this set's members up to this one take ${Math.ceil(spent.schema)} units of schema to compile, at most ${MAX_TOOL_SCHEMAS_WORK} are allowed in one evaluator set, all its members together (split the set or use smaller schemas)` };
    }
  }
  return undefined;
}

function settingsSchema(find: (type: string) => EvaluatorDefinition | undefined) {
  return z
    .object({
      evaluators: z.array(memberSchema).min(1).max(50).describe('The members: evaluator specs as in the experiment (id, type, settings, inputs, negate, threshold, weight)'),
      threshold: z.number().min(0).max(1).default(1).describe('Weighted share of passing members needed to pass (1 = all, 0.5 = half)'),
    })
    .superRefine((s, ctx) => {
      const ids = new Set<string>();
      const spent: SetBudget = { regex: 0, schema: 0 };
      for (const [i, m] of s.evaluators.entries()) {
        if (ids.has(m.id)) ctx.addIssue({ code: 'custom', path: ['evaluators', i, 'id'], message: `duplicate member id "${m.id}"` });
        ids.add(m.id);
        const def = find(m.type);
        if (!def) {
          ctx.addIssue({ code: 'custom', path: ['evaluators', i, 'type'], message: `unknown evaluator type "${m.type}"` });
          continue;
        }
        if (def.id === EVALUATOR_SET_ID) {
          ctx.addIssue({ code: 'custom', path: ['evaluators', i, 'type'], message: 'sets cannot contain sets' });
          continue;
        }
        // Weighed before it is parsed: past the set's budget nothing more is compiled.
        const over = chargeMember(def, m.settings, spent);
        if (over) {
          ctx.addIssue({ code: 'custom', path: ['evaluators', i, 'settings', ...over.path], message: over.message });
          return;
        }
        const parsed = def.settings.safeParse(m.settings ?? {});
        if (!parsed.success) {
          for (const issue of parsed.error.issues) {
            ctx.addIssue({ code: 'custom', path: ['evaluators', i, 'settings', ...issue.path.map((p) => (typeof p === 'number' ? p : String(p)))], message: issue.message });
          }
        }
      }
    });
}

/** Built with access to the catalogue's lookup (passed in to avoid an import cycle). */
export function makeEvaluatorSet(find: (type: string) => EvaluatorDefinition | undefined): EvaluatorDefinition {
  const settings = settingsSchema(find);
  return {
    id: EVALUATOR_SET_ID,
    aliases: ['assert-set'],
    name: 'Evaluator set',
    category: 'custom',
    description: 'Several evaluators judged as one: passes when the weighted share of passing members reaches `threshold` (1 = all must pass).',
    requiredInputs: [],
    optionalInputs: ['input', 'output', 'expected_output', 'contexts'],
    anyInputs: true,
    stringInputs: [],
    settings,
    result: ['passed', 'score'],
    needsModel: false,
    create(s: z.output<typeof settings>, deps: EvaluatorDeps): EvaluatorInstance {
      const members = s.evaluators.map((m) => bindEvaluator(m, find, deps));
      return {
        async evaluate(inputs, context): Promise<EvaluationResult> {
          // Members run under the set's deadline; a member without its own mapping judges
          // what the set was given (the cell's output, or the set's own mapped inputs).
          const deadline = deadlineOf(context.signal, context.timeoutMs ?? 0);
          const outcomes = await Promise.all(
            members.map(async (m) => {
              const subject = { row: context.row, output: inputs.output, target: context.target, ...(m.inputs ? {} : { extra: inputs }) };
              // Every member's failure is a result; the set's caller abandons the cell if the run stops.
              const { result } = await evaluate(m, subject, deadline, NEVER_STOPS, Date.now);
              return { m, result };
            }),
          );
          let weightTotal = 0;
          let weightPassed = 0;
          const costs = new CallCosts();
          const notes: string[] = [];
          for (const { m, result } of outcomes) {
            costs.result(result);
            if (result.status === 'skipped') {
              notes.push(`${m.id}: skipped`);
              continue;
            }
            const passed = result.status === 'processed' && result.passed !== false;
            weightTotal += m.weight;
            if (passed) weightPassed += m.weight;
            notes.push(`${m.id}: ${result.status === 'error' ? `error (${result.errorType ?? 'EvaluatorError'}: ${result.details})` : passed ? 'passed' : 'failed'}`);
          }
          if (weightTotal === 0) return { status: 'skipped', details: `no member could judge this cell (${notes.join(', ')})`, ...costs.fields() };
          const share = weightPassed / weightTotal;
          return {
            status: 'processed',
            passed: share >= s.threshold,
            score: share,
            details: `${(share * 100).toFixed(0)}% of members passed (threshold ${(s.threshold * 100).toFixed(0)}%): ${notes.join(', ')}`,
            ...costs.fields(),
          };
        },
        dispose: async () => {
          await Promise.allSettled(members.map((m) => m.instance.dispose?.()));
        },
      };
    },
  };
}
