// Sharded runs with two run hosts ("workers") in one process over one PostgreSQL schema, real
// time, and an in-memory shard queue that hands shards to the hosts in turn: the run is split,
// both hosts execute shards, the run's concurrency bounds both together, the row phase sees
// complete rows, the run ends exactly once with a gap-free log; an abort stops every shard and
// ends the run once; a resume continues it without running a committed cell again. Observed as
// an operator sees it: the coordinator starts (or continues) the run once and the run ends once
// with its totals, each shard finishing its share is a shard's ending, not an interruption.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { Semaphore } from '../../core/engine/limiter.js';
import type { EvaluatorDefinition } from '../../core/model/adapters.js';
import { experimentDocumentSchema } from '../../core/model/experiment.js';
import { CallError } from '../../core/model/results.js';
import type { RunRecord } from '../../core/model/run.js';
import { type ShardQueue, type Stores, systemClock } from '../../core/ports.js';
import type { OpenShard } from '../../core/shard-store.js';
import { InProcessQueue } from '../../queue/in-process.js';
import { postgresDatabase } from '../../testing/databases.js';
import { testExecutorDeps } from '../../testing/executor-deps.js';
import { openTestStores } from '../../testing/store-backends.js';
import { quietRunObserver } from '../../core/observe.js';
import { RunHost } from './host.js';
import type { ExecutionObserver } from './observation.js';

const ROWS = 300;
const CONCURRENCY = 6;

/** A row-scoped evaluator that records how many candidates each row showed it. */
const seen = new Map<string, number>();
const rowCheck: EvaluatorDefinition = {
  id: 'row-check', aliases: [], name: 'Row check', category: 'quality', description: '', requiredInputs: ['candidates'], optionalInputs: [], stringInputs: [],
  settings: z.object({}), result: ['passed'], needsModel: false, scope: 'row',
  create: () => ({
    evaluate: async (inputs) => {
      const candidates = inputs.candidates as { id: string; output: unknown }[];
      seen.set(String((candidates[0]!.output as { q: string }).q), candidates.length);
      return { status: 'processed', passed: true };
    },
  }),
};
const none: EvaluatorDefinition = { ...rowCheck, id: 'none', scope: 'cell', requiredInputs: [], create: () => ({ evaluate: async () => ({ status: 'processed', passed: true }) }) };

/** Shard jobs handed to the registered hosts in turn; one job per id, as BullMQ's job ids make it. */
class TurnQueue implements ShardQueue {
  private readonly handlers: ((runId: string, shard: number) => Promise<void>)[] = [];
  private readonly queued = new Set<string>();
  private turn = 0;
  async enqueueShards(runId: string, shards: OpenShard[]): Promise<void> {
    for (const s of shards) {
      const id = `${runId}.${s.shard}.${s.claims}`;
      if (this.queued.has(id) || this.handlers.length === 0) continue;
      this.queued.add(id);
      const handler = this.handlers[this.turn++ % this.handlers.length]!;
      void handler(runId, s.shard).finally(() => this.queued.delete(id));
    }
  }
  startShards(handler: (runId: string, shard: number) => Promise<void>): void {
    this.handlers.push(handler);
  }
}

const db = postgresDatabase();
let stores: Stores & { close(): Promise<void> };
const calls = new Map<string, number>();
let inFlight = 0;
let peak = 0;
let gate: Promise<void> = Promise.resolve();
/** Every call fails (a wrong key), each after 20 ms. */
let refusing = false;

/** What the hosts reported: per run, its beginnings and endings (with its totals), and how its shards ended (and why they stopped). */
const observed = new Map<string, { run: string[]; shards: string[] }>();
const note = (runId: string) => observed.get(runId) ?? observed.set(runId, { run: [], shards: [] }).get(runId)!;
const recorder: ExecutionObserver = {
  started(run, shape, resumed) {
    note(run.id).run.push(resumed ? 'continued' : 'started');
    return { ...quietRunObserver.started(run, shape, resumed), ended: (outcome, totals) => note(run.id).run.push(`${outcome.kind} ${totals?.cellsCommitted}`) };
  },
  shardStarted(run, shape, shard) {
    return { ...quietRunObserver.started(run, shape, true), ended: (outcome) => note(run.id).shards.push(`${shard.shard} ${outcome.kind}${outcome.kind === 'stopped' ? ` ${outcome.reason}` : ''}`) };
  },
};

