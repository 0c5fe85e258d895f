// Model calls and the network guard: a base URL a project chose may only reach public addresses
// when private networks are not allowed (the operator's network and metadata endpoints are not
// the project's), whichever path carries the call — the lean OpenAI chat path, the lean
// Anthropic path, or the AI SDK's. The operator's own base URL (server settings) is trusted.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AdaptiveLimiter } from '../core/engine/adaptive-limiter.js';
import type { ModelClient, ProviderSettings } from '../core/model/adapters.js';
import { systemClock } from '../core/ports.js';
import { FAKE_ANTHROPIC_KEY, FAKE_OPENAI_KEY, type ModelFakes, startModelFakes } from '../testing/model-client.js';
import { createModelClient } from './client.js';

let fakes: ModelFakes;
beforeAll(async () => {
  fakes = await startModelFakes();
});
afterAll(async () => {
  await fakes.close();
});

/** A client on a closed network, with these settings for every provider named. */
function closedClient(settings: Record<string, ProviderSettings>): ModelClient {
  const limiter = new AdaptiveLimiter({ max: () => 16, clock: systemClock });
  return createModelClient({ settings: async (p) => settings[p] ?? null, limiter, clock: systemClock, random: () => 0, allowPrivateNetworks: false });
}

const messages = [{ role: 'user' as const, content: 'hello' }];
const refusal = (url: string) => `refused to call ${url}: it is a loopback address; private networks are not allowed`;

describe('model calls on a closed network', () => {
  it.each([
    ['openai/gpt-4o-mini', 'lean chat path'],
    ['anthropic/claude-sonnet-4-5', 'lean Messages path'],
    ['gw/llama3', 'registered provider'],
    ['openai/o3-mini', 'the SDK'],
  ])('refuses a loopback base URL the project chose: %s (%s)', async (model) => {
    const openai = { apiKey: FAKE_OPENAI_KEY, baseUrl: fakes.openai.baseURL, chosenBy: 'project' as const };
    const client = closedClient({ openai, gw: openai, anthropic: { apiKey: FAKE_ANTHROPIC_KEY, baseUrl: fakes.anthropic.url, chosenBy: 'project' } });
    const before = fakes.openai.calls + fakes.anthropic.calls;
    const error = await client.generate({ model, messages, signal: AbortSignal.timeout(10_000) }).catch((e: unknown) => e);
    expect((error as Error).message).toBe(refusal(model.startsWith('anthropic/') ? fakes.anthropic.url : fakes.openai.url));
    expect(error).toMatchObject({ retryable: false });
    // Nothing reached the provider.
    expect(fakes.openai.calls + fakes.anthropic.calls).toBe(before);
  });

  it('lets the operator’s own base URL through', async () => {
    const client = closedClient({
      openai: { apiKey: FAKE_OPENAI_KEY, baseUrl: fakes.openai.baseURL, chosenBy: 'server' },
      anthropic: { apiKey: FAKE_ANTHROPIC_KEY, baseUrl: fakes.anthropic.url, chosenBy: 'server' },
    });
    for (const model of ['openai/gpt-4o-mini', 'anthropic/claude-sonnet-4-5']) {
      const answer = await client.generate({ model, messages, signal: AbortSignal.timeout(10_000) });
      expect(answer.text.length).toBeGreaterThan(0);
    }
  });
});
