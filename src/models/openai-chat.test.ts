// The lean chat path against the fake OpenAI server (a real HTTP server speaking the protocol):
// it must put on the wire what the AI SDK puts there for the same call, read the answer the
// way the SDK does, and fail the same ways, so moving a call between the two changes nothing a
// user sees.
import { createOpenAI } from '@ai-sdk/openai';
import { calcPrice } from '@pydantic/genai-prices';
import { generateText } from 'ai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ModelCall } from '../core/model/adapters.js';
import { CallError } from '../core/model/results.js';
import { type FakeOpenAI, startFakeOpenAI } from '../testing/fake-openai.js';
import { FAKE_OPENAI_KEY, type ModelFakes, startModelFakes } from '../testing/model-client.js';
import { leanChatApplies } from './openai-chat.js';

let fakes: ModelFakes;
/** A second endpoint, registered without a key (as a local Ollama or vLLM would be). */
let keyless: FakeOpenAI;
beforeAll(async () => {
  fakes = await startModelFakes();
  keyless = await startFakeOpenAI();
});
afterAll(async () => {
  await fakes.close();
  await keyless.close();
});

const messages: ModelCall['messages'] = [
  { role: 'system', content: 'You answer in one word.' },
  { role: 'user', content: 'Capital of France?' },
  { role: 'assistant', content: 'Paris' },
  { role: 'user', content: 'And of Italy?' },
];
const params = { temperature: 0.3, maxTokens: 64, topP: 0.9, topK: 5, seed: 7, stop: ['\n\n'], frequencyPenalty: 0.1, presencePenalty: 0.2 };

const lastRequest = () => fakes.openai.requests[fakes.openai.requests.length - 1]!;

