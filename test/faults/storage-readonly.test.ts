// Storage that stops taking writes mid-run (issue 6): the SQLite file and its WAL are made
// immutable under a live `assay serve` (see src/testing/fault-storage.ts for why chattr and not
// chmod), kept so for a few seconds, then restored. The server must stay up and keep answering
// reads, and the run must finish by itself once writes work again — exactly, with no cell
// that was committed before the fault ever called again.
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkEndedRun } from '../../src/testing/fault-checks.js';
import { bootServing, FAULT_KEY, type FaultServer } from '../../src/testing/fault-server.js';
import { freezeDatabase, immutableUnsupported, thawDatabase } from '../../src/testing/fault-storage.js';
import { type FakeAgent, startFakeAgent } from '../../src/testing/fake-agent.js';
import { agentExperiment } from '../../src/testing/runs.js';

const ROWS = 800;
/** Longer than the run lease (15 s), so leases expire and get re-claimed while writes fail. */
const FROZEN_MS = 18_000;
/** After writes work again the run must move within this (the host retries with backoff). */
const RESUME_WITHIN_MS = 6_000;

let dataDir: string;
let dbFile: string;
let agent: FakeAgent;
let server: FaultServer | undefined;
let unsupported: string | null;

beforeAll(async () => {
  dataDir = mkdtempSync(path.join(os.tmpdir(), 'assay-faults-storage-'));
  dbFile = path.join(dataDir, 'assay.db');
  unsupported = immutableUnsupported(dataDir);
  agent = await startFakeAgent({ latencyMs: 25 });
});

afterAll(async () => {
  thawDatabase(dbFile);
  await server?.stop();
  await agent.close();
  rmSync(dataDir, { recursive: true, force: true });
});

const sleep = (ms: number) => new Promise((res) => setTimeout(res, ms));

describe('storage made read-only mid-run', () => {
  it('keeps serving, and finishes the run exactly once writes work again', async (ctx) => {
    if (unsupported) {
      // CI runs as root on ext4, where this must work; elsewhere say why it cannot.
      if (process.env.CI) throw new Error(`cannot make files immutable here: ${unsupported}`);
      ctx.skip(`cannot make files immutable here: ${unsupported}`);
    }
    server = await bootServing(dataDir);
    const client = server.client;
    await client.json('POST', '/api/experiments', agentExperiment('frozen', agent.url, ROWS, { execution: { concurrency: 8 } }));
    await client.json('POST', '/api/experiments', agentExperiment('after', agent.url, 20));
    const { runId } = await client.json<{ runId: string }>('POST', '/api/experiments/frozen/run');
    while ((await client.getRun(runId)).progress < 150) await sleep(10);

    const committed = (await client.cells(runId)).map((c) => c.entry.question as string);
    const alive = () => {
      const child = server!.proc.child;
      if (child.exitCode !== null || child.signalCode !== null) throw new Error(`the server died:\n${server!.proc.output()}`);
    };
    const thaw = freezeDatabase(dbFile);
    const during: { progress: number; status: string }[] = [];
    try {
      const frozenAt = Date.now();
      while (Date.now() - frozenAt < FROZEN_MS) {
        // Reads keep working while writes fail, and the process stays up.
        alive();
        during.push(await client.getRun(runId));
        await sleep(100);
      }
      // A write request fails cleanly (an error answer, not a crash or a hang).
      const res = await fetch(`${server.base}/api/experiments/after/run`, { method: 'POST', headers: { authorization: `Bearer ${FAULT_KEY}` } });
      expect(res.status).toBeGreaterThanOrEqual(500);
    } finally {
      thaw();
    }
    const thawedAt = Date.now();
    alive();
    expect(during.every((r) => r.status === 'running')).toBe(true);
    // Commits stopped while frozen: progress did not move after the first second.
    const frozenProgress = during[10]!.progress;
    expect(during[during.length - 1]!.progress).toBe(frozenProgress);
    expect(frozenProgress).toBeLessThan(ROWS);

    // The run picks up again by itself, soon, without a restart.
    while ((await client.getRun(runId)).progress === frozenProgress) {
      alive();
      expect(Date.now() - thawedAt, 'the run did not resume after storage came back').toBeLessThan(RESUME_WITHIN_MS);
      await sleep(20);
    }
    const ended = await client.waitForEnd(runId, 60_000);
    expect(ended.status).toBe('completed');
    const { problems } = await checkEndedRun(client, runId, { rows: ROWS, targetIds: ['agent'], repeats: 1 });
    expect(problems).toEqual([]);
    for (const q of committed) expect(agent.callsByKey.get(q), q).toBe(1);
    alive();

    // The server is fully usable again.
    const next = await client.json<{ runId: string }>('POST', '/api/experiments/after/run');
    expect((await client.waitForEnd(next.runId, 30_000)).status).toBe('completed');
  });
});
