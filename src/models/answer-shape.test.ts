// A model's answer is looked at before JSON.parse builds it (net/lean-fetch.ts, MODEL_ANSWER_SHAPE),
// on every path a provider's body is parsed on: the lean chat and Messages paths (json-post.ts),
// the AI SDK's calls (structured output, models the lean path leaves to the SDK, embeddings) and
// moderation. A provider a project registered answers properly and pads the answer; the call
// fails at once, naming the provider and the limit, and is not retried. Real HTTP, the real client.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AdaptiveLimiter } from '../core/engine/adaptive-limiter.js';
import type { ModelCall, ModelClient, ProviderSettings } from '../core/model/adapters.js';
import { CallError } from '../core/model/results.js';
import { systemClock } from '../core/ports.js';
import { distinctKeys, emptyArrays, type HostileProvider, nested, startHostileProvider, zeros } from '../testing/hostile-provider.js';
import { createModelClient } from './client.js';

let hostile: HostileProvider;
let client: ModelClient;
beforeAll(async () => {
  hostile = await startHostileProvider();
  const settings: Record<string, ProviderSettings> = {
    // Registered by a project: an OpenAI-compatible endpoint under a name of its own.
    hostile: { apiKey: 'sk-hostile-000000000000', baseUrl: hostile.baseURL, chosenBy: 'project' },
    openai: { apiKey: 'sk-hostile-000000000000', baseUrl: hostile.baseURL, chosenBy: 'project' },
    anthropic: { apiKey: 'sk-ant-hostile-0000000000', baseUrl: hostile.url, chosenBy: 'project' },
  };
  client = createModelClient({
    settings: async (p) => settings[p] ?? null,
    limiter: new AdaptiveLimiter({ max: () => 16, clock: systemClock }),
    clock: systemClock,
    random: () => 0,
    allowPrivateNetworks: true,
  });
});
afterAll(async () => {
  await hostile.close();
});

const call = (model: string, extra: Partial<ModelCall> = {}): ModelCall => ({
  model,
  messages: [{ role: 'user', content: 'Say hello.' }],
  signal: AbortSignal.timeout(30_000),
  // Retries allowed: a refused answer must not use them.
  retries: 2,
  ...extra,
});
const schema = { type: 'object', properties: { greeting: { type: 'string' } }, required: ['greeting'], additionalProperties: false };

async function refusal(promise: Promise<unknown>): Promise<CallError> {
  const error = await promise.then(() => null, (e: unknown) => e);
  expect(error).toBeInstanceOf(CallError);
  expect((error as CallError).retryable).toBe(false);
  return error as CallError;
}

/** Every path a provider's body is parsed on, with the endpoint it calls. */
const paths: [name: string, path: string, provider: string, run: () => Promise<unknown>][] = [
  ['lean chat (a registered provider)', '/v1/chat/completions', 'hostile', () => client.generate(call('hostile/chat-model'))],
  ['structured output (AI SDK)', '/v1/chat/completions', 'hostile', () => client.generate(call('hostile/chat-model', { schema, schemaName: 'reply' }))],
  ['an OpenAI model the lean path leaves to the SDK', '/v1/chat/completions', 'openai', () => client.generate(call('openai/o3-mini'))],
  ['lean Anthropic Messages', '/v1/messages', 'anthropic', () => client.generate(call('anthropic/claude-3-5-haiku-latest'))],
  ['embeddings (AI SDK)', '/v1/embeddings', 'hostile', () => client.embed({ model: 'hostile/embedder', values: ['a', 'b'], signal: AbortSignal.timeout(30_000) })],
  ['moderation', '/v1/moderations', 'openai', () => client.moderate({ model: 'openai/omni-moderation-latest', input: ['a'], signal: AbortSignal.timeout(30_000) })],
];

