// A project's cap on a provider (`maxConcurrency`) across a cluster: an API process and two
// workers over a private redis-server share one sharded run of prompt targets, and the provider
// (a fake OpenAI server in this process) never answers more of the project's calls at once than
// the cap, although each worker alone would send the run's concurrency. The cap's slots are held
// in Redis like an HTTP origin's (docs/deployment.md, "Shared limits"). A watcher of the API
// process hears each worker's shards say how many of their calls wait for the cap.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ApiProcess, call, ended, readStream, TestCluster } from '../src/testing/cluster.js';
import { startFakeOpenAI } from '../src/testing/fake-openai.js';
import type { FakeLlmProvider } from '../src/testing/fake-provider-core.js';

const KEY = 'sk-cluster-cap-00000000000000000000';
const ROWS = 300;

let cluster: TestCluster;
let gpu: FakeLlmProvider;
let api: ApiProcess;

beforeAll(async () => {
  // Slow enough that the run lasts seconds: the calls waiting are looked at once a second.
  gpu = await startFakeOpenAI({ apiKey: KEY, latencyMs: 20 });
  cluster = await TestCluster.create();
  api = await cluster.api();
  await cluster.worker();
  await cluster.worker();
}, 120_000);

afterAll(async () => {
  await cluster?.close();
  await gpu?.close();
});

describe('maxConcurrency in a cluster', { timeout: 120_000 }, () => {
  it('holds the calls of both workers together to the cap', async () => {
    await call(api.base, 'PUT', '/api/providers/gpu', { apiKey: KEY, baseUrl: gpu.baseURL, maxConcurrency: 3 });
    await call(api.base, 'POST', '/api/experiments', {
      slug: 'capped', name: 'capped',
      dataset: { rows: Array.from({ length: ROWS }, (_, i) => ({ question: `q${i}` })) },
      targets: [
        { id: 'a', type: 'prompt', model: 'gpu/a', messages: [{ role: 'user', content: '{{question}}' }] },
        { id: 'b', type: 'prompt', model: 'gpu/b', messages: [{ role: 'user', content: '{{question}}' }] },
      ],
      execution: { concurrency: 40, maxRetries: 0 },
    });
    gpu.peakAllInFlight = 0;
    const { runId } = await call(api.base, 'POST', '/api/experiments/capped/run');
    const stream = readStream(api.base, runId);
    expect(await ended(api.base, runId, 90_000)).toMatchObject({ status: 'completed', progress: 2 * ROWS });
    // Both workers took part (each cell names the worker that ran it)…
    const results = await call(api.base, 'GET', `/api/experiments/runs/${runId}/results?limit=1000`);
    const workers = new Set((results.dataset as { workerId?: string }[]).map((d) => d.workerId));
    expect(workers.size).toBe(2);
    // …and the provider saw at most 3 calls at once, reached.
    expect(gpu.peakAllInFlight).toBe(3);
    // The watcher heard, through Redis, the shards of both workers say their calls waited for
    // the cap, and each say in the end that none did.
    const words = (await stream).flatMap((f) => (f.event.type === 'waiting' ? [f.event] : []));
    const held = words.filter((w) => w.waits.length > 0);
    expect(held.length).toBeGreaterThan(0);
    for (const w of held) expect(w.waits).toEqual([expect.objectContaining({ kind: 'provider', name: 'gpu', limit: 3 })]);
    const workersOf = (list: typeof words) => new Set(list.map((w) => w.source.split('#')[0]));
    expect(workersOf(held).size).toBe(2);
    const last = new Map(words.map((w) => [w.source, w.waits]));
    for (const waits of last.values()) expect(waits).toEqual([]);
  });
});
