// The SSE fan-out reads: a subscriber woken by a notification reads the bus ring, not storage;
// storage is read on attach, on the periodic re-check and after the final event. Writes of a
// live stream are spaced by FLUSH_GAP_MS, and nothing is lost or repeated either way.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { LiveEvent, RunEvent } from '../../core/events.js';
import type { RunRecord } from '../../core/model/run.js';
import type { Stores } from '../../core/ports.js';
import { systemClock } from '../../core/ports.js';
import { setTurnBudget, TURN_BUDGET_MS } from '../../core/turns.js';
import { InProcessEventBus } from '../../queue/event-bus.js';
import { FakeClock, settle } from '../../testing/fake-clock.js';
import { MemoryRunStore } from '../../testing/memory-run-store.js';
import { FLUSH_GAP_MS, type StreamItem, streamRunEvents, type WriteFlow } from './events.js';

function fakeRuns(run: { status: RunRecord['status']; nextSeq: number }) {
  const reads = { runEvents: 0, cellsAfterSeq: 0, rowResultsAfterSeq: 0, cursor: 0 };
  const runs = {
    async cursor() {
      reads.cursor++;
      return { id: 'run_1', total: 100, ...run } as unknown as RunRecord;
    },
    async runEvents() {
      reads.runEvents++;
      return [];
    },
    async cellsAfterSeq() {
      reads.cellsAfterSeq++;
      return [];
    },
    async rowResultsAfterSeq() {
      reads.rowResultsAfterSeq++;
      return [];
    },
  };
  return { stores: { runs } as unknown as Pick<Stores, 'runs'>, reads };
}

// The stream gives the turn away (core/turns.ts) once a turn has run TURN_BUDGET_MS of real
// time. These tests move time with a fake clock and settle() waits one turn: on a loaded
// machine a turn given away moved a write past that settle (CI, 2026-12-06), so here the
// stream never gives its turn away. src/http/routes/run-reads-turns.test.ts tests the yielding.
beforeEach(() => setTurnBudget(Number.POSITIVE_INFINITY));
afterEach(() => setTurnBudget(TURN_BUDGET_MS));

const progress = (seq: number): RunEvent => ({ type: 'progress', completed: seq - 1, total: 100, seq }) as RunEvent;

describe('streamRunEvents', () => {
  it('serves notifications from the ring without reading storage, batches close writes, and ends after the final event', async () => {
    const bus = new InProcessEventBus();
    const run = { status: 'running' as RunRecord['status'], nextSeq: 2 };
    const { stores, reads } = fakeRuns(run);
    bus.publish('run_1', [{ type: 'execution_started', runId: 'run_1', total: 100, runUrl: 'u', seq: 1 } as RunEvent]);
    const controller = new AbortController();
    const items: { at: number; item: StreamItem }[] = [];
    const consumer = (async () => {
      for await (const item of streamRunEvents({ stores, bus, clock: systemClock }, 'run_1', 0, controller.signal)) items.push({ at: Date.now(), item });
    })();
    await new Promise((r) => setTimeout(r, 20));
    const attachReads = { ...reads };
    // 40 notifications, 5 ms apart: far fewer writes than notifications, none lost.
    for (let seq = 2; seq <= 41; seq++) {
      bus.publish('run_1', [progress(seq)]);
      await new Promise((r) => setTimeout(r, 5));
    }
    run.nextSeq = 43;
    run.status = 'completed';
    bus.publish('run_1', [{ type: 'done', summary: {}, seq: 42 } as unknown as RunEvent]);
    await consumer;

    const ids = items.flatMap(({ item }) => (item.kind === 'events' ? item.events.map((e) => e.seq) : []));
    expect(ids).toEqual(Array.from({ length: 42 }, (_, i) => i + 1));
    const writes = items.filter(({ item }) => item.kind === 'events');
    expect(writes.length).toBeLessThanOrEqual(6);
    // Spaced by the gap, except the last: the final event goes out as soon as it is published.
    for (let i = 2; i < writes.length - 1; i++) expect(writes[i]!.at - writes[i - 1]!.at).toBeGreaterThanOrEqual(FLUSH_GAP_MS - 20);
    // No storage reads for the 41 notifications: only the run's status after the final event.
    expect(reads.runEvents).toBe(attachReads.runEvents);
    expect(reads.cellsAfterSeq).toBe(attachReads.cellsAfterSeq);
    expect(reads.cursor).toBe(attachReads.cursor + 1);
  });

  it('reads storage on the re-check, for events another process committed', async () => {
    const bus = new InProcessEventBus();
    const { stores, reads } = fakeRuns({ status: 'running', nextSeq: 2 });
    bus.publish('run_1', [{ type: 'execution_started', runId: 'run_1', total: 100, runUrl: 'u', seq: 1 } as RunEvent]);
    const controller = new AbortController();
    const consumer = (async () => {
      for await (const item of streamRunEvents({ stores, bus, clock: systemClock, pingMs: 100 }, 'run_1', 0, controller.signal)) void item;
    })();
    await new Promise((r) => setTimeout(r, 350));
    controller.abort();
    await consumer;
    // Attach + about one re-check per 100 ms.
    expect(reads.runEvents).toBeGreaterThanOrEqual(3);
  });
});

