// The other side of kill-and-restart: a run that kills its server every time, before it can
// commit anything (a poison run), must not crash-loop the server forever. After
// MAX_EXECUTIONS executions in a row without a commit it is failed with a clear error, and
// its event log still replays whole. (A run that progresses between kills is never given up:
// kill-restart.test.ts.)
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MAX_EXECUTIONS } from '../../src/app/runs/executor.js';
import { checkReplay } from '../../src/testing/fault-checks.js';
import { bootAssay, type FaultServer } from '../../src/testing/fault-server.js';
import { type FakeAgent, startFakeAgent } from '../../src/testing/fake-agent.js';
import { agentExperiment } from '../../src/testing/runs.js';

let dataDir: string;
let agent: FakeAgent;

beforeAll(async () => {
  dataDir = mkdtempSync(path.join(os.tmpdir(), 'assay-faults-loop-'));
  agent = await startFakeAgent({ latencyMs: 5 });
});
afterAll(async () => {
  await agent.close();
  rmSync(dataDir, { recursive: true, force: true });
});

describe('a run that kills its server before every commit', () => {
  it(`is failed after ${MAX_EXECUTIONS} executions in a row without progress, and the server stays up`, async () => {
    const env = { ASSAY_FAILPOINTS: 'commit.before:1' };
    let runId: string | undefined;
    let deaths = 0;
    let server: FaultServer | undefined;
    try {
      for (;;) {
        const boot = await bootAssay(dataDir, env);
        if (boot.kind === 'died') {
          deaths++;
        } else {
          server = boot.server;
          if (!runId) {
            await server.client.json('POST', '/api/experiments', agentExperiment('poison', agent.url, 50));
            runId = (await server.client.json<{ runId: string }>('POST', '/api/experiments/poison/run')).runId;
          }
          const up = server;
          const ended = await up.client.waitForEnd(runId, 30_000).catch(async (error: unknown) => {
            // A poll cut short by the process dying is a death; anything else is a failure.
            if (!(await up.exitedWithin(5_000))) throw error;
            return null;
          });
          if (ended) break;
          await up.proc.exited;
          deaths++;
        }
        expect(deaths, 'the server keeps dying').toBeLessThanOrEqual(MAX_EXECUTIONS);
      }
      expect(deaths).toBe(MAX_EXECUTIONS);
      const client = server!.client;
      const run = await client.getRun(runId);
      expect(run).toMatchObject({ status: 'failed', error: 'run_crashed_repeatedly', progress: 0, total: 50 });
      expect(await client.cells(runId)).toEqual([]);
      const { events, ids } = await client.sse(runId);
      expect(ids).toEqual(events.map((_, i) => i + 1));
      expect(events.map((e) => e.type)).toEqual(['execution_started', 'error']);
      expect(events[1]).toMatchObject({ code: 'run_crashed_repeatedly' });
      expect(checkReplay(events, await client.sse(runId, 1), 1)).toEqual([]);
      // The server is not stuck on the poison run: it is up and answering.
      expect(server!.proc.child.exitCode).toBeNull();
    } finally {
      await server?.stop();
    }
  });
});
