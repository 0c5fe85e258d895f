// One contract for the run store and the response cache, on SQLite, PostgreSQL and in memory
// (src/testing/memory-run-store.ts, which the unit tests of the executor and the host use):
// records, leases and their fence, storage-assigned seqs, commit order and progress, finishing,
// reopening (with retryErrors: the history of re-run cells kept in the log, no gap, no reused
// order), event reads from any point, and paging.
import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import { readEventPage } from '../app/runs/event-page.js';
import { itemOutput } from '../core/compare/item-output.js';
import type { RunEvent } from '../core/events.js';
import type { RowResult, RunRecord, RunSummary, StoredEvaluation } from '../core/model/run.js';
import type { ResponseCacheStore } from '../core/ports.js';
import type { CellDraft, RowDraft, RunStore } from '../core/run-store.js';
import type { ReviewStore, StoredReview } from '../core/review-store.js';
import { InProcessEventBus } from '../queue/event-bus.js';
import { storeBackends } from '../testing/store-backends.js';

function runRecord(id: string, over: Partial<RunRecord> = {}): RunRecord {
  return {
    id, projectId: 'p1', experimentId: 'e1', experimentSlug: 'exp', status: 'running', total: 6, progress: 0,
    startedAt: 1_000, finishedAt: null, summary: null, error: null, errorMessage: null, stopReason: null, nextSeq: 2, abortRequested: false,
    spec: {
      experimentId: 'e1', experimentSlug: 'exp', experimentVersion: 1, rows: { kind: 'inline' }, sourceRowCount: 3, rowIndices: null, parameters: {},
      targetIds: ['a', 'b'], evaluatorIds: ['exact'], repeats: 1, concurrency: 2, timeoutMs: 1_000, maxRetries: 0, budgetUsd: null, cache: false,
      baselineRunId: null, webhookUrl: null, metadata: {}, runUrl: `http://x/${id}`,
    },
    ...over,
  };
}

const evaluation: StoredEvaluation = { evaluatorId: 'exact', name: 'Exact', result: { status: 'processed', passed: true }, durationMs: 1 };

/** Cell `n` of the 3 rows × 2 targets plan; failed cells have no output and no evaluations. */
function draft(n: number, failed = false): CellDraft {
  const base = { cell: n, rowIndex: Math.floor(n / 2), targetId: n % 2 === 0 ? 'a' : 'b', repeat: 0, entry: { q: `q${Math.floor(n / 2)}` }, durationMs: 5, attempts: 1, retries: [], cached: false };
  return failed ? { ...base, ok: false, error: 'HTTP 500', evaluations: [] } : { ...base, ok: true, output: `out ${n}`, evaluations: [evaluation] };
}

const rowDraft = (rowPos: number): RowDraft => ({
  rowPos, rowIndex: rowPos, repeat: 0, evaluatorId: 'cmp', targetId: 'a', candidates: ['a', 'b'], evaluation: { ...evaluation, evaluatorId: 'cmp' },
});

const summary = (runId: string): RunSummary => ({
  runId, totalCells: 6, completedCells: 6, failedCells: 0, duration: 10, timestamps: { startedAt: 1_000, finishedAt: 1_010 }, runUrl: 'u',
  totalPassed: 6, totalFailed: 0, passRate: 100, totalCost: 0, targetCost: 0, evaluatorCost: 0, targets: [], evaluators: [],
});

async function* batches(rows: Record<string, unknown>[]) {
  yield rows;
}

/** Every event of the run from the start, read the way streams read them (storage only, the bus being empty). */
async function wholeLog(runs: RunStore, runId: string, total: number): Promise<RunEvent[]> {
  const bus = new InProcessEventBus();
  const out: RunEvent[] = [];
  for (let after = 0; ; ) {
    const { events: page } = await readEventPage({ runs }, bus, runId, total, after, 7);
    if (page.length === 0) return out;
    out.push(...page);
    after = page[page.length - 1]!.seq;
  }
}

// Runs reference their project.
const backends = storeBackends([{ id: 'p1', slug: 'one', name: 'One', createdAt: 1 }, { id: 'p2', slug: 'two', name: 'Two', createdAt: 2 }]);