/** A stream of run_1 on a fake clock, its first event already published; items are recorded with their time. */
async function fakeClockStream(closing?: AbortSignal) {
  const { FakeClock, settle } = await import('../../testing/fake-clock.js');
  const clock = new FakeClock();
  const bus = new InProcessEventBus();
  const run = { status: 'running' as RunRecord['status'], nextSeq: 2 };
  const { stores } = fakeRuns(run);
  bus.publish('run_1', [{ type: 'execution_started', runId: 'run_1', total: 100, runUrl: 'u', seq: 1 } as RunEvent]);
  const controller = new AbortController();
  const items: { at: number; item: StreamItem }[] = [];
  const state = { ended: false };
  const consumer = (async () => {
    // The replay mark, first on every stream, has a test of its own.
    for await (const item of streamRunEvents({ stores, bus, clock, ...(closing ? { closing } : {}) }, 'run_1', 0, controller.signal)) if (item.kind !== 'replay') items.push({ at: clock.now(), item });
    state.ended = true;
  })();
  return { clock, settle, bus, run, controller, items, state, consumer };
}

describe('streamRunEvents: where the replay ends', () => {
  it('says first where its replay ends: the last seq stored when it opened, from the start or after Last-Event-ID', async () => {
    const first = async (afterSeq: number, nextSeq: number): Promise<StreamItem | undefined> => {
      const { stores } = fakeRuns({ status: 'running', nextSeq });
      const controller = new AbortController();
      const stream = streamRunEvents({ stores, bus: new InProcessEventBus(), clock: new FakeClock() }, 'run_1', afterSeq, controller.signal);
      const item = (await stream.next()).value as StreamItem | undefined;
      controller.abort();
      await stream.return(undefined);
      return item;
    };
    expect(await first(0, 42)).toEqual({ kind: 'replay', to: 41 });
    expect(await first(41, 42)).toEqual({ kind: 'replay', to: 41 });
    // A run with nothing stored yet: nothing to replay.
    expect(await first(0, 1)).toEqual({ kind: 'replay', to: 0 });
  });
});

