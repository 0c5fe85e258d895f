// semantic_similarity against the fake OpenAI embeddings (deterministic bag-of-words vectors)
// through the real ModelClient.
import { calcPrice } from '@pydantic/genai-prices';
import { cosineSimilarity } from 'ai';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { ModelClient } from '../core/model/adapters.js';
import type { EvaluatorInputs } from '../core/model/results.js';
import { fakeEmbedding } from '../testing/fake-openai.js';
import { approxTokens } from '../testing/fake-provider-core.js';
import { createFakeSandbox } from '../testing/fake-sandbox.js';
import { type ModelFakes, startModelFakes } from '../testing/model-client.js';
import { validateEvaluatorSettings } from './catalogue.js';
import { semanticSimilarity } from './similarity.js';

let fakes: ModelFakes;
beforeAll(async () => {
  fakes = await startModelFakes();
});
afterAll(async () => {
  await fakes.close();
});
beforeEach(() => {
  fakes.openai.setBehaviour({ failRate: 0, reportCost: false });
  fakes.openai.requests.length = 0;
});

function run(settings: Record<string, unknown>, inputs: EvaluatorInputs, models: ModelClient = fakes.client) {
  const instance = semanticSimilarity.create(semanticSimilarity.settings.parse(settings), { sandbox: createFakeSandbox(), models });
  return instance.evaluate(inputs, { row: {}, target: { id: 't', durationMs: 1 }, signal: new AbortController().signal });
}

/** What the fake's vectors give for two texts, computed apart from the evaluator. */
const expectedSimilarity = (a: string, b: string) => cosineSimilarity(fakeEmbedding(a), fakeEmbedding(b));

const SAME = 'The refund arrives within five business days';
const OTHER = 'Penguins waddle across frozen Antarctic ice';

describe('semantic_similarity', () => {
  it('scores identical texts 1 and applies the rule', async () => {
    const similar = await run({ rule: 'is_similar_to', value: SAME }, { output: SAME });
    expect(similar).toMatchObject({ status: 'processed', passed: true });
    expect(similar.status === 'processed' && similar.score).toBeCloseTo(1, 10);
    expect(await run({ value: SAME }, { output: SAME })).toMatchObject({ status: 'processed', passed: false });
  });

  it('scores unrelated texts low: is_not_similar_to (the default) passes, is_similar_to fails', async () => {
    const expected = expectedSimilarity(OTHER, SAME);
    expect(expected).toBeLessThan(0.3);
    const result = await run({ value: SAME }, { output: OTHER });
    expect(result).toMatchObject({ status: 'processed', passed: true });
    expect(result.status === 'processed' && result.score).toBeCloseTo(expected, 10);
    expect(result.details).toMatch(/^output has cosine similarity -?\d\.\d{3} to "The refund/);
    expect(await run({ value: SAME, rule: 'is_similar_to' }, { output: OTHER })).toMatchObject({ passed: false });
  });

  it('embeds the field and the value in one call to the embeddings model, priced from the table', async () => {
    const result = await run({ field: 'input', value: 'refund policy' }, { input: 'what is the refund policy', output: 'ignored' });
    const embeddings = fakes.openai.requests.filter((r) => r.kind === 'embeddings');
    expect(embeddings).toHaveLength(1);
    expect(embeddings[0]!.body).toMatchObject({ model: 'text-embedding-3-small', input: ['what is the refund policy', 'refund policy'] });
    const tokens = approxTokens('what is the refund policyrefund policy');
    const price = calcPrice({ input_tokens: tokens, output_tokens: 0 }, 'text-embedding-3-small', { providerId: 'openai' })!.total_price;
    // Written at 12 significant digits (the table's 2.0000000000000002e-7 is 2e-7).
    expect(result).toMatchObject({ status: 'processed', cost: Number(price.toPrecision(12)) });
    expect(result.status === 'processed' && result.score).toBeCloseTo(expectedSimilarity('what is the refund policy', 'refund policy'), 10);
  });

  it('compares with expected_output when compare_to is expected_output', async () => {
    const same = await run({ compare_to: 'expected_output', rule: 'is_similar_to', threshold: 0.8 }, { output: SAME, expected_output: SAME.toUpperCase() });
    expect(same).toMatchObject({ status: 'processed', passed: true, details: expect.stringContaining('to expected_output') });
    const different = await run({ compare_to: 'expected_output', rule: 'is_similar_to', threshold: 0.8 }, { output: OTHER, expected_output: SAME });
    expect(different).toMatchObject({ status: 'processed', passed: false });
    expect(fakes.openai.requests.at(-1)!.body).toMatchObject({ input: [OTHER, SAME] });
  });

  it('skips without a call when the compared texts are missing or empty', async () => {
    expect(await run({ compare_to: 'expected_output' }, { output: 'x' })).toMatchObject({ status: 'skipped', details: expect.stringMatching(/^expected_output is missing/) });
    expect(await run({ compare_to: 'expected_output' }, { output: 'x', expected_output: ' ' })).toMatchObject({ status: 'skipped' });
    expect(await run({}, { output: null })).toMatchObject({ status: 'skipped', details: expect.stringMatching(/^output is missing/) });
    expect(await run({ field: 'input' }, { input: '', output: 'x' })).toMatchObject({ status: 'skipped', details: 'input is empty: there is nothing to embed' });
    expect(fakes.openai.requests).toHaveLength(0);
  });

  it('errors when the embeddings provider is not configured', async () => {
    const result = await run({}, { output: 'x' }, fakes.clientWith({ openai: null }));
    expect(result).toMatchObject({ status: 'error', details: expect.stringContaining('OPENAI_API_KEY') });
    expect(await run({ embeddings_model: 'google/text-embedding-004' }, { output: 'x' })).toMatchObject({
      status: 'error',
      details: expect.stringContaining('GOOGLE_GENERATIVE_AI_API_KEY'),
    });
  });

  it('is an error when the key is rejected or the provider keeps failing', async () => {
    const wrongKey = fakes.clientWith({ openai: { apiKey: 'sk-wrong', baseUrl: fakes.openai.baseURL } });
    expect(await run({}, { output: 'x' }, wrongKey)).toMatchObject({ status: 'error', errorType: 'provider_auth', details: expect.stringContaining('openai') });
    fakes.openai.setBehaviour({ failRate: 1, failStatus: 503 });
    expect(await run({}, { output: 'x' })).toMatchObject({ status: 'error', errorType: 'provider_error', details: expect.stringContaining('HTTP 503') });
  });

  it('defaults to LangWatch settings and names invalid ones', () => {
    expect(semanticSimilarity.settings.parse({})).toEqual({
      field: 'output',
      rule: 'is_not_similar_to',
      value: 'example',
      threshold: 0.3,
      embeddings_model: 'openai/text-embedding-3-small',
      compare_to: 'value',
    });
    expect(validateEvaluatorSettings('langevals/similarity', { value: '' })).toMatchObject({ ok: false, issues: [{ path: ['value'] }] });
    expect(validateEvaluatorSettings('semantic_similarity', { value: '', compare_to: 'expected_output' }).ok).toBe(true);
    expect(validateEvaluatorSettings('semantic_similarity', { threshold: 2 })).toMatchObject({ ok: false, issues: [{ path: ['threshold'] }] });
    expect(validateEvaluatorSettings('semantic_similarity', { embeddings_model: 'text-embedding-3-small' })).toMatchObject({
      ok: false,
      issues: [{ path: ['embeddings_model'] }],
    });
  });
});
