// The shard store of cluster runs (core/shard-store.ts) on SQLite and PostgreSQL: planning
// once, claims and leases per shard (one holder at a time, taken over once expired, never once
// done or once the run ended), commits fenced by the shard's lease, storage-assigned seqs that
// stay gap-free and unique when shards commit at the same time (on PostgreSQL truly at once,
// over several connections), and a reopened run planned again.
import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import { planShards } from '../core/engine/shards.js';
import type { RunRecord, RunSummary } from '../core/model/run.js';
import type { CellDraft, RunStore } from '../core/run-store.js';
import type { RunShardStore } from '../core/shard-store.js';
import { allDatabases } from '../testing/databases.js';
import { openStores } from './index.js';

function runRecord(id: string, rows: number): RunRecord {
  return {
    id, projectId: 'p1', experimentId: 'e1', experimentSlug: 'exp', status: 'running', total: rows * 2, progress: 0,
    startedAt: 1_000, finishedAt: null, summary: null, error: null, errorMessage: null, stopReason: null, nextSeq: 2, abortRequested: false,
    spec: {
      experimentId: 'e1', experimentSlug: 'exp', experimentVersion: 1, rows: { kind: 'inline' }, sourceRowCount: rows, rowIndices: null, parameters: {},
      targetIds: ['a', 'b'], evaluatorIds: [], repeats: 1, concurrency: 4, timeoutMs: 1_000, maxRetries: 0, budgetUsd: null, cache: false,
      baselineRunId: null, webhookUrl: null, metadata: {}, runUrl: `http://x/${id}`,
    },
  };
}

/** Cell `n` of a rows × 2 targets plan (no evaluator: 3 events, cell_started, target_result and progress). */
function draft(n: number): CellDraft {
  return { cell: n, rowIndex: Math.floor(n / 2), targetId: n % 2 === 0 ? 'a' : 'b', repeat: 0, entry: { q: n }, durationMs: 1, attempts: 1, retries: [], cached: false, ok: true, output: `o${n}`, evaluations: [] };
}

const summary: RunSummary = {
  runId: 'r', totalCells: 0, completedCells: 0, failedCells: 0, duration: 0, timestamps: { startedAt: 1, finishedAt: 2 }, runUrl: 'u',
  totalPassed: 0, totalFailed: 0, passRate: 0, totalCost: 0, targetCost: 0, evaluatorCost: 0, targets: [], evaluators: [],
};

const range = (from: number, to: number) => Array.from({ length: to - from }, (_, i) => from + i);

