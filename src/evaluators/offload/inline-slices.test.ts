import { describe, expect, it, vi } from 'vitest';
import { inlineTurn } from './inline-slices.js';

const busy = (ms: number) => {
  const end = performance.now() + ms;
  while (performance.now() < end);
};

describe('inline turns', () => {
  it('runs evaluations one at a time, in the order they arrived', async () => {
    const log: string[] = [];
    const signal = new AbortController().signal;
    const slow = inlineTurn(async () => {
      log.push('a start');
      await new Promise((r) => setTimeout(r, 20));
      log.push('a end');
      return 'a';
    }, signal);
    const quick = inlineTurn(async () => {
      log.push('b');
      return 'b';
    }, signal);
    expect(await Promise.all([slow, quick])).toEqual(['a', 'b']);
    expect(log).toEqual(['a start', 'a end', 'b']);
  });

  it('a hung evaluation gives up its turn when its signal aborts, and the next one runs', async () => {
    const hung = new AbortController();
    const never = inlineTurn(() => new Promise<never>(() => {}), hung.signal);
    const after = inlineTurn(async () => 'after', new AbortController().signal);
    hung.abort(new Error('evaluator deadline'));
    await expect(never).rejects.toThrow('evaluator deadline');
    expect(await after).toBe('after');
  });

  it('an evaluation whose signal aborted while it waited is never started', async () => {
    const first = new AbortController();
    const waiting = new AbortController();
    let started = false;
    const holding = inlineTurn(() => new Promise((r) => setTimeout(() => r('done'), 10)), first.signal);
    const skipped = inlineTurn(async () => {
      started = true;
    }, waiting.signal);
    waiting.abort(new Error('stopped'));
    await expect(skipped).rejects.toThrow('stopped');
    expect(await holding).toBe('done');
    expect(started).toBe(false);
  });

  it('a synchronous throw rejects that evaluation only', async () => {
    const signal = new AbortController().signal;
    const bad = inlineTurn(() => {
      throw new Error('bad settings');
    }, signal);
    const good = inlineTurn(async () => 2, signal);
    await expect(bad).rejects.toThrow('bad settings');
    expect(await good).toBe(2);
  });

  it('lets the event loop in between evaluations once a slice of busy time has gone by', async () => {
    // A fresh copy of the module: the busy time that earlier tests' turns left counted would
    // otherwise make the first turn here wait for the event loop, and a timer could then fire
    // before any evaluation had run (as it did once in CI on a loaded machine).
    vi.resetModules();
    const fresh = (await import('./inline-slices.js')).inlineTurn;
    const signal = new AbortController().signal;
    const order: string[] = [];
    // 40 evaluations of 2 ms each started together: 80 ms of work. The first starts at once;
    // a timer due now must not wait for all of them.
    const all = Array.from({ length: 40 }, (_, i) =>
      fresh(async () => {
        busy(2);
        order.push(`e${i}`);
      }, signal),
    );
    setTimeout(() => order.push('timer'), 0);
    await Promise.all(all);
    const at = order.indexOf('timer');
    expect(at).toBeGreaterThan(0);
    expect(at).toBeLessThan(order.length - 1);
  });

  it('thousands of waiting evaluations that were all stopped settle without deep recursion', async () => {
    const holder = new AbortController();
    const stop = new AbortController();
    const first = inlineTurn(() => new Promise<never>(() => {}), holder.signal);
    const rest = Array.from({ length: 20_000 }, () => inlineTurn(async () => 'ran', stop.signal));
    stop.abort(new Error('run stopped'));
    holder.abort(new Error('deadline'));
    await expect(first).rejects.toThrow('deadline');
    const settled = await Promise.allSettled(rest);
    expect(settled.every((s) => s.status === 'rejected')).toBe(true);
  });
});
