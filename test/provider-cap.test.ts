// A project's cap on one provider (`maxConcurrency` of PUT /api/providers/{name}): a local model
// on one GPU takes 2 calls at once while the run's concurrency is 20. The cap counts every call
// of the project to the provider at once: all its models, prompt targets and judges, and every
// run together. It caps that project only, also on the server's own provider, whose model slots
// every project shares. Measured at the provider: a real fake OpenAI server counting the requests
// it is answering at once.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFakeOpenAI } from '../src/testing/fake-openai.js';
import type { FakeLlmProvider } from '../src/testing/fake-provider-core.js';
import { startTestAssay, type TestAssay } from '../src/testing/harness.js';
import { poll, startRun, waitForRun } from '../src/testing/runs.js';

const KEY = 'sk-provider-cap-0000000000000000000';
const ROWS = 24;

let t: TestAssay;
let other: TestAssay;
let gpu: FakeLlmProvider;

beforeAll(async () => {
  gpu = await startFakeOpenAI({ apiKey: KEY, latencyMs: 40 });
  // The server's own `openai` (OPENAI_API_KEY, OPENAI_BASE_URL) is the same fake, with 12 slots
  // per model: fewer than the capped run's concurrency, so a capped call that took a model slot
  // before its cap would hold slots the other project needs.
  t = await startTestAssay({ providers: { openai: { apiKey: KEY, baseUrl: gpu.baseURL } }, modelConcurrency: 12 });
  const second = await t.otherProject();
  // The other project's requests, with its own key.
  other = { ...t };
  other.req = (method, path, init) => t.req(method, path, { key: second.key, body: init?.body });
  for (const who of [t, other]) expect((await who.req('PUT', '/api/providers/gpu', { body: { apiKey: KEY, baseUrl: gpu.baseURL } })).status).toBe(200);
  await t.req('POST', '/api/experiments', {
    body: {
      slug: 'capped', name: 'capped',
      dataset: { rows: Array.from({ length: ROWS }, (_, i) => ({ question: `q${i}` })) },
      targets: [
        { id: 'small', type: 'prompt', model: 'gpu/small', messages: [{ role: 'user', content: '{{question}}' }] },
        { id: 'large', type: 'prompt', model: 'gpu/large', messages: [{ role: 'user', content: '{{question}}' }] },
      ],
      evaluators: [{ id: 'judge', type: 'langevals/llm_boolean', settings: { model: 'gpu/judge' } }],
      execution: { concurrency: 20, maxRetries: 0 },
    },
  });
  // Both projects on one model of the server's provider: one shared limiter key.
  const shared = (slug: string, rows: number, concurrency: number) => ({
    slug, name: slug,
    dataset: { rows: Array.from({ length: rows }, (_, i) => ({ question: `q${i}` })) },
    targets: [{ id: 't', type: 'prompt', model: 'openai/shared', messages: [{ role: 'user', content: '{{question}}' }] }],
    execution: { concurrency, maxRetries: 0 },
  });
  await t.req('POST', '/api/experiments', { body: shared('shared-capped', 200, 20) });
  await other.req('POST', '/api/experiments', { body: shared('shared-free', 60, 10) });
});
afterAll(async () => {
  await t?.close();
  await gpu?.close();
});

async function setCap(maxConcurrency: number | null): Promise<void> {
  const res = await t.req('PUT', '/api/providers/gpu', { body: { maxConcurrency } });
  expect(res.status).toBe(200);
}

describe('maxConcurrency on a registered provider', () => {
  it('without it, the provider gets the run\'s concurrency', async () => {
    await setCap(null);
    gpu.peakAllInFlight = 0;
    const run = await waitForRun(t, await startRun(t, 'capped'));
    expect(run.summary).toMatchObject({ totalCells: 2 * ROWS, completedCells: 2 * ROWS, failedCells: 0 });
    expect(gpu.peakAllInFlight).toBeGreaterThan(4);
  });

  it('holds every call of the project to the provider to the cap: both models, the judge, two runs at once', async () => {
    await setCap(2);
    gpu.peakAllInFlight = 0;
    const judged = gpu.callsByModel.get('judge') ?? 0;
    const runs = await Promise.all([startRun(t, 'capped'), startRun(t, 'capped')]);
    for (const runId of runs) {
      const run = await waitForRun(t, runId, 60_000);
      expect(run.status).toBe('completed');
      expect(run.summary).toMatchObject({ totalCells: 2 * ROWS, completedCells: 2 * ROWS, failedCells: 0 });
    }
    // Every cell was judged through the cap too.
    expect((gpu.callsByModel.get('judge') ?? 0) - judged).toBe(2 * 2 * ROWS);
    // Reached, never passed.
    expect(gpu.peakAllInFlight).toBe(2);
  }, 90_000);

  it("caps only the project that set it, on the server's provider too: another project on the same model is not held back", async () => {
    // A cap alone keeps the server's key and quota (docs/experiments.md).
    expect((await t.req('PUT', '/api/providers/openai', { body: { maxConcurrency: 1 } })).status).toBe(200);
    const capped = await startRun(t, 'shared-capped');
    await waitForRun(t, capped, 30_000, (r) => r.progress >= 2);
    gpu.peakInFlight.clear();
    const free = await startRun(other, 'shared-free');
    const done = await waitForRun(other, free, 30_000);
    expect(done.summary).toMatchObject({ totalCells: 60, completedCells: 60 });
    // The capped run was under way all along, one call at a time: the other project's 10 and
    // at most its 1 (uncapped it would be 12 in all; the shared key capped, 1; model slots taken
    // before the cap, 1 or 2, the capped run's waiting cells holding the other 11).
    expect((await poll(t, capped)).status).toBe('running');
    expect(gpu.peakInFlight.get('shared')).toBeGreaterThanOrEqual(10);
    expect(gpu.peakInFlight.get('shared')).toBeLessThanOrEqual(11);
    expect((await t.req('POST', `/api/experiments/runs/${capped}/abort`)).status).toBe(200);
    expect((await waitForRun(t, capped, 30_000)).status).not.toBe('running');
  }, 90_000);
});
