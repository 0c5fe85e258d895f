// The executor over in-memory stores and a fake clock (milliseconds, no database, no network):
// every way a run ends, the event log it leaves, the live events, the lease, and continuing a
// resumed run without running a committed cell twice — observed as continued, not started.
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import type { RunEvent, LiveEvent } from '../../core/events.js';
import type { EvaluatorDefinition } from '../../core/model/adapters.js';
import { experimentDocumentSchema, type Row } from '../../core/model/experiment.js';
import { CallError, type TargetOutput } from '../../core/model/results.js';
import type { RunRecord, RunSpec } from '../../core/model/run.js';
import { quietRunObserver } from '../../core/observe.js';
import { InProcessEventBus } from '../../queue/event-bus.js';
import { testExecutorDeps } from '../../testing/executor-deps.js';
import { FakeClock } from '../../testing/fake-clock.js';
import { memoryStores } from '../../testing/memory-stores.js';
import { FAIL_FAST_CALLS } from '../../core/engine/run-ending.js';
import { MAX_EXECUTIONS, startExecution } from './executor.js';
import type { ExecutionObserver } from './observation.js';

/** Judges `output === row.expected`. */
const check: EvaluatorDefinition = {
  id: 'check', aliases: [], name: 'Check', category: 'quality', description: '', requiredInputs: [], optionalInputs: [], stringInputs: [],
  settings: z.object({}), result: ['passed'], needsModel: false,
  create: () => ({ evaluate: async (inputs, context) => ({ status: 'processed', passed: inputs.output === context.row.expected }) }),
};

type Behaviour = (targetId: string, row: Row, signal: AbortSignal) => Promise<TargetOutput>;

function setup(rows: Row[], behaviour: Behaviour, options: { spec?: Partial<RunSpec> } = {}) {
  const clock = new FakeClock();
  const stores = memoryStores();
  const bus = new InProcessEventBus();
  const calls: string[] = [];
  const doc = experimentDocumentSchema.parse({
    slug: 'exp', name: 'exp', dataset: { rows },
    targets: [{ id: 'a', type: 'code', code: 'return 1' }, { id: 'b', type: 'code', code: 'return 1' }],
    evaluators: [{ id: 'ok', type: 'check' }],
  });
  const deps = testExecutorDeps({
    stores, bus, clock,
    createTarget: (spec) => ({
      call: ({ row, signal }) => {
        calls.push(`${spec.id}:${String(row.q)}`);
        return behaviour(spec.id, row, signal);
      },
    }),
    catalogue: { find: (type) => (type === 'check' ? check : undefined) },
  });
  const spec: RunSpec = {
    experimentId: 'e1', experimentSlug: 'exp', experimentVersion: 1, rows: { kind: 'experiment', experimentId: 'e1', version: 1 },
    sourceRowCount: rows.length, rowIndices: null, parameters: {}, targetIds: ['a', 'b'], evaluatorIds: ['ok'], repeats: 1, concurrency: 4,
    timeoutMs: 60_000, maxRetries: 0, budgetUsd: null, cache: false, baselineRunId: null, webhookUrl: null, metadata: {}, runUrl: 'http://x/run',
    ...options.spec,
  };
  const run: RunRecord = {
    id: 'run_1', projectId: 'p1', experimentId: 'e1', experimentSlug: 'exp', status: 'running', total: rows.length * 2, progress: 0,
    startedAt: clock.now(), finishedAt: null, spec, summary: null, error: null, errorMessage: null, stopReason: null, nextSeq: 2, abortRequested: false,
  };
  const events: RunEvent[] = [];
  const live: LiveEvent[] = [];
  bus.subscribe('run_1', (batch) => events.push(...batch), (e) => live.push(e));

  async function prepare(): Promise<void> {
    await stores.experiments.create({ id: 'e1', projectId: 'p1', slug: 'exp', name: 'exp', document: doc, at: clock.now() });
    await stores.runs.create(run);
  }

  /** Claims the run as `owner` and executes it, moving the fake clock until the execution settles. */
  async function execute(owner = 'A', during?: () => Promise<void>) {
    const claimed = await stores.runs.claim('run_1', owner, clock.now() + deps.leaseMs, clock.now());
    if (!claimed) throw new Error('could not claim');
    const execution = startExecution(deps, claimed, owner);
    const state = { settled: false };
    void execution.done.then(() => (state.settled = true));
    if (during) await during();
    for (let i = 0; i < 10_000 && !state.settled; i++) await clock.advance(50);
    return execution.done;
  }

  return { clock, stores, bus, calls, events, live, deps, prepare, execute };
}

