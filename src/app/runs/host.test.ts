// The run host over in-memory stores and a fake clock: runs from the queue and the recovery
// sweep, one execution per run however many wake-ups arrive, failed executions retried with
// backoff on the clock, and a shutdown that leaves runs for the next process.
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import type { EvaluatorDefinition } from '../../core/model/adapters.js';
import { experimentDocumentSchema } from '../../core/model/experiment.js';
import type { RunRecord } from '../../core/model/run.js';
import type { RunStore } from '../../core/run-store.js';
import { InProcessQueue } from '../../queue/in-process.js';
import { testExecutorDeps } from '../../testing/executor-deps.js';
import { FakeClock } from '../../testing/fake-clock.js';
import { memoryStores } from '../../testing/memory-stores.js';
import { RETRY_BASE_MS, RunHost } from './host.js';
import { Semaphore } from '../../core/engine/limiter.js';

const none: EvaluatorDefinition = {
  id: 'none', aliases: [], name: 'None', category: 'quality', description: '', requiredInputs: [], optionalInputs: [], stringInputs: [],
  settings: z.object({}), result: ['passed'], needsModel: false, create: () => ({ evaluate: async () => ({ status: 'processed', passed: true }) }),
};

async function setup() {
  const clock = new FakeClock();
  const stores = memoryStores();
  const calls: string[] = [];
  const deps = testExecutorDeps({
    stores, clock,
    createTarget: () => ({ call: async ({ row }) => (calls.push(String(row.q)), { output: row.q }) }),
    catalogue: { find: () => none },
    random: () => 0.5,
  });
  const doc = experimentDocumentSchema.parse({ slug: 'exp', name: 'exp', dataset: { rows: [{ q: 'a' }, { q: 'b' }] }, targets: [{ id: 't', type: 'code', code: 'return 1' }] });
  await stores.experiments.create({ id: 'e1', projectId: 'p1', slug: 'exp', name: 'exp', document: doc, at: clock.now() });
  const run = (id: string): RunRecord => ({
    id, projectId: 'p1', experimentId: 'e1', experimentSlug: 'exp', status: 'running', total: 2, progress: 0, startedAt: clock.now(), finishedAt: null,
    summary: null, error: null, errorMessage: null, stopReason: null, nextSeq: 2, abortRequested: false,
    spec: {
      experimentId: 'e1', experimentSlug: 'exp', experimentVersion: 1, rows: { kind: 'experiment', experimentId: 'e1', version: 1 }, sourceRowCount: 2,
      rowIndices: null, parameters: {}, targetIds: ['t'], evaluatorIds: [], repeats: 1, concurrency: 2, timeoutMs: 1_000, maxRetries: 0, budgetUsd: null,
      cache: false, baselineRunId: null, webhookUrl: null, metadata: {}, runUrl: 'u',
    },
  });
  const queue = new InProcessQueue();
  const host = new RunHost(deps, queue, { owner: 'me', sweepMs: 5_000, soleExecutor: false });
  /** Moves the clock until `done` holds (each step lets commits and timers run). */
  const until = async (done: () => Promise<boolean>) => {
    for (let i = 0; i < 2_000 && !(await done()); i++) await clock.advance(50);
  };
  const status = async (id: string) => (await stores.runs.get('p1', id))?.status;
  return { clock, stores, calls, deps, queue, host, run, until, status };
}

