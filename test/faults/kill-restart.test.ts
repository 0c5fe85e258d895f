// Kill -9 again and again (issue 6, SPEC §7): one 3,000-cell run on a real `assay serve`
// that is SIGKILLed at random moments — by this test after a random amount of progress or a
// random delay, or by the server itself at failpoints before and after a cell commit and
// before the run finishes (ASSAY_FAILPOINTS) — and started again, at least 50 times. After
// the last restart the run is completed with exactly 3,000 cells, none twice; no cell was
// ever called again once it was committed; whatever the API showed as committed before a kill
// survived it; and the event log replays consistently.
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import SQLite from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkEndedRun } from '../../src/testing/fault-checks.js';
import { bootAssay, type FaultServer } from '../../src/testing/fault-server.js';
import { type FakeAgent, startFakeAgent } from '../../src/testing/fake-agent.js';
import { agentExperiment } from '../../src/testing/runs.js';

// A commit carries up to 50 ms of finished cells (≈ 30 here), so the run must be long enough
// for 50+ kills at one or more commits each.
const ROWS = 3_000;
const MIN_CYCLES = 50;
/** Cycles the kill phase spreads the run's cells over (a margin above MIN_CYCLES). */
const PLANNED_CYCLES = 70;
const COMMIT_FAILPOINTS = 'commit.before:0.03,commit.after:0.03';
const FAILPOINTS = `${COMMIT_FAILPOINTS},finish.before:0.25`;

let dataDir: string;
let agent: FakeAgent;

beforeAll(async () => {
  dataDir = mkdtempSync(path.join(os.tmpdir(), 'assay-faults-kill-'));
  agent = await startFakeAgent({ latencyMs: 30 });
});
afterAll(async () => {
  await agent.close();
  rmSync(dataDir, { recursive: true, force: true });
});

const sleep = (ms: number) => new Promise((res) => setTimeout(res, ms));

/** The run as storage holds it, read while no server is running (read-only; no checkpoint). */
function onDisk(runId: string): { status: string; executions: number; cells: Set<number> } {
  const db = new SQLite(path.join(dataDir, 'assay.db'), { readonly: true, fileMustExist: true });
  try {
    const run = db.prepare('select status, executions from runs where id = ?').get(runId) as { status: string; executions: number };
    const rows = db.prepare('select row_index from run_cells where run_id = ?').all(runId) as { row_index: number }[];
    return { ...run, cells: new Set(rows.map((r) => r.row_index)) };
  } finally {
    db.close();
  }
}

