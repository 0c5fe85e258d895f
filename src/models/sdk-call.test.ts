// Plain text calls that stay on the AI SDK go to the provider model's doGenerate, not through
// generateText: on the wire and in the answer nothing may differ from what generateText does
// (the fakes are real HTTP servers speaking Anthropic's and OpenAI's protocols).
import { createAnthropic } from '@ai-sdk/anthropic';
import { createOpenAI } from '@ai-sdk/openai';
import { generateText } from 'ai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ModelCall } from '../core/model/adapters.js';
import { FAKE_ANTHROPIC_KEY, FAKE_OPENAI_KEY, type ModelFakes, startModelFakes } from '../testing/model-client.js';

let fakes: ModelFakes;
beforeAll(async () => {
  fakes = await startModelFakes();
});
afterAll(() => fakes.close());

const messages: ModelCall['messages'] = [
  { role: 'system', content: 'You answer in one word.' },
  { role: 'user', content: 'Capital of France?' },
  { role: 'assistant', content: 'Paris' },
  { role: 'user', content: 'And of Italy?' },
];

const last = <T>(list: readonly T[]): T => list[list.length - 1]!;

describe('plain text calls on the SDK without generateText', () => {
  it('anthropic: the same request and the same answer as generateText', async () => {
    const params = { temperature: 0.2, maxTokens: 128, topP: 0.8, topK: 20, stop: ['END'] };
    const ours = await fakes.client.generate({ model: 'anthropic/claude-3-5-haiku-latest', messages, params, signal: AbortSignal.timeout(10_000) });
    const ourRequest = last(fakes.anthropic.requests);
    const sdk = createAnthropic({ apiKey: FAKE_ANTHROPIC_KEY, baseURL: `${fakes.anthropic.url}/v1` });
    const theirs = await generateText({
      model: sdk('claude-3-5-haiku-latest'), messages, allowSystemInMessages: true, maxRetries: 0,
      temperature: params.temperature, maxOutputTokens: params.maxTokens, topP: params.topP, topK: params.topK, stopSequences: params.stop,
    });
    const theirRequest = last(fakes.anthropic.requests);
    expect(ourRequest.body).toEqual(theirRequest.body);
    expect(ours.text).toBe(theirs.text);
    expect(ours.text.length).toBeGreaterThan(0);
    expect(ours.finishReason).toBe(theirs.finishReason);
    expect(ours.tokens).toEqual({ input: theirs.usage.inputTokens, output: theirs.usage.outputTokens });
    expect(ours.costSource).toBe('price_table');
  });

  it('anthropic without maxTokens: the provider package still picks the model\'s own max_tokens', async () => {
    await fakes.client.generate({ model: 'anthropic/claude-3-5-haiku-latest', messages, signal: AbortSignal.timeout(10_000) });
    const sent = last(fakes.anthropic.requests).body as { max_tokens?: unknown };
    expect(typeof sent.max_tokens).toBe('number');
    expect(sent.max_tokens).toBeGreaterThan(0);
  });

  it('openai reasoning models: the SDK\'s parameter rules still apply (max_completion_tokens, no temperature)', async () => {
    const call = { model: 'openai/o3-mini', messages, params: { temperature: 0.5, maxTokens: 50 }, signal: AbortSignal.timeout(10_000) };
    await fakes.client.generate(call);
    const ours = last(fakes.openai.requests).body;
    const sdk = createOpenAI({ apiKey: FAKE_OPENAI_KEY, baseURL: fakes.openai.baseURL });
    await generateText({ model: sdk.chat('o3-mini'), messages, allowSystemInMessages: true, maxRetries: 0, temperature: 0.5, maxOutputTokens: 50 });
    expect(ours).toEqual(last(fakes.openai.requests).body);
    expect(ours).toMatchObject({ max_completion_tokens: 50 });
    expect(ours).not.toHaveProperty('temperature');
  });
});