function host(owner: string, queue: TurnQueue, shared: Semaphore): RunHost {
  const deps = testExecutorDeps({
    stores, clock: systemClock,
    createTarget: (t) => ({
      call: async ({ row }) => {
        const key = `${String(row.q)}/${t.id}`;
        calls.set(key, (calls.get(key) ?? 0) + 1);
        inFlight++;
        peak = Math.max(peak, inFlight);
        await new Promise((r) => setTimeout(r, refusing ? 20 : 2));
        await gate;
        inFlight--;
        if (refusing) throw new CallError('HTTP 401: invalid api key', { retryable: false, status: 401 });
        return { output: { q: row.q } };
      },
    }),
    catalogue: { find: (type) => (type === 'row-check' ? rowCheck : none) },
    random: () => 0.5,
    pollMs: 50,
    observer: recorder,
  });
  return new RunHost(deps, new InProcessQueue(), {
    owner, sweepMs: 60_000, soleExecutor: false,
    // The run's concurrency shared by both hosts (Redis in a cluster: redis-run-slots.ts).
    sharding: { store: stores.shards!, queue, runSlots: () => (signal) => shared.acquire(signal) },
  });
}

function run(id: string): RunRecord {
  return {
    id, projectId: 'p1', experimentId: 'e1', experimentSlug: 'exp', status: 'running', total: ROWS * 2, progress: 0, startedAt: Date.now(), finishedAt: null,
    summary: null, error: null, errorMessage: null, stopReason: null, nextSeq: 2, abortRequested: false,
    spec: {
      experimentId: 'e1', experimentSlug: 'exp', experimentVersion: 1, rows: { kind: 'experiment', experimentId: 'e1', version: 1 }, sourceRowCount: ROWS,
      rowIndices: null, parameters: {}, targetIds: ['a', 'b'], evaluatorIds: ['cmp'], repeats: 1, concurrency: CONCURRENCY, timeoutMs: 5_000, maxRetries: 0,
      budgetUsd: null, cache: false, baselineRunId: null, webhookUrl: null, metadata: {}, runUrl: 'u',
    },
  };
}

async function ended(id: string): Promise<RunRecord> {
  for (let i = 0; i < 600; i++) {
    const r = await stores.runs.getById(id);
    if (r && r.status !== 'running') return r;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`run ${id} did not end`);
}

beforeAll(async () => {
  stores = await openTestStores(db, [{ id: 'p1', slug: 'one', name: 'One', createdAt: 1 }]);
  const doc = experimentDocumentSchema.parse({
    slug: 'exp', name: 'exp', dataset: { rows: Array.from({ length: ROWS }, (_, i) => ({ q: `q${i}` })) },
    targets: [{ id: 'a', type: 'code', code: 'return 1' }, { id: 'b', type: 'code', code: 'return 1' }],
    evaluators: [{ id: 'cmp', type: 'row-check' }],
  });
  await stores.experiments.create({ id: 'e1', projectId: 'p1', slug: 'exp', name: 'exp', document: doc, at: 1 });
}, 30_000);

afterAll(async () => {
  await stores?.close();
  await db.cleanup();
});

