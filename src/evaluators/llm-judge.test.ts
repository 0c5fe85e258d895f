// The judges against the fake OpenAI and Anthropic servers through the real ModelClient: what
// the provider receives, how verdicts, costs and failures come back.
import { calcPrice } from '@pydantic/genai-prices';
import { describe, expect, it } from 'vitest';
import type { EvaluatorDefinition, ModelClient } from '../core/model/adapters.js';
import type { EvaluatorInputs } from '../core/model/results.js';
import { createFakeSandbox } from '../testing/fake-sandbox.js';
import { approxTokens, type FakeChatRequest, type FakeLlmProvider } from '../testing/fake-provider-core.js';
import { useModelFakes } from '../testing/model-fakes-suite.js';
import { validateEvaluatorSettings } from './catalogue.js';
import { llmAnswerMatch, llmBoolean, llmCategory, llmScore } from './llm-judge.js';

const fakes = useModelFakes();

const context = (signal = new AbortController().signal) => ({ row: {}, target: { id: 't', durationMs: 1 }, signal });

function run(def: EvaluatorDefinition, settings: Record<string, unknown>, inputs: EvaluatorInputs, options: { models?: ModelClient; signal?: AbortSignal } = {}) {
  const instance = def.create(def.settings.parse(settings), { sandbox: createFakeSandbox(), models: options.models ?? fakes().client });
  return instance.evaluate(inputs, context(options.signal));
}

/** Answers every generation with `verdict` and records the request and the tokens the fake bills. */
function answer(fake: FakeLlmProvider, verdict: unknown) {
  const seen: { request?: FakeChatRequest; inputTokens: number; outputTokens: number } = { inputTokens: 0, outputTokens: 0 };
  const text = typeof verdict === 'string' ? verdict : JSON.stringify(verdict);
  fake.setBehaviour({
    respond: (request) => {
      seen.request = request;
      // The fake's own count (about four characters a token) of what it received and sends.
      seen.inputTokens = approxTokens(request.messages.map((m) => m.content).join(''));
      seen.outputTokens = approxTokens(text);
      return text;
    },
  });
  return seen;
}

const priceOf = (model: string, providerId: string, seen: { inputTokens: number; outputTokens: number }) =>
  calcPrice({ input_tokens: seen.inputTokens, output_tokens: seen.outputTokens }, model, { providerId })!.total_price;

const QA = { input: 'What is the capital of France?', output: 'Paris is the capital.' };