describe('streamRunEvents: a watcher who joins mid-run', () => {
  it('hears the cells already running, each once, even when they are announced again', async () => {
    const clock = new FakeClock();
    const bus = new InProcessEventBus();
    const { stores } = fakeRuns({ status: 'running', nextSeq: 2 });
    bus.publish('run_1', [{ type: 'execution_started', runId: 'run_1', total: 100, runUrl: 'u', seq: 1 } as RunEvent]);
    const started = (rowIndex: number) => ({ type: 'cell_started', rowIndex, targetId: 'a', repeat: 0 }) as const;
    // Two cells started before the watcher came, a third was committed already.
    for (const row of [0, 1, 2]) bus.publishLive('run_1', started(row));
    bus.settle('run_1', [{ rowIndex: 2, targetId: 'a', repeat: 0 }]);
    const controller = new AbortController();
    const items: StreamItem[] = [];
    const consumer = (async () => {
      for await (const item of streamRunEvents({ stores, bus, clock }, 'run_1', 0, controller.signal)) items.push(item);
    })();
    await settle();
    await clock.advance(200);
    // Told again, as when another process answers a watcher who joined there: not sent twice.
    bus.publishLive('run_1', started(1), false);
    bus.publishLive('run_1', started(3));
    await clock.advance(200);
    controller.abort();
    await clock.advance(1_000);
    await consumer;
    const live = items.flatMap((i) => (i.kind === 'live' ? i.events.flatMap((e) => ('rowIndex' in e ? [e.rowIndex] : [])) : []));
    expect(live).toEqual([0, 1, 3]);
  });
});

describe('streamRunEvents: calls waiting for a slot', () => {
  it('sends each executor\'s latest word, every time it changes, the word that none wait included', async () => {
    const waiting = (source: string, calls: number): LiveEvent => ({ type: 'waiting', source, waits: calls === 0 ? [] : [{ kind: 'provider', name: 'ollama', calls, limit: 2 }] });
    const { clock, bus, controller, items, consumer } = await fakeClockStream();
    // Told before the stream subscribed (it does after reading the run): it hears it as it joins.
    bus.publishLive('run_1', waiting('a', 5));
    await settle();
    await clock.advance(200);
    // Two words from one source before the stream writes again: the later one goes.
    bus.publishLive('run_1', waiting('a', 4));
    bus.publishLive('run_1', waiting('a', 3));
    bus.publishLive('run_1', waiting('b', 1));
    await clock.advance(200);
    // The same word again (another watcher joined elsewhere) is sent again: it is no twin to leave out.
    bus.publishLive('run_1', waiting('a', 3), false);
    await clock.advance(200);
    bus.publishLive('run_1', waiting('a', 0));
    bus.publishLive('run_1', waiting('b', 0));
    await clock.advance(200);
    controller.abort();
    await clock.advance(1_000);
    await consumer;
    const words = items.flatMap(({ item }) => (item.kind === 'live' ? item.events.flatMap((e) => (e.type === 'waiting' ? [`${e.source}:${e.waits[0]?.calls ?? 0}`] : [])) : []));
    expect(words).toEqual(['a:5', 'a:3', 'b:1', 'a:3', 'a:0', 'b:0']);
  });
});

describe('streamRunEvents: a resumed run', () => {
  it('replays the first execution whole and still hears the live start of a cell it runs again', async () => {
    // Row 0 failed in the first execution; a resume that retries errors runs it again, under
    // the same keys. The replay's old `cell_started` is not the twin of the live one.
    const clock = new FakeClock();
    const bus = new InProcessEventBus();
    const { stores } = fakeRuns({ status: 'running', nextSeq: 6 });
    const cell = { rowIndex: 0, targetId: 'a', repeat: 0 };
    bus.publish('run_1', [
      { type: 'execution_started', runId: 'run_1', total: 1, runUrl: 'u', seq: 1 },
      { type: 'cell_started', ...cell, seq: 2 },
      { type: 'target_result', ...cell, error: 'HTTP 500', attempts: 1, seq: 3 },
      { type: 'done', summary: {}, seq: 4 },
      { type: 'resumed', retryErrors: true, seq: 5 },
    ] as unknown as RunEvent[]);
    bus.publishLive('run_1', { type: 'cell_started', ...cell });
    const controller = new AbortController();
    const items: StreamItem[] = [];
    const consumer = (async () => {
      for await (const item of streamRunEvents({ stores, bus, clock }, 'run_1', 0, controller.signal)) items.push(item);
    })();
    await settle();
    await clock.advance(300);
    controller.abort();
    await clock.advance(1_000);
    await consumer;
    const committed = items.flatMap((i) => (i.kind === 'events' ? i.events.map((e) => e.seq) : []));
    expect(committed).toEqual([1, 2, 3, 4, 5]);
    expect(items.flatMap((i) => (i.kind === 'live' ? i.events : []))).toEqual([{ type: 'cell_started', ...cell }]);
  });
});

