// LLM-as-a-judge evaluators with LangWatch's ids, settings and defaults (reference §2.2):
// boolean, score, category and answer match. Each builds LangWatch's call shape
// (./judge-prompt.ts), forces a structured verdict with the reasoning first, and reports the
// call's cost. Misconfiguration (no provider, no inputs, inputs over max_tokens) is
// "skipped"; provider faults and malformed verdicts are "error" (reference §2.4).
import { costFields } from './call-costs.js';
import { z } from 'zod';
import type { EvaluatorDefinition, EvaluatorDeps, ModelMessage } from '../core/model/adapters.js';
import type { EvaluationResult, EvaluatorContext, EvaluatorInstance } from '../core/model/results.js';
import { missingInput, modelCallFailed, modelUnavailable, quote, textInput } from './inputs.js';
import {
  answerMatchUserMessage,
  BOOLEAN_SCHEMA,
  categorySchema,
  estimateTokens,
  judgeMessages,
  judgeUserMessage,
  SCHEMA_NAME,
  SCORE_SCHEMA,
  systemMessage,
} from './judge-prompt.js';

/** LangWatch's default judge model and input cap; the cap's ceiling is LangWatch's too. */
const DEFAULT_MODEL = 'openai/gpt-5-mini';
const DEFAULT_MAX_TOKENS = 128_000;
const MAX_TOKENS_CEILING = 1_048_576;

/** `provider/model`: a provider name without slashes or spaces, then a model id (which may have slashes). */
const MODEL_NAME = new RegExp('^[^/\\s]+/\\S+$');

/** A `provider/model` setting; the default doubles as the example in the error message. */
export const modelSetting = (fallback: string, description = 'Judge model as provider/model') =>
  z.string().regex(MODEL_NAME, `must be "provider/model", e.g. "${fallback}"`).default(fallback).describe(description);

const maxTokensSetting = z
  .number()
  .int()
  .min(1)
  .max(MAX_TOKENS_CEILING)
  .default(DEFAULT_MAX_TOKENS)
  .describe('Rows whose prompt is estimated above this many tokens (characters / 4) are skipped');

const promptSetting = (fallback: string) =>
  z.string().max(100_000).regex(/\S/, 'prompt must not be empty').default(fallback).describe('What the judge checks (its system prompt)');

const DEFAULT_PROMPTS = {
  boolean:
    "You are an LLM evaluator. We need the guarantee that the output answers what is being asked on the input, please evaluate as False if it doesn't",
  score:
    'You are an LLM evaluator. Please score from 0.0 to 1.0 how likely the user is to be satisfied with this answer, from 0.0 being not satisfied at all to 1.0 being completely satisfied',
  category: 'You are an LLM category evaluator. Please categorize the message in one of the following categories',
  answerMatch:
    'Verify that the predicted answer matches the gold answer for the question. Style does not matter, for example the gold answer may be more direct while the predicted answer more verbose and still be correct.',
};

const DEFAULT_CATEGORIES = [
  { name: 'smalltalk', description: 'Smalltalk with the user' },
  { name: 'company', description: 'Questions about the company, what we do, etc' },
];

const categorySetting = z
  .array(
    z.object({
      name: z.string().max(200).regex(/\S/, 'category name must not be empty'),
      description: z.string().max(10_000).default('').describe('When this category applies'),
    }),
  )
  .min(1, 'add at least one category')
  .max(200)
  .superRefine((categories, ctx) => {
    const seen = new Set<string>();
    categories.forEach((c, i) => {
      if (seen.has(c.name)) ctx.addIssue({ code: 'custom', path: [i, 'name'], message: `category ${quote(c.name)} is listed twice` });
      seen.add(c.name);
    });
  })
  .default(DEFAULT_CATEGORIES)
  .describe('The labels the judge chooses from');

const booleanSettings = z.object({ model: modelSetting(DEFAULT_MODEL), max_tokens: maxTokensSetting, prompt: promptSetting(DEFAULT_PROMPTS.boolean) });
const scoreSettings = z.object({ model: modelSetting(DEFAULT_MODEL), max_tokens: maxTokensSetting, prompt: promptSetting(DEFAULT_PROMPTS.score) });
const categorySettings = z.object({
  model: modelSetting(DEFAULT_MODEL),
  max_tokens: maxTokensSetting,
  prompt: promptSetting(DEFAULT_PROMPTS.category),
  categories: categorySetting,
});
const answerMatchSettings = z.object({ model: modelSetting(DEFAULT_MODEL), max_tokens: maxTokensSetting, prompt: promptSetting(DEFAULT_PROMPTS.answerMatch) });