describe.each(backends)('run store on $name', (backend) => {
  let runs: RunStore;
  let responses: ResponseCacheStore;
  let reviews: ReviewStore;
  let close = async () => {};
  afterAll(async () => {
    await close();
    await backend.cleanup();
  });
  beforeEach(async () => {
    await close();
    ({ runs, responses, reviews, close } = await backend.open());
  });

  it('creates a run with its first event and inline rows, and reads it back only in its project', async () => {
    await runs.create(runRecord('r1'), batches([{ q: 'a' }, { q: 'b' }, { q: 'c' }]));
    expect((await runs.get('p1', 'r1'))?.spec.targetIds).toEqual(['a', 'b']);
    expect(await runs.get('p2', 'r1')).toBeNull();
    expect((await runs.getById('r1'))?.nextSeq).toBe(2);
    expect(await runs.cursor('r1')).toEqual({ id: 'r1', projectId: 'p1', status: 'running', total: 6, progress: 0, nextSeq: 2, abortRequested: false });
    expect(await runs.cursor('nope')).toBeNull();
    expect(await runs.runEvents('r1', 0, 10)).toEqual([{ type: 'execution_started', runId: 'r1', total: 6, runUrl: 'http://x/r1', seq: 1 }]);
    expect(await runs.inlineRows('r1', 1, 3)).toEqual([{ q: 'b' }, { q: 'c' }]);
    // Sizes are the stored JSON's bytes (UTF-8), in order, and stop at the last row.
    expect(await runs.inlineRowSizes('r1', 1, 9)).toEqual([9, 9]);
    expect(await runs.inlineRowSizes('nope', 0, 3)).toEqual([]);
    await runs.create(runRecord('r2', { startedAt: 2_000 }));
    const page = await runs.list('p1', 'e1', { page: 1, pageSize: 1 });
    expect(page).toMatchObject({ total: 2, items: [{ id: 'r2' }] });
    expect((await runs.list('p1', 'e1', { page: 2, pageSize: 1 })).items.map((r) => r.id)).toEqual(['r1']);
    expect(await runs.statsByExperiment('p1', ['e1'])).toEqual(new Map([['e1', { runsCount: 2, lastRunAt: 2_000 }]]));
    expect((await runs.requestAbort('p1', 'r1'))?.abortRequested).toBe(true);
    expect(await runs.cursor('r1')).toMatchObject({ abortRequested: true });
    expect(await runs.cursor('r1')).not.toHaveProperty('abortReason');
    expect(await runs.requestAbort('p2', 'r1')).toBeNull();
    // A coordinator's stop for errors: the shards read why, and the run reads as aborted.
    expect((await runs.requestAbort('p1', 'r2', 'errors'))?.abortRequested).toBe(true);
    expect(await runs.cursor('r2')).toMatchObject({ abortRequested: true, abortReason: 'errors' });
  });

  it('keeps the summary so far and updatedAt of each commit, and drops the summary so far at the finish', async () => {
    await runs.create(runRecord('r1'));
    expect(await runs.get('p1', 'r1')).toMatchObject({ updatedAt: 1_000, liveSummary: null, summary: null });
    await runs.claim('r1', 'A', 60_000, 1_000);
    const soFar = { ...summary('r1'), totalCells: 2, completedCells: 1, failedCells: 1, totalPassed: 1, totalFailed: 1, passRate: 50 };
    await runs.commitCells('r1', 'A', [draft(0), draft(1, true)], 1_500, soFar);
    expect(await runs.get('p1', 'r1')).toMatchObject({ progress: 2, updatedAt: 1_500, liveSummary: soFar, summary: null });
    // A commit without one keeps the last (row results, say); the time still moves.
    await runs.commitCells('r1', 'A', [draft(2)], 1_600);
    expect(await runs.get('p1', 'r1')).toMatchObject({ progress: 3, updatedAt: 1_600, liveSummary: soFar });
    expect((await runs.list('p1', 'e1', { page: 1, pageSize: 5 })).items[0]).toMatchObject({ updatedAt: 1_600, liveSummary: soFar });
    await runs.finish('r1', 'A', { status: 'completed', summary: summary('r1'), error: null, errorMessage: null, stopReason: null, finishedAt: 2_000, event: { type: 'done', summary: summary('r1') } });
    expect(await runs.get('p1', 'r1')).toMatchObject({ updatedAt: 2_000, liveSummary: null, summary: summary('r1') });
  });

  it('filters the list by string metadata values', async () => {
    const withMeta = (id: string, startedAt: number, metadata: Record<string, unknown>) => {
      const r = runRecord(id, { startedAt });
      return { ...r, spec: { ...r.spec, metadata } };
    };
    await runs.create(withMeta('m1', 1, { suite: 'smoke', n: 1 }));
    await runs.create(withMeta('m2', 2, { suite: 'smoke', who: 'ana' }));
    await runs.create(withMeta('m3', 3, { suite: 'full', who: 'ana', n: '1' }));
    const ids = async (metadata: Record<string, string>) => (await runs.list('p1', 'e1', { page: 1, pageSize: 10 }, metadata)).items.map((r) => r.id);
    expect(await ids({})).toEqual(['m3', 'm2', 'm1']);
    expect(await ids({ suite: 'smoke' })).toEqual(['m2', 'm1']);
    expect(await ids({ suite: 'smoke', who: 'ana' })).toEqual(['m2']);
    expect(await ids({ n: '1' })).toEqual(['m3']);
    expect((await runs.list('p1', 'e1', { page: 1, pageSize: 1 }, { who: 'ana' })).total).toBe(2);
    expect((await runs.get('p1', 'm3'))?.spec.metadata).toEqual({ suite: 'full', who: 'ana', n: '1' });
  });

  it('leases: one owner at a time, taken over once expired, renewed and released only by their owner', async () => {
    await runs.create(runRecord('r1'));
    expect(await runs.claimable(100, 10)).toEqual(['r1']);
    expect(await runs.claim('r1', 'A', 5_000, 100)).not.toBeNull();
    expect(await runs.claimable(100, 10)).toEqual([]);
    expect(await runs.claim('r1', 'B', 6_000, 200)).toBeNull();
    expect(await runs.renew('r1', 'B', 9_000)).toBe(false);
    expect(await runs.renew('r1', 'A', 9_000)).toBe(true);
    // Expired: B takes it over, and A's renewals fail from then on.
    expect(await runs.claimable(9_001, 10)).toEqual(['r1']);
    expect(await runs.claim('r1', 'B', 20_000, 9_001)).not.toBeNull();
    expect(await runs.renew('r1', 'A', 30_000)).toBe(false);
    await runs.release('r1', 'A');
    expect(await runs.claim('r1', 'A', 30_000, 10_000)).toBeNull();
    await runs.release('r1', 'B');
    expect(await runs.claim('r1', 'A', 30_000, 10_000)).not.toBeNull();
    expect(await runs.countExecution('r1')).toBe(1);
    expect(await runs.countExecution('r1')).toBe(2);
  });

  it('assigns seqs, commit order and progress at commit, fenced by the lease', async () => {
    await runs.create(runRecord('r1'));
    // Not holding the lease: nothing is written.
    expect(await runs.commitCells('r1', 'A', [draft(0)], 1)).toBeNull();
    await runs.claim('r1', 'A', 5_000, 1);
    expect(await runs.commitCells('r1', 'B', [draft(0)], 1)).toBeNull();
    expect(await runs.committedCells('r1')).toEqual([]);

    const first = (await runs.commitCells('r1', 'A', [draft(0), draft(1, true)], 2))!;
    // cell 0: started, target, evaluator, progress (seq 2–5); cell 1: started, target, progress (6–8).
    expect(first.map((c) => [c.firstSeq, c.eventCount, c.completedOrder, c.progress])).toEqual([[2, 4, 1, 1], [6, 3, 2, 2]]);
    const second = (await runs.commitCells('r1', 'A', [draft(3)], 3))!;
    expect(second.map((c) => [c.firstSeq, c.completedOrder, c.progress])).toEqual([[9, 3, 3]]);
    const rows = (await runs.commitRowResults('r1', 'A', [rowDraft(0), rowDraft(1)], 4))!;
    expect(rows.map((r) => r.seq)).toEqual([13, 14]);
    expect(await runs.cursor('r1')).toMatchObject({ progress: 3, nextSeq: 15 });
    expect((await runs.committedCells('r1')).sort()).toEqual([0, 1, 3]);

    const final = await runs.finish('r1', 'A', { status: 'completed', summary: summary('r1'), error: null, errorMessage: null, stopReason: null, finishedAt: 9, event: { type: 'done', summary: summary('r1') } });
    expect(final).toMatchObject({ type: 'done', seq: 15 });
    // Ended: no executor may write any more, whoever it is.
    expect(await runs.commitCells('r1', 'A', [draft(2)], 10)).toBeNull();
    expect(await runs.finish('r1', 'A', { status: 'failed', summary: summary('r1'), error: 'x', errorMessage: 'x', stopReason: null, finishedAt: 11, event: { type: 'error', message: 'x' } })).toBeNull();
    const run = (await runs.get('p1', 'r1'))!;
    expect(run).toMatchObject({ status: 'completed', finishedAt: 9, summary: { runId: 'r1' }, nextSeq: 16 });
    // The log from the start: every seq once, no gap.
    expect((await wholeLog(runs, 'r1', 6)).map((e) => e.seq)).toEqual(Array.from({ length: 15 }, (_, i) => i + 1));
  });

  it('stores text holding U+0000, which PostgreSQL\'s text cannot, and finds no id that holds one', async () => {
    await runs.create(runRecord('r1'));
    await runs.claim('r1', 'A', 5_000, 1);
    // A target that answered `{"error":"bad\u0000input"}`: the cell is committed, not the run lost.
    const failed = { ...draft(1, true), error: 'HTTP 400: {"error":"bad\u0000input"}' } as CellDraft;
    expect(await runs.commitCells('r1', 'A', [draft(0), failed], 2)).toHaveLength(2);
    const end = { summary: summary('r1'), error: 'x\u0000', errorMessage: 'quoted \u0000', stopReason: null, finishedAt: 9, event: { type: 'error', message: 'm\u0000' } } as const;
    expect(await runs.finish('r1', 'A', { status: 'failed', ...end })).toMatchObject({ type: 'error' });
    // PostgreSQL keeps every other character and shows where the NUL was; the others keep it.
    const nul = backend.name === 'postgres' ? '\uFFFD' : '\u0000';
    const stored = await runs.results('r1', 0, 10);
    expect(stored.map((c) => (c.ok ? null : c.error))).toEqual([null, `HTTP 400: {"error":"bad${nul}input"}`]);
    expect(await runs.get('p1', 'r1')).toMatchObject({ status: 'failed', error: `x${nul}`, errorMessage: `quoted ${nul}` });
    expect(await runs.get('p1', 'r1\u0000')).toBeNull();
    expect(await runs.cursor('r\u00001')).toBeNull();
  });

  it('lists pages of more runs than one read takes (20), newest first, ties by id, with a metadata filter', async () => {
    // 65 runs, started in threes at the same time: ties are ordered by id, newest first.
    const ids = Array.from({ length: 65 }, (_, i) => `r${String(i).padStart(2, '0')}`);
    for (const [i, id] of ids.entries()) await runs.create(runRecord(id, { startedAt: 1_000 + Math.floor(i / 3), spec: { ...runRecord(id).spec, metadata: { odd: String(i % 2) } } }));
    const newestFirst = [...ids].reverse();
    const list = async (page: number, pageSize: number, metadata: Record<string, string> = {}) => (await runs.list('p1', 'e1', { page, pageSize }, metadata)).items.map((r) => r.id);
    expect(await list(1, 200)).toEqual(newestFirst);
    expect(await list(2, 25)).toEqual(newestFirst.slice(25, 50));
    expect(await list(3, 25)).toEqual(newestFirst.slice(50));
    expect(await list(2, 41)).toEqual(newestFirst.slice(41));
    expect(await list(1, 50, { odd: '1' })).toEqual(newestFirst.filter((id) => Number(id.slice(1)) % 2 === 1));
  });

  it('reads events from any point, in the middle of a cell included', async () => {
    await runs.create(runRecord('r1'));
    await runs.claim('r1', 'A', 5_000, 1);
    await runs.commitCells('r1', 'A', [draft(0), draft(1), draft(2)], 2);
    const all = await wholeLog(runs, 'r1', 6);
    expect(all.map((e) => e.seq)).toEqual(Array.from({ length: 13 }, (_, i) => i + 1));
    for (const after of [0, 1, 3, 5, 6, 12]) {
      const bus = new InProcessEventBus();
      expect((await readEventPage({ runs }, bus, 'r1', 6, after, 100)).events, `after ${after}`).toEqual(all.slice(after));
    }
    // cellsAfterSeq: the cells with an event after N, in seq order.
    expect((await runs.cellsAfterSeq('r1', 3, 10)).map((c) => c.cell)).toEqual([0, 1, 2]);
    expect((await runs.cellsAfterSeq('r1', 5, 10)).map((c) => c.cell)).toEqual([1, 2]);
    expect((await runs.cellsAfterSeq('r1', 5, 1)).map((c) => c.cell)).toEqual([1]);
  });

  it('reopens a stopped run with retryErrors: failed work leaves the results, its events stay in the log, orders stay unique', async () => {
    await runs.create(runRecord('r1'));
    await runs.claim('r1', 'A', 5_000, 1);
    await runs.commitCells('r1', 'A', [draft(0), draft(1, true), draft(2), draft(3, true)], 2);
    await runs.commitRowResults('r1', 'A', [{ ...rowDraft(0), evaluation: { ...evaluation, evaluatorId: 'cmp', result: { status: 'error', details: 'judge down' } } }, rowDraft(1)], 3);
    // The lean read a summary is rebuilt from says why a cell failed (the summary's topErrors).
    expect((await runs.cellsInCommitOrder('r1', 0, 10)).map((c) => [c.cell, c.ok, c.error])).toEqual([[0, true, undefined], [1, false, 'HTTP 500'], [2, true, undefined], [3, false, 'HTTP 500']]);
    // Counted by outcome for a cluster run's early stop; another run's cells are not counted.
    expect(await runs.callCounts('r1')).toEqual({ succeeded: 2, failed: 2 });
    expect(await runs.callCounts('r2')).toEqual({ succeeded: 0, failed: 0 });
    expect(await runs.reopen('p1', 'r1', true, 4)).toBeNull(); // still running
    await runs.finish('r1', 'A', { status: 'stopped', summary: summary('r1'), error: null, errorMessage: null, stopReason: 'user', finishedAt: 5, event: { type: 'stopped', reason: 'user' } });
    const before = await wholeLog(runs, 'r1', 6);
    expect(await runs.reopen('p2', 'r1', true, 6)).toBeNull();

    const reopened = (await runs.reopen('p1', 'r1', true, 6))!;
    expect(reopened).toMatchObject({ status: 'running', progress: 2, finishedAt: null, summary: null, stopReason: null });
    expect((await runs.committedCells('r1')).sort()).toEqual([0, 2]);
    expect((await runs.rowResultKeys('r1')).map((k) => k.rowPos)).toEqual([1]);
    expect(await runs.callCounts('r1')).toEqual({ succeeded: 2, failed: 0 });
    // The log still holds everything that happened, then `resumed`, without a gap.
    const after = await wholeLog(runs, 'r1', 6);
    expect(after.slice(0, before.length)).toEqual(before);
    expect(after.at(-1)).toEqual({ type: 'resumed', retryErrors: true, seq: before.length + 1 });

    // The re-run cells get new seqs, orders after every earlier one, and progress from the cells kept.
    await runs.claim('r1', 'B', 9_000, 7);
    const rerun = (await runs.commitCells('r1', 'B', [draft(1), draft(3)], 8))!;
    expect(rerun.map((c) => [c.completedOrder, c.progress])).toEqual([[5, 3], [6, 4]]);
    expect(rerun[0]!.firstSeq).toBe(before.length + 2);
    const orders = (await runs.cellsInCommitOrder('r1', 0, 100)).map((c) => c.completedOrder);
    expect(new Set(orders).size).toBe(orders.length);
    // Two re-run cells of 4 events each after `resumed`.
    expect((await wholeLog(runs, 'r1', 6)).map((e) => e.seq)).toEqual(Array.from({ length: before.length + 1 + 8 }, (_, i) => i + 1));
  });

  it('reopens with retryErrors when the failed work is more than one batch moves (500 a transaction), keeping the log whole', async () => {
    const total = 2_400;
    await runs.create(runRecord('r1', { total }));
    await runs.claim('r1', 'A', 5_000, 1);
    // Every third cell failed (800 of them); every other row result was not processed (600).
    for (let from = 0; from < total; from += 400) {
      await runs.commitCells('r1', 'A', Array.from({ length: 400 }, (_, i) => draft(from + i, (from + i) % 3 === 0)), 2);
    }
    const errored = { ...evaluation, evaluatorId: 'cmp', result: { status: 'error' as const, details: 'judge down' } };
    await runs.commitRowResults('r1', 'A', Array.from({ length: 1_200 }, (_, pos) => (pos % 2 === 0 ? { ...rowDraft(pos), evaluation: errored } : rowDraft(pos))), 3);
    await runs.finish('r1', 'A', { status: 'failed', summary: summary('r1'), error: 'x', errorMessage: 'x', stopReason: null, finishedAt: 5, event: { type: 'error', message: 'x' } });
    const before = await wholeLog(runs, 'r1', total);

    expect(await runs.reopen('p1', 'r1', true, 6)).toMatchObject({ status: 'running', progress: 1_600 });
    expect((await runs.committedCells('r1')).sort((a, b) => a - b)).toEqual(Array.from({ length: total }, (_, n) => n).filter((n) => n % 3 !== 0));
    expect((await runs.rowResultKeys('r1')).map((k) => k.rowPos).sort((a, b) => a - b)).toEqual(Array.from({ length: 600 }, (_, i) => 2 * i + 1));
    const after = await wholeLog(runs, 'r1', total);
    expect(after.slice(0, before.length)).toEqual(before);
    expect(after.map((e) => e.seq)).toEqual(Array.from({ length: before.length + 1 }, (_, i) => i + 1));
    expect(after.at(-1)).toMatchObject({ type: 'resumed', retryErrors: true });
  });

  it('reopens a completed run only with retryErrors, and a stopped one without losing anything', async () => {
    await runs.create(runRecord('r1'));
    await runs.claim('r1', 'A', 5_000, 1);
    await runs.commitCells('r1', 'A', [draft(0)], 2);
    await runs.finish('r1', 'A', { status: 'completed', summary: summary('r1'), error: null, errorMessage: null, stopReason: null, finishedAt: 5, event: { type: 'done', summary: summary('r1') } });
    expect(await runs.reopen('p1', 'r1', false, 6)).toBeNull();
    expect((await runs.reopen('p1', 'r1', true, 6))?.status).toBe('running');
    expect(await runs.committedCells('r1')).toEqual([0]);
  });

  it("keeps a resumed run's running time: a reopen adds the ended execution's and begins the next at the reopen, in its project only", async () => {
    await runs.create(runRecord('r1'));
    expect(await runs.get('p1', 'r1')).toMatchObject({ earlierRunningMs: 0, executionStartedAt: 1_000 });
    const stop = (finishedAt: number) => ({ status: 'stopped' as const, summary: summary('r1'), error: null, errorMessage: null, stopReason: 'user' as const, finishedAt, event: { type: 'stopped' as const, reason: 'user' as const } });
    // Ran 1,000 → 3,000; stood stopped until 160,000.
    await runs.claim('r1', 'A', 60_000, 1_000);
    await runs.finish('r1', 'A', stop(3_000));
    expect(await runs.reopen('p2', 'r1', false, 160_000)).toBeNull();
    expect(await runs.get('p1', 'r1')).toMatchObject({ status: 'stopped', earlierRunningMs: 0, executionStartedAt: 1_000 });
    expect(await runs.reopen('p1', 'r1', false, 160_000)).toMatchObject({ status: 'running', earlierRunningMs: 2_000, executionStartedAt: 160_000 });
    // A takeover after a crash is the same execution: the lease changes hands, the clock does not.
    await runs.claim('r1', 'B', 200_000, 170_000);
    expect(await runs.get('p1', 'r1')).toMatchObject({ earlierRunningMs: 2_000, executionStartedAt: 160_000 });
    await runs.finish('r1', 'B', stop(175_000));
    expect(await runs.reopen('p1', 'r1', false, 400_000)).toMatchObject({ earlierRunningMs: 17_000, executionStartedAt: 400_000 });
    expect((await runs.list('p1', 'e1', { page: 1, pageSize: 5 })).items[0]).toMatchObject({ earlierRunningMs: 17_000, executionStartedAt: 400_000 });
  });

  it('pages results by row then cell, and reads cells by commit order, by range and row results by row', async () => {
    await runs.create(runRecord('r1'));
    await runs.claim('r1', 'A', 5_000, 1);
    // Committed out of order: 5, 0, 3, then 1, 2, 4.
    await runs.commitCells('r1', 'A', [draft(5), draft(0), draft(3)], 2);
    await runs.commitCells('r1', 'A', [draft(1), draft(2), draft(4)], 3);
    await runs.commitRowResults('r1', 'A', [rowDraft(2), rowDraft(0)], 4);
    expect((await runs.results('r1', 0, 4)).map((c) => c.cell)).toEqual([0, 1, 2, 3]);
    expect((await runs.results('r1', 4, 4)).map((c) => c.cell)).toEqual([4, 5]);
    // The same order paged by key (exports), whole cells.
    const byKey = await runs.resultsAfter('r1', null, 4);
    expect(byKey.map((c) => c.cell)).toEqual([0, 1, 2, 3]);
    expect(byKey[0]).toMatchObject({ cell: 0, output: 'out 0', entry: { q: 'q0' } });
    expect((await runs.resultsAfter('r1', { rowIndex: byKey[3]!.rowIndex, cell: 3 }, 4)).map((c) => c.cell)).toEqual([4, 5]);
    expect(await runs.resultsAfter('r1', { rowIndex: 2, cell: 5 }, 4)).toEqual([]);
    expect((await runs.cellsInCommitOrder('r1', 0, 2)).map((c) => c.cell)).toEqual([5, 0]);
    expect((await runs.cellsInCommitOrder('r1', 2, 10)).map((c) => c.cell)).toEqual([3, 1, 2, 4]);
    expect((await runs.cellsInRange('r1', 2, 5)).map((c) => c.cell)).toEqual([2, 3, 4]);
    expect((await runs.rowResultsOfRows('r1', [0, 0, 2])).map((r: RowResult) => r.rowIndex)).toEqual([0, 2]);
    // Row order, keyset-paged, lean (no output; the entry only when asked); cells by number, lean.
    const first = await runs.cellsInRowOrder('r1', null, 3, false);
    expect(first.map((c) => [c.rowIndex, c.cell])).toEqual([[0, 0], [0, 1], [1, 2]]);
    expect(first[0]).toEqual({ cell: 0, rowIndex: 0, targetId: 'a', repeat: 0, ok: true, durationMs: 5, evaluations: [evaluation] });
    const rest = await runs.cellsInRowOrder('r1', { rowIndex: 1, cell: 2 }, 10, true);
    expect(rest.map((c) => c.cell)).toEqual([3, 4, 5]);
    expect(rest[0]!.entry).toEqual({ q: 'q1' });
    const at = await runs.cellsAt('r1', [4, 1, 4, 99]);
    expect(at.map((c) => c.cell)).toEqual([1, 4]);
    expect(at[0]).toEqual({ cell: 1, rowIndex: 0, targetId: 'b', repeat: 0, ok: true, durationMs: 5, evaluations: [evaluation] });
    expect((await runs.rowResultsAfterSeq('r1', 0, 10)).map((r) => r.rowPos)).toEqual([2, 0]);
    // Stored cells come back whole.
    expect((await runs.results('r1', 0, 1))[0]).toMatchObject({ cell: 0, output: 'out 0', entry: { q: 'q0' }, evaluations: [evaluation], cached: false });
    expect((await runs.results('r1', 0, 10)).every((c) => c.ok)).toBe(true);
  });

  it('reads pages of whole cells within a byte budget, sizes first, from a key, an offset or a cell number', async () => {
    await runs.create(runRecord('r1'));
    await runs.claim('r1', 'A', 5_000, 1);
    // Six cells of ≈ 1.1 KB of stored text each (a 1,000-character output, the entry, a verdict).
    const big = (n: number): CellDraft => ({ ...draft(n), output: `${n}`.repeat(1_000) }) as CellDraft;
    await runs.commitCells('r1', 'A', [big(3), big(0), big(5), big(1), big(2), big(4)], 2);
    const two = await runs.resultsWithin('r1', { after: null }, 10, 2_500);
    expect(two.cells.map((c) => c.cell)).toEqual([0, 1]);
    expect(two.cut).toBe(true);
    expect(two.bytes).toBeGreaterThan(2_000);
    expect(two.bytes).toBeLessThanOrEqual(2_500);
    expect(two.cells[1]).toMatchObject({ output: '1'.repeat(1_000), entry: { q: 'q0' } });
    // The first cell is read whatever its size unless the caller allows none.
    expect((await runs.resultsWithin('r1', { after: null }, 10, 500)).cells.map((c) => c.cell)).toEqual([0]);
    expect(await runs.resultsWithin('r1', { after: { rowIndex: 0, cell: 1 } }, 10, 500, 0)).toEqual({ cells: [], bytes: 0, cut: true });
    expect((await runs.resultsWithin('r1', { after: { rowIndex: 0, cell: 1 } }, 10, 2_500)).cells.map((c) => c.cell)).toEqual([2, 3]);
    expect((await runs.resultsWithin('r1', { offset: 3 }, 10, 2_500)).cells.map((c) => c.cell)).toEqual([3, 4]);
    expect((await runs.resultsWithin('r1', { fromCell: 4 }, 10, 2_500)).cells.map((c) => c.cell)).toEqual([4, 5]);
    // Within the count, nothing is cut; past the last cell, an empty page.
    expect(await runs.resultsWithin('r1', { offset: 4 }, 10, 1e9)).toMatchObject({ cut: false, cells: [{ cell: 4 }, { cell: 5 }] });
    expect(await runs.resultsWithin('r1', { fromCell: 6 }, 10, 1e9)).toEqual({ cells: [], bytes: 0, cut: false });
    expect((await runs.resultsWithin('r1', { after: null }, 3, 1e9)).cut).toBe(false);
    // Event replays read whole cells within the budget too, at least one at a time.
    expect((await runs.cellsAfterSeq('r1', 0, 10, 2_500)).length).toBe(2);
    expect((await runs.cellsAfterSeq('r1', 0, 10, 1)).length).toBe(1);
    expect((await runs.cellsAfterSeq('r1', 0, 10)).length).toBe(6);
    // A summary is rebuilt without entries or outputs.
    const lean = await runs.cellsInCommitOrder('r1', 0, 10);
    expect(lean.map((c) => c.cell)).toEqual([3, 0, 5, 1, 2, 4]);
    expect(lean[0]).toEqual({ cell: 3, rowIndex: 1, targetId: 'b', repeat: 0, ok: true, durationMs: 5, evaluations: [evaluation], completedOrder: 1 });
  });

  it('reads the heads of outputs, whole when short, cut by characters when long', async () => {
    await runs.create(runRecord('r1'));
    await runs.claim('r1', 'A', 5_000, 1);
    const long = `é"\\\n😀${'ü'.repeat(50)}`;
    const outputs: unknown[] = ['short é', long, { a: long }, null];
    const drafts = outputs.map((output, n) => ({ ...draft(n), output }) as CellDraft);
    await runs.commitCells('r1', 'A', [...drafts, draft(5, true)], 2);
    const heads = await runs.outputHeads('r1', [5, 0, 1, 2, 3, 1, 99], 20);
    expect(heads.map((h) => h.cell)).toEqual([0, 1, 2, 3, 5]);
    // Whole when the text has at most 20 code points, whatever its bytes; else its first 20.
    expect(heads[0]).toEqual({ cell: 0, ok: true, text: '"short é"', whole: true });
    expect(heads[1]).toEqual({ cell: 1, ok: true, text: Array.from(JSON.stringify(long)).slice(0, 20).join(''), whole: false });
    expect(heads[2]).toMatchObject({ ok: true, whole: false });
    expect(heads[3]).toEqual({ cell: 3, ok: true, text: 'null', whole: true });
    expect(heads[4]).toEqual({ cell: 5, ok: false, error: 'HTTP 500' });
    expect(itemOutput(heads[1]!, 3)).toBe('é"\\…');
  });

  it('response cache: the first answer stored under a key stays, per project', async () => {
    expect(await responses.get('p1', 'k')).toBeNull();
    await responses.put('p1', 'k', 'first', 1);
    await responses.put('p1', 'k', 'second', 2);
    expect(await responses.get('p1', 'k')).toBe('first');
    expect(await responses.get('p2', 'k')).toBeNull();
  });

  it('reviews: one per run × row × target × repeat × evaluator, the latest kept, listed in key order per run', async () => {
    const review = (over: Partial<StoredReview>): StoredReview => ({
      runId: 'r1', rowIndex: 1, targetId: 'a', repeat: 0, evaluatorId: null, verdict: 'failed', comment: null,
      reviewer: 'sk-lw-abcd…', reviewerKeyId: 'k1', reviewedAt: 10, cells: [2], ...over,
    });
    const all = (runId: string) => reviews.pageOfRun(runId, null, 100);
    expect(await all('r1')).toEqual([]);
    expect(await reviews.stamp('r1')).toBe('0:0');
    await reviews.upsert(review({ evaluatorId: 'exact', verdict: 'passed', comment: 'judge was wrong' }));
    await reviews.upsert(review({ rowIndex: 0, targetId: 'b', cells: [1] }));
    await reviews.upsert(review({ comment: 'first look' }));
    // The same key again replaces the review (verdict, comment, reviewer and time).
    await reviews.upsert(review({ verdict: 'passed', comment: null, reviewer: 'sk-lw-wxyz…', reviewerKeyId: 'k2', reviewedAt: 20 }));
    await reviews.upsert(review({ runId: 'r2', rowIndex: 0 }));
    const listed = await all('r1');
    expect(listed).toEqual([
      review({ rowIndex: 0, targetId: 'b', cells: [1] }),
      review({ verdict: 'passed', comment: null, reviewer: 'sk-lw-wxyz…', reviewerKeyId: 'k2', reviewedAt: 20 }),
      review({ evaluatorId: 'exact', verdict: 'passed', comment: 'judge was wrong' }),
    ]);
    expect(await all('r2')).toHaveLength(1);
    // The verdicts alone, in the same order; the stamp moves with every write.
    expect(await reviews.verdictPage('r1', null, 100)).toEqual(listed.map(({ rowIndex, targetId, repeat, evaluatorId, verdict, cells }) => ({ rowIndex, targetId, repeat, evaluatorId, verdict, cells })));
    expect(await reviews.verdictPage('r1', listed[0]!, 1)).toEqual([{ rowIndex: 1, targetId: 'a', repeat: 0, evaluatorId: null, verdict: 'passed', cells: [2] }]);
    // Pages by key: each starts after the last one's final review, and together they are the list.
    const first = await reviews.pageOfRun('r1', null, 2);
    expect(first).toEqual(listed.slice(0, 2));
    expect(await reviews.pageOfRun('r1', first[1]!, 2)).toEqual(listed.slice(2));
    expect(await reviews.pageOfRun('r1', listed[2]!, 2)).toEqual([]);
    // A position that is no review's key: the page starts at the next key after it.
    expect(await reviews.pageOfRun('r1', { rowIndex: 1, targetId: '', repeat: 0, evaluatorId: null }, 5)).toEqual(listed.slice(1));
    // By rows, both ends included: an export page's reviews.
    expect(await reviews.ofRows('r1', 1, 1)).toEqual(listed.slice(1));
    expect(await reviews.ofRows('r1', 0, 0)).toEqual(listed.slice(0, 1));
    expect(await reviews.ofRows('r1', 2, 9)).toEqual([]);
    const before = await reviews.stamp('r1');
    expect(before).toBe('3:20');
    await reviews.upsert(review({ rowIndex: 5, cells: [9], reviewedAt: 30 }));
    expect(await reviews.stamp('r1')).not.toBe(before);
    expect(await reviews.stamp('r2')).toBe('1:10');
  });
});
