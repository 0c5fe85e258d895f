// A resume with retryErrors moves a run's failed cells to its event log in batches, a
// transaction each, before it reopens the run (storage/run-store.ts, docs/architecture.md
// "Events"). A crash between two batches must leave a sound ended run: its log replays exactly
// as before, the cells not yet moved are still in its results (and its progress counts them),
// and a second resume with retryErrors moves the rest and runs every failed cell again.
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkResults } from '../../src/testing/fault-checks.js';
import { bootAssay, bootServing, type FaultServer } from '../../src/testing/fault-server.js';
import { type FakeAgent, startFakeAgent } from '../../src/testing/fake-agent.js';
import { agentExperiment } from '../../src/testing/runs.js';

const ROWS = 1_200;
let dataDir: string;
let agent: FakeAgent;

beforeAll(async () => {
  dataDir = mkdtempSync(path.join(os.tmpdir(), 'assay-faults-reopen-'));
  agent = await startFakeAgent({ failRate: 1, failStatus: 400 });
});
afterAll(async () => {
  await agent.close();
  rmSync(dataDir, { recursive: true, force: true });
});

describe('a crash during a resume with retryErrors', () => {
  it('leaves the run ended with its log whole, and a second resume completes it', async () => {
    let server: FaultServer | undefined = await bootServing(dataDir);
    try {
      await server.client.json('POST', '/api/experiments', agentExperiment('retried', agent.url, ROWS, { execution: { concurrency: 50, maxRetries: 0 } }));
      // Every call fails: an error limit of all of them keeps the run from stopping after the first 20.
      const { runId } = await server.client.json<{ runId: string }>('POST', '/api/experiments/retried/run', { maxErrors: ROWS });
      const failed = await server.client.waitForEnd(runId, 120_000);
      expect(failed.summary).toMatchObject({ failedCells: ROWS });
      const before = await server.client.sse(runId);
      await server.stop();

      // The process dies right after the first batch (500 cells) moved.
      const boot = await bootAssay(dataDir, { ASSAY_FAILPOINTS: 'reopen.between:1' });
      if (boot.kind === 'died') throw new Error(`died before listening:\n${boot.proc.output()}`);
      const dying = boot.server;
      const answer = await dying.client.resumeRun(runId, true).then(() => 'answered', () => 'cut off');
      expect(answer).toBe('cut off');
      expect(await dying.exitedWithin(10_000)).toBe(true);

      server = await bootServing(dataDir);
      const after = await server.client.getRun(runId);
      expect(after).toMatchObject({ status: failed.status, progress: ROWS - 500, total: ROWS });
      const left = await server.client.cells(runId);
      expect(left).toHaveLength(ROWS - 500);
      expect(left.every((c) => c.error !== null)).toBe(true);
      // The moved cells' events are in the log at their numbers: a replay reads as before.
      expect(await server.client.sse(runId)).toEqual(before);

      agent.setBehaviour({ failRate: 0 });
      await server.client.resumeRun(runId, true);
      const done = await server.client.waitForEnd(runId, 120_000);
      expect(done).toMatchObject({ status: 'completed', progress: ROWS, summary: { completedCells: ROWS, failedCells: 0 } });
      expect(checkResults(await server.client.cells(runId), { rows: ROWS, targetIds: ['agent'], repeats: 1 })).toEqual([]);
      const whole = await server.client.sse(runId);
      expect(whole.ids).toEqual(whole.events.map((_, i) => i + 1));
      expect(whole.events.slice(0, before.events.length)).toEqual(before.events);
      expect(whole.events.at(-1)).toMatchObject({ type: 'done' });
      // One resumed event: the crashed resume never reopened the run.
      expect(whole.events.filter((e) => e.type === 'resumed')).toHaveLength(1);
    } finally {
      await server?.stop();
    }
  }, 300_000);
});
