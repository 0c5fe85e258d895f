// A run's running time (docs/decisions.md, "A resumed run's running time") through the executor
// over SQLite, PostgreSQL and the in-memory stores, on the fake clock: a stop, a pause and a
// resume give a summary whose `duration` counts the pause and whose `runningTime` is the sum of
// the two executions; a takeover after a restart is no pause (the run stayed `running`).
import { afterAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import type { EvaluatorDefinition } from '../../core/model/adapters.js';
import { experimentDocumentSchema } from '../../core/model/experiment.js';
import type { RunRecord, RunSpec } from '../../core/model/run.js';
import { testExecutorDeps } from '../../testing/executor-deps.js';
import { FakeClock } from '../../testing/fake-clock.js';
import { storeBackends } from '../../testing/store-backends.js';
import { type Execution, startExecution } from './executor.js';

const check: EvaluatorDefinition = {
  id: 'check', aliases: [], name: 'Check', category: 'quality', description: '', requiredInputs: [], optionalInputs: [], stringInputs: [],
  settings: z.object({}), result: ['passed'], needsModel: false,
  create: () => ({ evaluate: async () => ({ status: 'processed', passed: true }) }),
};

/** Each target call takes this long on the fake clock. */
const CALL_MS = 1_000;
/** How long the run stands stopped before its resume. */
const PAUSE_MS = 165_000;
const ROWS = [{ q: 1 }, { q: 2 }, { q: 3 }, { q: 4 }];

const backends = storeBackends([{ id: 'p1', slug: 'one', name: 'One', createdAt: 1 }]);

describe.each(backends)('running time on $name', (backend) => {
  afterAll(() => backend.cleanup());

  async function setup() {
    const stores = await backend.open();
    const clock = new FakeClock();
    const deps = testExecutorDeps({
      stores, clock,
      createTarget: () => ({ call: async ({ row, signal }) => (await clock.sleep(CALL_MS, signal), { output: String(row.q) }) }),
      catalogue: { find: (type) => (type === 'check' ? check : undefined) },
    });
    const document = experimentDocumentSchema.parse({
      slug: 'exp', name: 'exp', dataset: { rows: ROWS },
      targets: [{ id: 'a', type: 'code', code: 'return 1' }, { id: 'b', type: 'code', code: 'return 1' }],
      evaluators: [{ id: 'ok', type: 'check' }],
    });
    await stores.experiments.create({ id: 'e1', projectId: 'p1', slug: 'exp', name: 'exp', document, at: clock.now() });
    const spec: RunSpec = {
      experimentId: 'e1', experimentSlug: 'exp', experimentVersion: 1, rows: { kind: 'experiment', experimentId: 'e1', version: 1 },
      sourceRowCount: ROWS.length, rowIndices: null, parameters: {}, targetIds: ['a', 'b'], evaluatorIds: ['ok'], repeats: 1, concurrency: 2,
      timeoutMs: 60_000, maxRetries: 0, budgetUsd: null, cache: false, baselineRunId: null, webhookUrl: null, metadata: {}, runUrl: 'http://x/run',
    };
    const run: RunRecord = {
      id: 'run_1', projectId: 'p1', experimentId: 'e1', experimentSlug: 'exp', status: 'running', total: ROWS.length * 2, progress: 0,
      startedAt: clock.now(), finishedAt: null, spec, summary: null, error: null, errorMessage: null, stopReason: null, nextSeq: 2, abortRequested: false,
    };
    await stores.runs.create(run);

    /** Claims the run as `owner` and executes it, moving the fake clock until the execution settles. */
    async function execute(owner: string, during?: (execution: Execution) => Promise<void>) {
      const claimed = await stores.runs.claim('run_1', owner, clock.now() + deps.leaseMs, clock.now());
      if (!claimed) throw new Error('could not claim');
      const execution = startExecution(deps, claimed, owner);
      const state = { settled: false };
      void execution.done.then(() => (state.settled = true));
      if (during) await during(execution);
      for (let i = 0; i < 10_000 && !state.settled; i++) await clock.advance(50);
      expect(state.settled).toBe(true);
    }
    /** Moves the clock until `n` cells are committed. */
    async function until(n: number) {
      for (let i = 0; i < 1_000 && (await stores.runs.committedCells('run_1')).length < n; i++) await clock.advance(50);
    }
    const read = async () => (await stores.runs.get('p1', 'run_1'))!;
    return { stores, clock, startedAt: run.startedAt, execute, until, read, close: () => stores.close() };
  }

  it('leaves the pause between a stop and a resume out of runningTime; duration keeps it', async () => {
    const t = await setup();
    try {
      await t.execute('A', async () => {
        await t.until(2);
        await t.stores.runs.requestAbort('p1', 'run_1');
      });
      const stopped = await t.read();
      expect(stopped.status).toBe('stopped');
      const first = stopped.finishedAt! - t.startedAt;
      expect(stopped.summary).toMatchObject({ duration: first, runningTime: first });

      await t.clock.advance(PAUSE_MS);
      const reopenedAt = t.clock.now();
      expect(await t.stores.runs.reopen('p1', 'run_1', false, reopenedAt)).not.toBeNull();
      await t.execute('B');
      const run = await t.read();
      expect(run.status).toBe('completed');
      const second = run.finishedAt! - reopenedAt;
      const summary = run.summary!;
      expect(summary.duration).toBe(run.finishedAt! - t.startedAt);
      // The sum of the two executions, to the millisecond; the pause is in duration only.
      expect(summary.runningTime).toBe(first + second);
      expect(summary.duration - summary.runningTime!).toBe(reopenedAt - stopped.finishedAt!);
      expect(reopenedAt - stopped.finishedAt!).toBeGreaterThanOrEqual(PAUSE_MS);
      // Each cell took CALL_MS, two at a time: 8 cells ran at least 4 calls' time, whichever execution ran them.
      expect(summary.runningTime).toBeGreaterThanOrEqual(4 * CALL_MS);
    } finally {
      await t.close();
    }
  });

  it('counts the time between a restart and a takeover as running: the run never stopped', async () => {
    const t = await setup();
    try {
      await t.execute('A', async (execution) => {
        await t.until(2);
        execution.stop('shutdown');
      });
      expect((await t.read()).status).toBe('running');
      await t.clock.advance(30_000);
      await t.execute('B');
      const run = await t.read();
      expect(run.status).toBe('completed');
      expect(run.summary!.runningTime).toBe(run.summary!.duration);
      expect(run.summary!.duration).toBeGreaterThanOrEqual(30_000);
    } finally {
      await t.close();
    }
  });
});