describe('a sharded run on two hosts', { timeout: 60_000 }, () => {
  it('is executed by both, within its concurrency, its row phase sees whole rows, and it ends once', async () => {
    const queue = new TurnQueue();
    const shared = new Semaphore(CONCURRENCY);
    const hosts = [host('w1', queue, shared), host('w2', queue, shared)];
    for (const h of hosts) await h.start();
    await stores.runs.create(run('r1'));
    await hosts[0]!.execute('r1');
    const end = await ended('r1');
    expect(end.status).toBe('completed');
    expect(end.progress).toBe(ROWS * 2);
    expect(await stores.shards!.counts('r1', Date.now())).toEqual({ total: 3, done: 3, held: 0 });
    const cells = await stores.runs.results('r1', 0, 1_000);
    expect(cells).toHaveLength(ROWS * 2);
    expect(new Set(cells.map((c) => c.workerId))).toEqual(new Set(['w1', 'w2']));
    expect([...calls.values()].every((n) => n === 1)).toBe(true);
    expect(calls.size).toBe(ROWS * 2);
    expect(peak).toBeLessThanOrEqual(CONCURRENCY);
    // Every row compared once, with both targets' outputs.
    expect(seen.size).toBe(ROWS);
    expect([...seen.values()].every((n) => n === 2)).toBe(true);
    const events = await stores.runs.runEvents('r1', 0, 10);
    expect(events.filter((e) => e.type === 'done')).toHaveLength(1);
    const cursor = await stores.runs.cursor('r1');
    const seqs = [
      ...events.map((e) => e.seq),
      ...cells.flatMap((c) => Array.from({ length: c.eventCount }, (_, i) => c.firstSeq + i)),
      ...(await stores.runs.rowResultsAfterSeq('r1', 0, 1_000)).map((r) => r.seq),
    ].sort((x, y) => x - y);
    expect(seqs).toEqual(Array.from({ length: cursor!.nextSeq - 1 }, (_, i) => i + 1));
    // Started once by its coordinator (the ending executor does not start it again), ended once
    // with every shard's cells; each shard finished its share.
    expect(observed.get('r1')!.run).toEqual(['started', `completed ${ROWS * 2}`]);
    expect(observed.get('r1')!.shards.sort()).toEqual(['0 completed', '1 completed', '2 completed']);
    for (const h of hosts) await h.shutdown();
  });

  it('an abort stops every shard and ends the run once; a resume continues it without running a committed cell again', async () => {
    calls.clear();
    const queue = new TurnQueue();
    const shared = new Semaphore(CONCURRENCY);
    const hosts = [host('w3', queue, shared), host('w4', queue, shared)];
    for (const h of hosts) await h.start();
    await stores.runs.create({ ...run('r2'), experimentId: 'e1' });
    let open!: () => void;
    gate = new Promise<void>((resolve) => (open = resolve));
    // The coordination resolves only when the run ends or stops here.
    const coordinated = hosts[0]!.execute('r2');
    // Cells wait at the gate: abort while both hosts hold shards. (The run's permits may all be
    // taken by one host's cells before the other claims its shard: wait for both, not one.)
    const held = async () => (await stores.shards!.counts('r2', Date.now())).held;
    const busy = async () => inFlight >= CONCURRENCY && (await held()) >= 2;
    for (let i = 0; i < 500 && !(await busy()); i++) await new Promise((r) => setTimeout(r, 10));
    expect(await held()).toBeGreaterThanOrEqual(2);
    await stores.runs.requestAbort('p1', 'r2');
    for (const h of hosts) h.abortLocal('r2');
    open();
    gate = Promise.resolve();
    const stopped = await ended('r2');
    await coordinated;
    expect(stopped.status).toBe('stopped');
    expect(stopped.progress).toBeLessThan(ROWS * 2);
    const stoppedEvents = await stores.runs.runEvents('r2', 0, 10);
    expect(stoppedEvents.filter((e) => e.type === 'stopped')).toHaveLength(1);

    expect(await stores.runs.reopen('p1', 'r2', false, Date.now())).not.toBeNull();
    void hosts[1]!.execute('r2');
    const end = await ended('r2');
    expect(end.status).toBe('completed');
    expect(end.progress).toBe(ROWS * 2);
    expect(calls.size).toBe(ROWS * 2);
    // Only cells in flight at the abort (abandoned, never committed) may have been called twice.
    const twice = [...calls.values()].filter((n) => n > 1).length;
    expect(twice).toBeLessThanOrEqual(CONCURRENCY);
    // Started, stopped with what was committed, continued by the resume, completed with the totals.
    expect(observed.get('r2')!.run).toEqual(['started', `stopped ${stopped.progress}`, 'continued', `completed ${ROWS * 2}`]);
    expect(observed.get('r2')!.shards.filter((s) => !/ (stopped user|completed)$/.test(s))).toEqual([]);
    for (const h of hosts) await h.shutdown();
  });

  it('fails a run whose calls all fail soon after the first ones did, stopping every shard; a resume with retryErrors completes it', async () => {
    calls.clear();
    const queue = new TurnQueue();
    const shared = new Semaphore(CONCURRENCY);
    const hosts = [host('w5', queue, shared), host('w6', queue, shared)];
    for (const h of hosts) await h.start();
    await stores.runs.create(run('r3'));
    refusing = true;
    await hosts[0]!.execute('r3');
    const failed = await ended('r3');
    expect(failed).toMatchObject({ status: 'failed', error: 'all_targets_failed', abortRequested: false });
    expect(failed.errorMessage).toMatch(/^The first \d+ target calls all failed, so the run stopped early; first error: [ab]: HTTP 401/);
    // Counted every 250 ms: 600 calls of 20 ms at 6 at once would take 2 s; the run stopped well before.
    expect(failed.progress).toBeGreaterThanOrEqual(20);
    expect(failed.progress).toBeLessThan(ROWS);
    expect(observed.get('r3')!.run).toEqual(['started', `failed ${failed.progress}`]);
    // The shards stopped by the coordinator say why: the error limit, not a user.
    const shardEnds = observed.get('r3')!.shards;
    expect(shardEnds.some((s) => s.endsWith(' stopped errors'))).toBe(true);
    expect(shardEnds.filter((s) => !/ (stopped errors|completed)$/.test(s))).toEqual([]);

    refusing = false;
    expect(await stores.runs.reopen('p1', 'r3', true, Date.now())).not.toBeNull();
    void hosts[1]!.execute('r3');
    const end = await ended('r3');
    expect(end).toMatchObject({ status: 'completed', progress: ROWS * 2, summary: { completedCells: ROWS * 2 } });
    for (const h of hosts) await h.shutdown();
  });
});