describe('kill -9 and restart, many times', () => {
  it(`completes one ${ROWS}-cell run exactly across at least ${MIN_CYCLES} kills`, async () => {
    let runId: string | undefined;
    let cycles = 0;
    let killedWhileRunning = 0;
    let selfKills = 0;
    /** Deaths with every cell committed but the run not yet finished. */
    let killedBeforeFinish = 0;
    /** Per row: the agent's call count when the row was first seen committed after a kill. */
    const callsAtCommit = new Map<number, number>();
    const committedBeforeFirstKill = new Set<number>();
    let last: FaultServer | undefined;
    /** How far past its threshold a kill lands (polling and the results read take time). */
    let overshoot = 0;
    /** Cells still to run when the kill phase ended (the margin of the pacing). */
    let leftAfterKillPhase: number | undefined;
    /** Per row: the number of the first death after which it was found on disk. */
    const onDiskAtDeath = new Map<number, number>();

    /** After a death: what storage holds, checked against what the API showed before it. */
    const afterDeath = (shown: number[] | null) => {
      cycles++;
      const disk = onDisk(runId!);
      if (disk.status === 'running') killedWhileRunning++;
      if (disk.status === 'running' && disk.cells.size === ROWS) killedBeforeFinish++;
      for (const row of shown ?? []) expect(disk.cells.has(row), `row ${row} was shown committed, then lost by the kill`).toBe(true);
      for (const row of disk.cells) {
        if (!onDiskAtDeath.has(row)) onDiskAtDeath.set(row, cycles);
        if (!callsAtCommit.has(row)) callsAtCommit.set(row, agent.callsByKey.get(`q${row}`) ?? 0);
        if (cycles === 1) committedBeforeFirstKill.add(row);
      }
      return disk;
    };

    try {
      for (let done = false; !done; ) {
        agent.setBehaviour({ latencyMs: 20 + Math.floor(Math.random() * 21) });
        // After the kill phase, boots die right before finishing the run until one has (so
        // that point is always covered), then only at commits.
        const armed = cycles < MIN_CYCLES ? FAILPOINTS : killedBeforeFinish === 0 ? `${COMMIT_FAILPOINTS},finish.before:1` : COMMIT_FAILPOINTS;
        // In the kill phase the agent answers nothing from the moment a kill is decided until
        // this test has read the progress the next boot starts from. Without that, on a busy
        // machine, a slow start-up or a slow read before the kill let the run race through
        // the cells meant for later cycles, and it finished after 48 kills.
        if (cycles < MIN_CYCLES) agent.hold();
        else agent.release();
        const boot = await bootAssay(dataDir, { ASSAY_FAILPOINTS: armed });
        if (boot.kind === 'died') {
          // A failpoint fired while the server was still starting (it resumes runs first).
          selfKills++;
          afterDeath(null);
          continue;
        }
        const server = (last = boot.server);
        const client = server.client;
        const alive = () => server.proc.child.exitCode === null && server.proc.child.signalCode === null;
        if (!runId) {
          await client.json('POST', '/api/experiments', agentExperiment('killed', agent.url, ROWS, { execution: { concurrency: 20 } }));
          runId = (await client.json<{ runId: string }>('POST', '/api/experiments/killed/run')).runId;
        }

        if (cycles >= MIN_CYCLES) {
          leftAfterKillPhase ??= ROWS - onDisk(runId).cells.size;
          // Enough kills: let it finish (failpoints stay armed, so it may still die).
          for (;;) {
            const r = await client.getRun(runId).catch(() => null);
            if (r && r.status !== 'running') {
              done = true;
              break;
            }
            if (!alive()) break;
            await sleep(50);
          }
          if (!done) {
            await server.proc.exited;
            selfKills++;
            afterDeath(null);
          }
          continue;
        }

        // Kill after a random share of what is left (spread over the planned cycles), or now
        // and then after a random delay whatever the progress (during recovery, say).
        const start = await client.getRun(runId).catch(() => null);
        agent.release();
        if (start && start.status !== 'running') {
          // It finished before we got to kill it: this boot ends the run.
          done = true;
          continue;
        }
        const base = start?.progress ?? 0;
        let threshold: number | null = null;
        if (Math.random() < 0.1) await sleep(Math.random() * 150);
        else {
          const share = (ROWS - base) / Math.max(1, PLANNED_CYCLES - cycles);
          const target = base + Math.max(1, Math.round(Math.random() * 2 * share - overshoot));
          threshold = target;
          const deadline = Date.now() + 30_000;
          while (alive()) {
            const r = await client.getRun(runId).catch(() => null);
            if (!r || r.progress >= target || r.status !== 'running') break;
            if (Date.now() > deadline) throw new Error(`no progress past ${r.progress} in 30 s:\n${server.proc.output()}`);
            await sleep(5);
          }
          await sleep(Math.random() * 20);
        }
        // What the API shows as committed right before the kill must survive it. Calls in
        // flight wait from here on; answered cells may still commit.
        agent.hold();
        const shown = alive() ? await client.cells(runId).then((cells) => cells.map((c) => c.index)).catch(() => null) : null;
        const killedHere = alive();
        if (killedHere) await server.kill();
        else {
          await server.proc.exited;
          selfKills++;
        }
        const disk = afterDeath(shown);
        if (killedHere && start && threshold !== null) overshoot = 0.7 * overshoot + 0.3 * Math.max(0, disk.cells.size - threshold);
      }

      // Stopping this server gracefully is not part of the test: SIGTERM after the checks.
      const client = last!.client;
      const { problems, run } = await checkEndedRun(client, runId!, { rows: ROWS, targetIds: ['agent'], repeats: 1 });
      expect(run.status, `${run.error ?? ''} after ${cycles} cycles`).toBe('completed');
      expect(problems).toEqual([]);
      expect(run.summary).toMatchObject({ totalCells: ROWS, completedCells: ROWS, failedCells: 0, totalPassed: ROWS });

      expect(cycles).toBeGreaterThanOrEqual(MIN_CYCLES);
      expect(killedWhileRunning).toBeGreaterThanOrEqual(MIN_CYCLES);
      expect(killedBeforeFinish).toBeGreaterThanOrEqual(1);
      // No committed cell was ever called again; the ones committed before the first kill once.
      for (const [row, calls] of callsAtCommit) expect(agent.callsByKey.get(`q${row}`), `row ${row} called after its commit`).toBe(calls);
      for (const row of committedBeforeFirstKill) expect(agent.callsByKey.get(`q${row}`), `row ${row}`).toBe(1);
      for (let row = 0; row < ROWS; row++) expect(agent.callsByKey.get(`q${row}`) ?? 0, `row ${row} never called`).toBeGreaterThanOrEqual(1);
      // A row is called at most once per life of the server that ran while it was not on
      // disk: a row first found on disk after death k had at most k lives to be called in
      // (one not found after any death, all of them). How many rows a kill catches in flight
      // or waiting for a group commit depends on how busy the machine is, so there is no
      // fixed bound on the total.
      for (const [key, calls] of agent.callsByKey) {
        const row = Number(key.slice(1));
        expect(calls, `row ${row}: calls against lives before its commit`).toBeLessThanOrEqual(onDiskAtDeath.get(row) ?? cycles + 1);
      }
      console.log(`kill-restart: ${cycles} cycles (${selfKills} at failpoints, ${killedWhileRunning} while running, ${killedBeforeFinish} before finishing; ${leftAfterKillPhase} cells left after the kill phase), ${agent.calls} agent calls for ${ROWS} cells`);
    } finally {
      await last?.stop();
    }
  });
});
