// Two wake-ups of one run at once (the queue that just enqueued it and a recovery sweep, or a
// retry): storage is slow to answer the first lease claim, so the second arrives while it is
// in flight. A lease claim also succeeds for the lease this process already holds, so without
// a guard both would execute the run side by side — every cell called twice, seqs assigned
// twice. In process (the race needs a hand on the claim), with real SQLite and real HTTP.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkEndedRun } from '../../src/testing/fault-checks.js';
import { FaultClient } from '../../src/testing/fault-server.js';
import { type FakeAgent, startFakeAgent } from '../../src/testing/fake-agent.js';
import { listen, startTestAssay, type TestAssay } from '../../src/testing/harness.js';
import { agentExperiment } from '../../src/testing/runs.js';

const ROWS = 150;

let t: TestAssay;
let agent: FakeAgent;
let served: { url: string; close(): Promise<void> };

beforeAll(async () => {
  t = await startTestAssay();
  agent = await startFakeAgent({ latencyMs: 10 });
  served = await listen(t);
});
afterAll(async () => {
  await served.close();
  await t.close();
  await agent.close();
});

describe('a run woken twice at once', () => {
  it('executes once: every cell called once, one event per seq', async () => {
    const client = new FaultClient(served.url, t.key);
    await client.json('POST', '/api/experiments', agentExperiment('twice', agent.url, ROWS, { execution: { concurrency: 10 } }));
    // Storage answers lease claims slowly, as a busy database would.
    const runs = t.assay.stores.runs;
    const claim = runs.claim.bind(runs);
    runs.claim = async (...args) => {
      await new Promise((res) => setTimeout(res, 50));
      return claim(...args);
    };
    try {
      const { runId } = await client.json<{ runId: string }>('POST', '/api/experiments/twice/run');
      // The queue's wake-up is claiming; a sweep (or a retry) wakes the run again.
      await t.assay.host.execute(runId);
      await client.waitForEnd(runId, 30_000);
      const { problems, run } = await checkEndedRun(client, runId, { rows: ROWS, targetIds: ['agent'], repeats: 1 });
      expect(run.status).toBe('completed');
      expect(problems).toEqual([]);
      for (let row = 0; row < ROWS; row++) expect(agent.callsByKey.get(`q${row}`), `row ${row}`).toBe(1);
    } finally {
      runs.claim = claim;
    }
  });
});