/** What one judge call needs; `verdict` turns the model's object into a result, or says what is wrong with it. */
interface JudgeCall {
  model: string;
  maxTokens: number;
  messages: ModelMessage[];
  schema: Record<string, unknown>;
  verdict(object: unknown): Omit<Extract<EvaluationResult, { status: 'processed' }>, 'status' | 'details' | 'cost'> | string;
}

const reasoningOf = (object: unknown): string | undefined => {
  const r = (object as { reasoning?: unknown } | null)?.reasoning;
  return typeof r === 'string' ? r : undefined;
};

/** Runs one judge call: size check, availability check, the call, the verdict. */
async function judge(call: JudgeCall, deps: EvaluatorDeps, context: EvaluatorContext): Promise<EvaluationResult> {
  const tokens = estimateTokens(call.messages);
  if (tokens > call.maxTokens) {
    return { status: 'skipped', details: `input is about ${tokens} tokens, above max_tokens ${call.maxTokens}; raise max_tokens or shorten the inputs` };
  }
  let result;
  try {
    // Inside the try: looking up the project's provider settings can fail too (storage).
    const reason = await deps.models.unavailable(call.model);
    if (reason !== null) return modelUnavailable(call.model, reason);
    result = await deps.models.generate({
      model: call.model,
      messages: call.messages,
      schema: call.schema,
      schemaName: SCHEMA_NAME,
      signal: context.signal,
      retries: 2,
      params: { temperature: 0 },
    });
  } catch (error) {
    return modelCallFailed(error, context.signal);
  }
  // A free call (0) is reported as 0; an unknown cost as an unpriced call, never as 0.
  const cost = costFields(result.cost);
  const reasoning = reasoningOf(result.object);
  const verdict = reasoning === undefined ? 'it has no "reasoning" text' : call.verdict(result.object);
  if (typeof verdict === 'string') {
    const got = JSON.stringify(result.object) ?? String(result.object);
    const shown = got.length > 300 ? `${got.slice(0, 300)}…` : got;
    return { status: 'error', errorType: 'invalid_output', details: `${call.model} returned an invalid verdict: ${verdict}; got ${shown}`, ...cost };
  }
  return { status: 'processed', ...verdict, ...(reasoning ? { details: reasoning } : {}), ...cost };
}

const field = (object: unknown, key: string): unknown => (object as Record<string, unknown>)[key];

/** The message when no input has any text; the same wording for every generic judge. */
const NOTHING_TO_JUDGE: EvaluationResult = {
  status: 'skipped',
  details:
    'nothing to judge: input, output, contexts and expected_output are all missing or empty; map at least one, e.g. "inputs": {"output": "output"}',
};

/** The three generic judges differ only in the verdict they ask for. */
function genericJudge(
  settings: { model: string; max_tokens: number; prompt: string },
  deps: EvaluatorDeps,
  ask: { answer: string; schema: Record<string, unknown>; verdict: JudgeCall['verdict'] },
): EvaluatorInstance {
  const system = systemMessage(settings.prompt, ask.answer);
  return {
    async evaluate(inputs, context) {
      const user = judgeUserMessage(inputs);
      if (user === undefined) return NOTHING_TO_JUDGE;
      const messages = judgeMessages(system, user);
      return judge({ model: settings.model, maxTokens: settings.max_tokens, messages, schema: ask.schema, verdict: ask.verdict }, deps, context);
    },
  };
}

const GENERIC_INPUTS = ['input', 'output', 'contexts', 'expected_output'];
const STRING_INPUTS = ['input', 'output', 'expected_output'];

/** `llm_boolean` / `langevals/llm_boolean`: passed, with score 1/0 as LangWatch reports it. */
export const llmBoolean: EvaluatorDefinition<typeof booleanSettings> = {
  id: 'llm_boolean',
  aliases: ['langevals/llm_boolean'],
  name: 'LLM-as-a-Judge Boolean',
  category: 'llm_judge',
  description: 'An LLM judges the row against your criterion (the prompt) and answers true or false, with its reasoning as details.',
  requiredInputs: [],
  optionalInputs: GENERIC_INPUTS,
  stringInputs: STRING_INPUTS,
  settings: booleanSettings,
  result: ['passed', 'score'],
  needsModel: true,
  create(s, deps) {
    return genericJudge(s, deps, {
      answer: '"passed": true when the criterion above is met, false when it is not.',
      schema: BOOLEAN_SCHEMA,
      verdict(object) {
        const passed = field(object, 'passed');
        if (typeof passed !== 'boolean') return '"passed" is not true or false';
        return { passed, score: passed ? 1 : 0 };
      },
    });
  },
};

