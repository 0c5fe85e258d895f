// Issue 4, rate limits: while one model answers 429 on half its calls, a concurrent run on
// another model is not held back at all — its calls reach the provider at the run's full
// concurrency, as they do alone — while the throttled model's own calls are cut back, and no
// cell of either run is lost. Limits are per provider/model, shared by all runs, and back off
// only for the model that is throttled. (This asserts what the limiter does, not wall-clock
// ratios, which a busy machine would distort; the timing comparison is in `npm run bench`.)
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
  it('does not hold back a run on another model, and both runs complete every cell', async () => {
    openai.peakInFlight.clear();
    const alone = await waitForRun(t, await startRun(t, 'steady'), 60_000);
    expect(alone.summary).toMatchObject({ totalCells: 600, completedCells: 600 });
    expect(openai.peakInFlight.get('gpt-steady')).toBe(20);

    openai.setBehaviour({ models: { 'gpt-hot': { failRate: 0.5, failStatus: 429, retryAfterMs: 200 } } });
    try {
      const hotRun = await startRun(t, 'hot');
      // Until the hot model has been throttled a few times.
      await waitForRun(t, hotRun, 30_000, (r) => r.progress >= 100);
      openai.peakInFlight.clear();
      const together = await waitForRun(t, await startRun(t, 'steady'), 60_000);
      expect(together.summary).toMatchObject({ totalCells: 600, completedCells: 600, failedCells: 0 });
      // The steady model still gets its full concurrency while the other one is throttled…
      expect(openai.peakInFlight.get('gpt-steady')).toBe(20);
      // …and the throttled model's limit came down from the run's 50 (it halves on each 429).
      expect(openai.peakInFlight.get('gpt-hot')).toBeLessThan(50);
      openai.setBehaviour({ models: {} });

      const hot = await waitForRun(t, hotRun, 90_000);
      expect(hot.status).toBe('completed');
      expect(hot.summary).toMatchObject({ totalCells: 1500, completedCells: 1500, failedCells: 0 });
      const results = (await (await t.req('GET', `/api/experiments/runs/${hotRun}/results?limit=5000`)).json()) as { dataset: { attempts: number }[] };
      expect(results.dataset.filter((d) => d.attempts > 1).length).toBeGreaterThan(50);
    } finally {
      openai.setBehaviour({ models: {} });
    }
  }, 120_000);
});
