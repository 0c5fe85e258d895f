// Evaluator sets (promptfoo's assert-set): several evaluators judged as one. Each member has
// its own settings, input mapping and the usual controls (negate, threshold, weight), and runs
// through the one evaluation pipeline (core/engine/evaluate.ts) under the set's deadline, so a
// member that times out or fails reports so with its type; the set passes when the weighted
// share of passing members reaches its threshold. Skipped members do not count; a member that
// errors counts as failing.
import { z } from 'zod';
import { bindEvaluator, deadlineOf, evaluate, NEVER_STOPS } from '../core/engine/evaluate.js';
import type { EvaluatorDefinition, EvaluatorDeps } from '../core/model/adapters.js';
import { evaluatorSpecSchema } from '../core/model/experiment.js';
import type { EvaluationResult, EvaluatorInstance } from '../core/model/results.js';

const memberSchema = evaluatorSpecSchema.omit({ targets: true });

/** The set's catalogue id (save-time checks look into its members). */
export const EVALUATOR_SET_ID = 'evaluator_set';

function settingsSchema(find: (type: string) => EvaluatorDefinition | undefined) {
  return z
    .object({
      evaluators: z.array(memberSchema).min(1).max(50).describe('The members: evaluator specs as in the experiment (id, type, settings, inputs, negate, threshold, weight)'),
      threshold: z.number().min(0).max(1).default(1).describe('Weighted share of passing members needed to pass (1 = all, 0.5 = half)'),
    })
    .superRefine((s, ctx) => {
      const ids = new Set<string>();
      s.evaluators.forEach((m, i) => {
        if (ids.has(m.id)) ctx.addIssue({ code: 'custom', path: ['evaluators', i, 'id'], message: `duplicate member id "${m.id}"` });
        ids.add(m.id);
        const def = find(m.type);
        if (!def) return ctx.addIssue({ code: 'custom', path: ['evaluators', i, 'type'], message: `unknown evaluator type "${m.type}"` });
        if (def.id === EVALUATOR_SET_ID) return ctx.addIssue({ code: 'custom', path: ['evaluators', i, 'type'], message: 'sets cannot contain sets' });
        const parsed = def.settings.safeParse(m.settings ?? {});
        if (!parsed.success) {
          for (const issue of parsed.error.issues) {
            ctx.addIssue({ code: 'custom', path: ['evaluators', i, 'settings', ...issue.path.map((p) => (typeof p === 'number' ? p : String(p)))], message: issue.message });
          }
        }
      });
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
          let cost: number | undefined;
          const notes: string[] = [];
          for (const { m, result } of outcomes) {
            if (result.cost !== undefined) cost = (cost ?? 0) + result.cost;
            if (result.status === 'skipped') {
              notes.push(`${m.id}: skipped`);
              continue;
            }
            const passed = result.status === 'processed' && result.passed !== false;
            weightTotal += m.weight;
            if (passed) weightPassed += m.weight;
            notes.push(`${m.id}: ${result.status === 'error' ? `error (${result.errorType ?? 'EvaluatorError'}: ${result.details})` : passed ? 'passed' : 'failed'}`);
          }
          if (weightTotal === 0) return { status: 'skipped', details: `no member could judge this cell (${notes.join(', ')})`, ...(cost !== undefined ? { cost } : {}) };
          const share = weightPassed / weightTotal;
          return {
            status: 'processed',
            passed: share >= s.threshold,
            score: share,
            details: `${(share * 100).toFixed(0)}% of members passed (threshold ${(s.threshold * 100).toFixed(0)}%): ${notes.join(', ')}`,
            ...(cost !== undefined ? { cost } : {}),
          };
        },
        dispose: async () => {
          await Promise.allSettled(members.map((m) => m.instance.dispose?.()));
        },
      };
    },
  };
}
