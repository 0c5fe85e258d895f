// How long this thread was held up by its own work rather than by a busy machine. On a loaded
// machine the event loop is late for want of a CPU alone (a 5 ms timer 140–250 ms late at load
// 12 with nothing held), and CI is a loaded 2-core box. Linux tells each thread's time run on a
// CPU and time waited for one (/proc/thread-self/schedstat, in ns): taking the time waited out
// of a late tick leaves what the thread itself did or blocked on, which is what a test of "the
// main thread is not held" means. Elsewhere (no schedstat) both read 0 and the plain lateness
// is what is left.
import { existsSync, readFileSync } from 'node:fs';

const SCHEDSTAT = '/proc/thread-self/schedstat';

/** Whether this system counts the calling thread's times (a kernel without them shows zeros). */
export const HAS_THREAD_TIMES = existsSync(SCHEDSTAT) && Number(readFileSync(SCHEDSTAT, 'utf8').split(' ')[0]) > 0;

/** The calling thread's time run on a CPU and time waited for one, ms (zeros where unknown). */
export function threadTimes(): { run: number; wait: number } {
  if (!HAS_THREAD_TIMES) return { run: 0, wait: 0 };
  const [run = 0, wait = 0] = readFileSync(SCHEDSTAT, 'utf8').split(' ').map(Number);
  return { run: run / 1e6, wait: wait / 1e6 };
}

/** The worst figures a `heldMonitor` saw. */
export interface Held {
  /** The most a tick was late, less the time the thread waited for a CPU meanwhile (ms). */
  held: number;
  /** The most CPU the thread spent between two ticks (ms; 0 where unknown). */
  turnCpu: number;
}

/** Watches this thread's event loop with a timer every `everyMs` until stopped. */
export function heldMonitor(everyMs = 5): { stop(): Held } {
  let last = performance.now();
  let before = threadTimes();
  const worst: Held = { held: 0, turnCpu: 0 };
  const tick = (): void => {
    const now = performance.now();
    const times = threadTimes();
    worst.held = Math.max(worst.held, now - last - everyMs - (times.wait - before.wait));
    worst.turnCpu = Math.max(worst.turnCpu, times.run - before.run);
    last = now;
    before = times;
  };
  const timer = setInterval(tick, everyMs);
  return {
    stop() {
      clearInterval(timer);
      tick();
      return worst;
    },
  };
}

/**
 * Calls `ask` (a request to this process's own server) every `everyMs` until stopped; `stop()`
 * resolves with the worst delay between when a call was due and when it returned, less the time
 * this thread waited for a CPU meanwhile (test/hostile/support.ts healthProbe, load taken out).
 */
export function heldProbe(ask: () => Promise<void>, everyMs = 20): { stop(): Promise<number> } {
  const state = { stopped: false };
  let worst = 0;
  const loop = (async () => {
    while (!state.stopped) {
      let due = performance.now();
      let waited = threadTimes().wait;
      await ask();
      worst = Math.max(worst, performance.now() - due - (threadTimes().wait - waited));
      due = performance.now() + everyMs;
      waited = threadTimes().wait;
      await new Promise((r) => setTimeout(r, everyMs));
      worst = Math.max(worst, performance.now() - due - (threadTimes().wait - waited));
    }
  })();
  return {
    async stop() {
      state.stopped = true;
      await loop;
      return worst;
    },
  };
}
