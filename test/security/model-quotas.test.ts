// One project must not hold back another's model calls through the limits they share. The
// adaptive limit of a provider/model halves on a 429 and pauses new calls for as long as the
// answer says; it was one limit per provider/model for the whole server, so a project whose own
// base URL (or own key) answered 429 with `Retry-After: 100` paused every project's calls to
// that model with the server's key for 100 s, and its slow endpoint held the server's slots.
// Calls with a project's own key, base URL or headers now count against a limit of the
// project's own; the server's credentials keep one shared limit. The providers here are real
// HTTP servers on loopback that speak OpenAI's protocol.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFakeOpenAI } from '../../src/testing/fake-openai.js';
import type { FakeLlmProvider } from '../../src/testing/fake-provider-core.js';
import { startTestAssay, type TestAssay } from '../../src/testing/harness.js';
import type { PolledRun } from '../../src/testing/runs.js';

const SERVER_KEY = 'sk-server-operator-key-quota-0123456789';
const PROJECT_KEY = 'sk-project-own-key-quota-9876543210';

let server: FakeLlmProvider;
let hostile: FakeLlmProvider;
let t: TestAssay;
let other: { key: string; projectId: string };

beforeAll(async () => {
  server = await startFakeOpenAI({ apiKey: SERVER_KEY });
  // The other project's own endpoint: every call 429, come back in 100 s.
  hostile = await startFakeOpenAI({ apiKey: PROJECT_KEY, failRate: 1, failStatus: 429, retryAfter: 100 });
  t = await startTestAssay({ providers: { openai: { apiKey: SERVER_KEY, baseUrl: server.baseURL } } });
  other = await t.otherProject();
});
afterAll(async () => {
  await t?.close();
  await server?.close();
  await hostile?.close();
});

const experiment = (slug: string, rows: number) => ({
  slug, name: slug,
  dataset: { rows: Array.from({ length: rows }, (_, i) => ({ question: `Question ${i}?` })) },
  targets: [{ id: 'p', type: 'prompt', model: 'openai/gpt-4o-mini', messages: [{ role: 'user', content: '{{question}}' }] }],
  execution: { maxRetries: 0, concurrency: 1 },
});

/** Polls a run with `key` (the default project's when absent) until `until` holds, or it ended. */
async function waitForRun(runId: string, timeoutMs: number, until: ((r: PolledRun) => boolean) | undefined, key?: string): Promise<PolledRun> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const r = (await (await t.req('GET', `/api/experiments/runs/${runId}`, key ? { key } : {})).json()) as PolledRun;
    if (until ? until(r) : r.status !== 'running') return r;
    if (Date.now() > deadline) throw new Error(`run ${runId} still ${r.status} at ${r.progress}/${r.total} after ${timeoutMs} ms`);
    await new Promise((res) => setTimeout(res, 20));
  }
}

async function run(slug: string, rows: number, key?: string, timeoutMs = 20_000): Promise<PolledRun> {
  const created = await t.req('POST', '/api/experiments', { body: experiment(slug, rows), ...(key ? { key } : {}) });
  expect(created.status, await created.clone().text()).toBe(201);
  const started = await t.req('POST', `/api/experiments/${slug}/run`, key ? { key } : {});
  const { runId } = (await started.json()) as { runId: string };
  return waitForRun(runId, timeoutMs, undefined, key);
}

describe('model limits per quota', () => {
  it("a project's own endpoint answering 429 + Retry-After: 100 pauses only its own calls", async () => {
    expect((await t.req('PUT', '/api/providers/openai', { key: other.key, body: { apiKey: PROJECT_KEY, baseUrl: hostile.baseURL } })).status).toBe(200);
    const throttled = await run('own-endpoint', 1, other.key);
    expect(throttled.status).toBe('failed');
    expect(hostile.calls).toBe(1);

    // The default project, on the server's key and the same model: it runs at once (it waited
    // out the other project's 100 s before).
    const before = server.calls;
    const started = Date.now();
    const done = await run('server-key', 3);
    expect(done).toMatchObject({ status: 'completed', summary: { completedCells: 3 } });
    expect(server.calls - before).toBe(3);
    expect(Date.now() - started).toBeLessThan(20_000);

    // The other project's own calls stay paused: its next run waits on its own limit.
    const waiting = await t.req('POST', '/api/experiments/own-endpoint/run', { key: other.key });
    const { runId } = (await waiting.json()) as { runId: string };
    await new Promise((r) => setTimeout(r, 500));
    expect(hostile.calls).toBe(1);
    expect((await t.req('POST', `/api/experiments/runs/${runId}/abort`, { key: other.key })).status).toBe(200);
  });

  it('refuses a target call whose provider settings changed quota during the run, sending nothing', async () => {
    await t.req('DELETE', '/api/providers/openai', { key: other.key });
    server.setBehaviour({ latencyMs: 400 });
    try {
      const created = await t.req('POST', '/api/experiments', { body: experiment('flipped', 12), key: other.key });
      expect(created.status).toBe(201);
      const { runId } = (await (await t.req('POST', '/api/experiments/flipped/run', { key: other.key })).json()) as { runId: string };
      // Mid-run, the project points the provider at its own endpoint.
      await waitForRun(runId, 20_000, (r) => r.progress >= 1, other.key);
      const hostileBefore = hostile.calls;
      expect((await t.req('PUT', '/api/providers/openai', { key: other.key, body: { apiKey: PROJECT_KEY, baseUrl: hostile.baseURL } })).status).toBe(200);
      const done = await waitForRun(runId, 30_000, undefined, other.key);
      const results = (await (await t.req('GET', `/api/experiments/runs/${runId}/results`, { key: other.key })).json()) as { dataset: { error: string | null }[] };
      const refused = results.dataset.filter((d) => d.error?.includes('the settings of provider "openai" changed during the run'));
      expect(refused.length, JSON.stringify(done)).toBeGreaterThan(0);
      expect(hostile.calls).toBe(hostileBefore);
    } finally {
      server.setBehaviour({ latencyMs: 0 });
    }
  });
});
