// The lean Messages path against the fake Anthropic server (a real HTTP server speaking the
// protocol): the request on the wire must be the one the AI SDK sends for the same call — body
// and headers —, the answer read as the SDK reads it, and failures the same, so that moving
// Anthropic calls off the SDK's transport changes nothing a user sees.
import { createAnthropic } from '@ai-sdk/anthropic';
import { calcPrice } from '@pydantic/genai-prices';
import { generateText } from 'ai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ModelCall } from '../core/model/adapters.js';
import { CallError } from '../core/model/results.js';
import { openFetch } from '../net/lean-fetch.js';
import { FAKE_ANTHROPIC_KEY, type ModelFakes, startModelFakes } from '../testing/model-client.js';
import { anthropicInternals } from './anthropic-messages.js';
import { promptOf } from './sdk-call.js';

let fakes: ModelFakes;
beforeAll(async () => {
  fakes = await startModelFakes();
});
afterAll(async () => {
  await fakes.close();
});

const messages: ModelCall['messages'] = [
  { role: 'system', content: 'You answer in one word.' },
  { role: 'user', content: 'Capital of France?' },
  { role: 'assistant', content: 'Paris' },
  { role: 'user', content: 'And of Italy?' },
  { role: 'user', content: 'And of Spain?  ' },
];
const lastRequest = () => fakes.anthropic.requests[fakes.anthropic.requests.length - 1]!;
/** Headers that belong to the connection, not to the call. */
const callHeaders = (h: Record<string, unknown>) => Object.fromEntries(Object.entries(h).filter(([k]) => !['host', 'content-length', 'connection'].includes(k)));
const sdkProvider = () => createAnthropic({ apiKey: FAKE_ANTHROPIC_KEY, baseURL: fakes.anthropic.baseURL });

