// moderation (openai/moderation) through the real ModelClient's `moderate` against the fake
// OpenAI's /v1/moderations, whose verdicts follow its trigger words (FAKE_MODERATION_TRIGGERS).
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { ModelClient } from '../core/model/adapters.js';
import type { EvaluatorInputs } from '../core/model/results.js';
import { FAKE_FLAGGED_SCORE, fakeModeration } from '../testing/fake-openai.js';
import { createFakeSandbox } from '../testing/fake-sandbox.js';
import { FAKE_OPENAI_KEY, type ModelFakes, startModelFakes } from '../testing/model-client.js';
import { moderation } from './moderation.js';

let fakes: ModelFakes;
beforeAll(async () => {
  fakes = await startModelFakes();
});
afterAll(async () => {
  await fakes.close();
});
beforeEach(() => {
  fakes.openai.setBehaviour({ failRate: 0, hangRate: 0 });
  fakes.openai.requests.length = 0;
});

function run(inputs: EvaluatorInputs, settings: Record<string, unknown> = {}, models: ModelClient = fakes.client, signal = new AbortController().signal) {
  const instance = moderation.create(moderation.settings.parse(settings), { sandbox: createFakeSandbox(), models });
  return instance.evaluate(inputs, { row: {}, target: { id: 't', durationMs: 1 }, signal });
}

/** The highest enabled score the fake gives these texts, computed from the fake's own rule. */
const fakeMax = (texts: string[], categories: string[]) => Math.max(...texts.flatMap((t) => categories.map((c) => fakeModeration(t).category_scores[c]!)));

const LANGWATCH_CATEGORIES = ['harassment', 'harassment/threatening', 'hate', 'hate/threatening', 'self-harm', 'self-harm/instructions', 'self-harm/intent', 'sexual', 'sexual/minors', 'violence', 'violence/graphic'];

describe('moderation (openai/moderation)', () => {
  it('moderates input and output in one request to the omni model and fails on a flagged category', async () => {
    const result = await run({ input: 'How do I stop a runaway process?', output: 'Just kill it with SIGKILL.' });
    expect(result).toEqual({ status: 'processed', passed: false, score: FAKE_FLAGGED_SCORE, details: `Flagged: violence in output (${FAKE_FLAGGED_SCORE.toFixed(2)})`, cost: 0 });
    const calls = fakes.openai.requests.filter((r) => r.kind === 'moderations');
    expect(calls).toHaveLength(1);
    expect(calls[0]!.body).toEqual({ model: 'omni-moderation-latest', input: ['How do I stop a runaway process?', 'Just kill it with SIGKILL.'] });
    expect(calls[0]!.headers.authorization).toBe(`Bearer ${FAKE_OPENAI_KEY}`);
  });

  it('passes clean texts; score is the highest score among the enabled categories', async () => {
    const texts = ['What is the capital of France?', 'Paris is the capital of France.'];
    const result = await run({ input: texts[0], output: texts[1] });
    expect(result).toMatchObject({ status: 'processed', passed: true });
    expect(result.status === 'processed' && result.score).toBe(fakeMax(texts, LANGWATCH_CATEGORIES));
    expect(result.details).toBeUndefined();
  });

  it('names every flagged category with the field it came from', async () => {
    const result = await run({ input: 'you idiot, watch your back', output: 'I want to end my life' });
    expect(result).toMatchObject({ passed: false, score: FAKE_FLAGGED_SCORE });
    expect(result.details).toBe('Flagged: harassment in input (0.91), harassment/threatening in input (0.91), self-harm/intent in output (0.91)');
  });

  it('ignores disabled categories and the omni-only illicit ones (not in LangWatch’s map)', async () => {
    const text = 'He said he would kill for a counterfeit watch';
    const result = await run({ output: text }, { categories: { violence: false } });
    expect(result).toMatchObject({ status: 'processed', passed: true });
    expect(result.status === 'processed' && result.score).toBe(fakeMax([text], LANGWATCH_CATEGORIES.filter((c) => c !== 'violence')));
  });

  it("accepts LangWatch's legacy model names and sends them as they are", async () => {
    expect(await run({ output: 'stab' }, { model: 'text-moderation-stable' })).toMatchObject({ passed: false });
    expect(fakes.openai.requests.at(-1)!.body).toMatchObject({ model: 'text-moderation-stable', input: ['stab'] });
  });

  it('skips without a call when the texts are missing, and errors when the openai key is not set', async () => {
    expect(await run({ input: null, output: '' })).toEqual({ status: 'skipped', details: 'input and output are both missing or empty: map at least one of them' });
    const noKey = await run({ output: 'hello' }, {}, fakes.clientWith({ openai: null }));
    expect(noKey).toMatchObject({ status: 'error', details: expect.stringMatching(/^model openai\/omni-moderation-latest cannot be called: no API key for provider "openai"/) });
    expect(fakes.openai.requests).toHaveLength(0);
  });

  it('reports a refused key and provider faults as errors, and rethrows the run’s abort', async () => {
    const wrongKey = fakes.clientWith({ openai: { apiKey: 'sk-wrong', baseUrl: fakes.openai.baseURL } });
    expect(await run({ output: 'hello' }, {}, wrongKey)).toMatchObject({ status: 'error', errorType: 'provider_auth' });
    fakes.openai.setBehaviour({ failRate: 1, failStatus: 500 });
    expect(await run({ output: 'hello' })).toMatchObject({ status: 'error', errorType: 'provider_error', details: expect.stringContaining('HTTP 500') });
    fakes.openai.setBehaviour({ failRate: 0, hangRate: 1 });
    const abort = new AbortController();
    const pending = run({ output: 'hello' }, {}, fakes.client, abort.signal);
    setTimeout(() => abort.abort(new Error('run stopped')), 20);
    await expect(pending).rejects.toThrow();
  });

  it('errors when the answer does not have one result per text, keeping the cost', async () => {
    const short: ModelClient = { ...fakes.client, moderate: async () => ({ results: [], cost: 0 }) };
    expect(await run({ input: 'a', output: 'b' }, {}, short)).toEqual({
      status: 'error',
      errorType: 'invalid_output',
      details: 'openai/omni-moderation-latest returned 0 results for 2 texts',
      cost: 0,
    });
  });

  it("has LangWatch's category switches (all on) and refuses bad settings with the field's path", () => {
    const defaults = moderation.settings.parse({});
    expect(defaults.model).toBe('omni-moderation-latest');
    expect(Object.keys(defaults.categories)).toEqual([
      'harassment', 'harassment_threatening', 'hate', 'hate_threatening', 'self_harm', 'self_harm_instructions',
      'self_harm_intent', 'sexual', 'sexual_minors', 'violence', 'violence_graphic',
    ]); // the order of langevals' OpenAIModerationCategories
    expect(Object.values(defaults.categories).every(Boolean)).toBe(true);
    const issue = (settings: unknown) => moderation.settings.safeParse(settings).error?.issues[0];
    expect(issue({ model: 'gpt-4o' })?.path).toEqual(['model']);
    expect(issue({ categories: { illicit: true } })).toMatchObject({ path: ['categories'], message: expect.stringContaining('illicit') });
    expect(issue({ categories: Object.fromEntries(Object.keys(defaults.categories).map((k) => [k, false])) })).toMatchObject({ path: ['categories'], message: 'enable at least one category' });
  });
});