describe('streamRunEvents: the end of a run', () => {
  it('sends the final event, with what waits before it, at once rather than after the flush gap', async () => {
    const { clock, settle, bus, run, items, state, consumer } = await fakeClockStream();
    await settle();
    expect(items).toHaveLength(1);
    // A progress event right after the first write waits for the gap…
    bus.publish('run_1', [progress(2)]);
    await clock.advance(10);
    expect(items).toHaveLength(1);
    // …but the final event takes it along at once.
    run.nextSeq = 4;
    run.status = 'completed';
    const doneAt = clock.now();
    bus.publish('run_1', [{ type: 'done', summary: {}, seq: 3 } as unknown as RunEvent]);
    await settle();
    expect(state.ended).toBe(true);
    await consumer;
    const last = items.at(-1)!;
    expect(last.at).toBe(doneAt);
    expect(last.item.kind === 'events' && last.item.events.map((e) => e.seq)).toEqual([2, 3]);
    expect(doneAt - items[0]!.at).toBeLessThan(FLUSH_GAP_MS);
  });
});

describe('streamRunEvents: the server shutting down', () => {
  it('sends the committed events it holds, then ends with closed: shutdown at once, the run still running', async () => {
    const closing = new AbortController();
    const { clock, settle, bus, items, state, consumer } = await fakeClockStream(closing.signal);
    await settle();
    expect(items).toHaveLength(1);
    // Committed after the last write: it waits for the flush gap…
    bus.publish('run_1', [progress(2)]);
    await clock.advance(10);
    expect(items).toHaveLength(1);
    // …but the shutdown sends it along and ends the stream without waiting for the gap or the run.
    const closedAt = clock.now();
    closing.abort();
    await settle();
    expect(state.ended).toBe(true);
    await consumer;
    expect(items.slice(1).map(({ at, item }) => ({ at, item }))).toEqual([
      { at: closedAt, item: { kind: 'events', events: [progress(2)] } },
      { at: closedAt, item: { kind: 'closed', reason: 'shutdown' } },
    ]);
  });

  it('a stream opened once the shutdown began sends its page and ends the same way', async () => {
    const closing = new AbortController();
    closing.abort();
    const { settle, items, state, consumer } = await fakeClockStream(closing.signal);
    await settle();
    expect(state.ended).toBe(true);
    await consumer;
    expect(items.map(({ item }) => (item.kind === 'events' ? item.events.map((e) => e.seq) : item))).toEqual([[1], { kind: 'closed', reason: 'shutdown' }]);
  });
});

