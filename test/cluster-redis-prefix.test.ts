// ASSAY_REDIS_PREFIX with real processes: an API process (ASSAY_ROLE=api) and a worker of an
// installation whose prefix is `inst-a` finish a sharded run over a private redis-server; its
// events cross Redis on `inst-a:events`, nothing is published on the default `assay:events`,
// and every key the queue, the shards, the limits and the run permits left starts with `inst-a:`
// (docs/deployment.md, "Sharing one Redis").
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ApiProcess, call, ended, TestCluster } from '../src/testing/cluster.js';
import { startFakeAgent, type FakeAgent } from '../src/testing/fake-agent.js';
import { agentExperiment } from '../src/testing/runs.js';

const CELLS = 600;

let cluster: TestCluster;
let agent: FakeAgent;
let api: ApiProcess;
let spy: Redis;
const heard: Record<string, number> = {};

beforeAll(async () => {
  cluster = await TestCluster.create({ env: { ASSAY_REDIS_PREFIX: 'inst-a' } });
  agent = await startFakeAgent({ latencyMs: 5 });
  // What crosses Redis on either installation's channel.
  spy = new Redis(cluster.redis.url);
  spy.on('message', (channel: string) => (heard[channel] = (heard[channel] ?? 0) + 1));
  await spy.subscribe('inst-a:events', 'assay:events');
  api = await cluster.api();
  await cluster.worker();
}, 120_000);

afterAll(async () => {
  spy?.disconnect();
  await cluster?.close();
  await agent?.close();
});

describe('a cluster with ASSAY_REDIS_PREFIX', { timeout: 120_000 }, () => {
  it('runs a sharded run with every key and channel under its prefix', async () => {
    await call(api.base, 'POST', '/api/experiments', agentExperiment('prefixed', agent.url, CELLS, { execution: { concurrency: 10 } }));
    const { runId } = await call(api.base, 'POST', '/api/experiments/prefixed/run');
    expect(await ended(api.base, runId, 90_000)).toMatchObject({ status: 'completed', progress: CELLS });

    expect(heard['inst-a:events']).toBeGreaterThan(0);
    expect(heard['assay:events']).toBeUndefined();
    const raw = new Redis(cluster.redis.url);
    try {
      const keys = await raw.keys('*');
      expect(keys.filter((k) => !k.startsWith('inst-a:'))).toEqual([]);
      expect(keys.some((k) => k.startsWith('inst-a:runs:'))).toBe(true);
      expect(keys.some((k) => k.startsWith('inst-a:shards:'))).toBe(true);
    } finally {
      raw.disconnect();
    }
  });
});
