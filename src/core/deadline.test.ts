// Deadlines (core/deadline.ts): a signal made only when read, one abort listener per parent for all
// its deadlines, and the same outcomes as before either way.
import { getEventListeners } from 'node:events';
import { describe, expect, it } from 'vitest';
import { FakeClock } from '../testing/fake-clock.js';
import { systemClock } from './ports.js';

describe('deadline', () => {
  it('times out with a TimeoutError, whether the signal was read before or after', async () => {
    const clock = new FakeClock();
    const early = clock.deadline(100);
    const earlySignal = early.signal;
    const late = clock.deadline(100);
    await clock.advance(100);
    expect(early.expired).toBe(true);
    expect(earlySignal.aborted).toBe(true);
    expect((earlySignal.reason as DOMException).name).toBe('TimeoutError');
    expect(late.expired).toBe(true);
    expect(late.aborted).toBe(true);
    expect((late.reason as DOMException).name).toBe('TimeoutError');
    // Made after the time ran out: aborted from the start, with the same reason.
    expect(late.signal.aborted).toBe(true);
    expect(late.signal.reason).toBe(late.reason);
  });

  it('aborts with the parent reason, read or not, and is then not expired', async () => {
    const clock = new FakeClock();
    const run = new AbortController();
    const read = clock.deadline(1000, run.signal);
    const readSignal = read.signal;
    const unread = clock.deadline(1000, run.signal);
    const reason = new Error('run stopped');
    run.abort(reason);
    expect(readSignal.aborted).toBe(true);
    expect(readSignal.reason).toBe(reason);
    expect(unread.aborted).toBe(true);
    expect(unread.reason).toBe(reason);
    expect(unread.signal.reason).toBe(reason);
    await clock.advance(1000);
    expect(read.expired).toBe(false);
    expect(unread.expired).toBe(false);
  });

  it('starts aborted under a parent that already aborted', () => {
    const run = new AbortController();
    run.abort(new Error('gone'));
    const d = systemClock.deadline(60_000, run.signal);
    expect(d.aborted).toBe(true);
    expect(d.signal.aborted).toBe(true);
    expect((d.signal.reason as Error).message).toBe('gone');
    d.clear();
  });

  it('listens to a parent once for all its deadlines, and a cleared one no longer follows it', () => {
    const clock = new FakeClock();
    const run = new AbortController();
    const deadlines = Array.from({ length: 50 }, () => clock.deadline(1000, run.signal));
    for (const d of deadlines) void d.signal;
    expect(getEventListeners(run.signal, 'abort')).toHaveLength(1);
    const cleared = deadlines[0]!;
    cleared.clear();
    run.abort(new Error('stop'));
    expect(cleared.signal.aborted).toBe(false);
    expect(deadlines.slice(1).every((d) => d.signal.aborted)).toBe(true);
  });

  it('leaves alone a deadline that a listener clears while the parent aborts', () => {
    const clock = new FakeClock();
    const run = new AbortController();
    const first = clock.deadline(1000, run.signal);
    const second = clock.deadline(1000, run.signal);
    first.signal.addEventListener('abort', () => second.clear());
    run.abort(new Error('stop'));
    expect(first.aborted).toBe(true);
    expect(second.aborted).toBe(false);
    expect(second.signal.aborted).toBe(false);
  });

  it('makes the signal, and applies prepare, only when the signal is read', () => {
    const clock = new FakeClock();
    const prepared: AbortSignal[] = [];
    const d = clock.deadline(1000, undefined, (s) => prepared.push(s));
    expect(d.aborted).toBe(false);
    expect(prepared).toHaveLength(0);
    const signal = d.signal;
    expect(d.signal).toBe(signal);
    expect(prepared).toEqual([signal]);
    d.clear();
  });

  it('tells onStop listeners once, with the reason, without making a signal', async () => {
    const clock = new FakeClock();
    const prepared: AbortSignal[] = [];
    const d = clock.deadline(100, undefined, (s) => prepared.push(s));
    const heard: unknown[] = [];
    const removed: unknown[] = [];
    d.onStop((reason) => heard.push(reason));
    d.onStop((reason) => heard.push(reason));
    d.onStop((reason) => removed.push(reason))();
    await clock.advance(100);
    expect(heard).toHaveLength(2);
    expect((heard[0] as DOMException).name).toBe('TimeoutError');
    expect(heard[1]).toBe(heard[0]);
    expect(removed).toHaveLength(0);
    expect(prepared).toHaveLength(0);
    // Listening after the stop hears it at once.
    const late: unknown[] = [];
    d.onStop((reason) => late.push(reason));
    expect(late).toEqual([d.reason]);
  });

  it('tells onStop listeners the parent reason, and nothing once cleared', async () => {
    const clock = new FakeClock();
    const run = new AbortController();
    const followed = clock.deadline(1000, run.signal);
    const cleared = clock.deadline(1000, run.signal);
    const heard: unknown[] = [];
    followed.onStop((reason) => heard.push(reason));
    cleared.onStop(() => heard.push('cleared'));
    cleared.clear();
    run.abort('run stopped');
    expect(heard).toEqual(['run stopped']);
    await clock.advance(1000);
    expect(heard).toEqual(['run stopped']);
  });
});