describe('llm_boolean', () => {
  it('sends the prompt as system message, the inputs as sections and a reasoning-first strict schema', async () => {
    const seen = answer(fakes().openai, { reasoning: 'It names Paris.', passed: true });
    const result = await run(llmBoolean, {}, { ...QA, contexts: ['Paris is in France.', { title: 'Lyon' }], expected_output: 'Paris' });
    expect(result).toEqual({ status: 'processed', passed: true, score: 1, details: 'It names Paris.', cost: priceOf('gpt-5-mini', 'openai', seen) });

    const request = seen.request!;
    expect(request.model).toBe('gpt-5-mini');
    // The AI SDK sends OpenAI reasoning models the system message as a `developer` message.
    expect(request.messages.map((m) => m.role)).toEqual(['developer', 'user']);
    expect(request.messages[0]!.content).toContain(llmBoolean.settings.parse({}).prompt);
    expect(request.messages[0]!.content).toContain('"reasoning"');
    expect(request.messages[1]!.content).toBe(
      '# Input\nWhat is the capital of France?\n\n# Output\nParis is the capital.\n\n# Contexts\nParis is in France.\n{"title":"Lyon"}\n\n# Expected Output\nParis',
    );
    const format = request.body.response_format as { type: string; json_schema: { name: string; schema: Record<string, unknown> } };
    expect(format.type).toBe('json_schema');
    expect(format.json_schema.name).toBe('evaluation');
    expect(Object.keys(format.json_schema.schema.properties as object)).toEqual(['reasoning', 'passed']);
    expect(format.json_schema.schema).toMatchObject({ required: ['reasoning', 'passed'], additionalProperties: false });
  });

  it('reports a failed verdict with score 0, not an absent score', async () => {
    answer(fakes().openai, { reasoning: 'It talks about Lyon.', passed: false });
    const result = await run(llmBoolean, { prompt: 'Does the output name the right city?' }, QA);
    expect(result).toMatchObject({ status: 'processed', passed: false, score: 0, details: 'It talks about Lyon.' });
    expect(fakes().openai.requests.at(-1)!.text).toContain('Does the output name the right city?');
  });

  it('asks for temperature 0', async () => {
    answer(fakes().openai, { reasoning: 'ok', passed: true });
    await run(llmBoolean, { model: 'openai/gpt-4o-mini' }, QA);
    expect((fakes().openai.requests.at(-1)!.body as { temperature?: number }).temperature).toBe(0);
  });

  it('shows a present but blank output as (empty) and leaves absent inputs out', async () => {
    const seen = answer(fakes().openai, { reasoning: 'No answer.', passed: false });
    await run(llmBoolean, {}, { input: 'Hi?', output: '  ' });
    expect(seen.request!.prompt).toBe('# Input\nHi?\n\n# Output\n(empty)');
  });

  it('skips without a call when every input is absent or blank', async () => {
    const result = await run(llmBoolean, {}, { input: null, output: '', contexts: [] });
    expect(result).toMatchObject({ status: 'skipped', details: expect.stringMatching(/^nothing to judge/) });
    expect(fakes().openai.requests).toHaveLength(0);
  });

  it('judges with an Anthropic model and prices it from the table', async () => {
    const seen = answer(fakes().anthropic, { reasoning: 'Correct city.', passed: true });
    const result = await run(llmBoolean, { model: 'anthropic/claude-haiku-4-5' }, QA);
    expect(result).toEqual({ status: 'processed', passed: true, score: 1, details: 'Correct city.', cost: priceOf('claude-haiku-4-5', 'anthropic', seen) });
    expect(seen.request!.messages[0]).toMatchObject({ role: 'system', content: expect.stringContaining('You are an LLM evaluator.') });
    expect(seen.request!.prompt).toContain('# Input\nWhat is the capital of France?');
    expect(Object.keys(seen.request!.schema!.properties as object)).toEqual(['reasoning', 'passed']);
  });
});

describe('llm_score', () => {
  it('reports the score the model gives, 0 included', async () => {
    const seen = answer(fakes().openai, { reasoning: 'Unhelpful.', score: 0 });
    const result = await run(llmScore, {}, QA);
    expect(result).toMatchObject({ status: 'processed', score: 0, details: 'Unhelpful.' });
    expect(result).not.toHaveProperty('passed');
    expect(Object.keys(seen.request!.schema!.properties as object)).toEqual(['reasoning', 'score']);
  });

  it('does not clamp a score outside 0–1 (the prompt sets the scale)', async () => {
    answer(fakes().openai, { reasoning: 'Good.', score: 7.5 });
    expect(await run(llmScore, { prompt: 'Score from 1 to 10.' }, QA)).toMatchObject({ status: 'processed', score: 7.5 });
  });

  it('leaves the score absent, as an error, when the model gives none', async () => {
    answer(fakes().openai, { reasoning: 'Hmm.' });
    const result = await run(llmScore, {}, QA);
    expect(result).toMatchObject({ status: 'error', errorType: 'invalid_output', details: expect.stringContaining('"score" is not a finite number') });
    expect(result).not.toHaveProperty('score');
    // The call was made and billed, so its cost is still reported.
    expect(result.cost).toBeGreaterThan(0);
  });
});

describe('llm_category', () => {
  it('lists the categories in the system message and constrains the label to their names', async () => {
    const seen = answer(fakes().openai, { reasoning: 'A greeting.', label: 'smalltalk' });
    const result = await run(llmCategory, {}, { input: 'Hello there!' });
    expect(result).toMatchObject({ status: 'processed', label: 'smalltalk', details: 'A greeting.' });
    expect(result).not.toHaveProperty('score');
    expect(seen.request!.messages[0]!.content).toContain('- smalltalk: Smalltalk with the user\n- company: Questions about the company, what we do, etc');
    expect(seen.request!.schema).toMatchObject({ properties: { label: { type: 'string', enum: ['smalltalk', 'company'] } }, required: ['reasoning', 'label'] });
  });

  it('is an error when the label is not a category', async () => {
    answer(fakes().openai, { reasoning: 'Unsure.', label: 'weather' });
    expect(await run(llmCategory, {}, { input: 'Rain?' })).toMatchObject({ status: 'error', errorType: 'invalid_output', details: expect.stringContaining('"weather"') });
  });
});

