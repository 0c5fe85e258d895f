// Rubric scoring with LangWatch's id, settings and default 5-level rubric
// (`ragas/rubrics_based_scoring`, reference §2.2): the judge reads the levels, reasons, then
// picks one level. The score is the level number (1..N) as given, not normalised, so a
// threshold reads in the rubric's own terms ("at least 4"). A row may bring its own rubric
// (ragas' InstanceRubrics) in a `rubrics` input, which then replaces the configured one.
import { z } from 'zod';
import type { EvaluatorDefinition } from '../core/model/adapters.js';
import type { EvaluationResult } from '../core/model/results.js';
import { missingInput, textInput } from './inputs.js';
import { SCHEMA_NAME } from './judge-prompt.js';
import { listItems, ModelSession, ragasMaxTokensSetting, ragasModelSetting, REASONING, sections, strictObject, type Task } from './rag-prompts.js';

/** LangWatch's default rubric, verbatim. */
const DEFAULT_RUBRICS = [
  { description: 'The response is incorrect, irrelevant.' },
  { description: 'The response partially answers the question but includes significant errors, omissions, or irrelevant information.' },
  { description: 'The response partially answers the question but includes minor errors, omissions, or irrelevant information.' },
  { description: 'The response fully answers the question and includes minor errors, omissions, or irrelevant information.' },
  { description: 'The response fully answers the question and includes no errors, omissions, or irrelevant information.' },
];

const MAX_LEVELS = 20;

const settings = z.object({
  model: ragasModelSetting,
  max_tokens: ragasMaxTokensSetting,
  rubrics: z
    .array(z.object({ description: z.string().max(10_000).regex(/\S/, 'describe the level') }))
    .min(1, 'give at least one level')
    .max(MAX_LEVELS)
    .default(DEFAULT_RUBRICS)
    .describe('The levels, worst first: the first is score 1, the last score N'),
});

/** ragas writes per-row rubrics as {"score1_description": …} or {"score1": …}. */
const RAGAS_KEY = /^score(\d+)(?:_description)?$/;

/**
 * A per-row rubric as level descriptions, or why it cannot be used. Accepted: a list of
 * strings or of {description}, ragas' keyed object, or the JSON text of either.
 */
function rowRubric(value: unknown): string[] | string {
  let parsed = value;
  if (typeof value === 'string') {
    try {
      parsed = JSON.parse(value);
    } catch {
      return 'it is text, not a list of levels';
    }
  }
  let levels: unknown[];
  if (Array.isArray(parsed)) {
    levels = listItems(parsed)!.map((l) => (typeof l === 'object' && l !== null ? (l as { description?: unknown }).description : l));
  } else if (typeof parsed === 'object' && parsed !== null) {
    const keyed = Object.entries(parsed).map(([key, text]) => [Number(RAGAS_KEY.exec(key)?.[1]), text] as const);
    if (keyed.some(([n]) => !Number.isInteger(n))) return 'an object needs keys score1, score2, … (or score1_description, …)';
    keyed.sort((a, b) => a[0] - b[0]);
    if (keyed.some(([n], i) => n !== i + 1)) return 'its levels must be numbered 1, 2, … without gaps';
    levels = keyed.map(([, text]) => text);
  } else {
    return 'it is neither a list of levels nor an object of them';
  }
  if (levels.length === 0 || levels.length > MAX_LEVELS) return `it must have 1 to ${MAX_LEVELS} levels`;
  if (levels.some((l) => typeof l !== 'string' || l.trim() === '')) return 'every level needs a non-empty description';
  return levels as string[];
}

function system(levels: string[]): string {
  return [
    'You grade a response against a rubric. Read the input, the response and, when given, the expected output, then choose the one rubric level that describes the response best.',
    '',
    '# Rubric',
    ...levels.map((text, i) => `${i + 1}: ${text}`),
    '',
    `Always answer with a valid JSON object for "${SCHEMA_NAME}": first "reasoning" (your step-by-step thinking, briefly), then "score": the number of the chosen level, from 1 to ${levels.length}.`,
  ].join('\n');
}

function task(levels: number): Task<{ reasoning: string; score: number }> {
  const allowed = Array.from({ length: levels }, (_, i) => i + 1);
  return {
    name: SCHEMA_NAME,
    // An enum rather than minimum/maximum: every structured-output provider honours enums.
    schema: strictObject({ reasoning: REASONING, score: { type: 'integer', enum: allowed, description: 'The chosen level' } }),
    check: z.object({ reasoning: z.string(), score: z.number().int().min(1).max(levels) }),
  };
}

/** `rubric_score` / `ragas/rubrics_based_scoring`: score = the chosen level, 1..N. */
export const rubricScore: EvaluatorDefinition<typeof settings> = {
  id: 'rubric_score',
  aliases: ['ragas/rubrics_based_scoring'],
  name: 'Rubric Score',
  category: 'llm_judge',
  description:
    'An LLM grades the output on a rubric of levels (by default 1–5, worst to best) and the score is the chosen level; details give its reasoning and the level. ' +
    'A row can bring its own rubric in a "rubrics" input.',
  requiredInputs: ['input', 'output'],
  optionalInputs: ['expected_output', 'rubrics'],
  stringInputs: ['input', 'output', 'expected_output'],
  settings,
  result: ['score'],
  needsModel: true,
  create(s, deps) {
    const configured = s.rubrics.map((r) => r.description);
    const prepared = { system: system(configured), task: task(configured.length) };
    return {
      async evaluate(inputs, context): Promise<EvaluationResult> {
        const input = textInput(inputs.input);
        if (input === undefined) return missingInput('input');
        const output = textInput(inputs.output);
        if (output === undefined) return missingInput('output');
        let levels = configured;
        let ask = prepared;
        if (inputs.rubrics !== undefined && inputs.rubrics !== null) {
          const own = rowRubric(inputs.rubrics);
          if (typeof own === 'string') {
            return { status: 'skipped', details: `the row's rubrics input cannot be used: ${own}; give a list of level descriptions, worst first, or unmap it to use the configured rubric` };
          }
          levels = own;
          ask = { system: system(own), task: task(own.length) };
        }
        const user = sections([['Input', input], ['Response', output], ['Expected Output', textInput(inputs.expected_output)]]);
        const session = new ModelSession(deps, context, s.max_tokens);
        const tooLong = session.tooLong([{ role: 'system', content: ask.system }, { role: 'user', content: user }]);
        if (tooLong) return tooLong;
        const unavailable = await session.available([s.model]);
        if (unavailable) return unavailable;
        const graded = await session.generate(s.model, ask.system, user, ask.task);
        if (!graded.ok) return graded.result;
        const { reasoning, score } = graded.value;
        const details = `${reasoning.trim()}\n\nLevel ${score} of ${levels.length}: ${levels[score - 1]}`.trim();
        return session.finish({ status: 'processed', score, details });
      },
    };
  },
};
