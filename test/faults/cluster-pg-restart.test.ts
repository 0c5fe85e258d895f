// PostgreSQL restarted mid-run in cluster mode (issue 14, done-when 4, in part): a private
// PostgreSQL cluster (initdb/pg_ctl on a free port, never the machine's server) is stopped at
// once (`-m immediate`, like a crash) and started again 2 s later while a worker executes a
// 1,000-cell run. The run completes with exactly 1,000 cells, none twice, and no cell committed
// before the restart is called again.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { call, ended, eventually, TestCluster } from '../../src/testing/cluster.js';
import { startFakeAgent, type FakeAgent } from '../../src/testing/fake-agent.js';
import { type PrivatePostgres, startPostgres } from '../../src/testing/private-postgres.js';
import { agentExperiment } from '../../src/testing/runs.js';

let pg: PrivatePostgres;
let cluster: TestCluster;
let agent: FakeAgent;

beforeAll(async () => {
  pg = await startPostgres();
  cluster = await TestCluster.create({ databaseUrl: pg.url });
  agent = await startFakeAgent({ latencyMs: 40 });
}, 120_000);

afterAll(async () => {
  await cluster?.close();
  await agent?.close();
  await pg?.stop();
});

describe('cluster: PostgreSQL restarted mid-run', { timeout: 240_000 }, () => {
  it('the run completes with exactly its cells and no committed cell runs again', async () => {
    const api = await cluster.api();
    await cluster.worker();
    await call(api.base, 'POST', '/api/experiments', agentExperiment('pg', agent.url, 1000, { execution: { concurrency: 5 } }));
    const { runId } = await call(api.base, 'POST', '/api/experiments/pg/run');
    await eventually('progress past 150', async () => ((await call(api.base, 'GET', `/api/experiments/runs/${runId}`)).progress >= 150 ? true : undefined), 60_000);
    const before = await call(api.base, 'GET', `/api/experiments/runs/${runId}/results?limit=5000`);
    await pg.restart(2_000);
    // Cells committed between the read above and the stop are not in `before`: they may only
    // be counted once, which the totals below check.
    const committedBefore: string[] = before.dataset.map((d: { entry: { question: string } }) => d.entry.question);

    const end = await ended(api.base, runId, 120_000);
    expect(end.status).toBe('completed');
    expect(end.progress).toBe(1000);
    const results = await call(api.base, 'GET', `/api/experiments/runs/${runId}/results?limit=5000`);
    expect(results.dataset).toHaveLength(1000);
    expect(new Set(results.dataset.map((d: { index: number }) => d.index)).size).toBe(1000);
    for (const q of committedBefore) expect(agent.callsByKey.get(q)).toBe(1);
    expect(agent.calls).toBeLessThanOrEqual(1000 + 100);
  });
});
