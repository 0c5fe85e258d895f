import { describe, expect, it } from 'vitest';
import { settle } from '../../testing/fake-clock.js';
import type { Row } from '../model/experiment.js';
import type { StopReason } from '../model/run.js';
import { CellAbandoned } from './cell.js';
import type { GroupCommitOptions } from './group-commit.js';
import { type CellRef, planTotal } from './plan.js';
import { type CellDraft, DISPATCH_BURST, type RunLoopPorts, runLoop } from './run-loop.js';

interface Options {
  rows: number;
  targetIds?: string[];
  repeats?: number;
  concurrency?: number;
  rowIndices?: number[] | null;
  done?: Iterable<number>;
  /** Cells finish only when the test says so (otherwise at once). */
  manual?: boolean;
  commit?: (batch: CellDraft[]) => Promise<void>;
  /** Rows readRows answers at most per call (a byte budget cutting pages of large rows). */
  pageCap?: number;
  /** Characters of padding in each row (wide rows: a cell's draft holds its row). */
  pad?: number;
}

const draft = (ref: CellRef, row: Row): CellDraft => ({
  cell: ref.cell, rowIndex: ref.rowIndex, targetId: ref.targetId, repeat: ref.repeat, entry: row,
  ok: true, output: `out ${ref.cell}`, durationMs: 1, attempts: 1, retries: [], cached: false, evaluations: [],
});

/** In-memory ports for runLoop, recording what the loop did. */
function harness(o: Options) {
  const spec = { rowIndices: o.rowIndices ?? null, sourceRowCount: o.rows, targetIds: o.targetIds ?? ['a'], repeats: o.repeats ?? 1, concurrency: o.concurrency ?? 4 };
  const done = new Set(o.done ?? []);
  const controller = new AbortController();
  const started: CellRef[] = [];
  const rowsSeen = new Map<number, Row>();
  const readCalls: [number, number][] = [];
  const batches: CellDraft[][] = [];
  const pending = new Map<number, { ref: CellRef; row: Row; resolve: (d: CellDraft) => void; reject: (e: unknown) => void }>();
  let inFlight = 0;
  let maxInFlight = 0;
  let stop: StopReason | null = null;

  // Like executeCell: a run abort abandons every cell still running.
  controller.signal.addEventListener('abort', () => {
    for (const p of pending.values()) p.reject(new CellAbandoned());
  });

  const ports: RunLoopPorts = {
    spec,
    later: (ms, fire) => {
      const timer = setTimeout(fire, ms);
      return () => clearTimeout(timer);
    },
    readRows: async (from, to) => {
      readCalls.push([from, to]);
      return Array.from({ length: Math.min(to - from, o.pageCap ?? Infinity) }, (_, i) => (o.pad ? { pos: from + i, pad: 'x'.repeat(o.pad) } : { pos: from + i }));
    },
    isDone: (cell) => done.has(cell),
    execute: (ref, row) => {
      started.push(ref);
      rowsSeen.set(ref.cell, row);
      inFlight++;
      maxInFlight = Math.max(maxInFlight, inFlight);
      const result = new Promise<CellDraft>((resolve, reject) => {
        if (!o.manual) return void settle().then(() => resolve(draft(ref, row)));
        pending.set(ref.cell, { ref, row, resolve, reject });
      });
      return result.finally(() => {
        inFlight--;
        pending.delete(ref.cell);
      });
    },
    commit: o.commit ?? (async (batch) => void batches.push(batch)),
    stopReason: () => stop,
    signal: controller.signal,
  };

  return {
    ports,
    controller,
    started,
    rowsSeen,
    readCalls,
    batches,
    get committed() {
      return batches.flat().map((d) => d.cell);
    },
    get inFlight() {
      return inFlight;
    },
    get maxInFlight() {
      return maxInFlight;
    },
    get running() {
      return [...pending.keys()].sort((x, y) => x - y);
    },
    setStop(reason: StopReason | null) {
      stop = reason;
    },
    finish(cell: number) {
      const p = pending.get(cell);
      if (!p) throw new Error(`cell ${cell} is not running`);
      p.resolve(draft(p.ref, p.row));
    },
    crash(cell: number, error: unknown) {
      pending.get(cell)!.reject(error);
    },
    total: planTotal(spec),
  };
}

/** Batches flush only on size or close(), so what a test sees committed is never timing luck. */
const lazyCommit: GroupCommitOptions = { maxBatch: 1_000, maxDelayMs: 60_000, maxPending: 10_000 };

const range = (from: number, to: number) => Array.from({ length: to - from }, (_, i) => from + i);