/** An observer noting each execution's beginning (`started` or `continued`) and its end with the run's cells committed. */
function recording(): { seen: string[]; observer: ExecutionObserver } {
  const seen: string[] = [];
  const observer: ExecutionObserver = {
    started(run, shape, resumed) {
      seen.push(resumed ? 'continued' : 'started');
      return { ...quietRunObserver.started(run, shape, resumed), ended: (outcome, totals) => seen.push(`${outcome.kind} ${totals?.cellsCommitted ?? '-'}`) };
    },
    shardStarted: (run, shape) => quietRunObserver.started(run, shape, true),
  };
  return { seen, observer };
}

const ROWS = [{ q: 1, expected: 'A1' }, { q: 2, expected: 'A2' }, { q: 3, expected: 'nope' }];
const answer: Behaviour = async (id, row) => ({ output: `${id.toUpperCase()}${String(row.q)}` });

describe('executor', () => {
  it('runs every cell, commits them with a gapless log, and ends with done and the summary', async () => {
    const t = setup(ROWS, answer);
    await t.prepare();
    expect(await t.execute()).toEqual({ kind: 'settled' });
    const run = (await t.stores.runs.get('p1', 'run_1'))!;
    expect(run.status).toBe('completed');
    expect(run.summary).toMatchObject({ totalCells: 6, completedCells: 6, totalPassed: 2, totalFailed: 4 });
    // What was published is what storage holds: seqs 2… without a gap, `done` last.
    expect(t.events.map((e) => e.seq)).toEqual(Array.from({ length: t.events.length }, (_, i) => i + 2));
    expect(t.events.at(-1)).toMatchObject({ type: 'done', summary: { totalCells: 6 } });
    expect((await t.stores.runs.runEvents('run_1', 0, 100)).map((e) => e.type)).toEqual(['execution_started', 'done']);
    // Every cell was announced live as it started, before any of its results.
    expect(t.live.filter((e) => e.type === 'cell_started')).toHaveLength(6);
    expect(t.calls.sort()).toEqual(['a:1', 'a:2', 'a:3', 'b:1', 'b:2', 'b:3']);
  });

  it('owes one webhook delivery with its finish, carrying the final poll body, and wakes the sender', async () => {
    const t = setup(ROWS, answer, { spec: { webhookUrl: 'https://hooks.example/assay', metadata: { commit: 'abc' } } });
    let woken = 0;
    t.deps.onDeliveryQueued = () => woken++;
    await t.prepare();
    await t.execute();
    const deliveries = t.stores.runs.deliveries('run_1');
    expect(deliveries).toHaveLength(1);
    expect(deliveries[0]).toMatchObject({ projectId: 'p1', runId: 'run_1', url: 'https://hooks.example/assay', event: 'run.finished' });
    const run = (await t.stores.runs.get('p1', 'run_1'))!;
    expect(JSON.parse(deliveries[0]!.payload)).toEqual({
      event: 'run.finished', deliveryId: deliveries[0]!.id, projectId: 'p1', experimentSlug: 'exp', runUrl: 'http://x/run',
      runId: 'run_1', status: 'completed', progress: 6, total: 6, startedAt: run.startedAt, finishedAt: run.finishedAt, summary: run.summary, metadata: { commit: 'abc' },
      request: { experimentVersion: 1, rows: { kind: 'experiment' }, rowCount: 3, rowIndices: null, parameters: {}, targets: ['a', 'b'], evaluators: ['ok'], repeats: 1 },
    });
    expect(woken).toBe(1);
    // Without a webhookUrl, nothing is owed.
    const plain = setup(ROWS, answer);
    await plain.prepare();
    await plain.execute();
    expect(plain.stores.runs.deliveries('run_1')).toEqual([]);
  });

  it('keeps the summary so far with every commit while the run goes', async () => {
    const gates: (() => void)[] = [];
    const t = setup(ROWS, (id, row, signal) => (row.q === 3 ? new Promise<void>((resolve) => gates.push(resolve)).then(() => answer(id, row, signal)) : answer(id, row, signal)));
    await t.prepare();
    const done = t.execute('A', async () => {
      for (let i = 0; i < 100 && (await t.stores.runs.get('p1', 'run_1'))!.progress < 4; i++) await t.clock.advance(50);
      const running = (await t.stores.runs.get('p1', 'run_1'))!;
      expect(running).toMatchObject({ status: 'running', progress: 4, summary: null });
      expect(running.liveSummary).toMatchObject({ totalCells: 4, completedCells: 4, failedCells: 0, totalPassed: 2, passRate: 50 });
      expect(running.updatedAt).toBeGreaterThan(running.startedAt);
      for (const open of gates) open();
    });
    await done;
    expect((await t.stores.runs.get('p1', 'run_1'))).toMatchObject({ status: 'completed', liveSummary: null, summary: { totalCells: 6 } });
  });

  it('announces a retry live when it is scheduled, and commits the cell with its attempts', async () => {
    let failures = 0;
    const t = setup([{ q: 1, expected: 'A1' }], async (id, row, signal) => {
      if (id === 'a' && failures++ === 0) throw new CallError('HTTP 503', { retryable: true, status: 503 });
      return answer(id, row, signal);
    }, { spec: { maxRetries: 2 } });
    await t.prepare();
    await t.execute();
    const retrying = t.live.filter((e) => e.type === 'retrying');
    expect(retrying).toEqual([{ type: 'retrying', rowIndex: 0, targetId: 'a', repeat: 0, attempt: 1, delayMs: 0, reason: 'HTTP 503' }]);
    // Live before the cell's results were published.
    const cell = (await t.stores.runs.cellsInRange('run_1', 0, 1))[0]!;
    expect(cell).toMatchObject({ attempts: 2, retries: [{ attempt: 1, reason: 'HTTP 503' }] });
    expect(t.events.filter((e) => e.type === 'retrying')).toHaveLength(1);
  });

  it('stops within a poll when any process sets the abort flag; in-flight cells are not committed', async () => {
    const t = setup(ROWS, (id, row, signal) =>
      row.q === 1 ? answer(id, row, signal) : new Promise<TargetOutput>((_, reject) => signal.addEventListener('abort', () => reject(signal.reason), { once: true })),
    );
    await t.prepare();
    await t.execute('A', async () => {
      await t.clock.advance(100);
      await t.stores.runs.requestAbort('p1', 'run_1');
    });
    const run = (await t.stores.runs.get('p1', 'run_1'))!;
    expect(run).toMatchObject({ status: 'stopped', stopReason: 'user' });
    expect((await t.stores.runs.committedCells('run_1')).sort()).toEqual([0, 1]);
    expect(t.events.at(-1)).toMatchObject({ type: 'stopped', reason: 'user' });
  });

  it('stops without ending the run when another executor took its lease', async () => {
    const t = setup(ROWS, (id, row, signal) => new Promise<TargetOutput>((_, reject) => signal.addEventListener('abort', () => reject(signal.reason), { once: true })));
    await t.prepare();
    await t.execute('A', async () => {
      // B believes A's lease expired (its clock is ahead) and takes the run; A's next renewal fails.
      await t.clock.advance(1_000);
      expect(await t.stores.runs.claim('run_1', 'B', t.clock.now() + 100_000, t.clock.now() + 60_000)).not.toBeNull();
    });
    const run = (await t.stores.runs.get('p1', 'run_1'))!;
    expect(run.status).toBe('running');
    expect(await t.stores.runs.committedCells('run_1')).toEqual([]);
    expect(t.events).toEqual([]);
    // B still holds the lease: A's shutdown released nothing of B's.
    expect(await t.stores.runs.renew('run_1', 'B', t.clock.now() + 100_000)).toBe(true);
  });

  it('stops for the budget once the spent cost reaches it', async () => {
    const t = setup(ROWS, async (id, row) => ({ output: `${id}${String(row.q)}`, cost: 0.5 }), { spec: { budgetUsd: 1, concurrency: 1 } });
    await t.prepare();
    await t.execute();
    const run = (await t.stores.runs.get('p1', 'run_1'))!;
    expect(run).toMatchObject({ status: 'stopped', stopReason: 'budget' });
    // One cell at a time: two cells reach $1 and no third one starts.
    expect(run.summary!.totalCost).toBe(1);
    expect(run.progress).toBe(2);
  });

  it('fails a run whose every target call failed, naming the first error', async () => {
    const t = setup(ROWS, async () => {
      throw new CallError('HTTP 400: bad request', { retryable: false, status: 400 });
    });
    await t.prepare();
    await t.execute();
    const run = (await t.stores.runs.get('p1', 'run_1'))!;
    expect(run).toMatchObject({ status: 'failed', error: 'all_targets_failed' });
    expect(run.errorMessage).toMatch(/^Every target call failed; first error: [ab]: HTTP 400: bad request$/);
    expect(t.events.at(-1)).toMatchObject({ type: 'error', code: 'all_targets_failed' });
  });

  describe('stopping early for errors', () => {
    const many = Array.from({ length: 100 }, (_, i) => ({ q: i, expected: `A${i}` }));
    const refused = async (): Promise<TargetOutput> => {
      throw new CallError('HTTP 401: invalid api key', { retryable: false, status: 401 });
    };

    it(`fails a run whose first ${FAIL_FAST_CALLS} target calls all failed, without calling the rest, and runs them on a resume`, async () => {
      let broken = true;
      const t = setup(many, (id, row, signal) => (broken ? refused() : answer(id, row, signal)));
      await t.prepare();
      await t.execute();
      const run = (await t.stores.runs.get('p1', 'run_1'))!;
      expect(run).toMatchObject({ status: 'failed', error: 'all_targets_failed' });
      expect(run.errorMessage).toMatch(/^The first \d+ target calls all failed, so the run stopped early; first error: [ab]: HTTP 401: invalid api key\. Fix the cause/);
      // Dispatch stopped at the 20th failure; the four cells in flight then finished.
      expect(t.calls.length).toBeGreaterThanOrEqual(FAIL_FAST_CALLS);
      expect(t.calls.length).toBeLessThanOrEqual(FAIL_FAST_CALLS + 4);
      expect(run.progress).toBe(t.calls.length);
      expect(run.summary).toMatchObject({ totalCells: t.calls.length, completedCells: 0, failedCells: t.calls.length });
      expect(t.events.at(-1)).toMatchObject({ type: 'error', code: 'all_targets_failed' });

      // The key fixed, a resume with retryErrors runs every cell, the failed ones again.
      broken = false;
      expect(await t.stores.runs.reopen('p1', 'run_1', true, t.clock.now())).not.toBeNull();
      await t.execute('B');
      expect(await t.stores.runs.get('p1', 'run_1')).toMatchObject({ status: 'completed', progress: 200, summary: { totalCells: 200, completedCells: 200 } });
    });

    it('counts each execution afresh: a resume without retryErrors runs the cells not yet run', async () => {
      let broken = true;
      const t = setup(many, (id, row, signal) => (broken ? refused() : answer(id, row, signal)));
      await t.prepare();
      await t.execute();
      const failed = (await t.stores.runs.get('p1', 'run_1'))!.progress;
      broken = false;
      expect(await t.stores.runs.reopen('p1', 'run_1', false, t.clock.now())).not.toBeNull();
      await t.execute('B');
      expect(await t.stores.runs.get('p1', 'run_1')).toMatchObject({ status: 'completed', summary: { totalCells: 200, completedCells: 200 - failed, failedCells: failed } });
    });

    it('goes on when some calls succeed: one broken target of two does not stop the run', async () => {
      const t = setup(many, (id, row, signal) => (id === 'a' ? refused() : answer(id, row, signal)), { spec: { concurrency: 1 } });
      await t.prepare();
      await t.execute();
      expect(await t.stores.runs.get('p1', 'run_1')).toMatchObject({ status: 'completed', summary: { totalCells: 200, completedCells: 100, failedCells: 100 } });
    });

    it('stops at maxErrors failed calls even when others succeed, with stopReason errors', async () => {
      const t = setup(many, (id, row, signal) => (id === 'a' ? refused() : answer(id, row, signal)), { spec: { concurrency: 1, maxErrors: 5 } });
      await t.prepare();
      await t.execute();
      const run = (await t.stores.runs.get('p1', 'run_1'))!;
      expect(run).toMatchObject({ status: 'stopped', stopReason: 'errors', error: null, summary: { stopReason: 'errors', failedCells: 5 } });
      // One cell at a time, row-major (a then b): the fifth failure is row 4's a.
      expect(run.progress).toBe(9);
      expect(t.events.at(-1)).toMatchObject({ type: 'stopped', reason: 'errors' });
    });

    it('with maxErrors, no early stop until that many failed, then failed when none succeeded', async () => {
      const t = setup(many, refused, { spec: { concurrency: 1, maxErrors: 50 } });
      await t.prepare();
      await t.execute();
      const run = (await t.stores.runs.get('p1', 'run_1'))!;
      expect(run).toMatchObject({ status: 'failed', error: 'all_targets_failed', progress: 50 });
      expect(run.errorMessage).toMatch(/^The first 50 target calls all failed/);
    });

    it('completes as usual when the limit is reached by the last cells', async () => {
      const t = setup(ROWS, refused, { spec: { concurrency: 1, maxErrors: 6 } });
      await t.prepare();
      await t.execute();
      const run = (await t.stores.runs.get('p1', 'run_1'))!;
      expect(run).toMatchObject({ status: 'failed', error: 'all_targets_failed', progress: 6 });
      expect(run.errorMessage).toMatch(/^Every target call failed/);
    });
  });

  it(`gives up a run whose executions died ${MAX_EXECUTIONS} times in a row without committing`, async () => {
    const t = setup(ROWS, answer);
    await t.prepare();
    for (let i = 0; i < MAX_EXECUTIONS; i++) await t.stores.runs.countExecution('run_1');
    await t.execute();
    expect(await t.stores.runs.get('p1', 'run_1')).toMatchObject({ status: 'failed', error: 'run_crashed_repeatedly' });
    expect(t.calls).toEqual([]);
  });

  it('continues a resumed run: committed cells are neither run again nor counted twice', async () => {
    const t = setup(ROWS, (id, row, signal) =>
      row.q === 3 ? new Promise<TargetOutput>((_, reject) => signal.addEventListener('abort', () => reject(signal.reason), { once: true })) : answer(id, row, signal),
    );
    const observed = recording();
    t.deps.observer = observed.observer;
    await t.prepare();
    await t.execute('A', async () => {
      for (let i = 0; i < 20 && (await t.stores.runs.committedCells('run_1')).length < 4; i++) await t.clock.advance(50);
      await t.stores.runs.requestAbort('p1', 'run_1');
    });
    expect((await t.stores.runs.get('p1', 'run_1'))!.status).toBe('stopped');
    const callsBefore = t.calls.length;
    expect(await t.stores.runs.reopen('p1', 'run_1', false, t.clock.now())).not.toBeNull();
    // Row 3 answers now.
    const { progress: kept } = (await t.stores.runs.get('p1', 'run_1'))!;
    const resumed = setup(ROWS, answer);
    Object.assign(resumed.deps, { stores: t.stores, bus: t.bus, clock: t.clock, observer: observed.observer });
    const claimed = (await t.stores.runs.claim('run_1', 'B', t.clock.now() + 15_000, t.clock.now()))!;
    const execution = startExecution(resumed.deps, claimed, 'B');
    const state = { settled: false };
    void execution.done.then(() => (state.settled = true));
    for (let i = 0; i < 10_000 && !state.settled; i++) await t.clock.advance(50);
    expect(resumed.calls.sort()).toEqual(['a:3', 'b:3']);
    expect(callsBefore).toBeGreaterThanOrEqual(4);
    const run = (await t.stores.runs.get('p1', 'run_1'))!;
    expect(run).toMatchObject({ status: 'completed', progress: 6, summary: { totalCells: 6, completedCells: 6 } });
    // The log: … stopped, resumed, the re-run cells, done — no gap.
    const log = await t.stores.runs.runEvents('run_1', 0, 100);
    expect(log.map((e) => e.type)).toEqual(['execution_started', 'stopped', 'resumed', 'done']);
    // The resumed execution continues the run (a reopen resets the executions count) and ends
    // it with every execution's cells.
    expect(observed.seen).toEqual(['started', `stopped ${kept}`, 'continued', 'completed 6']);
  });

  it('observes a new run as started, and one taken over after its executor died as continued', async () => {
    const fresh = setup(ROWS, answer);
    const freshSeen = recording();
    fresh.deps.observer = freshSeen.observer;
    await fresh.prepare();
    await fresh.execute();
    expect(freshSeen.seen).toEqual(['started', 'completed 6']);

    const crashed = setup(ROWS, answer);
    const crashedSeen = recording();
    crashed.deps.observer = crashedSeen.observer;
    await crashed.prepare();
    // An execution counted and killed before it wrote anything.
    await crashed.stores.runs.countExecution('run_1');
    await crashed.execute();
    expect(crashedSeen.seen).toEqual(['continued', 'completed 6']);
  });

  it('fails a run whose experiment version is gone', async () => {
    const t = setup(ROWS, answer, { spec: { experimentVersion: 99 } });
    await t.prepare();
    await t.execute();
    expect(await t.stores.runs.get('p1', 'run_1')).toMatchObject({ status: 'failed', error: 'experiment_missing' });
    expect(t.calls).toEqual([]);
  });
});
