// The in-process bus keeps a ring of each live run's recent events and forgets a run's ring
// once the run has ended and nobody listens (readers then use storage), so memory is flat
// after runs end.
import { describe, expect, it } from 'vitest';
import type { RunEvent } from '../core/events.js';
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