describe('llm_answer_match', () => {
  it('frames the row as question, gold answer and predicted answer, and reports passed only', async () => {
    const seen = answer(fakes().openai, { reasoning: 'Same city.', passed: true });
    const result = await run(llmAnswerMatch, {}, { ...QA, expected_output: 'Paris' });
    expect(result).toEqual({ status: 'processed', passed: true, details: 'Same city.', cost: priceOf('gpt-5-mini', 'openai', seen) });
    expect(seen.request!.messages[0]!.content).toContain('Verify that the predicted answer matches the gold answer for the question.');
    expect(seen.request!.prompt).toBe('# Question\nWhat is the capital of France?\n\n# Gold Answer\nParis\n\n# Predicted Answer\nParis is the capital.');
  });

  it('skips without a call when output or expected_output is missing', async () => {
    expect(await run(llmAnswerMatch, {}, { input: 'q', output: 'a' })).toMatchObject({ status: 'skipped', details: expect.stringMatching(/^expected_output is missing/) });
    expect(await run(llmAnswerMatch, {}, { input: 'q', expected_output: 'a' })).toMatchObject({ status: 'skipped', details: expect.stringMatching(/^output is missing/) });
    expect(fakes().openai.requests).toHaveLength(0);
  });
});

describe('judge cost', () => {
  it('is the provider-reported usage.cost when there is one, 0 included', async () => {
    answer(fakes().openai, { reasoning: 'ok', passed: true });
    fakes().openai.setBehaviour({ reportCost: () => 0.0123 });
    expect(await run(llmBoolean, {}, QA)).toMatchObject({ cost: 0.0123 });
    fakes().openai.setBehaviour({ reportCost: () => 0 });
    expect(await run(llmBoolean, {}, QA)).toMatchObject({ cost: 0 });
  });

  it('is the fake default usage.cost rule with reportCost: true', async () => {
    const seen = answer(fakes().openai, { reasoning: 'ok', passed: true });
    fakes().openai.setBehaviour({ reportCost: true });
    const result = await run(llmBoolean, {}, QA);
    expect(result.cost).toBeCloseTo((seen.inputTokens * 1 + seen.outputTokens * 4) / 1e6, 12);
  });

  it('is absent when no price is known, and the call is counted as unpriced (not free)', async () => {
    answer(fakes().openai, { reasoning: 'ok', passed: true });
    const result = await run(llmBoolean, { model: 'openai/not-a-real-model-xyz' }, QA);
    expect(result.status).toBe('processed');
    expect(result).not.toHaveProperty('cost');
    expect(result.unpricedCalls).toBe(1);
    // A priced call has nothing unpriced to count.
    answer(fakes().openai, { reasoning: 'ok', passed: true });
    expect(await run(llmBoolean, {}, QA)).not.toHaveProperty('unpricedCalls');
  });
});

