// Limits on what the target call cost and produced: latency, cost, tokens (from the engine's
// facts about the call, `context.target`) and the output's length in words or characters
// (promptfoo's latency, cost, word-count and character-count assertions in one evaluator).
//
// passed = every configured limit holds; there is no score, since "2 of 3 limits held" is not
// a quantity worth averaging. A limit whose fact is unknown (no cost for an unpriced model, no
// token counts from an HTTP target) cannot pass silently: the result is skipped, unless a known
// limit already failed, which decides the result whatever the unknown one would say.
import { z } from 'zod';
import type { EvaluatorDefinition } from '../core/model/adapters.js';
import type { EvaluationResult, EvaluatorContext } from '../core/model/results.js';
import { missingInput, textInput } from './inputs.js';

const count = (what: string) => z.number().int().min(0).optional().describe(what);

const LIMIT_KEYS = [
  'max_latency_ms', 'max_cost_usd', 'max_input_tokens', 'max_output_tokens', 'max_total_tokens',
  'max_words', 'max_chars', 'min_words', 'min_chars',
] as const;
type LimitKey = (typeof LIMIT_KEYS)[number];

const settings = z
  .object({
    max_latency_ms: z.number().positive().optional().describe('Longest the target call may take, in milliseconds'),
    max_cost_usd: z.number().min(0).optional().describe('Most the target call may cost, in USD'),
    max_input_tokens: count('Most input (prompt) tokens'),
    max_output_tokens: count('Most output (completion) tokens'),
    max_total_tokens: count('Most input + output tokens'),
    max_words: count('Most words in the output (runs of non-whitespace)'),
    max_chars: count('Most characters in the output (Unicode code points)'),
    min_words: count('Fewest words in the output'),
    min_chars: count('Fewest characters in the output'),
  })
  .superRefine((s, ctx) => {
    if (LIMIT_KEYS.every((k) => s[k] === undefined)) {
      ctx.addIssue({ code: 'custom', path: [], message: `set at least one limit: ${LIMIT_KEYS.join(', ')}` });
    }
    for (const unit of ['words', 'chars'] as const) {
      const min = s[`min_${unit}`];
      const max = s[`max_${unit}`];
      if (min !== undefined && max !== undefined && min > max) {
        ctx.addIssue({ code: 'custom', path: [`min_${unit}`], message: `min_${unit} (${min}) must not exceed max_${unit} (${max})` });
      }
    }
  })
  // The JSON Schema of the settings then refuses {} as the zod schema does.
  .meta({ minProperties: 1 });
type Settings = z.output<typeof settings>;

/** The facts a limit reads; undefined when the call did not report them. */
interface Facts {
  target: EvaluatorContext['target'];
  output: string | undefined;
}

interface Limit {
  key: LimitKey;
  label: string;
  unit: string;
  bound: 'max' | 'min';
  /** Why the fact is unknown, when it may be. */
  unknown: string;
  observe(facts: Facts): number | undefined;
}

const words = (text: string): number => text.split(/\s+/).filter((w) => w.length > 0).length;
const chars = (text: string): number => {
  let n = 0;
  for (const _ of text) n++;
  return n;
};
const tokens = (facts: Facts, pick: (t: { input: number; output: number }) => number) => (facts.target.tokens ? pick(facts.target.tokens) : undefined);
const NO_TOKENS = 'the target did not report token usage';
const NO_OUTPUT = 'the output is missing';

