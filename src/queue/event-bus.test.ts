// The in-process bus keeps a ring of each live run's recent events and forgets a run's ring
// once the run has ended and nobody listens (readers then use storage), so memory is flat
// after runs end.
import { describe, expect, it } from 'vitest';
import type { RunEvent } from '../core/events.js';
import { InProcessEventBus } from './event-bus.js';

const progress = (seq: number) => ({ type: 'progress', completed: seq, total: 10, seq }) as RunEvent;
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
});
