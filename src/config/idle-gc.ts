// A full garbage collection once the process has no run left, so memory goes back down between
// runs instead of ratcheting up. V8 sizes its old generation from how fast the program
// allocates: a run at full speed grows the heap's limit, and without a major collection in
// between the next run starts from that grown heap and grows it again. Ten 2,000-cell runs in a
// row peaked at 317–361 MB; with a collection after each, 215–237 MB (docs/benchmarks.md,
// "Memory"). It runs only when nothing executes here, a quarter of a second after the last run
// ended, and takes a few tens of milliseconds for the tens of megabytes an idle server holds.
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import type { Clock } from '../core/ports.js';

/** How long the process must stay idle after a run before it collects. */
export const IDLE_GC_DELAY_MS = 250;

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
 * Returns the hook to call when the process becomes idle: it collects after `delayMs` if the
 * process is still idle then (a run started in between cancels nothing, it only finds work).
 */
export function idleCollector(clock: Pick<Clock, 'later'>, isIdle: () => boolean, gc: () => void, delayMs = IDLE_GC_DELAY_MS): () => void {
  let scheduled = false;
  return () => {
    if (scheduled) return;
    scheduled = true;
    clock.later(delayMs, () => {
      scheduled = false;
      if (isIdle()) gc();
    });
  };
}
