// Shared limits with real cluster processes (issue 14): two `assay worker` processes, each with
// ASSAY_MODEL_CONCURRENCY=4, execute 20 prompt runs at once against one fake OpenAI server; the
// provider never sees more than 4 calls in flight in all (each worker alone would allow 4, and
// wants 16+). 20 runs guarantee both workers execute some (a worker takes at most 16 at once).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ApiProcess, call, ended, TestCluster, type WorkerProcess } from '../../src/testing/cluster.js';
import { type FakeOpenAI, startFakeOpenAI } from '../../src/testing/fake-openai.js';

const CAP = 4;
const OPENAI_KEY = 'sk-cluster-limits-000000000000000000';
let cluster: TestCluster;
let openai: FakeOpenAI;
let api: ApiProcess;
let workers: WorkerProcess[];

beforeAll(async () => {
  openai = await startFakeOpenAI({ apiKey: OPENAI_KEY, latencyMs: 60, rateLimitRequests: 100_000_000 });
  cluster = await TestCluster.create({ env: { OPENAI_API_KEY: OPENAI_KEY, OPENAI_BASE_URL: openai.baseURL, ASSAY_MODEL_CONCURRENCY: String(CAP) } });
  api = await cluster.api();
  workers = [await cluster.worker(), await cluster.worker()];
}, 120_000);

afterAll(async () => {
  await cluster?.close();
  await openai?.close();
});

describe('cluster: the provider/model limit is shared by the workers', { timeout: 180_000 }, () => {
  it(`two workers together never have more than ASSAY_MODEL_CONCURRENCY=${CAP} calls of one model in flight`, async () => {
    await call(api.base, 'POST', '/api/experiments', {
      slug: 'capped', name: 'capped',
      dataset: { rows: Array.from({ length: 8 }, (_, i) => ({ question: `q${i}` })) },
      targets: [{ id: 'mini', type: 'prompt', model: 'openai/gpt-4o-mini', messages: [{ role: 'user', content: '{{question}}' }] }],
      evaluators: [],
      execution: { concurrency: 4, maxRetries: 0 },
    });
    openai.peakInFlight.clear();
    const runs: { runId: string }[] = [];
    for (let i = 0; i < 20; i++) runs.push(await call(api.base, 'POST', '/api/experiments/capped/run'));
    const executedBy = new Set<string>();
    for (const { runId } of runs) {
      const end = await ended(api.base, runId, 120_000);
      expect(end.status).toBe('completed');
      expect(end.summary.completedCells).toBe(8);
      const results = await call(api.base, 'GET', `/api/experiments/runs/${runId}/results`);
      for (const d of results.dataset as { workerId: string }[]) executedBy.add(d.workerId);
    }
    expect(executedBy).toEqual(new Set(workers.map((w) => w.id)));
    expect(openai.callsByModel.get('gpt-4o-mini')).toBe(160);
    expect(openai.peakInFlight.get('gpt-4o-mini')).toBeLessThanOrEqual(CAP);
    expect(openai.peakInFlight.get('gpt-4o-mini')).toBe(CAP);
  });
});
