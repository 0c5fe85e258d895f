// N-way comparison (LangWatch's "Comparison", `langevals/select_best_compare`): a judge picks
// the best of the targets' outputs for a row. It is row-scoped: the engine runs it once per
// row after every cell is done, with `candidates` (one per target). Candidates get slot labels
// A, B, C… in an order shuffled per row (seeded, so reruns agree); with swap_and_reconcile the
// judge sees the reversed order too and, when the two verdicts disagree, the row gets no
// winner (skipped) rather than a tie — position bias flips 10–30% of contested verdicts.
import { CallCosts } from './call-costs.js';
import { createHash } from 'node:crypto';
import { z } from 'zod';
import type { EvaluatorDefinition, EvaluatorDeps } from '../core/model/adapters.js';
import type { EvaluationResult, EvaluatorInstance } from '../core/model/results.js';
import { modelCallFailed, modelUnavailable, textInput } from './inputs.js';
import { estimateTokens, judgeMessages, SCHEMA_NAME } from './judge-prompt.js';
import { modelSetting } from './llm-judge.js';

const DEFAULT_PROMPT = `Pick the best of N candidate replies to the task.

Task:       {input}
Reference:  {golden}

Candidates:
{candidates}

Look across the candidates and decide which one is the best reply.
Briefly explain WHY it's better than the others, then pick the winning
slot label. Use "tie" only when no candidate is clearly better.
`;

const settings = z.object({
  model: modelSetting('openai/gpt-5-mini'),
  max_tokens: z.number().int().min(1).max(1_048_576).default(128_000).describe('Rows whose prompt is estimated above this many tokens are skipped'),
  prompt: z.string().max(100_000).regex(/\S/, 'prompt must not be empty').default(DEFAULT_PROMPT).describe('Template with {input}, {golden} and {candidates}'),
  has_golden_answer: z.boolean().default(false).describe('Show the expected answer as the reference'),
  randomize_order: z.boolean().default(true).describe('Shuffle the candidates (per row, reproducibly) before labelling them'),
  allow_tie: z.boolean().default(true),
  include_metrics: z.array(z.enum(['cost', 'duration'])).default([]).describe('Show each candidate\'s cost and/or latency to the judge'),
  temperature: z.number().min(0).max(2).default(0),
  swap_and_reconcile: z.boolean().default(true).describe('Judge again with the order reversed; disagreeing verdicts give no winner'),
});

interface Candidate {
  id: string;
  output: unknown;
  cost?: number | undefined;
  duration?: number | undefined;
}

/** Deterministic shuffle from a seed string (Fisher–Yates with a hash-derived generator). */
function shuffle<T>(items: T[], seed: string): T[] {
  const out = [...items];
  let state = createHash('sha256').update(seed).digest().readUInt32BE(0) || 1;
  const next = () => {
    state ^= state << 13;
    state ^= state >>> 17;
    state ^= state << 5;
    return (state >>> 0) / 2 ** 32;
  };
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(next() * (i + 1));
    [out[i], out[j]] = [out[j]!, out[i]!];
  }
  return out;
}

const slot = (i: number) => String.fromCharCode(65 + i);

function candidatesText(order: Candidate[], metrics: string[]): string {
  return order
    .map((c, i) => {
      const extras: string[] = [];
      if (metrics.includes('cost') && c.cost !== undefined) extras.push(`cost $${c.cost.toFixed(6)}`);
      if (metrics.includes('duration') && c.duration !== undefined) extras.push(`latency ${Math.round(c.duration)} ms`);
      return `Candidate ${slot(i)}:${extras.length > 0 ? ` (${extras.join(', ')})` : ''}\n${textInput(c.output) ?? ''}`;
    })
    .join('\n\n');
}