describe('streamRunEvents: live and committed events share their writes', () => {
  it('sends committed events that wait along with a live write, in the same turn, and no extra write for them', async () => {
    const { clock, settle, bus, controller, items, consumer } = await fakeClockStream();
    await settle();
    const start = clock.now();
    expect(items.map((i) => i.item.kind)).toEqual(['events']);
    // Each 10 ms a cell starts (a live event) and one commits (a committed event), for 600 ms.
    for (let k = 0; k < 60; k++) {
      bus.publishLive('run_1', { type: 'cell_started', rowIndex: k, targetId: 'a', repeat: 0 } as never);
      bus.publish('run_1', [progress(k + 2)]);
      await clock.advance(10);
    }
    controller.abort();
    await clock.advance(1_000);
    await consumer;
    const later = items.slice(1);
    // Every live write carried the committed events waiting then, at the same moment…
    const liveAt = later.filter((i) => i.item.kind === 'live').map((i) => i.at);
    const eventsAt = later.filter((i) => i.item.kind === 'events').map((i) => i.at);
    expect(liveAt.length).toBeGreaterThanOrEqual(5);
    expect(eventsAt.every((at) => liveAt.includes(at))).toBe(true);
    // …so moments with a write are no more than the live gap allows (100 ms: 6 in 600 ms, plus the first).
    expect(new Set(later.map((i) => i.at)).size).toBeLessThanOrEqual(Math.ceil((clock.now() - start) / 100) + 1);
    // Nothing lost: every committed event went out once, in order.
    const seqs = items.flatMap(({ item }) => (item.kind === 'events' ? item.events.map((e) => e.seq) : []));
    expect(seqs).toEqual(Array.from({ length: seqs.length }, (_, i) => i + 1));
    expect(seqs.length).toBeGreaterThanOrEqual(55);
  });

  it('reads a backlog of large cells page after page, though each page stops short of a full one', async () => {
    // Another process commits the cells (nothing reaches this bus) while the stream is open, and
    // each storage page holds two 2 MB cells (a byte budget), far fewer events than a full page.
    // Time moves only when the test says: one re-check finds the backlog, and the pages after it
    // must follow without waiting for another.
    const store = new MemoryRunStore();
    const clock = new FakeClock();
    const run = {
      id: 'run_1', projectId: 'p', experimentId: 'e', experimentSlug: 'x', status: 'running', total: 12, progress: 0,
      startedAt: 1, finishedAt: null, summary: null, error: null, errorMessage: null, stopReason: null, nextSeq: 2, abortRequested: false,
      spec: {
        experimentId: 'e', experimentSlug: 'x', experimentVersion: 1, rows: { kind: 'inline' }, sourceRowCount: 12, rowIndices: null, parameters: {},
        targetIds: ['a'], evaluatorIds: [], repeats: 1, concurrency: 2, timeoutMs: 1_000, maxRetries: 0, budgetUsd: null, cache: false,
        baselineRunId: null, webhookUrl: null, metadata: {}, runUrl: 'u',
      },
    } as RunRecord;
    await store.create(run);
    await store.claim('run_1', 'A', clock.now() + 60_000, clock.now());
    const seqs: number[] = [];
    const stop = new AbortController();
    let ended = false;
    const consumer = (async () => {
      for await (const item of streamRunEvents({ stores: { runs: store }, bus: new InProcessEventBus(), clock }, 'run_1', 0, stop.signal)) {
        if (item.kind === 'events') seqs.push(...item.events.map((e) => e.seq));
      }
      ended = true;
    })();
    await settle();
    const big = 'b'.repeat(2_000_000);
    const drafts = Array.from({ length: 12 }, (_, n) => ({ cell: n, rowIndex: n, targetId: 'a', repeat: 0, entry: {}, durationMs: 1, attempts: 1, retries: [], cached: false, ok: true as const, output: big, evaluations: [] }));
    await store.commitCells('run_1', 'A', drafts, 2);
    const summary = { runId: 'run_1', totalCells: 12, completedCells: 12, failedCells: 0, duration: 1, timestamps: { startedAt: 1, finishedAt: 2 }, runUrl: 'u', totalPassed: 12, totalFailed: 0, passRate: 100, totalCost: 0, targetCost: 0, evaluatorCost: 0, targets: [], evaluators: [] };
    await store.finish('run_1', 'A', { status: 'completed', summary, error: null, errorMessage: null, stopReason: null, finishedAt: 2, event: { type: 'done', summary } });
    await clock.advance(1_000);
    // Real time for the reads themselves (no clock involved); it ends as soon as they do.
    await Promise.race([consumer, new Promise((r) => setTimeout(r, 5_000))]);
    stop.abort();
    await consumer;
    const last = (await store.cursor('run_1'))!.nextSeq - 1;
    expect(seqs).toEqual(Array.from({ length: last }, (_, i) => i + 1));
    expect(ended).toBe(true);
  });
});

