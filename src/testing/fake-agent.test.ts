import { afterEach, describe, expect, it } from 'vitest';
import { type FakeAgent, startFakeAgent } from './fake-agent.js';

let agent: FakeAgent | undefined;
afterEach(async () => {
  await agent?.close();
  agent = undefined;
});

const post = (url: string, body: unknown, signal?: AbortSignal) =>
  fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body), signal });

describe('fake agent', () => {
  it('answers with a reply computed from the message and counts calls per key', async () => {
    agent = await startFakeAgent({ reply: (m) => `answer to ${String(m)}` });
    expect(await (await post(agent.url, { message: 'a' })).json()).toEqual({ reply: 'answer to a' });
    await post(agent.url, { message: 'a' });
    await post(agent.url, { message: 'b' });
    expect(agent.calls).toBe(3);
    expect(agent.callsByKey).toEqual(new Map([['a', 2], ['b', 1]]));
    expect(agent.arrivals.get('a')).toHaveLength(2);
  });

  it('fails at the configured rate with Retry-After headers, reproducibly', async () => {
    const statuses = async (): Promise<number[]> => {
      const a = await startFakeAgent({ failRate: 0.3, failStatus: 429, retryAfter: 1, retryAfterMs: 5, seed: 7 });
      const out: number[] = [];
      for (let i = 0; i < 200; i++) {
        const res = await post(a.url, { message: String(i) });
        if (res.status === 429) expect([res.headers.get('retry-after'), res.headers.get('retry-after-ms')]).toEqual(['1', '5']);
        await res.arrayBuffer();
        out.push(res.status);
      }
      await a.close();
      return out;
    };
    const first = await statuses();
    const failed = first.filter((s) => s === 429).length;
    expect(failed).toBeGreaterThan(30);
    expect(failed).toBeLessThan(90);
    expect(await statuses()).toEqual(first);
  });

  it('hangs, resets and sends malformed JSON on demand, and close() ends hung calls', async () => {
    agent = await startFakeAgent({ malformedRate: 1 });
    await expect((await post(agent.url, { message: 'm' })).json()).rejects.toThrow();
    agent.setBehaviour({ malformedRate: 0, resetRate: 1 });
    await expect(post(agent.url, { message: 'r' })).rejects.toThrow();
    agent.setBehaviour({ resetRate: 0, hangRate: 1 });
    const hung = post(agent.url, { message: 'h' }).catch((e: unknown) => e);
    await new Promise((r) => setTimeout(r, 50));
    await agent.close();
    expect(await hung).toBeInstanceOf(Error);
    agent = undefined;
  });

  it('waits latencyMs before answering', async () => {
    agent = await startFakeAgent({ latencyMs: 80 });
    const started = Date.now();
    await (await post(agent.url, { message: 'x' })).json();
    expect(Date.now() - started).toBeGreaterThanOrEqual(75);
  });
});
