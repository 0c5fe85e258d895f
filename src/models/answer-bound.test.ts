// A provider's answer is read up to 8 MiB on every path, the lean ones (json-post.ts) and the AI
// SDK's (net/lean-fetch.ts): a provider a project registered could otherwise send gigabytes into
// the server's memory. Real fake servers on loopback, the real client.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ModelCall } from '../core/model/adapters.js';
import { CallError } from '../core/model/results.js';
import { MAX_ANSWER_BYTES, openFetch } from '../net/lean-fetch.js';
import { type ModelFakes, startModelFakes } from '../testing/model-client.js';

const MIB = 1024 * 1024;
/** Past the bound by a mebibyte. */
const OVER = MAX_ANSWER_BYTES + MIB;
let fakes: ModelFakes;
beforeAll(async () => {
  fakes = await startModelFakes();
});
afterAll(async () => {
  await fakes.close();
});

const call = (extra: Partial<ModelCall> = {}): ModelCall => ({
  model: 'openai/gpt-4o-mini',
  messages: [{ role: 'user', content: 'Say something long.' }],
  signal: AbortSignal.timeout(30_000),
  ...extra,
});

async function failure(promise: Promise<unknown>): Promise<CallError> {
  const error = await promise.then(() => null, (e: unknown) => e);
  expect(error).toBeInstanceOf(CallError);
  return error as CallError;
}

describe('a model answer over 8 MiB', () => {
  it('fails the call without retries on the lean chat path', async () => {
    fakes.openai.setBehaviour({ respond: () => 'x'.repeat(OVER) });
    const before = fakes.openai.requests.length;
    const error = await failure(fakes.client.generate(call()));
    expect(error.message).toBe('openai call failed: the answer is over 8 MiB');
    expect(error.retryable).toBe(false);
    expect(fakes.openai.requests.length - before).toBe(1);
  });

  it('fails the call without retries through the AI SDK (structured output)', async () => {
    fakes.openai.setBehaviour({ respond: () => ({ answer: 'x'.repeat(OVER) }) });
    const before = fakes.openai.requests.length;
    const schema = { type: 'object', properties: { answer: { type: 'string' } }, required: ['answer'], additionalProperties: false };
    const error = await failure(fakes.client.generate(call({ schema, schemaName: 'reply' })));
    expect(error.message).toContain('the answer is over 8 MiB');
    expect(error.retryable).toBe(false);
    expect(fakes.openai.requests.length - before).toBe(1);
  });

  it('still reads an answer of a few megabytes whole on both paths', async () => {
    const long = 'y'.repeat(3 * MIB);
    fakes.openai.setBehaviour({ respond: () => long });
    expect((await fakes.client.generate(call())).text).toBe(long);
    fakes.openai.setBehaviour({ respond: () => ({ answer: long }) });
    const schema = { type: 'object', properties: { answer: { type: 'string' } }, required: ['answer'], additionalProperties: false };
    expect((await fakes.client.generate(call({ schema, schemaName: 'reply' }))).object).toEqual({ answer: long });
  });
});

describe('the SDK fetch', () => {
  let server: http.Server;
  let url: string;
  beforeAll(async () => {
    // An error answer of 1 MiB: only its head is kept, the rest is not read.
    server = http.createServer((req, res) => {
      if (req.url === '/big') {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(Buffer.alloc(OVER, 'a'));
        return;
      }
      res.writeHead(500, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ error: { message: 'boom' }, pad: 'z'.repeat(MIB) }));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
  });
  afterAll(async () => {
    await new Promise((resolve) => server.close(resolve));
  });

  it('keeps the first 64 KiB of an error answer', async () => {
    const res = await openFetch(url, { method: 'POST', body: '{}' });
    expect(res.status).toBe(500);
    const text = await res.text();
    expect(text.length).toBe(64 * 1024);
    expect(text.startsWith('{"error":{"message":"boom"}')).toBe(true);
  });

  it('reads a request with a streamed body (the standard fetch underneath) within the same bound', async () => {
    const body = () => new ReadableStream({ start: (c) => (c.enqueue(new TextEncoder().encode('{}')), c.close()) });
    const error = await failure(openFetch(`${url}big`, { method: 'POST', body: body(), duplex: 'half' } as RequestInit));
    expect(error.message).toContain('the answer is over 8 MiB');
    const res = await openFetch(url, { method: 'POST', body: body(), duplex: 'half' } as RequestInit);
    expect(res.status).toBe(500);
    expect((await res.text()).length).toBe(64 * 1024);
  });
});