describe('streamRunEvents: shards publishing out of commit order', () => {
  it('a batch published after newer ones does not leave the reader waiting for the re-check', async () => {
    const clock = new FakeClock();
    const bus = new InProcessEventBus();
    const stored: RunEvent[] = [];
    const runs = {
      cursor: async () => ({ id: 'run_1', total: 100, status: 'running', nextSeq: stored.length + 1 }) as unknown as RunRecord,
      runEvents: async (_: string, after: number, limit: number) => stored.filter((e) => e.seq > after).slice(0, limit),
      cellsAfterSeq: async () => [],
      rowResultsAfterSeq: async () => [],
    };
    const commit = (...events: RunEvent[]) => {
      stored.push(...events);
      stored.sort((a, b) => a.seq - b.seq);
    };
    commit(progress(1));
    bus.publish('run_1', [progress(1)]);
    const controller = new AbortController();
    const seqs: number[] = [];
    const consumer = (async () => {
      for await (const item of streamRunEvents({ stores: { runs } as unknown as Pick<Stores, 'runs'>, bus, clock }, 'run_1', 0, controller.signal)) {
        if (item.kind === 'events') seqs.push(...item.events.map((e) => e.seq));
      }
    })();
    // A few turns: the reads yield a turn when the test's own turn ran long (core/turns.ts).
    for (let i = 0; i < 10; i++) await settle();
    expect(seqs).toEqual([1]);
    // Shard A commits 2–3, then shard B 4–5 (the run row's lock orders their commits), but B's
    // batch reaches this process first. Both arrive before the stream's next read.
    commit(progress(2), progress(3));
    commit(progress(4), progress(5));
    bus.publish('run_1', [progress(4), progress(5)]);
    bus.publish('run_1', [progress(2), progress(3)]);
    await clock.advance(FLUSH_GAP_MS);
    // Everything within one flush gap of the late batch, not a second later.
    expect(seqs).toEqual([1, 2, 3, 4, 5]);
    controller.abort();
    await clock.advance(1_000);
    await consumer;
  });
});

describe('streamRunEvents: a writer that could not write a whole page (WriteFlow)', () => {
  it('reads on after the last event written, and still leaves out the twin of a live event it sent', async () => {
    const clock = new FakeClock();
    const bus = new InProcessEventBus();
    const { stores } = fakeRuns({ status: 'running', nextSeq: 2 });
    bus.publish('run_1', [{ type: 'execution_started', runId: 'run_1', total: 2, runUrl: 'u', seq: 1 } as RunEvent]);
    const cell0 = { rowIndex: 0, targetId: 'a', repeat: 0 };
    const cell1 = { rowIndex: 1, targetId: 'a', repeat: 0 };
    const flow: WriteFlow = {};
    const controller = new AbortController();
    /** What a client received: a page cut by the writer counts up to its last written event. */
    const received: number[] = [];
    const live: unknown[] = [];
    let cut = false;
    const consumer = (async () => {
      for await (const item of streamRunEvents({ stores, bus, clock }, 'run_1', 0, controller.signal, flow)) {
        if (item.kind === 'live') live.push(...item.events);
        if (item.kind !== 'events') continue;
        let events = item.events;
        if (!cut && events.some((e) => e.seq === 5)) {
          // The socket filled after seq 3: the rest of the page is the stream's to read again.
          cut = true;
          events = events.filter((e) => e.seq <= 3);
          flow.unsent = { after: 3, drained: Promise.resolve() };
        }
        received.push(...events.map((e) => e.seq));
      }
    })();
    await settle();
    bus.publishLive('run_1', { type: 'cell_started', ...cell0 });
    await clock.advance(200);
    bus.publish('run_1', [
      { type: 'cell_started', ...cell1, seq: 2 },
      { type: 'target_result', ...cell1, output: 'b', seq: 3 },
      // The committed twin of the live start sent above, after the cut.
      { type: 'cell_started', ...cell0, seq: 4 },
      { type: 'target_result', ...cell0, output: 'a', seq: 5 },
    ] as unknown as RunEvent[]);
    await clock.advance(600);
    controller.abort();
    await clock.advance(1_000);
    await consumer;
    expect(cut).toBe(true);
    expect(received).toEqual([1, 2, 3, 5]);
    expect(live).toEqual([{ type: 'cell_started', ...cell0 }]);
  });
});
