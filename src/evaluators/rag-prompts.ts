// The model side of the ragas-style evaluators (rag.ts, context-metrics.ts, rubric.ts): their
// shared settings, how retrieved contexts are read and shown to a model, and a session that
// runs several structured calls (and an embeddings call) for one row, sums their costs and
// turns every way a call can go wrong into the skip/error taxonomy the judges use.
import { CallCosts } from './call-costs.js';
import { z } from 'zod';
import type { EvaluatorDeps, ModelMessage } from '../core/model/adapters.js';
import type { EvaluationResult, EvaluatorContext } from '../core/model/results.js';
import { modelCallFailed, modelUnavailable, textInput } from './inputs.js';
import { estimateTokens, judgeMessages } from './judge-prompt.js';
import { modelSetting } from './llm-judge.js';

/** LangWatch's defaults for every ragas evaluator (reference §2.2): a smaller input cap than the judges'. */
export const RAGAS_MODEL = 'openai/gpt-5-mini';
const RAGAS_MAX_TOKENS = 2048;
const MAX_TOKENS_CEILING = 1_048_576;

export const ragasModelSetting = modelSetting(RAGAS_MODEL);

export const ragasMaxTokensSetting = z
  .number()
  .int()
  .min(1)
  .max(MAX_TOKENS_CEILING)
  .default(RAGAS_MAX_TOKENS)
  .describe('Rows whose prompts are estimated above this many tokens (characters / 4) are skipped');

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * A list-valued input (contexts, expected_contexts) as its items: an array as it is, the JSON
 * text of an array (a CSV column) parsed, any other single value as a one-item list. Null items
 * are dropped; undefined when the input itself is absent.
 */