describe('a padded answer', () => {
  it.each(paths)('is refused before parsing (%s), once, naming the provider and the limit', async (_name, path, provider, run) => {
    hostile.content = (c) => (c.body.response_format ? '{"greeting":"hello"}' : 'hello');
    hostile.pad = () => emptyArrays(200_000);
    try {
      const before = hostile.calls.get(path) ?? 0;
      const error = await refusal(run());
      expect(error.message).toBe(`${provider} call failed: the answer is made of more than 100,000 arrays and objects (JSON inside its strings included), the limit for a model's answer`);
      expect((hostile.calls.get(path) ?? 0) - before).toBe(1);
      // The same endpoint, answered properly, still works.
      hostile.pad = () => undefined;
      await expect(run()).resolves.toBeDefined();
    } finally {
      hostile.pad = () => undefined;
    }
  });

  it('is refused for its keys, its values or its depth', async () => {
    const cases: [pad: string, problem: string][] = [
      [distinctKeys(30_000), 'made of more than 20,000 distinct keys (JSON inside its strings included)'],
      [`[${Array(60_000).fill('{"k":0}').join(',')}]`, 'made of more than 50,000 keys (JSON inside its strings included)'],
      [zeros(400_000), 'made of more than 300,000 values (JSON inside its strings included)'],
      [nested(100), 'nested more than 64 levels deep'],
    ];
    for (const [pad, problem] of cases) {
      hostile.pad = () => pad;
      const error = await refusal(client.generate(call('hostile/chat-model')));
      expect(error.message).toBe(`hostile call failed: the answer is ${problem}, the limit for a model's answer`);
    }
    hostile.pad = () => undefined;
  });

  it('the finding: 10 million empty arrays (28.6 MiB) are refused by the size bound, unparsed', async () => {
    const finding = emptyArrays(10_000_000);
    expect(finding.length).toBeGreaterThan(28 * 1024 * 1024);
    hostile.pad = () => finding;
    try {
      for (const [, , provider, run] of paths) {
        const error = await refusal(run());
        expect(error.message).toBe(`${provider} call failed: the answer is over 8 MiB`);
      }
    } finally {
      hostile.pad = () => undefined;
    }
  });
});

describe('JSON inside the answer', () => {
  it('a structured answer whose text would build 200,000 arrays is refused before the SDK parses it', async () => {
    hostile.content = () => emptyArrays(200_000);
    try {
      const error = await refusal(client.generate(call('hostile/chat-model', { schema, schemaName: 'reply' })));
      expect(error.message).toContain('more than 100,000 arrays and objects (JSON inside its strings included)');
    } finally {
      hostile.content = () => 'hello';
    }
  });
});

describe('real answers', () => {
  it('a completion as long as the longest output models allow, in dense code, passes', async () => {
    // ≈ 400 KB (≈ 128k tokens) of Python dictionaries: 19,000 brackets, 32,000 colons, 13,000 commas.
    const line = 'def f(x: int) -> dict:\n    return {"a": [x, x + 1], "b": {"c": x}}\n';
    const code = line.repeat(Math.ceil(400_000 / line.length));
    hostile.content = () => code;
    try {
      expect((await client.generate(call('hostile/chat-model'))).text).toBe(code);
      expect((await client.generate(call('anthropic/claude-3-5-haiku-latest'))).text).toBe(code);
    } finally {
      hostile.content = () => 'hello';
    }
  });

  it('an answer carrying 64 embeddings of 4,096 numbers passes', async () => {
    // The vectors themselves are the fake's; the pad carries what 64 × 4,096 numbers weigh.
    const numbers = Array.from({ length: 64 * 4096 }, (_, i) => (Math.sin(i) * 0.05).toFixed(9)).join(',');
    hostile.pad = () => `[${numbers}]`;
    try {
      const result = await client.embed({ model: 'hostile/embedder', values: ['a', 'b'], signal: AbortSignal.timeout(30_000) });
      expect(result.embeddings).toHaveLength(2);
    } finally {
      hostile.pad = () => undefined;
    }
  });
});
