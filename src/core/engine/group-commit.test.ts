import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { settle } from '../../testing/fake-clock.js';
import { GroupCommitter, type GroupCommitOptions } from './group-commit.js';

/** A commit port whose transactions finish when the test says so. */
function gatedStore() {
  const batches: number[][] = [];
  const gates: { resolve: () => void; reject: (e: unknown) => void }[] = [];
  let inFlight = 0;
  let maxInFlight = 0;
  const commit = (batch: number[]) => {
    batches.push(batch);
    inFlight++;
    maxInFlight = Math.max(maxInFlight, inFlight);
    return new Promise<void>((resolve, reject) => gates.push({ resolve, reject })).finally(() => inFlight--);
  };
  return {
    batches,
    commit,
    get maxInFlight() {
      return maxInFlight;
    },
    /** Finishes the oldest open transaction. */
    async land(error?: unknown) {
      const gate = gates.shift();
      if (!gate) throw new Error('no commit in flight');
      if (error === undefined) gate.resolve();
      else gate.reject(error);
      await settle();
    },
  };
}

const instantStore = () => {
  const batches: number[][] = [];
  return { batches, commit: async (batch: number[]) => void batches.push(batch) };
};

const opts = (o: Partial<GroupCommitOptions> = {}): GroupCommitOptions => ({ maxBatch: 3, maxDelayMs: 50, maxPending: 100, ...o });

/** The batch window on setTimeout, which the tests' fake timers drive. */
const later = (ms: number, fire: () => void) => {
  const timer = setTimeout(fire, ms);
  return () => clearTimeout(timer);
};

beforeEach(() => {
  vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
});
afterEach(() => {
  vi.useRealTimers();
});