describe('the lean chat path', () => {
  it('sends the body the AI SDK sends for the same call, and reads the same answer', async () => {
    const lean = await fakes.client.generate({ model: 'openai/gpt-4o-mini', messages, params, signal: AbortSignal.timeout(10_000) });
    const leanRequest = lastRequest();

    const sdk = createOpenAI({ apiKey: FAKE_OPENAI_KEY, baseURL: fakes.openai.baseURL });
    const viaSdk = await generateText({
      model: sdk.chat('gpt-4o-mini'), messages, allowSystemInMessages: true, maxRetries: 0,
      temperature: params.temperature, maxOutputTokens: params.maxTokens, topP: params.topP, topK: params.topK, seed: params.seed,
      stopSequences: params.stop, frequencyPenalty: params.frequencyPenalty, presencePenalty: params.presencePenalty,
    });
    const sdkRequest = lastRequest();

    expect(leanRequest.url).toBe(sdkRequest.url);
    expect(leanRequest.body).toEqual(sdkRequest.body);
    expect(leanRequest.headers.authorization).toBe(`Bearer ${FAKE_OPENAI_KEY}`);
    expect(leanRequest.headers['content-type']).toBe('application/json');
    expect(lean.text).toBe(viaSdk.text);
    expect(lean.text.length).toBeGreaterThan(0);
    expect(lean.finishReason).toBe(viaSdk.finishReason);
    expect(lean.tokens).toEqual({ input: viaSdk.usage.inputTokens, output: viaSdk.usage.outputTokens });
    // gpt-4o-mini is in the price table.
    expect(lean.costSource).toBe('price_table');
    expect(lean.cost).toBeGreaterThan(0);
  });

  it('counts and prices cached prompt tokens as the SDK counts them', async () => {
    fakes.openai.setBehaviour({ promptCache: { read: 1_024, write: 0 } });
    try {
      const lean = await fakes.client.generate({ model: 'openai/gpt-4o-mini', messages, signal: AbortSignal.timeout(10_000) });
      const sdk = createOpenAI({ apiKey: FAKE_OPENAI_KEY, baseURL: fakes.openai.baseURL });
      const viaSdk = await generateText({ model: sdk.chat('gpt-4o-mini'), messages, allowSystemInMessages: true, maxRetries: 0 });
      expect(viaSdk.usage.inputTokenDetails.cacheReadTokens).toBe(1_024);
      expect(lean.tokens).toEqual({ input: viaSdk.usage.inputTokens, output: viaSdk.usage.outputTokens, cachedInput: 1_024 });
      // Cached input at its own rate: the price table's figure for those tokens.
      const priced = calcPrice({ input_tokens: lean.tokens.input, output_tokens: lean.tokens.output, cache_read_tokens: 1_024 }, 'gpt-4o-mini', { providerId: 'openai' })!;
      expect(lean.cost).toBeCloseTo(priced.total_price, 12);
      expect(lean.cost).toBeLessThan(calcPrice({ input_tokens: lean.tokens.input, output_tokens: lean.tokens.output }, 'gpt-4o-mini', { providerId: 'openai' })!.total_price);
    } finally {
      fakes.openai.setBehaviour({ promptCache: undefined });
    }
  });

  it('sends no Authorization to a registered endpoint without a key, and the Bearer key when it has one', async () => {
    const open = fakes.clientWith({ local: { baseUrl: keyless.baseURL } });
    // The fake, like OpenAI, wants a key: its 401 says so, and the request shows none was sent.
    const refused = await open.generate({ model: 'local/llama3', messages, signal: AbortSignal.timeout(10_000) }).catch((e: unknown) => e);
    expect((refused as Error).message).toBe('local refused the API key (HTTP 401): the key is missing or invalid; PUT /api/providers/local with a valid apiKey');
    const local = keyless.requests[keyless.requests.length - 1]!;
    expect(local.headers.authorization).toBeUndefined();
    expect(local.model).toBe('llama3');
    const keyed = fakes.clientWith({ gw: { baseUrl: fakes.openai.baseURL, apiKey: FAKE_OPENAI_KEY, headers: { 'x-team': 'evals' } } });
    const answer = await keyed.generate({ model: 'gw/meta/llama-3.1', messages, signal: AbortSignal.timeout(10_000) });
    expect(lastRequest().headers.authorization).toBe(`Bearer ${FAKE_OPENAI_KEY}`);
    expect(lastRequest().headers['x-team']).toBe('evals');
    expect(lastRequest().model).toBe('meta/llama-3.1');
    // Unknown to the price table: the cost stays unknown rather than guessed.
    expect(answer).toMatchObject({ costSource: 'unknown' });
  });

  it('fails like the SDK path: a refused key names the variable, a 429 is retryable with its Retry-After, a broken body is invalid JSON', async () => {
    const wrongKey = fakes.clientWith({ openai: { apiKey: 'sk-wrong', baseUrl: fakes.openai.baseURL } });
    const refused = await wrongKey.generate({ model: 'openai/gpt-4o', messages, signal: AbortSignal.timeout(10_000) }).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(CallError);
    expect(refused).toMatchObject({ retryable: false, status: 401 });
    expect((refused as Error).message).toContain('set OPENAI_API_KEY');
    expect((refused as Error).message).not.toContain('sk-wrong');

    fakes.openai.setBehaviour({ failRate: 1, failStatus: 429, retryAfter: 3 });
    try {
      const throttled = await fakes.client.generate({ model: 'openai/gpt-4o', messages, signal: AbortSignal.timeout(10_000) }).catch((e: unknown) => e);
      expect(throttled).toMatchObject({ retryable: true, status: 429, retryAfterMs: 3_000 });
      expect((throttled as Error).message).toMatch(/^openai HTTP 429: Rate limit reached/);
    } finally {
      fakes.openai.setBehaviour({ failRate: 0 });
    }

    fakes.openai.setBehaviour({ malformedRate: 1 });
    try {
      const broken = await fakes.client.generate({ model: 'openai/gpt-4.1', messages, signal: AbortSignal.timeout(10_000) }).catch((e: unknown) => e);
      expect(broken).toBeInstanceOf(CallError);
      expect((broken as Error).message).toMatch(/^openai HTTP 200: Invalid JSON response: not JSON/);
    } finally {
      fakes.openai.setBehaviour({ malformedRate: 0 });
    }
  });

  it('leaves to the SDK the calls whose protocol it does not carry', () => {
    expect(leanChatApplies('openai', 'gpt-4o-mini', {})).toBe(true);
    expect(leanChatApplies('openai', 'gpt-4.1', {})).toBe(true);
    expect(leanChatApplies('ollama', 'llama3', {})).toBe(true);
    // Structured output, reasoning and search models, and other protocols stay on the SDK.
    expect(leanChatApplies('openai', 'gpt-4o-mini', { schema: { type: 'object' } })).toBe(false);
    for (const model of ['o1', 'o3-mini', 'o4-mini', 'gpt-5', 'gpt-5-mini', 'gpt-4o-search-preview']) expect(leanChatApplies('openai', model, {})).toBe(false);
    for (const provider of ['anthropic', 'google', 'azure']) expect(leanChatApplies(provider, 'any', {})).toBe(false);
  });
});