describe('RunHost', () => {
  it('executes a run taken from the queue once, however many wake-ups arrive', async () => {
    const t = await setup();
    await t.stores.runs.create(t.run('r1'));
    await t.host.start();
    await Promise.all([t.queue.enqueue('r1'), t.queue.enqueue('r1'), t.host.execute('r1')]);
    await t.until(async () => (await t.status('r1')) !== 'running');
    expect(await t.status('r1')).toBe('completed');
    expect(t.calls.sort()).toEqual(['a', 'b']);
    await t.host.shutdown();
  });

  it('executes at most maxRuns runs at once, leaving the others to later sweeps', async () => {
    const t = await setup();
    const host = new RunHost({ ...t.deps, createTarget: () => ({ call: async ({ row, signal }) => (await t.clock.sleep(300, signal), { output: row.q }) }) }, t.queue, {
      owner: 'me', sweepMs: 5_000, soleExecutor: false, maxRuns: 1,
    });
    for (const id of ['m1', 'm2', 'm3']) await t.stores.runs.create(t.run(id));
    await host.start();
    // Three wake-ups at once (two direct, one through the queue): one run executes.
    void host.execute('m1');
    void host.execute('m2');
    await t.queue.enqueue('m3');
    let most = 0;
    await t.until(async () => {
      most = Math.max(most, host.activeRuns);
      const statuses = await Promise.all(['m1', 'm2', 'm3'].map((id) => t.status(id)));
      return statuses.every((s) => s === 'completed');
    });
    expect(await Promise.all(['m1', 'm2', 'm3'].map((id) => t.status(id)))).toEqual(['completed', 'completed', 'completed']);
    expect(most).toBe(1);
    await host.shutdown();
  });

  it('bounds the cells in flight across all runs by cellSlots (ASSAY_WORKER_CONCURRENCY)', async () => {
    const t = await setup();
    let inFlight = 0;
    let most = 0;
    const host = new RunHost(
      {
        ...t.deps,
        cellSlots: new Semaphore(2),
        createTarget: () => ({
          call: async ({ row, signal }) => {
            most = Math.max(most, ++inFlight);
            try {
              await t.clock.sleep(100, signal);
            } finally {
              inFlight--;
            }
            return { output: row.q };
          },
        }),
      },
      t.queue,
      { owner: 'me', sweepMs: 5_000, soleExecutor: false },
    );
    const ids = ['c1', 'c2', 'c3'];
    // Three runs of two cells each, each allowed two at once: six could be in flight.
    for (const id of ids) await t.stores.runs.create(t.run(id));
    await host.start();
    for (const id of ids) await t.queue.enqueue(id);
    await t.until(async () => (await Promise.all(ids.map((id) => t.status(id)))).every((s) => s === 'completed'));
    expect(await Promise.all(ids.map((id) => t.status(id)))).toEqual(['completed', 'completed', 'completed']);
    expect(most).toBe(2);
    await host.shutdown();
  });

  it('a run stopped while its cells wait for cellSlots leaves them undone, not failed', async () => {
    const t = await setup();
    const host = new RunHost(
      { ...t.deps, cellSlots: new Semaphore(1), createTarget: () => ({ call: async ({ row, signal }) => (await t.clock.sleep(10_000, signal), { output: row.q }) }) },
      t.queue,
      { owner: 'me', sweepMs: 5_000, soleExecutor: false },
    );
    await t.stores.runs.create(t.run('w1'));
    await host.start();
    await t.queue.enqueue('w1');
    // One cell holds the only slot, the other waits for it; then the run is stopped.
    await t.clock.advance(500);
    expect(host.activeRuns).toBe(1);
    host.abortLocal('w1');
    await t.until(async () => (await t.status('w1')) !== 'running');
    expect(await t.status('w1')).toBe('stopped');
    expect(await t.stores.runs.committedCells('w1')).toEqual([]);
    await host.shutdown();
  });

  it('picks up a run nobody executes on its sweep', async () => {
    const t = await setup();
    await t.stores.runs.create(t.run('orphan'));
    // Left by a process that died holding the lease until t+15 s.
    await t.stores.runs.claim('orphan', 'dead', t.clock.now() + 15_000, t.clock.now());
    await t.host.start();
    await t.clock.advance(10_000);
    expect(await t.status('orphan')).toBe('running');
    expect(t.calls).toEqual([]);
    await t.until(async () => (await t.status('orphan')) !== 'running');
    expect(await t.status('orphan')).toBe('completed');
    await t.host.shutdown();
  });

  it('retries an execution that failed (storage refusing a claim) with backoff, on the clock', async () => {
    const t = await setup();
    await t.stores.runs.create(t.run('r1'));
    const runs = t.stores.runs as RunStore;
    const claim = runs.claim.bind(runs);
    let refusals = 2;
    runs.claim = (...args) => (refusals-- > 0 ? Promise.reject(new Error('disk full')) : claim(...args));
    await t.host.execute('r1');
    expect(refusals).toBe(1);
    // The first retry waits at least half the base delay; nothing happens before.
    await t.clock.advance(RETRY_BASE_MS / 2 - 1);
    expect(refusals).toBe(1);
    await t.until(async () => (await t.status('r1')) === 'completed');
    expect(refusals).toBe(-1);
    expect(t.calls.sort()).toEqual(['a', 'b']);
    await t.host.shutdown();
  });

  it('shuts down without ending its runs: the next process continues them', async () => {
    const t = await setup();
    t.deps.createTarget = () => ({ call: ({ signal }) => new Promise((_, reject) => signal.addEventListener('abort', () => reject(signal.reason), { once: true })) });
    await t.stores.runs.create(t.run('r1'));
    await t.host.start();
    await t.queue.enqueue('r1');
    await t.clock.advance(100);
    expect(t.host.activeRuns).toBe(1);
    const closing = t.host.shutdown();
    await t.clock.advance(100);
    await closing;
    expect(await t.status('r1')).toBe('running');
    // The lease was given back: another process can claim the run at once.
    expect(await t.stores.runs.claim('r1', 'next', t.clock.now() + 15_000, t.clock.now())).not.toBeNull();
  });
});