export function listItems(value: unknown): unknown[] | undefined {
  if (value === null || value === undefined) return undefined;
  let items: unknown[] = [value];
  if (Array.isArray(value)) items = value;
  else if (typeof value === 'string' && /^\s*\[/.test(value)) {
    try {
      const parsed: unknown = JSON.parse(value);
      if (Array.isArray(parsed)) items = parsed;
    } catch {
      // Not JSON after all: the text is one context.
    }
  }
  return items.filter((item) => item !== null && item !== undefined);
}

/** One context as text: a string, the `content` of a LangWatch RAG chunk, else its JSON text. */
function itemText(item: unknown): string {
  if (typeof item === 'string') return item;
  if (isRecord(item) && typeof item.content === 'string') return item.content;
  return JSON.stringify(item) ?? String(item);
}

/** Contexts as non-blank texts (LangWatch drops empty ones too); undefined when the input is absent. */
export function contextTexts(value: unknown): string[] | undefined {
  return listItems(value)
    ?.map(itemText)
    .filter((text) => text.trim() !== '');
}

/** An optional text input, undefined when absent or blank. */
export function optionalText(value: unknown): string | undefined {
  const text = textInput(value);
  return text === undefined || text.trim() === '' ? undefined : text;
}

/** Markdown sections of a user message; absent ones are left out. */
export function sections(parts: [title: string, text: string | undefined][]): string {
  return parts
    .filter((p): p is [string, string] => p[1] !== undefined)
    .map(([title, text]) => `# ${title}\n${text.trim() === '' ? '(empty)' : text}`)
    .join('\n\n');
}

/** Numbered items (`[1] …`), so verdicts can name the context or claim they are about. */
export const numbered = (items: string[]): string => items.map((item, i) => `[${i + 1}] ${item}`).join('\n\n');

/** A strict JSON Schema object (every property required, no others), as OpenAI's strict mode wants. */
export function strictObject(properties: Record<string, Record<string, unknown>>): Record<string, unknown> {
  return { type: 'object', properties, required: Object.keys(properties), additionalProperties: false };
}

export const STRING = { type: 'string' };
export const REASONING = { type: 'string', description: 'Your reasoning, before the verdict' };

/** One structured call: the forced schema, its name, and the zod check of what comes back. */
export interface Task<T> {
  name: string;
  schema: Record<string, unknown>;
  check: z.ZodType<T>;
}

/** A step of an evaluation: its value, or the result that ends the evaluation. */
export type Step<T> = { ok: true; value: T } | { ok: false; result: EvaluationResult };

const shown = (value: unknown): string => {
  const text = JSON.stringify(value) ?? String(value);
  return text.length > 300 ? `${text.slice(0, 300)}…` : text;
};

/**
 * The model calls made for one row. Costs add up over the calls (`cost` over the calls with a
 * known one, `unpricedCalls` counting the others). Every result leaving the evaluator goes through `finish`, so a
 * skip or error after a paid call still reports what was spent.
 */
export class ModelSession {
  private readonly costs = new CallCosts();

  constructor(
    private readonly deps: EvaluatorDeps,
    private readonly context: EvaluatorContext,
    private readonly maxTokens: number,
  ) {}

  private add(cost: number | undefined): void {
    this.costs.call(cost);
  }

  /** The result with the session's cost fields (a known cost, the calls without one) attached. */
  finish(result: EvaluationResult): EvaluationResult {
    const fields = this.costs.fields();
    if (fields.cost === undefined && fields.unpricedCalls === undefined) return result;
    const out = { ...result };
    Object.assign(out, fields);
    return out;
  }

  private fail(result: EvaluationResult): { ok: false; result: EvaluationResult } {
    return { ok: false, result: this.finish(result) };
  }

  /** The skip for prompts over max_tokens, or null; checked before each call and by callers up front. */
  tooLong(messages: ModelMessage[]): EvaluationResult | null {
    const tokens = estimateTokens(messages);
    if (tokens <= this.maxTokens) return null;
    return this.finish({
      status: 'skipped',
      details: `input is about ${tokens} tokens, above max_tokens ${this.maxTokens}; raise max_tokens or shorten the inputs`,
    });
  }

  /** Checks every model the evaluation will call before the first (paid) call. */
  async available(models: string[]): Promise<EvaluationResult | null> {
    try {
      // Inside the try: looking up the project's provider settings can fail too (storage).
      for (const model of new Set(models)) {
        const reason = await this.deps.models.unavailable(model);
        if (reason !== null) return this.finish(modelUnavailable(model, reason));
      }
      return null;
    } catch (error) {
      return this.finish(modelCallFailed(error, this.context.signal));
    }
  }

  /** One forced structured call at temperature 0 with the judges' retries, checked against the task. */
  async generate<T>(model: string, system: string, user: string, task: Task<T>): Promise<Step<T>> {
    const messages = judgeMessages(system, user);
    const tooLong = this.tooLong(messages);
    if (tooLong) return { ok: false, result: tooLong };
    let result;
    try {
      result = await this.deps.models.generate({
        model,
        messages,
        schema: task.schema,
        schemaName: task.name,
        signal: this.context.signal,
        retries: 2,
        params: { temperature: 0 },
      });
    } catch (error) {
      return this.fail(modelCallFailed(error, this.context.signal));
    }
    this.add(result.cost);
    const parsed = task.check.safeParse(result.object);
    if (parsed.success) return { ok: true, value: parsed.data };
    const issue = parsed.error.issues[0];
    const where = issue && issue.path.length > 0 ? `${issue.path.join('.')}: ` : '';
    return this.fail({
      status: 'error',
      errorType: 'invalid_output',
      details: `${model} returned invalid ${task.name}: ${where}${issue?.message ?? 'unexpected shape'}; got ${shown(result.object)}`,
    });
  }

  /** One embeddings call; every vector must be there and of one non-zero length. */
  async embed(model: string, values: string[]): Promise<Step<number[][]>> {
    let result;
    try {
      result = await this.deps.models.embed({ model, values, signal: this.context.signal });
    } catch (error) {
      return this.fail(modelCallFailed(error, this.context.signal));
    }
    this.add(result.cost);
    const vectors = result.embeddings;
    const length = vectors[0]?.length ?? 0;
    if (vectors.length !== values.length || length === 0 || vectors.some((v) => v.length !== length)) {
      return this.fail({
        status: 'error',
        errorType: 'invalid_output',
        details: `${model} returned ${vectors.length} embeddings for ${values.length} texts, or vectors of unequal or zero length`,
      });
    }
    return { ok: true, value: vectors };
  }
}

/**
 * Average precision of a ranked list of relevance verdicts (ragas' context precision): the mean
 * of precision@k over the ranks k that hold a relevant item; 0 when none is relevant. Ragas adds
 * 1e-10 to the denominator instead of special-casing 0, which shifts its scores by ~1e-10.
 */
export function averagePrecision(relevant: boolean[]): number {
  let hits = 0;
  let sum = 0;
  relevant.forEach((isRelevant, i) => {
    if (!isRelevant) return;
    hits++;
    sum += hits / (i + 1);
  });
  return hits === 0 ? 0 : sum / hits;
}

/** The 1-based ranks flagged true, for `details` ("1, 3" or "none"). */
export const ranks = (flags: boolean[]): string => flags.flatMap((f, i) => (f ? [i + 1] : [])).join(', ') || 'none';

/** Cuts a list of quoted items for `details`, so one row with many claims stays readable. */
export function listed(items: string[], max = 5): string {
  const head = items.slice(0, max).join('; ');
  return items.length > max ? `${head}; and ${items.length - max} more` : head;
}

// ---- the four RAG tasks: what the model is told and the shape it must answer in ----------------

const list = (description: string) => ({ type: 'array', items: STRING, description });

/** Faithfulness, step 1: the output's claims (and, when asked, whether it is an "I don't know"). */
export function claimsTask(dontKnow: boolean): Task<{ claims: string[]; dont_know?: boolean | undefined }> {
  const flag = { dont_know: { type: 'boolean', description: 'True when the answer only says it does not know or cannot help' } };
  return {
    name: 'claims',
    schema: strictObject({ claims: list('One checkable fact each'), ...(dontKnow ? flag : {}) }),
    check: z.object({ claims: z.array(z.string()), dont_know: dontKnow ? z.boolean() : z.boolean().optional() }),
  };
}

export function claimsSystem(dontKnow: boolean): string {
  return [
    'You split an answer into claims so that each one can be checked against sources.',
    'Write every fact the answer states as a short, self-contained claim: one fact per claim, names instead of pronouns, understandable without the rest of the answer.',
    'Leave out greetings, filler and questions back to the user. The question, when given, only helps to resolve what the answer refers to: add no facts from it.',
    ...(dontKnow
      ? ['Then set "dont_know": true when the answer as a whole does not answer, because it only says that it does not know, cannot find the information or cannot help; false when it states anything that could be checked.']
      : []),
    `Answer with a JSON object: "claims" (a list of strings, empty when the answer states no facts)${dontKnow ? ', then "dont_know"' : ''}.`,
  ].join('\n');
}

/** Faithfulness, step 2: one verdict per claim, reasoning before the verdict. */
export const VERDICTS_TASK: Task<{ verdicts: { claim: string; reasoning: string; supported: boolean }[] }> = {
  name: 'claim_verdicts',
  schema: strictObject({
    verdicts: { type: 'array', items: strictObject({ claim: STRING, reasoning: REASONING, supported: { type: 'boolean' } }) },
  }),
  check: z.object({ verdicts: z.array(z.object({ claim: z.string(), reasoning: z.string(), supported: z.boolean() })) }),
};

export const VERDICTS_SYSTEM = [
  'You check claims against retrieved contexts.',
  'For each numbered claim, decide whether the contexts support it: supported only when the contexts state it or it follows from them directly. A claim the contexts contradict, or one that goes beyond them, is not supported, even when it is true.',
  'Answer with a JSON object: "verdicts", one per claim in the given order, each with "claim" (its text), "reasoning" (brief) and then "supported" (true or false).',
].join('\n');

/** Answer relevancy: how many questions are generated from the answer (ragas' default strictness). */
export const QUESTION_COUNT = 3;

export const QUESTIONS_TASK: Task<{ questions: string[]; noncommittal: boolean }> = {
  name: 'questions',
  schema: strictObject({
    questions: list(`${QUESTION_COUNT} questions the answer replies to`),
    noncommittal: { type: 'boolean', description: 'True when the answer is evasive, vague or declines' },
  }),
  check: z.object({ questions: z.array(z.string()), noncommittal: z.boolean() }),
};

export const QUESTIONS_SYSTEM = [
  'You reconstruct the question behind an answer.',
  `Write ${QUESTION_COUNT} different questions that the answer below would be a direct reply to, phrased as a user would ask them, using only what the answer says.`,
  'Then set "noncommittal": true when the answer is evasive, vague or declines (for example "I don\'t know", "I\'m not sure", "it depends"), false when it commits to an answer.',
  `Answer with a JSON object: "questions" (a list of ${QUESTION_COUNT} strings), then "noncommittal".`,
].join('\n');

/** Context precision: one relevance verdict per retrieved context, named by its number. */
export const RELEVANCE_TASK: Task<{ verdicts: { context: number; reasoning: string; relevant: boolean }[] }> = {
  name: 'context_verdicts',
  schema: strictObject({
    verdicts: {
      type: 'array',
      items: strictObject({ context: { type: 'integer', description: 'The number of the context' }, reasoning: REASONING, relevant: { type: 'boolean' } }),
    },
  }),
  check: z.object({ verdicts: z.array(z.object({ context: z.number().int(), reasoning: z.string(), relevant: z.boolean() })) }),
};

export function relevanceSystem(reference: 'Reference Answer' | 'Answer'): string {
  return [
    'You judge retrieved contexts.',
    `For each numbered context, decide whether it was useful for arriving at the ${reference.toLowerCase()} to the question: relevant when it holds information that the ${reference.toLowerCase()} uses or needs, not relevant otherwise.`,
    'Answer with a JSON object: "verdicts", one per context, each with "context" (its number), "reasoning" (brief) and then "relevant" (true or false).',
  ].join('\n');
}

/** Context recall: the reference answer's statements, each attributed to the contexts or not. */
export const ATTRIBUTION_TASK: Task<{ statements: { statement: string; reasoning: string; attributed: boolean }[] }> = {
  name: 'statement_attributions',
  schema: strictObject({
    statements: { type: 'array', items: strictObject({ statement: STRING, reasoning: REASONING, attributed: { type: 'boolean' } }) },
  }),
  check: z.object({ statements: z.array(z.object({ statement: z.string(), reasoning: z.string(), attributed: z.boolean() })) }),
};

export const ATTRIBUTION_SYSTEM = [
  'You check whether retrieved contexts cover a reference answer.',
  'Split the reference answer into its statements, one fact each, in order. For each, decide whether it can be attributed to the contexts: attributed when the contexts contain that information, in any wording; not attributed otherwise.',
  'Answer with a JSON object: "statements", each with "statement" (its text), "reasoning" (brief) and then "attributed" (true or false).',
].join('\n');