const LIMITS: Limit[] = [
  { key: 'max_latency_ms', label: 'latency', unit: 'ms', bound: 'max', unknown: '', observe: (f) => f.target.durationMs },
  {
    key: 'max_cost_usd', label: 'cost', unit: 'USD', bound: 'max',
    unknown: 'the cost of the target call is unknown (the model has no price, or the target does not report cost)',
    observe: (f) => f.target.cost,
  },
  { key: 'max_input_tokens', label: 'input tokens', unit: '', bound: 'max', unknown: NO_TOKENS, observe: (f) => tokens(f, (t) => t.input) },
  { key: 'max_output_tokens', label: 'output tokens', unit: '', bound: 'max', unknown: NO_TOKENS, observe: (f) => tokens(f, (t) => t.output) },
  { key: 'max_total_tokens', label: 'total tokens', unit: '', bound: 'max', unknown: NO_TOKENS, observe: (f) => tokens(f, (t) => t.input + t.output) },
  { key: 'max_words', label: 'words', unit: '', bound: 'max', unknown: NO_OUTPUT, observe: (f) => (f.output === undefined ? undefined : words(f.output)) },
  { key: 'min_words', label: 'words', unit: '', bound: 'min', unknown: NO_OUTPUT, observe: (f) => (f.output === undefined ? undefined : words(f.output)) },
  { key: 'max_chars', label: 'characters', unit: '', bound: 'max', unknown: NO_OUTPUT, observe: (f) => (f.output === undefined ? undefined : chars(f.output)) },
  { key: 'min_chars', label: 'characters', unit: '', bound: 'min', unknown: NO_OUTPUT, observe: (f) => (f.output === undefined ? undefined : chars(f.output)) },
];

const needsOutput = (l: Limit): boolean => l.unknown === NO_OUTPUT;
const amount = (value: number, unit: string): string => `${Number.isInteger(value) ? value : Number(value.toPrecision(6))}${unit ? ` ${unit}` : ''}`;

/** `run_budget` / `latency` / `cost`: passed when every configured limit holds. */
export const runBudget: EvaluatorDefinition<typeof settings> = {
  id: 'run_budget',
  aliases: ['latency', 'cost'],
  name: 'Run Budget',
  category: 'budget',
  description:
    'Passes when the target call stays within every limit set: latency (ms), cost (USD), input/output/total tokens, ' +
    'and the output\'s word and character counts (min and max). Skipped when a limited fact is unknown, such as ' +
    'the cost of an unpriced model.',
  requiredInputs: [],
  optionalInputs: ['output'],
  stringInputs: ['output'],
  settings,
  result: ['passed'],
  needsModel: false,
  // Counting words is linear but ≈ 110 ns a character (10 MB: 1.1 s); limits on latency, cost
  // and tokens never read the output. At the cap: 0.6 ms (median, bench/evaluator-caps.ts).
  inlineChars: (s) => (LIMITS.some((l) => s[l.key] !== undefined && needsOutput(l)) ? 20_000 : Number.POSITIVE_INFINITY),
  create(s: Settings) {
    const limits = LIMITS.filter((l) => s[l.key] !== undefined).map((l) => ({ ...l, value: s[l.key]! }));
    const readsOutput = limits.some(needsOutput);
    return {
      async evaluate(inputs, context): Promise<EvaluationResult> {
        const output = textInput(inputs.output);
        if (readsOutput && output === undefined) return missingInput('output');
        const facts: Facts = { target: context.target, output };
        const lines: string[] = [];
        const unknown: string[] = [];
        let failed = false;
        for (const limit of limits) {
          const observed = limit.observe(facts);
          const bound = `${limit.bound} ${amount(limit.value, limit.unit)}`;
          if (observed === undefined) {
            unknown.push(`${limit.key}: ${limit.unknown}`);
            lines.push(`${limit.label} unknown (${bound})`);
            continue;
          }
          const holds = limit.bound === 'max' ? observed <= limit.value : observed >= limit.value;
          failed ||= !holds;
          lines.push(`${limit.label} ${amount(observed, limit.unit)} (${bound}): ${holds ? 'ok' : limit.bound === 'max' ? 'over the limit' : 'under the minimum'}`);
        }
        const details = lines.join('; ');
        if (!failed && unknown.length > 0) return { status: 'skipped', details: `cannot check ${unknown.join('; ')}. ${details}` };
        return { status: 'processed', passed: !failed, details };
      },
    };
  },
};