describe('judge skips and errors', () => {
  it('errors when the provider is not configured, naming the variable to set', async () => {
    const result = await run(llmBoolean, { model: 'google/gemini-2.5-flash' }, QA);
    expect(result).toMatchObject({ status: 'error', details: expect.stringContaining('GOOGLE_GENERATIVE_AI_API_KEY') });
    expect(result.details).toContain('google/gemini-2.5-flash');
  });

  it('errors when the OpenAI key is missing', async () => {
    const result = await run(llmBoolean, {}, QA, { models: fakes().clientWith({ openai: { baseUrl: fakes().openai.baseURL } }) });
    expect(result).toMatchObject({ status: 'error', details: expect.stringContaining('OPENAI_API_KEY') });
    expect(fakes().openai.requests).toHaveLength(0);
  });

  it('skips inputs estimated over max_tokens, without a call', async () => {
    const result = await run(llmBoolean, { max_tokens: 50 }, { input: 'x'.repeat(400), output: 'y' });
    expect(result.status).toBe('skipped');
    expect(result.details).toMatch(/^input is about (\d+) tokens, above max_tokens 50/);
    expect(Number(/about (\d+)/.exec(result.details!)![1])).toBeGreaterThan(100);
    expect(fakes().openai.requests).toHaveLength(0);
  });

  it('is an error naming the provider when a set key is rejected, without retrying', async () => {
    const models = fakes().clientWith({ openai: { apiKey: 'sk-wrong', baseUrl: fakes().openai.baseURL } });
    const result = await run(llmBoolean, {}, QA, { models });
    expect(result).toMatchObject({ status: 'error', errorType: 'provider_auth' });
    expect(result.details).toMatch(/^openai refused the API key \(HTTP 401\)/);
    expect(fakes().openai.requests).toHaveLength(1);
  });

  it('is an error after a 5xx outlives the retries (three calls)', async () => {
    fakes().openai.setBehaviour({ failRate: 1, failStatus: 500 });
    const result = await run(llmScore, {}, QA);
    expect(result).toMatchObject({ status: 'error', errorType: 'provider_error', details: expect.stringContaining('openai HTTP 500') });
    expect(fakes().openai.requests).toHaveLength(3);
  });

  it('is an error when the model does not answer with JSON, after the retries', async () => {
    answer(fakes().openai, 'I think it passes.');
    const result = await run(llmBoolean, {}, QA);
    expect(result).toMatchObject({ status: 'error', details: expect.stringContaining('did not return valid structured output') });
    expect(fakes().openai.requests).toHaveLength(3);
  });

  it('is an error when the verdict has the wrong type', async () => {
    answer(fakes().openai, { reasoning: 'yes', passed: 'yes' });
    expect(await run(llmBoolean, {}, QA)).toMatchObject({ status: 'error', errorType: 'invalid_output', details: expect.stringContaining('"passed" is not true or false') });
  });

  it('rethrows when the run is aborted', async () => {
    fakes().openai.setBehaviour({ hangRate: 1 });
    const controller = new AbortController();
    const pending = run(llmBoolean, {}, QA, { signal: controller.signal });
    setTimeout(() => controller.abort(new Error('run stopped')), 50);
    await expect(pending).rejects.toThrow();
  });
});

describe('judge settings', () => {
  it('default to LangWatch settings', () => {
    expect(llmBoolean.settings.parse({})).toEqual({
      model: 'openai/gpt-5-mini',
      max_tokens: 128000,
      prompt: "You are an LLM evaluator. We need the guarantee that the output answers what is being asked on the input, please evaluate as False if it doesn't",
    });
    expect(llmCategory.settings.parse({}).categories).toEqual([
      { name: 'smalltalk', description: 'Smalltalk with the user' },
      { name: 'company', description: 'Questions about the company, what we do, etc' },
    ]);
    expect(llmScore.settings.parse({}).prompt).toMatch(/^You are an LLM evaluator. Please score from 0.0 to 1.0/);
    expect(llmAnswerMatch.settings.parse({}).prompt).toMatch(/^Verify that the predicted answer matches the gold answer/);
  });

  it.each([
    ['langevals/llm_boolean', { model: 'gpt-5-mini' }, ['model']],
    ['langevals/llm_boolean', { model: 'openai/' }, ['model']],
    ['llm_score', { max_tokens: 0 }, ['max_tokens']],
    ['llm_score', { max_tokens: 1_048_577 }, ['max_tokens']],
    ['llm_score', { max_tokens: 1.5 }, ['max_tokens']],
    ['answer_match', { prompt: '   ' }, ['prompt']],
    ['langevals/llm_category', { categories: [] }, ['categories']],
    ['llm_category', { categories: [{ name: 'a' }, { name: 'a' }] }, ['categories', 1, 'name']],
    ['llm_category', { categories: [{ name: '' }] }, ['categories', 0, 'name']],
  ])('%s refuses %j at %j', (type, settings, path) => {
    expect(validateEvaluatorSettings(type, settings)).toMatchObject({ ok: false, issues: [{ path }] });
  });

  it('accepts any provider/model, including model ids with slashes', () => {
    expect(validateEvaluatorSettings('llm_boolean', { model: 'openrouter/meta-llama/llama-3-70b' }).ok).toBe(true);
  });
});
