// A full garbage collection once the process has stayed idle a while, so memory goes back down
// after runs instead of staying where the last run left it. V8 sizes its old generation from
// how fast the program allocates: a run at full speed grows the heap's limit, and without a
// major collection in between the next run starts from that grown heap and grows it again.
//
// Why it waits seconds, not a moment (docs/decisions.md, "Idle collection"): a major collection
// after a run frees the run's objects, and V8 then throws away the optimized code that had
// embedded them ("weak objects"). The next run re-optimizes ≈ 100 functions: ≈ 0.5 s of CPU (a
// quarter of it on the compiler threads) and up to twice the wall time of a 4,000-cell run at
// zero latency. Collecting 250 ms after each run kept ten back-to-back runs under 220 MB but made
// every run pay that. Runs started one after another (a script, a CI pipeline, a benchmark)
// now keep their optimized code; a server left alone for IDLE_GC_DELAY_MS gives its memory back.
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import type { Clock } from '../core/ports.js';

/**
 * How long the process must stay idle (no run executing) before it collects: longer than the gap
 * between runs a script starts one after another (a CLI start is ≈ 0.5 s), shorter than V8's own
 * memory reducer (8 s, and only after a collection it decided on).
 */
export const IDLE_GC_DELAY_MS = 5_000;

/**
 * V8's full collection. Node exposes it only with --expose-gc; that flag, set at run time,
 * takes effect for contexts created after it, so a fresh context hands the function over.
 * Null where the runtime refuses (the collector is then skipped, nothing else changes).
 */
export function majorGc(): (() => void) | null {
  const existing = (globalThis as { gc?: unknown }).gc;
  if (typeof existing === 'function') return () => void (existing as () => void)();
  try {
    setFlagsFromString('--expose-gc');
    const gc: unknown = runInNewContext('gc');
    return typeof gc === 'function' ? () => void (gc as () => void)() : null;
  } catch {
    return null;
  } finally {
    // The flag is process-wide: left on, every context and isolate made later (the sandbox's
    // included) would get a `gc` global that user code could call.
    setFlagsFromString('--no-expose-gc');
  }
}

/**
 * Returns the hook to call each time the process becomes idle: it collects once the process has
 * been idle for `delayMs` without a break. A run that starts in between postpones it: the run's
 * own end calls the hook again and the wait starts over.
 */
export function idleCollector(clock: Pick<Clock, 'later' | 'now'>, isIdle: () => boolean, gc: () => void, delayMs = IDLE_GC_DELAY_MS): () => void {
  let idleSince = 0;
  let scheduled = false;
  const check = (): void => {
    scheduled = false;
    if (!isIdle()) return;
    const left = idleSince + delayMs - clock.now();
    if (left > 0) {
      scheduled = true;
      clock.later(left, check);
      return;
    }
    gc();
  };
  return () => {
    idleSince = clock.now();
    if (scheduled) return;
    scheduled = true;
    clock.later(delayMs, check);
  };
}
