// A provider a project registered that pads its answers (the finding: a valid chat completion
// plus 10 million `[]`, 28.6 MiB, held the main thread 7.2 s and took the process to 733 MB for
// one row). End to end: the project registers the endpoint, a run's prompt targets call it, each
// padded answer fails its cell with an error naming the provider and the limit, without a retry,
// and the server answers /healthz on a real port all along. No tight timings: the bound on a
// /healthz answer only tells "held for a while" (seconds, as before the fix) from "never held".
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { listen, startTestAssay, type TestAssay } from '../../testing/harness.js';
import { distinctKeys, emptyArrays, type HostileProvider, startHostileProvider } from '../../testing/hostile-provider.js';
import { startRun, waitForRun } from '../../testing/runs.js';

let t: TestAssay;
let served: Awaited<ReturnType<typeof listen>>;
let hostile: HostileProvider;

const PADS: Record<string, string | undefined> = {
  // The finding's answer: over the 8 MiB bound, refused unread past it.
  finding: emptyArrays(10_000_000),
  // Within the bound, past the shape's: 2 million arrays (5.7 MiB), 200,000 keys.
  wide: emptyArrays(2_000_000),
  keys: distinctKeys(200_000),
  plain: undefined,
};

beforeAll(async () => {
  t = await startTestAssay();
  served = await listen(t);
  hostile = await startHostileProvider();
  hostile.pad = (c) => PADS[c.prompt];
  hostile.content = (c) => (c.body.response_format ? '{"greeting":"hello"}' : 'hello');
  const put = await t.req('PUT', '/api/providers/hostile', { body: { apiKey: 'sk-hostile-000000000000', baseUrl: hostile.baseURL } });
  expect(put.status).toBe(200);
});
afterAll(async () => {
  await served?.close();
  await t?.close();
  await hostile?.close();
});

const schema = { type: 'object', properties: { greeting: { type: 'string' } }, required: ['greeting'], additionalProperties: false };

describe('a provider that pads its answers', () => {
  it('fails each padded cell with the limit it broke, once, and the server stays responsive', async () => {
    const messages = [{ role: 'user', content: '{{kind}}' }];
    const created = await t.req('POST', '/api/experiments', {
      body: {
        slug: 'hostile', name: 'hostile',
        dataset: { rows: Object.keys(PADS).map((kind) => ({ kind })) },
        targets: [
          // The lean chat path, and structured output through the AI SDK.
          { id: 'chat', type: 'prompt', model: 'hostile/chat-model', messages },
          { id: 'structured', type: 'prompt', model: 'hostile/chat-model', outputSchema: schema, messages },
        ],
        execution: { maxRetries: 2 },
      },
    });
    expect(created.status).toBe(201);

    // /healthz on the real port while the run goes: every answer, and the slowest.
    const stop = new AbortController();
    let slowest = 0;
    let answered = 0;
    const probing = (async () => {
      while (!stop.signal.aborted) {
        const started = performance.now();
        const res = await fetch(`${served.url}/healthz`);
        await res.text();
        expect(res.status).toBe(200);
        slowest = Math.max(slowest, performance.now() - started);
        answered++;
        await new Promise((resolve) => setTimeout(resolve, 10));
      }
    })();
    let done;
    try {
      done = await waitForRun(t, await startRun(t, 'hostile'), 60_000);
    } finally {
      stop.abort();
      await probing;
    }

    expect(done.summary).toMatchObject({ totalCells: 8, completedCells: 2, failedCells: 6 });
    const res = (await (await t.req('GET', `/api/experiments/runs/${done.runId}/results`)).json()) as { dataset: { index: number; targetId: string; error?: string; predicted?: { output?: unknown } }[] };
    const kinds = Object.keys(PADS);
    const errors = Object.fromEntries(res.dataset.map((d) => [`${d.targetId}:${kinds[d.index]}`, d.error]));
    for (const target of ['chat', 'structured']) {
      expect(errors[`${target}:finding`]).toBe('hostile call failed: the answer is over 8 MiB');
      expect(errors[`${target}:wide`]).toBe("hostile call failed: the answer is made of more than 100,000 arrays and objects (JSON inside its strings included), the limit for a model's answer");
      expect(errors[`${target}:keys`]).toBe("hostile call failed: the answer is made of more than 20,000 distinct keys (JSON inside its strings included), the limit for a model's answer");
      expect(errors[`${target}:plain`] ?? null).toBeNull();
    }
    // Not retried: one call per cell, though the run allows two retries.
    expect(hostile.calls.get('/v1/chat/completions')).toBe(8);

    expect(answered).toBeGreaterThan(0);
    // Before the fix one padded answer held every request for seconds (7.2 s on a real server).
    expect(slowest).toBeLessThan(5_000);
  }, 90_000);
});
