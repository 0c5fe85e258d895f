// The client's bounds on a server that misbehaves: no answer in time, an answer that is not
// JSON, and a request the caller aborted — each a distinct error the CLI can report.
import { describe, expect, it } from 'vitest';
import { AbortedError, AssayClient, NoAnswerError, NotAssayError } from './index.js';

/** A fetch that never answers, but gives up when its signal aborts (as fetch does). */
const silent = (_url: string, init: RequestInit) =>
  new Promise<Response>((_resolve, reject) => init.signal!.addEventListener('abort', () => reject(new DOMException('aborted', 'AbortError'))));

describe('AssayClient against a misbehaving server', () => {
  it('gives up on a server that never answers after the request timeout, naming the endpoint and request', async () => {
    const client = new AssayClient({ endpoint: 'http://silent.test', fetch: silent, requestTimeoutMs: 50 });
    const error = await client.getRun('run_1').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(NoAnswerError);
    expect((error as Error).message).toBe('http://silent.test did not answer GET /api/experiments/runs/run_1 within 0.05 s');
  });

  it("stops at once on the client's signal, whatever the request", async () => {
    const stop = new AbortController();
    const client = new AssayClient({ endpoint: 'http://silent.test', fetch: silent, signal: stop.signal });
    const pending = client.startRun('x').catch((e: unknown) => e);
    stop.abort();
    expect(await pending).toBeInstanceOf(AbortedError);
  });

  it('an event stream whose signal aborts while connecting just ends', async () => {
    const stop = new AbortController();
    const client = new AssayClient({ endpoint: 'http://silent.test', fetch: silent });
    setTimeout(() => stop.abort(), 20);
    const seen = [];
    for await (const event of client.events('run_1', { signal: stop.signal })) seen.push(event);
    expect(seen).toEqual([]);
  });

  it('a 200 web page is not taken for an answer', async () => {
    const client = new AssayClient({ endpoint: 'http://page.test', fetch: () => new Response('<html></html>', { headers: { 'content-type': 'text/html; charset=utf-8' } }) });
    const error = await client.getRun('run_1').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(NotAssayError);
    expect((error as Error).message).toBe('http://page.test did not answer like an Assay server (GET /api/experiments/runs/run_1 answered 200 with text/html, not JSON)');
  });
});