export const compare: EvaluatorDefinition<typeof settings> = {
  id: 'compare',
  aliases: ['langevals/select_best_compare', 'select_best_compare', 'langevals/pairwise_compare', 'select-best'],
  name: 'Comparison',
  category: 'llm_judge',
  description:
    'Picks the best of the targets\' outputs for each row (N-way, with the reference answer optional); the label is the winning target id or "tie". Runs after all cells.',
  requiredInputs: ['candidates'],
  optionalInputs: ['input', 'expected_output'],
  stringInputs: ['input', 'expected_output'],
  settings,
  result: ['label'],
  needsModel: true,
  scope: 'row',
  create(s, deps: EvaluatorDeps): EvaluatorInstance {
    return {
      async evaluate(inputs, context): Promise<EvaluationResult> {
        const candidates = (Array.isArray(inputs.candidates) ? inputs.candidates : []) as Candidate[];
        if (candidates.length < 2) return { status: 'skipped', details: 'needs at least two candidates to compare' };
        const golden = textInput(inputs.expected_output);
        if (s.has_golden_answer && golden === undefined) {
          return { status: 'skipped', details: 'has_golden_answer is on but the row has no expected_output (map it, e.g. "expected_output": "row.expected")' };
        }
        const input = textInput(inputs.input) ?? '(not given)';
        const base = s.randomize_order ? shuffle(candidates, `${input}\u0000${candidates.map((c) => c.id).join(',')}`) : candidates;
        const orders = s.swap_and_reconcile ? [base, [...base].reverse()] : [base];
        const labels = base.map((_, i) => slot(i));
        const schema = {
          type: 'object',
          properties: {
            reasoning: { type: 'string', description: 'Why the winner is better than the others' },
            winner: { type: 'string', enum: s.allow_tie ? [...labels, 'tie'] : labels },
          },
          required: ['reasoning', 'winner'],
          additionalProperties: false,
        };
        const prompts = orders.map((order) =>
          s.prompt
            .replaceAll('{input}', input)
            .replaceAll('{golden}', s.has_golden_answer ? (golden ?? '') : '(not given)')
            .replaceAll('{candidates}', candidatesText(order, s.include_metrics)),
        );
        const messages = prompts.map((p) => judgeMessages('You compare candidate replies and answer with the structured verdict requested.', p));
        const estimated = estimateTokens(messages[0]!);
        if (estimated > s.max_tokens) return { status: 'skipped', details: `input is about ${estimated} tokens, above max_tokens ${s.max_tokens}` };
        const costs = new CallCosts();
        const winners: string[] = [];
        let reasoning = '';
        try {
          const reason = await deps.models.unavailable(s.model);
          if (reason) return modelUnavailable(s.model, reason);
          for (const [k, order] of orders.entries()) {
            const r = await deps.models.generate({
              model: s.model, messages: messages[k]!, schema, schemaName: SCHEMA_NAME, signal: context.signal, retries: 2, params: { temperature: s.temperature },
            });
            costs.call(r.cost);
            const verdict = r.object as { reasoning?: unknown; winner?: unknown } | undefined;
            const w = typeof verdict?.winner === 'string' ? verdict.winner : undefined;
            const index = w === undefined ? -1 : labels.indexOf(w);
            if (w !== 'tie' && index < 0) return { status: 'error', details: `the judge answered an unknown slot ${JSON.stringify(w)}`, errorType: 'invalid_output', ...costs.fields() };
            winners.push(w === 'tie' ? 'tie' : order[index]!.id);
            if (k === 0 && typeof verdict?.reasoning === 'string') reasoning = verdict.reasoning;
          }
        } catch (error) {
          return modelCallFailed(error, context.signal);
        }
        const withCost = costs.fields();
        if (winners.length === 2 && winners[0] !== winners[1]) {
          return { status: 'skipped', details: `no winner: the verdict changed when the order was reversed (${winners[0]} then ${winners[1]})`, ...withCost };
        }
        return { status: 'processed', label: winners[0]!, details: reasoning + (winners.length === 2 ? ' (confirmed with the order reversed)' : ''), ...withCost };
      },
    };
  },
};
