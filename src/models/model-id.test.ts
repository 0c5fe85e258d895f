// A model id is part of a request's path for some providers (Google's SDK:
// `{base}/models/{id}:generateContent`). A document saved before ids were checked at save
// (config/model-checks.ts) must still not steer a call to another path of the provider's API
// with the server's key: the call is refused before anything is sent.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ModelFakes, startModelFakes } from '../testing/model-client.js';

let fakes: ModelFakes;
beforeAll(async () => {
  fakes = await startModelFakes();
});
afterAll(() => fakes.close());

describe('model ids that would steer the request path', () => {
  it('are refused before any request is sent, and a plain id still reaches the provider', async () => {
    // Google's provider pointed at a real HTTP server on loopback that records what reaches it.
    const client = fakes.clientWith({ google: { apiKey: 'google-server-key-0123456789', baseUrl: `${fakes.openai.url}/v1beta` } });
    const before = fakes.openai.requests.length;
    for (const model of ['google/../files?', 'google/../../v1/chat/completions#', 'google/models/%2e%2e/files']) {
      await expect(client.generate({ model, messages: [{ role: 'user', content: 'hi' }], signal: AbortSignal.timeout(10_000) }), model).rejects.toThrow(/may not contain \?, #, %/);
    }
    expect(fakes.openai.requests.length).toBe(before);
    // A plain id is sent (the fake speaks OpenAI's protocol, not Google's, so the call itself fails there).
    await client.generate({ model: 'google/gemini-2.5-flash', messages: [{ role: 'user', content: 'hi' }], signal: AbortSignal.timeout(10_000) }).catch(() => undefined);
    expect(fakes.openai.requests.length).toBe(before + 1);
    expect(fakes.openai.requests[fakes.openai.requests.length - 1]!.url).toBe('/v1beta/models/gemini-2.5-flash:generateContent');
  });
});
