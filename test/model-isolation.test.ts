// Issue 4, rate limits: while one model answers 429 on half its calls for 10 s, a concurrent
// run on another model keeps its throughput (within 10%), and no cell of either run is lost.
// Limits are per provider/model, shared by all runs, and back off only for the model that
// is throttled.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFakeOpenAI } from '../src/testing/fake-openai.js';
import type { FakeLlmProvider } from '../src/testing/fake-provider-core.js';
import { startTestAssay, type TestAssay } from '../src/testing/harness.js';
import { startRun, waitForRun } from '../src/testing/runs.js';

let t: TestAssay;
let openai: FakeLlmProvider;

beforeAll(async () => {
  t = await startTestAssay();
  openai = await startFakeOpenAI({ apiKey: 'sk-isolation-000000000000000000', latencyMs: 100 });
  await t.req('PUT', '/api/providers/openai', { body: { apiKey: 'sk-isolation-000000000000000000', baseUrl: openai.baseURL } });
  const experiment = (slug: string, model: string, rows: number, concurrency: number) => ({
    slug, name: slug,
    dataset: { rows: Array.from({ length: rows }, (_, i) => ({ question: `q${i}` })) },
    targets: [{ id: 't', type: 'prompt', model: `openai/${model}`, messages: [{ role: 'user', content: '{{question}}' }] }],
    execution: { concurrency, maxRetries: 10 },
  });
  await t.req('POST', '/api/experiments', { body: experiment('steady', 'gpt-steady', 600, 20) });
  await t.req('POST', '/api/experiments', { body: experiment('hot', 'gpt-hot', 1500, 50) });
});
afterAll(async () => {
  await t.close();
  await openai.close();
});

describe('one throttled model', () => {
  it('does not slow a run on another model, and both runs complete every cell', async () => {
    await waitForRun(t, await startRun(t, 'steady'), 60_000); // warm-up
    const alone = await waitForRun(t, await startRun(t, 'steady'), 60_000);
    expect(alone.summary).toMatchObject({ totalCells: 600, completedCells: 600 });

    openai.setBehaviour({ models: { 'gpt-hot': { failRate: 0.5, failStatus: 429, retryAfterMs: 200 } } });
    const healed = setTimeout(() => openai.setBehaviour({ models: {} }), 10_000);
    try {
      const hotRun = await startRun(t, 'hot');
      await new Promise((r) => setTimeout(r, 500)); // the hot model is throttling already
      const together = await waitForRun(t, await startRun(t, 'steady'), 60_000);
      expect(together.summary).toMatchObject({ totalCells: 600, completedCells: 600 });
      const slowdown = together.summary!.duration / alone.summary!.duration;
      console.log(`steady run: alone ${alone.summary!.duration} ms, beside the throttled model ${together.summary!.duration} ms (×${slowdown.toFixed(3)})`);
      expect(slowdown).toBeLessThanOrEqual(1.1);

      const hot = await waitForRun(t, hotRun, 90_000);
      expect(hot.status).toBe('completed');
      expect(hot.summary).toMatchObject({ totalCells: 1500, completedCells: 1500, failedCells: 0 });
      const results = (await (await t.req('GET', `/api/experiments/runs/${hotRun}/results?limit=5000`)).json()) as { dataset: { attempts: number }[] };
      expect(results.dataset.filter((d) => d.attempts > 1).length).toBeGreaterThan(50);
    } finally {
      clearTimeout(healed);
      openai.setBehaviour({ models: {} });
    }
  }, 120_000);
});