describe('runLoop', () => {
  it('executes every cell once, in row-major order, and commits them all', async () => {
    const h = harness({ rows: 4, targetIds: ['a', 'b'], repeats: 2, concurrency: 3 });
    expect(await runLoop(h.ports)).toEqual({ kind: 'finished' });
    expect(h.started.map((r) => r.cell)).toEqual(range(0, 16));
    expect(h.started.slice(0, 5).map((r) => `${r.rowIndex}/${r.targetId}/${r.repeat}`)).toEqual(['0/a/0', '0/a/1', '0/b/0', '0/b/1', '1/a/0']);
    expect([...h.committed].sort((x, y) => x - y)).toEqual(range(0, 16));
    expect(h.rowsSeen.get(13)).toEqual({ pos: 3 });
  });

  it('a shard: only the rows of its range, whole, reading only their page and skipping its committed cells', async () => {
    const h = harness({ rows: 1_200, targetIds: ['a', 'b'], done: [1_001] });
    h.ports.rows = { from: 500, to: 1_002 };
    expect(await runLoop(h.ports)).toEqual({ kind: 'finished' });
    expect(h.started.map((r) => r.cell)).toEqual(range(1_000, 2_004).filter((c) => c !== 1_001));
    // Pages start at the range's first row; the last page is cut at its end.
    expect(h.readCalls).toEqual([[500, 1_000], [1_000, 1_002]]);
    expect(h.rowsSeen.get(2_003)).toEqual({ pos: 1_001 });
  });

  it('skips cells already committed (resume) and runs only the rest', async () => {
    const done = [0, 1, 2, 7, 11];
    const h = harness({ rows: 6, targetIds: ['a', 'b'], done });
    expect(await runLoop(h.ports)).toEqual({ kind: 'finished' });
    const rest = range(0, 12).filter((c) => !done.includes(c));
    expect(h.started.map((r) => r.cell)).toEqual(rest);
    expect([...h.committed].sort((x, y) => x - y)).toEqual(rest);
  });

  it('does not even read a page of rows whose cells are all done', async () => {
    const h = harness({ rows: 1_200, done: range(0, 1_000) });
    expect(await runLoop(h.ports)).toEqual({ kind: 'finished' });
    expect(h.readCalls).toEqual([[1_000, 1_200]]);
    expect(h.started).toHaveLength(200);
    expect(h.started[0]).toMatchObject({ cell: 1_000, rowIndex: 1_000 });
    expect(h.rowsSeen.get(1_000)).toEqual({ pos: 1_000 });
  });

  it('goes on from where a short page (rows over the byte budget) stopped, running every cell once', async () => {
    const h = harness({ rows: 8, targetIds: ['a', 'b'], pageCap: 3, done: [4] });
    expect(await runLoop(h.ports)).toEqual({ kind: 'finished' });
    expect(h.readCalls).toEqual([[0, 8], [3, 8], [6, 8]]);
    expect(h.started.map((r) => r.cell)).toEqual(range(0, 16).filter((c) => c !== 4));
    for (const ref of h.started) expect(h.rowsSeen.get(ref.cell)).toEqual({ pos: ref.rowIndex });
  });

  it('starts a page at its first row with work left, so a resume reads no committed rows', async () => {
    const h = harness({ rows: 700, done: range(0, 510) });
    expect(await runLoop(h.ports)).toEqual({ kind: 'finished' });
    expect(h.readCalls).toEqual([[510, 700]]);
    expect(h.started).toHaveLength(190);
  });

  it('runs cells on empty rows when the source has none where the plan counts some, instead of waiting', async () => {
    const h = harness({ rows: 3, pageCap: 0 });
    expect(await runLoop(h.ports)).toEqual({ kind: 'finished' });
    expect(h.readCalls).toEqual([[0, 3]]);
    expect(h.started.map((r) => r.cell)).toEqual([0, 1, 2]);
    expect(h.rowsSeen.get(2)).toEqual({});
  });

  it('follows rowIndices, running duplicated rows twice with their source index', async () => {
    const h = harness({ rows: 5, rowIndices: [3, 1, 3] });
    await runLoop(h.ports);
    expect(h.started.map((r) => r.rowIndex)).toEqual([3, 1, 3]);
    expect(h.committed).toHaveLength(3);
  });

  it('keeps at most `concurrency` cells in flight, starting the next as soon as one finishes', async () => {
    const h = harness({ rows: 10, concurrency: 3, manual: true });
    const loop = runLoop(h.ports, lazyCommit);
    await settle();
    expect(h.running).toEqual([0, 1, 2]);
    h.finish(1);
    await settle();
    expect(h.running).toEqual([0, 2, 3]);
    while (h.running.length > 0) {
      h.finish(h.running[h.running.length - 1]!); // finish out of order
      await settle();
      expect(h.inFlight).toBeLessThanOrEqual(3);
    }
    expect(await loop).toEqual({ kind: 'finished' });
    expect(h.maxInFlight).toBe(3);
    expect(h.started.map((r) => r.cell)).toEqual(range(0, 10));
    expect(h.committed).toHaveLength(10);
  });

  it('stops dispatching on abort, keeps finished cells and drops abandoned ones', async () => {
    const h = harness({ rows: 10, concurrency: 3, manual: true });
    const loop = runLoop(h.ports, lazyCommit);
    await settle();
    h.finish(0);
    await settle();
    expect(h.running).toEqual([1, 2, 3]);
    h.controller.abort();
    expect(await loop).toEqual({ kind: 'stopped', reason: 'user' });
    expect(h.started.map((r) => r.cell)).toEqual([0, 1, 2, 3]);
    expect(h.committed).toEqual([0]);
  });

  it('reports the stop reason given with an abort (e.g. shutdown)', async () => {
    const h = harness({ rows: 5, concurrency: 1, manual: true });
    const loop = runLoop(h.ports, lazyCommit);
    await settle();
    h.setStop('shutdown');
    h.controller.abort();
    expect(await loop).toEqual({ kind: 'stopped', reason: 'shutdown' });
    expect(h.committed).toEqual([]);
  });

  it('stops starting cells when the budget is spent but lets cells in flight finish', async () => {
    const h = harness({ rows: 10, concurrency: 2, manual: true });
    const loop = runLoop(h.ports, lazyCommit);
    await settle();
    expect(h.running).toEqual([0, 1]);
    h.setStop('budget');
    h.finish(0);
    await settle();
    expect(h.running).toEqual([1]);
    h.finish(1);
    expect(await loop).toEqual({ kind: 'stopped', reason: 'budget' });
    expect(h.started.map((r) => r.cell)).toEqual([0, 1]);
    expect([...h.committed].sort((x, y) => x - y)).toEqual([0, 1]);
  });

  it('finishes a plan whose last cell was dispatched before a stop reason appeared', async () => {
    const h = harness({ rows: 3, concurrency: 3, manual: true });
    const loop = runLoop(h.ports, lazyCommit);
    await settle();
    expect(h.running).toEqual([0, 1, 2]);
    h.setStop('budget');
    for (const c of [0, 1, 2]) h.finish(c);
    expect(await loop).toEqual({ kind: 'finished' });
    expect(h.committed).toHaveLength(3);
  });

  it('commits cells of wide rows in transactions of at most 1 MiB past their first cell', async () => {
    // Serializing, inserting and committing a batch is one stretch of the main thread: at 4 MB
    // a batch, cells of 1 MB rows and outputs held it up to 0.2 s in the COMMIT alone
    // (security review of 2026-12-07). Three cells of 700 kB rows: a transaction each.
    const h = harness({ rows: 3, pad: 700_000 });
    expect(await runLoop(h.ports)).toEqual({ kind: 'finished' });
    expect(h.committed).toEqual([0, 1, 2]);
    expect(h.batches.map((b) => b.length)).toEqual([1, 1, 1]);
  });

  it('turns an unexpected exception from a cell into a committed failed cell and goes on', async () => {
    const h = harness({ rows: 3, concurrency: 1, manual: true });
    const loop = runLoop(h.ports, lazyCommit);
    await settle();
    h.crash(0, new TypeError('boom\n  at somewhere'));
    await settle();
    h.finish(1);
    await settle();
    h.finish(2);
    expect(await loop).toEqual({ kind: 'finished' });
    const failed = h.batches.flat().find((d) => d.cell === 0)!;
    expect(failed).toMatchObject({ cell: 0, rowIndex: 0, targetId: 'a', repeat: 0, entry: { pos: 0 }, error: 'internal error: boom', attempts: 1, evaluations: [] });
    expect(failed).not.toHaveProperty('output');
    expect(h.committed).toHaveLength(3);
  });

  it('rejects when a commit fails, stops dispatching, and commits nothing after it', async () => {
    const failure = new Error('database is down');
    const attempts: number[][] = [];
    const h = harness({
      rows: 200,
      concurrency: 1,
      commit: async (batch) => {
        attempts.push(batch.map((d) => d.cell));
        throw failure;
      },
    });
    await expect(runLoop(h.ports, { maxBatch: 1, maxDelayMs: 1, maxPending: 10 })).rejects.toBe(failure);
    expect(attempts).toEqual([[0]]);
    expect(h.started.length).toBeLessThan(200);
  });
});

describe('runLoop: bursts', () => {
  it('breathes every DISPATCH_BURST dispatches so a burst does not hold the event loop', async () => {
    const h = harness({ rows: 100, concurrency: 100, manual: true });
    const startedAtBreath: number[] = [];
    h.ports.breathe = async () => {
      startedAtBreath.push(h.started.length);
    };
    const running = runLoop(h.ports, lazyCommit);
    await settle();
    await settle();
    expect(startedAtBreath.slice(0, 3)).toEqual([DISPATCH_BURST, 2 * DISPATCH_BURST, 3 * DISPATCH_BURST]);
    for (const cell of h.running) h.finish(cell);
    await running;
    expect(h.committed).toHaveLength(100);
  });
});