describe('GroupCommitter', () => {
  it('commits a full batch at once, without waiting for the delay', async () => {
    const store = instantStore();
    const gc = new GroupCommitter(store.commit, opts(), later);
    gc.add(1);
    gc.add(2);
    await settle();
    expect(store.batches).toEqual([]);
    gc.add(3);
    await settle();
    expect(store.batches).toEqual([[1, 2, 3]]);
  });

  it('commits a partial batch once its first item has waited maxDelayMs', async () => {
    const store = instantStore();
    const gc = new GroupCommitter(store.commit, opts(), later);
    gc.add(1);
    await vi.advanceTimersByTimeAsync(30);
    gc.add(2);
    await vi.advanceTimersByTimeAsync(19);
    expect(store.batches).toEqual([]);
    await vi.advanceTimersByTimeAsync(1);
    expect(store.batches).toEqual([[1, 2]]);
    expect(gc.pending).toBe(0);
  });

  it('keeps one commit in flight and groups what arrives meanwhile into batches of at most maxBatch', async () => {
    const store = gatedStore();
    const gc = new GroupCommitter(store.commit, opts(), later);
    for (let i = 1; i <= 3; i++) gc.add(i);
    for (let i = 4; i <= 10; i++) gc.add(i);
    await vi.advanceTimersByTimeAsync(1_000);
    expect(store.batches).toEqual([[1, 2, 3]]);
    await store.land();
    expect(store.batches).toEqual([[1, 2, 3], [4, 5, 6]]);
    await store.land();
    await store.land();
    await store.land();
    expect(store.batches).toEqual([[1, 2, 3], [4, 5, 6], [7, 8, 9], [10]]);
    expect(store.maxInFlight).toBe(1);
    await gc.close();
  });

  it('makes producers wait in room() above maxPending and lets them go once the buffer drains', async () => {
    const store = gatedStore();
    const gc = new GroupCommitter(store.commit, opts({ maxBatch: 2, maxPending: 4 }), later);
    for (let i = 1; i <= 6; i++) gc.add(i); // [1,2] in flight, 4 buffered
    expect(gc.pending).toBe(4);
    let released = 0;
    void gc.room().then(() => released++);
    void gc.room().then(() => released++);
    await settle();
    expect(released).toBe(0);
    // [1,2] landed; [3,4] is taken into the next transaction, leaving 2 buffered: room again.
    await store.land();
    expect(gc.pending).toBe(2);
    expect(released).toBe(2);
    await store.land();
    // Below the bound, room() does not wait at all.
    await gc.room();
    await store.land();
    await gc.close();
    expect(store.batches.flat()).toEqual([1, 2, 3, 4, 5, 6]);
  });

  it('with sizes, commits at once on reaching maxBatchBytes and cuts batches there, past their first item', async () => {
    const store = gatedStore();
    // Each item is its own size in bytes.
    const gc = new GroupCommitter(store.commit, opts({ maxBatch: 100, maxBatchBytes: 10 }), later, (n: number) => n);
    gc.add(4);
    gc.add(5);
    await settle();
    expect(store.batches).toEqual([]); // 9 bytes: waits for company
    gc.add(3); // 12 bytes: at once, no delay; the batch stops before the byte bound (4 + 5)
    await settle();
    expect(store.batches).toEqual([[4, 5]]);
    gc.add(30); // larger than the bound alone
    gc.add(1);
    await store.land();
    expect(store.batches).toEqual([[4, 5], [3]]);
    await store.land();
    // An item over the bound is a batch of its own; nothing is ever left behind.
    expect(store.batches).toEqual([[4, 5], [3], [30]]);
    await store.land();
    await vi.advanceTimersByTimeAsync(1_000);
    await store.land();
    await gc.close();
    expect(store.batches).toEqual([[4, 5], [3], [30], [1]]);
  });

  it('makes producers wait in room() above maxPendingBytes, whatever their count', async () => {
    const store = gatedStore();
    const gc = new GroupCommitter(store.commit, opts({ maxBatch: 100, maxPending: 100, maxBatchBytes: 10, maxPendingBytes: 20 }), later, (n: number) => n);
    gc.add(10); // in flight at once
    await settle();
    gc.add(8);
    gc.add(8);
    gc.add(8); // 24 bytes buffered
    let released = false;
    void gc.room().then(() => (released = true));
    await settle();
    expect(released).toBe(false);
    // [10] landed; [8] is taken next (8 + 8 passes 10), leaving 16 bytes: room again.
    await store.land();
    expect(gc.pending).toBe(2);
    expect(released).toBe(true);
    for (let i = 0; i < 3; i++) await store.land();
    await gc.close();
    expect(store.batches).toEqual([[10], [8], [8], [8]]);
  });

  it('reports a commit error from close() and commits nothing after it', async () => {
    const store = gatedStore();
    const gc = new GroupCommitter(store.commit, opts({ maxBatch: 2, maxPending: 2 }), later);
    gc.add(1);
    gc.add(2);
    gc.add(3);
    gc.add(4);
    const failure = new Error('disk full');
    await store.land(failure);
    expect(gc.error).toBe(failure);
    gc.add(5);
    gc.add(6);
    await vi.advanceTimersByTimeAsync(1_000);
    // Producers are not left waiting for room that will never come.
    await gc.room();
    await expect(gc.close()).rejects.toBe(failure);
    expect(store.batches).toEqual([[1, 2]]);
  });

  it('close() flushes everything still buffered, in order', async () => {
    const store = instantStore();
    const gc = new GroupCommitter(store.commit, opts({ maxBatch: 4, maxDelayMs: 60_000 }), later);
    for (let i = 1; i <= 10; i++) gc.add(i);
    await gc.close();
    expect(store.batches).toEqual([[1, 2, 3, 4], [5, 6, 7, 8], [9, 10]]);
    expect(gc.pending).toBe(0);
  });

  it('close() waits for the commit in flight and commits nothing when empty', async () => {
    const store = gatedStore();
    const gc = new GroupCommitter(store.commit, opts({ maxBatch: 1 }), later);
    gc.add(1);
    let closed = false;
    const closing = gc.close().then(() => (closed = true));
    await settle();
    expect(closed).toBe(false);
    await store.land();
    await closing;
    expect(store.batches).toEqual([[1]]);

    const idle = instantStore();
    await new GroupCommitter(idle.commit, opts(), later).close();
    expect(idle.batches).toEqual([]);
  });
});

describe('GroupCommitter: items added while a flush is finishing', () => {
  it('commits an item that arrives between the flush loop ending and its bookkeeping', async () => {
    // Regression: an add() in that window was stranded and room() could wait forever.
    const store = gatedStore();
    const gc = new GroupCommitter(store.commit, opts({ maxBatch: 1, maxDelayMs: 5, maxPending: 1 }), later);
    gc.add(1);
    gc.add(2);
    const producer = gc.room().then(() => gc.add(3));
    await store.land();
    await store.land();
    await producer;
    await vi.advanceTimersByTimeAsync(50);
    await store.land();
    await gc.close();
    expect(store.batches.flat()).toEqual([1, 2, 3]);
  });
});
