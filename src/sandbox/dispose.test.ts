// Disposing isolates leaves the main thread free. Disposed plainly, four idle isolates holding
// 100 MB each held it for 100–310 ms (the tear-down ran on it, in dispose() or just after);
// disposed as dispose.ts does, under 25 ms. Making isolates right after is covered too: a
// `new Isolate` on the main thread waits for tear-downs in progress (maker.ts).
//
// On a loaded machine the event loop is late for want of a CPU alone, so the time the main
// thread waited for a CPU is taken out of each late turn (src/testing/thread-times.ts), and
// the CPU it spent in its longest turn is checked too: 1–2 ms disposed as dispose.ts does,
// 25–44 ms disposed plainly (the tear-down), at load 11 as without load.
import { describe, expect, it } from 'vitest';
import type { SandboxFunction } from '../core/model/adapters.js';
import { HAS_THREAD_TIMES, type Held, heldMonitor } from '../testing/thread-times.js';
import { IsolatedSandbox } from './isolated.js';

const never = new AbortController().signal;
const KEEP_100_MB = 'globalThis.kept = []; for (let i = 0; i < 100; i++) kept.push(new Array(131072).fill(i + 0.5)); return kept.length';
/** The most CPU one event-loop turn of the main thread may take here: far under a tear-down's. */
const TURN_CPU_MS = 12;

/** Calls `work`, then watches the event loop for `ms`. */
async function mainThreadHeld(work: () => void, ms: number): Promise<Held> {
  const monitor = heldMonitor();
  work();
  await new Promise((r) => setTimeout(r, ms));
  return monitor.stop();
}

/**
 * Nothing held the main thread (the product rule is 100 ms; 50 here, as a `new Isolate` on it
 * waited 113–314 ms for the tear-downs at load 11, and 0–4 ms made as maker.ts does), and no
 * tear-down ran on it.
 */
function expectFree(seen: Held): void {
  // Without the thread's times, `held` is the plain lateness: the product rule only.
  expect(seen.held).toBeLessThan(HAS_THREAD_TIMES ? 50 : 100);
  expect(seen.turnCpu).toBeLessThan(TURN_CPU_MS);
}

/** Four sandboxed functions, each left holding 100 MB in its isolate. */
async function fourHoldingMemory(sandbox: IsolatedSandbox): Promise<SandboxFunction[]> {
  const fns: SandboxFunction[] = [];
  for (let i = 0; i < 4; i++) {
    const fn = await sandbox.compile(KEEP_100_MB, { params: [], timeoutMs: 30_000 });
    expect(await fn.call([], never)).toBe(100);
    fns.push(fn);
  }
  return fns;
}

describe('disposing sandboxed functions', () => {
  it('does not tear their heaps down on the main thread', async () => {
    const sandbox = new IsolatedSandbox();
    const fns = await fourHoldingMemory(sandbox);
    expectFree(await mainThreadHeld(() => fns.forEach((fn) => fn.dispose()), 1000));
    expect(sandbox.stats().alive).toBe(0);
  }, 60_000);

  it('makes new isolates without waiting on the main thread for those being torn down', async () => {
    const sandbox = new IsolatedSandbox();
    const fns = await fourHoldingMemory(sandbox);
    const fresh = await Promise.all(Array.from({ length: 4 }, () => sandbox.compile('return 7', { params: [], timeoutMs: 30_000 })));
    const calls: Promise<unknown>[] = [];
    const seen = await mainThreadHeld(() => {
      fns.forEach((fn) => fn.dispose());
      for (const fn of fresh) calls.push(fn.call([], never));
    }, 1000);
    expect(await Promise.all(calls)).toEqual([7, 7, 7, 7]);
    expectFree(seen);
    fresh.forEach((fn) => fn.dispose());
  }, 60_000);
});
