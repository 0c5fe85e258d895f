// The in-process bus keeps a ring of each live run's recent events and forgets a run's ring
// once the run has ended and nobody listens (readers then use storage), so memory is flat
// after runs end. It tells a watcher who joins mid-run which cells are running here.
import { describe, expect, it } from 'vitest';
import type { LiveEvent, RunEvent } from '../core/events.js';
import { InProcessEventBus, RING_BYTES, TOTAL_BYTES } from './event-bus.js';

const progress = (seq: number) => ({ type: 'progress', completed: seq, total: 10, seq }) as RunEvent;
const MB = 1024 * 1024;
/** A cell's result with an output of `mb` megabytes. */
const big = (seq: number, mb: number) => ({ type: 'target_result', rowIndex: seq, targetId: 't', repeat: 0, attempts: 1, output: 'o'.repeat(mb * MB), seq }) as RunEvent;
const done = (seq: number) => ({ type: 'done', summary: {}, seq }) as unknown as RunEvent;

describe('InProcessEventBus', () => {
  it('serves recent events from its ring and notifies listeners', () => {
    const bus = new InProcessEventBus();
    const seen: number[] = [];
    const off = bus.subscribe('r', (events) => seen.push(...events.map((e) => e.seq)));
    bus.publish('r', [progress(1), progress(2)]);
    bus.publish('r', [progress(3)]);
    expect(seen).toEqual([1, 2, 3]);
    expect(bus.recent('r', 1, 10)!.map((e) => e.seq)).toEqual([2, 3]);
    expect(bus.recent('r', 3, 10)).toEqual([]);
    off();
  });

  it('sends readers to storage for a batch that arrives after newer ones (shards out of commit order)', () => {
    const bus = new InProcessEventBus();
    const batches: number[][] = [];
    const off = bus.subscribe('sharded', (events) => batches.push(events.map((e) => e.seq)));
    bus.publish('sharded', [progress(1)]);
    bus.publish('sharded', [progress(4), progress(5)]);
    bus.publish('sharded', [progress(2), progress(3)]);
    // The late batch is not held: a ring ending at 3 would tell a reader at 3 that nothing is newer.
    expect(batches).toEqual([[1], [4, 5], []]);
    expect(bus.recent('sharded', 3, 10)).toBeNull();
    expect(bus.recent('sharded', 1, 10)).toBeNull();
    // The next batch in order starts the ring again.
    bus.publish('sharded', [progress(6)]);
    expect(bus.recent('sharded', 5, 10)!.map((e) => e.seq)).toEqual([6]);
    off();
  });

  it('drops an ended run at once without listeners, or when the last listener leaves', () => {
    const bus = new InProcessEventBus();
    bus.publish('alone', [progress(1), done(2)]);
    expect(bus.recent('alone', 0, 10)).toBeNull();

    const off = bus.subscribe('watched', () => {});
    bus.publish('watched', [progress(1)]);
    bus.publish('watched', [done(2)]);
    // A listener still reading gets the final event from the ring.
    expect(bus.recent('watched', 1, 10)!.map((e) => e.type)).toEqual(['done']);
    off();
    expect(bus.recent('watched', 1, 10)).toBeNull();
  });

  it('keeps a run that goes on after a stop (resume), and forgets empty channels of late subscribers', () => {
    const bus = new InProcessEventBus();
    const off = bus.subscribe('resumed', () => {});
    bus.publish('resumed', [{ type: 'stopped', reason: 'user', seq: 1 } as unknown as RunEvent]);
    bus.publish('resumed', [progress(2)]);
    off();
    expect(bus.recent('resumed', 1, 10)!.map((e) => e.seq)).toEqual([2]);

    const late = bus.subscribe('finished-long-ago', () => {});
    late();
    // Nothing retained: a later publish starts a fresh ring.
    bus.publish('finished-long-ago', [progress(7)]);
    expect(bus.recent('finished-long-ago', 6, 10)!.map((e) => e.seq)).toEqual([7]);
  });

  it('holds at most RING_BYTES of a run\'s events: a reader further back goes to storage', () => {
    const bus = new InProcessEventBus();
    const seen: number[] = [];
    const off = bus.subscribe('wide', (events) => seen.push(...events.map((e) => e.seq)));
    for (let seq = 1; seq <= 20; seq++) bus.publish('wide', [big(seq, 1)]);
    // Listeners get every event as it is published; the ring keeps only the newest.
    expect(seen).toHaveLength(20);
    expect(bus.heldBytes).toBeLessThanOrEqual(RING_BYTES);
    expect(bus.heldBytes).toBeGreaterThan(RING_BYTES - 2 * MB);
    expect(bus.recent('wide', 0, 100)).toBeNull();
    // 8 MB holds seven events of a little over 1 MB each: 14 to 20.
    expect(bus.recent('wide', 13, 100)!.map((e) => e.seq)).toEqual([14, 15, 16, 17, 18, 19, 20]);
    expect(bus.recent('wide', 12, 100)).toBeNull();
    // An event larger than the bound alone is still kept as the newest.
    bus.publish('wide', [big(21, 9)]);
    expect(bus.recent('wide', 20, 10)!.map((e) => e.seq)).toEqual([21]);
    off();
  });

  it('holds at most TOTAL_BYTES over all runs, letting go of the least recently published rings first', () => {
    const bus = new InProcessEventBus();
    const offs = [];
    const runs = Math.ceil(TOTAL_BYTES / (4 * MB)) + 4;
    for (let r = 0; r < runs; r++) {
      offs.push(bus.subscribe(`run-${r}`, () => {}));
      bus.publish(`run-${r}`, [big(1, 4)]);
    }
    expect(bus.heldBytes).toBeLessThanOrEqual(TOTAL_BYTES);
    expect(bus.recent('run-0', 0, 10)).toBeNull();
    expect(bus.recent(`run-${runs - 1}`, 0, 10)!.map((e) => e.seq)).toEqual([1]);
    // A run whose ring was let go starts it again with its next event.
    bus.publish('run-0', [big(2, 1)]);
    expect(bus.recent('run-0', 1, 10)!.map((e) => e.seq)).toEqual([2]);
    for (const off of offs) off();
  });

  it('gives back the bytes of the rings it forgets', () => {
    const bus = new InProcessEventBus();
    bus.publish('a', [big(1, 2)]);
    bus.publish('a', [done(2)]);
    expect(bus.heldBytes).toBe(0);
  });

  it('counts no bytes for a ring it does not hold, when every other run is listened to', () => {
    // Found by review: with 256 runs listened to, a 257th run's channel was made and dropped at
    // once, its events' bytes counted and never given back, until every publish cleared every ring.
    const bus = new InProcessEventBus();
    const offs = Array.from({ length: 256 }, (_, r) => bus.subscribe(`w-${r}`, () => {}));
    for (let seq = 1; seq <= 10; seq++) bus.publish('extra', [big(seq, 1)]);
    expect(bus.heldBytes).toBeLessThanOrEqual(RING_BYTES);
    expect(bus.recent('extra', 8, 10)!.map((e) => e.seq)).toEqual([9, 10]);
    bus.publish('w-0', [progress(1)]);
    bus.publish('w-1', [progress(1)]);
    expect(bus.recent('w-0', 0, 10)!.map((e) => e.seq)).toEqual([1]);
    for (const off of offs) off();
    bus.publish('extra', [done(11)]);
    bus.publish('w-0', [done(2)]);
    bus.publish('w-1', [done(2)]);
    expect(bus.heldBytes).toBe(0);
  });
});