describe('the lean Anthropic Messages path', () => {
  // Three kinds of model: one that takes every sampling parameter (topP is dropped when
  // temperature is set), one that refuses them all, and one the SDK does not know (its default
  // max_tokens, since this call sets none).
  const cases: { model: string; params: ModelCall['params'] }[] = [
    { model: 'claude-sonnet-4-5', params: { temperature: 0.3, maxTokens: 64, topP: 0.9, topK: 5, stop: ['\n\n'] } },
    { model: 'claude-opus-4-7', params: { temperature: 0.3, maxTokens: 100_000_000, topK: 5 } },
    { model: 'claude-someday-9', params: { temperature: 0 } },
  ];
  for (const { model, params } of cases) {
    it(`sends what the AI SDK sends for ${model}, and reads the same answer`, async () => {
      const lean = await fakes.client.generate({ model: `anthropic/${model}`, messages, params, signal: AbortSignal.timeout(10_000) });
      const leanRequest = lastRequest();

      const viaSdk = await generateText({
        model: sdkProvider()(model), messages, allowSystemInMessages: true, maxRetries: 0,
        ...(params?.temperature !== undefined ? { temperature: params.temperature } : {}),
        ...(params?.maxTokens !== undefined ? { maxOutputTokens: params.maxTokens } : {}),
        ...(params?.topP !== undefined ? { topP: params.topP } : {}),
        ...(params?.topK !== undefined ? { topK: params.topK } : {}),
        ...(params?.stop !== undefined ? { stopSequences: params.stop } : {}),
      });
      const sdkRequest = lastRequest();
      expect(leanRequest.url).toBe(sdkRequest.url);
      expect(leanRequest.body).toEqual(sdkRequest.body);
      expect(lean.text).toBe(viaSdk.text);
      expect(lean.text.length).toBeGreaterThan(0);
      expect(lean.finishReason).toBe(viaSdk.finishReason);
      expect(lean.tokens).toEqual({ input: viaSdk.usage.inputTokens, output: viaSdk.usage.outputTokens });

      // The provider model's own doGenerate over the fetch production gives it (what carried these
      // calls before) sends the same headers.
      await createAnthropic({ apiKey: FAKE_ANTHROPIC_KEY, baseURL: fakes.anthropic.baseURL, fetch: openFetch })(model).doGenerate({ prompt: promptOf({ model, messages, params, signal: AbortSignal.timeout(10_000) }), ...(params?.maxTokens ? { maxOutputTokens: params.maxTokens } : {}) });
      expect(callHeaders(leanRequest.headers)).toEqual(callHeaders(lastRequest().headers));
      expect(leanRequest.headers['x-api-key']).toBe(FAKE_ANTHROPIC_KEY);
      expect(leanRequest.headers['anthropic-version']).toBe('2023-06-01');
    });
  }

  it('counts and prices prompt-cache reads and writes as the SDK counts them', async () => {
    fakes.anthropic.setBehaviour({ promptCache: { read: 1_200, write: 300 } });
    try {
      const lean = await fakes.client.generate({ model: 'anthropic/claude-sonnet-4-5', messages, params: { maxTokens: 32 }, signal: AbortSignal.timeout(10_000) });
      const viaSdk = await generateText({ model: sdkProvider()('claude-sonnet-4-5'), messages, allowSystemInMessages: true, maxRetries: 0, maxOutputTokens: 32 });
      expect(lean.tokens).toEqual({ input: viaSdk.usage.inputTokens, output: viaSdk.usage.outputTokens, cachedInput: 1_200 });
      expect(viaSdk.usage.inputTokenDetails.cacheReadTokens).toBe(1_200);
      expect(viaSdk.usage.inputTokenDetails.cacheWriteTokens).toBe(300);
      // The price table's own figure for those tokens: cache reads and writes at their own rates.
      const priced = calcPrice({ input_tokens: lean.tokens.input, output_tokens: lean.tokens.output, cache_read_tokens: 1_200, cache_write_tokens: 300 }, 'claude-sonnet-4-5', { providerId: 'anthropic' })!;
      expect(lean.cost).toBeCloseTo(priced.total_price, 12);
    } finally {
      fakes.anthropic.setBehaviour({ promptCache: undefined });
    }
  });

  it('keeps the settings’ own headers and betas, and prices the call', async () => {
    const client = fakes.clientWith({ anthropic: { apiKey: FAKE_ANTHROPIC_KEY, baseUrl: fakes.anthropic.url, headers: { 'anthropic-beta': 'context-1m-2025-08-07', 'x-team': 'evals' } } });
    const answer = await client.generate({ model: 'anthropic/claude-sonnet-4-5', messages, params: { maxTokens: 32 }, signal: AbortSignal.timeout(10_000) });
    expect(lastRequest().headers['anthropic-beta']).toBe('context-1m-2025-08-07');
    expect(lastRequest().headers['x-team']).toBe('evals');
    expect(answer.costSource).toBe('price_table');
    expect(answer.cost).toBeGreaterThan(0);
  });

  it('fails like the SDK path: a refused key names the variable, a 429 is retryable with its Retry-After, a broken body is invalid JSON', async () => {
    const wrongKey = fakes.clientWith({ anthropic: { apiKey: 'sk-ant-wrong-key', baseUrl: fakes.anthropic.url } });
    const refused = await wrongKey.generate({ model: 'anthropic/claude-sonnet-4-5', messages, signal: AbortSignal.timeout(10_000) }).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(CallError);
    expect(refused).toMatchObject({ retryable: false, status: 401 });
    expect((refused as Error).message).toContain('set ANTHROPIC_API_KEY');
    expect((refused as Error).message).not.toContain('sk-ant-wrong-key');

    fakes.anthropic.setBehaviour({ failRate: 1, failStatus: 429, retryAfter: 3 });
    try {
      const throttled = await fakes.client.generate({ model: 'anthropic/claude-sonnet-4-5', messages, signal: AbortSignal.timeout(10_000) }).catch((e: unknown) => e);
      expect(throttled).toMatchObject({ retryable: true, status: 429, retryAfterMs: 3_000 });
      expect((throttled as Error).message).toBe('anthropic HTTP 429: Number of requests has exceeded your rate limit. Please try again later.');
    } finally {
      fakes.anthropic.setBehaviour({ failRate: 0 });
    }

    fakes.anthropic.setBehaviour({ malformedRate: 1 });
    try {
      // Another model: the 429 above paused claude-sonnet-4-5's calls for its Retry-After.
      const broken = await fakes.client.generate({ model: 'anthropic/claude-haiku-4-5', messages, signal: AbortSignal.timeout(10_000) }).catch((e: unknown) => e);
      expect(broken).toBeInstanceOf(CallError);
      expect((broken as Error).message).toMatch(/^anthropic HTTP 200: Invalid JSON response/);
    } finally {
      fakes.anthropic.setBehaviour({ malformedRate: 0 });
    }
  });

  it('gives up a hung call when its signal fires, and a reset connection is a retryable network failure', async () => {
    fakes.anthropic.setBehaviour({ hangRate: 1 });
    try {
      const started = Date.now();
      const hung = await fakes.client.generate({ model: 'anthropic/claude-3-5-haiku-latest', messages, signal: AbortSignal.timeout(200) }).catch((e: unknown) => e);
      expect((hung as Error).name).toBe('TimeoutError');
      expect(Date.now() - started).toBeLessThan(5_000);
    } finally {
      fakes.anthropic.setBehaviour({ hangRate: 0 });
    }
    fakes.anthropic.setBehaviour({ resetRate: 1 });
    try {
      const reset = await fakes.client.generate({ model: 'anthropic/claude-3-5-haiku-latest', messages, signal: AbortSignal.timeout(10_000) }).catch((e: unknown) => e);
      expect(reset).toBeInstanceOf(CallError);
      expect(reset).toMatchObject({ retryable: true });
      expect((reset as Error).message).toMatch(/^anthropic request failed: cannot connect/);
    } finally {
      fakes.anthropic.setBehaviour({ resetRate: 0 });
    }
  });

  it('finds the request builder in the installed SDK (else calls fall back to its doGenerate)', async () => {
    expect(await anthropicInternals(sdkProvider()('claude-sonnet-4-5'))).not.toBeNull();
    // An object without it — a future SDK that renamed its methods — is not taken for one.
    expect(await anthropicInternals({ doGenerate: async () => ({}) } as never)).toBeNull();
  });
});