describe.each(allDatabases())('shard store on $name', (db) => {
  let runs: RunStore;
  let shards: RunShardStore;
  let close = async () => {};
  afterAll(async () => {
    await close();
    await db.cleanup();
  });
  beforeEach(async () => {
    await close();
    const stores = await openStores(await db.options());
    await stores.projects.create({ id: 'p1', slug: 'one', name: 'One', createdAt: 1 });
    runs = stores.runs;
    shards = stores.shards!;
    close = () => stores.close();
  });

  it('plans once: whole rows of about the shard size, a second plan keeps the first', async () => {
    const run = runRecord('r1', 10);
    await runs.create(run);
    const plan = planShards(run.spec, 5);
    // 5 cells aim → 2 rows (4 cells) a shard, the last one shorter: rows never split.
    expect(plan.map((s) => [s.fromCell, s.toCell])).toEqual([[0, 4], [4, 8], [8, 12], [12, 16], [16, 20]]);
    await shards.plan('r1', plan);
    await shards.plan('r1', planShards(run.spec, 100));
    expect(await shards.counts('r1', 0)).toEqual({ total: 5, done: 0, held: 0 });
    expect(await shards.open('r1', 0, 10)).toEqual(plan.map((s) => ({ shard: s.shard, claims: 0 })));
    expect(await shards.open('r1', 0, 2)).toHaveLength(2);
  });

  it('leases: one holder a shard, taken over once expired, renewed and released by their holder only, never once done', async () => {
    await runs.create(runRecord('r1', 10));
    await shards.plan('r1', planShards(runRecord('r1', 10).spec, 4));
    expect(await shards.claim('r1', 0, 'w1', 100, 10)).toEqual({ shard: 0, fromCell: 0, toCell: 4 });
    expect(await shards.claim('r1', 0, 'w2', 100, 50)).toBeNull();
    expect(await shards.counts('r1', 50)).toMatchObject({ held: 1 });
    expect((await shards.open('r1', 50, 10)).map((s) => s.shard)).toEqual([1, 2, 3, 4]);
    expect(await shards.renew('r1', 0, 'w2', 500)).toBe(false);
    expect(await shards.renew('r1', 0, 'w1', 200)).toBe(true);
    expect(await shards.claim('r1', 0, 'w2', 400, 150)).toBeNull();
    // Expired: open again (with its claim count, naming its next job), and taken over.
    expect(await shards.open('r1', 250, 1)).toEqual([{ shard: 0, claims: 1 }]);
    expect(await shards.claim('r1', 0, 'w2', 400, 250)).not.toBeNull();
    expect(await shards.renew('r1', 0, 'w1', 900)).toBe(false);
    await shards.release('r1', 0, 'w1');
    expect(await shards.counts('r1', 300)).toMatchObject({ held: 1 });
    await shards.release('r1', 0, 'w2');
    expect(await shards.counts('r1', 300)).toMatchObject({ held: 0 });
    expect(await shards.claim('r1', 1, 'w1', 400, 300)).not.toBeNull();
    expect(await shards.complete('r1', 1, 'w2')).toBe(false);
    expect(await shards.complete('r1', 1, 'w1')).toBe(true);
    expect(await shards.claim('r1', 1, 'w1', 900, 800)).toBeNull();
    expect(await shards.counts('r1', 300)).toEqual({ total: 5, done: 1, held: 0 });
  });

  it('commits are fenced by the shard lease: a holder that lost it, or a shard done, writes nothing', async () => {
    await runs.create(runRecord('r1', 10));
    await shards.plan('r1', planShards(runRecord('r1', 10).spec, 4));
    await shards.claim('r1', 0, 'w1', 100, 10);
    expect(await shards.commitCells('r1', 0, 'w2', [draft(0)], 20)).toBeNull();
    const first = await shards.commitCells('r1', 0, 'w1', [draft(0), draft(1)], 20);
    expect(first!.map((c) => [c.firstSeq, c.completedOrder, c.progress, c.workerId])).toEqual([[2, 1, 1, 'w1'], [5, 2, 2, 'w1']]);
    // Taken over after expiry: the first holder's late commit is refused, the new one's lands.
    await shards.claim('r1', 0, 'w2', 300, 200);
    expect(await shards.commitCells('r1', 0, 'w1', [draft(2)], 210)).toBeNull();
    expect(await shards.committedIn('r1', 0, 4)).toEqual([0, 1]);
    expect((await shards.commitCells('r1', 0, 'w2', [draft(2), draft(3)], 210))!.map((c) => c.workerId)).toEqual(['w2', 'w2']);
    expect(await shards.complete('r1', 0, 'w2')).toBe(true);
    expect(await shards.commitCells('r1', 0, 'w2', [draft(3)], 220)).toBeNull();
    const cursor = await runs.cursor('r1');
    expect(cursor).toMatchObject({ progress: 4, nextSeq: 14 });
    expect((await runs.results('r1', 0, 10)).map((c) => c.workerId)).toEqual(['w1', 'w1', 'w2', 'w2']);
  });

  it('shards committing at the same time get unique commit orders and a gap-free run of seqs', async () => {
    const run = runRecord('r1', 100);
    await runs.create(run);
    const plan = planShards(run.spec, 50);
    await shards.plan('r1', plan);
    for (const s of plan) expect(await shards.claim('r1', s.shard, `w${s.shard}`, 1_000, 10)).not.toBeNull();
    // Each shard commits its 50 cells in 10 batches of 5, all shards at once.
    await Promise.all(plan.map(async (s) => {
      for (let from = s.fromCell; from < s.toCell; from += 5) {
        expect(await shards.commitCells('r1', s.shard, `w${s.shard}`, range(from, from + 5).map(draft), 20)).not.toBeNull();
      }
      expect(await shards.complete('r1', s.shard, `w${s.shard}`)).toBe(true);
    }));
    const cells = await runs.results('r1', 0, 500);
    expect(cells).toHaveLength(200);
    const seqs = cells.flatMap((c) => range(c.firstSeq, c.firstSeq + c.eventCount)).sort((a, b) => a - b);
    expect(seqs).toEqual(range(2, 2 + 600));
    expect(cells.map((c) => c.completedOrder).sort((a, b) => a - b)).toEqual(range(1, 201));
    expect(cells.map((c) => c.progress).sort((a, b) => a - b)).toEqual(range(1, 201));
    for (const c of cells) expect(c.workerId).toBe(`w${plan.find((s) => c.cell >= s.fromCell && c.cell < s.toCell)!.shard}`);
    expect(await runs.cursor('r1')).toMatchObject({ progress: 200, nextSeq: 602 });
    expect(await shards.counts('r1', 30)).toEqual({ total: 4, done: 4, held: 0 });
  });

  it('an ended run fences every shard; reopening it plans it again', async () => {
    await runs.create(runRecord('r1', 10));
    await shards.plan('r1', planShards(runRecord('r1', 10).spec, 4));
    await shards.claim('r1', 0, 'w1', 100, 10);
    await runs.claim('r1', 'coord', 100, 10);
    await runs.finish('r1', 'coord', {
      status: 'stopped', summary, error: null, errorMessage: null, stopReason: 'user', finishedAt: 30, event: { type: 'stopped', reason: 'user' },
    });
    expect(await shards.commitCells('r1', 0, 'w1', [draft(0)], 40)).toBeNull();
    expect(await shards.renew('r1', 0, 'w1', 200)).toBe(false);
    expect(await shards.claim('r1', 1, 'w1', 200, 40)).toBeNull();
    expect(await runs.reopen('p1', 'r1', false, 50)).not.toBeNull();
    expect(await shards.counts('r1', 60)).toEqual({ total: 0, done: 0, held: 0 });
  });
});