const started = (rowIndex: number, targetId = 't') => ({ type: 'cell_started', rowIndex, targetId, repeat: 0 }) as LiveEvent;

describe('cells in flight', () => {
  it('a watcher who joins hears the cells running here; not those committed, nor those of an ended run', () => {
    const bus = new InProcessEventBus();
    for (const row of [0, 1, 2]) bus.publishLive('r', started(row));
    // Another process's cell, relayed here: that process answers for it, not this one.
    bus.publishLive('r', started(9), false);
    bus.settle('r', [{ rowIndex: 1, targetId: 't', repeat: 0 }]);
    const heard: LiveEvent[] = [];
    const off = bus.subscribe('r', () => {}, (e) => heard.push(e));
    expect(heard).toEqual([started(0), started(2)]);
    expect(bus.runningCells('other')).toEqual([]);
    // Later ones are heard as they happen, as before.
    bus.publishLive('r', started(3));
    expect(heard.map((e) => (e as { rowIndex: number }).rowIndex)).toEqual([0, 2, 3]);
    off();
    // A stop abandons what was in flight: its final event lets go of it.
    bus.publish('r', [done(5)]);
    expect(bus.runningCells('r')).toEqual([]);
    const late: LiveEvent[] = [];
    bus.subscribe('r', () => {}, (e) => late.push(e));
    expect(late).toEqual([]);
  });

  it('a watcher who joins during a retry wait hears the wait, with what is left of it', () => {
    let now = 1_000;
    const bus = new InProcessEventBus(() => now);
    const retrying = (rowIndex: number, attempt: number, delayMs: number): LiveEvent => ({ type: 'retrying', rowIndex, targetId: 't', repeat: 0, attempt, delayMs, reason: 'HTTP 429' });
    for (const row of [0, 1, 2]) bus.publishLive('r', started(row));
    bus.publishLive('r', retrying(0, 1, 5_000));
    // A second wait replaces the first; a cell not running here keeps nothing.
    bus.publishLive('r', retrying(0, 2, 30_000));
    bus.publishLive('r', retrying(1, 1, 2_000));
    bus.publishLive('r', retrying(7, 1, 30_000));
    now += 10_000;
    const heard: LiveEvent[] = [];
    bus.subscribe('r', () => {}, (e) => heard.push(e));
    // Row 1's wait is over (it is trying again): only row 0's, 20 s of 30 left, after the starts.
    expect(heard).toEqual([started(0), started(1), started(2), retrying(0, 2, 20_000)]);
    // Committed: nothing of it is kept.
    bus.settle('r', [{ rowIndex: 0, targetId: 't', repeat: 0 }]);
    expect(bus.runningCells('r')).toEqual([started(1), started(2)]);
  });

  it('a watcher who joins while calls wait for a slot hears each executor\'s last word, until it says none wait', () => {
    const bus = new InProcessEventBus();
    const waiting = (source: string, calls: number): LiveEvent => ({ type: 'waiting', source, waits: calls === 0 ? [] : [{ kind: 'provider', name: 'ollama', calls, limit: 2 }] });
    bus.publishLive('r', started(0));
    bus.publishLive('r', waiting('w1#0', 5));
    bus.publishLive('r', waiting('w1#0', 3));
    bus.publishLive('r', waiting('w2#1', 4));
    // Another process's, relayed: its own process answers for it.
    bus.publishLive('r', waiting('w3#2', 9), false);
    const heard: LiveEvent[] = [];
    bus.subscribe('r', () => {}, (e) => heard.push(e));
    expect(heard).toEqual([started(0), waiting('w1#0', 3), waiting('w2#1', 4)]);
    // Kept once no cell of the run is in flight here too.
    bus.settle('r', [{ rowIndex: 0, targetId: 't', repeat: 0 }]);
    expect(bus.runningCells('r')).toEqual([waiting('w1#0', 3), waiting('w2#1', 4)]);
    bus.publishLive('r', waiting('w1#0', 0));
    bus.publishLive('r', waiting('w2#1', 0));
    expect(bus.runningCells('r')).toEqual([]);
  });

  it('keeps at most RUNNING_CELLS cells a run and RUNNING_RUNS runs, the oldest going first', () => {
    const bus = new InProcessEventBus();
    for (let row = 0; row < 5_000; row++) bus.publishLive('r', started(row));
    const cells = bus.runningCells('r');
    expect(cells).toHaveLength(4096);
    expect((cells[0] as { rowIndex: number }).rowIndex).toBe(5_000 - 4096);
    for (let run = 0; run < 300; run++) bus.publishLive(`run${run}`, started(0));
    expect(bus.runningCells('r')).toEqual([]);
    expect(bus.runningCells('run299')).toHaveLength(1);
    expect(bus.runningCells('run43')).toEqual([]);
    expect(bus.runningCells('run44')).toHaveLength(1);
  });
});