/** `llm_score` / `langevals/llm_score`: the score the model gives, unclamped (the prompt sets the scale). */
export const llmScore: EvaluatorDefinition<typeof scoreSettings> = {
  id: 'llm_score',
  aliases: ['langevals/llm_score'],
  name: 'LLM-as-a-Judge Score',
  category: 'llm_judge',
  description:
    'An LLM scores the row as your prompt asks (0.0–1.0 by default) and gives its reasoning as details. Set a threshold on the evaluator to turn the score into pass/fail.',
  requiredInputs: [],
  optionalInputs: GENERIC_INPUTS,
  stringInputs: STRING_INPUTS,
  settings: scoreSettings,
  result: ['score'],
  needsModel: true,
  create(s, deps) {
    return genericJudge(s, deps, {
      answer: '"score": the number the instructions above ask for.',
      schema: SCORE_SCHEMA,
      verdict(object) {
        const score = field(object, 'score');
        if (typeof score !== 'number' || !Number.isFinite(score)) return '"score" is not a finite number';
        return { score };
      },
    });
  },
};

/** `llm_category` / `langevals/llm_category`: one label out of the configured categories. */
export const llmCategory: EvaluatorDefinition<typeof categorySettings> = {
  id: 'llm_category',
  aliases: ['langevals/llm_category'],
  name: 'LLM-as-a-Judge Category',
  category: 'llm_judge',
  description: 'An LLM puts the row into one of your categories (the label), with its reasoning as details.',
  requiredInputs: [],
  optionalInputs: GENERIC_INPUTS,
  stringInputs: STRING_INPUTS,
  settings: categorySettings,
  result: ['label'],
  needsModel: true,
  create(s, deps) {
    const names = s.categories.map((c) => c.name);
    const listed = s.categories.map((c) => (c.description.trim() ? `- ${c.name}: ${c.description}` : `- ${c.name}`)).join('\n');
    return genericJudge({ ...s, prompt: `${s.prompt}\n\n# Categories\n${listed}` }, deps, {
      answer: '"label": the name of the one category above that fits best.',
      schema: categorySchema(names),
      verdict(object) {
        const label = field(object, 'label');
        if (typeof label !== 'string' || !names.includes(label)) return `"label" is not one of ${names.map((n) => quote(n)).join(', ')}`;
        return { label };
      },
    });
  },
};

/** `answer_match` / `langevals/llm_answer_match`: passed only (LangWatch drops the score). */
export const llmAnswerMatch: EvaluatorDefinition<typeof answerMatchSettings> = {
  id: 'answer_match',
  aliases: ['langevals/llm_answer_match'],
  name: 'LLM Answer Match',
  category: 'llm_judge',
  description:
    'An LLM checks that the output (predicted answer) gives the same answer as expected_output (gold answer) to the input question, whatever the style.',
  requiredInputs: ['output', 'expected_output'],
  optionalInputs: ['input'],
  stringInputs: STRING_INPUTS,
  settings: answerMatchSettings,
  result: ['passed'],
  needsModel: true,
  create(s, deps) {
    const system = systemMessage(s.prompt, '"passed": true when the predicted answer matches the gold answer, false when it does not.');
    return {
      async evaluate(inputs, context) {
        const predicted = textInput(inputs.output);
        if (predicted === undefined) return missingInput('output');
        const gold = textInput(inputs.expected_output);
        if (gold === undefined) return missingInput('expected_output');
        if (gold.trim() === '') return { status: 'skipped', details: 'expected_output is empty: there is no gold answer to compare with' };
        const messages = judgeMessages(system, answerMatchUserMessage(textInput(inputs.input), gold, predicted));
        return judge(
          {
            model: s.model,
            maxTokens: s.max_tokens,
            messages,
            schema: BOOLEAN_SCHEMA,
            verdict(object) {
              const passed = field(object, 'passed');
              return typeof passed === 'boolean' ? { passed } : '"passed" is not true or false';
            },
          },
          deps,
          context,
        );
      },
    };
  },
};
