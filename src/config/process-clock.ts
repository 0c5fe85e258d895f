// The clock every adapter of a process receives: the injected one (the system's, or a test's
// fake), with deadline signals that accept any number of listeners.
import { setMaxListeners } from 'node:events';
import { type Clock, SHARED_SIGNAL } from '../core/ports.js';

/** Lifts Node's listener limit (and its warning) on a deadline's signal. */
const unlimited = (signal: AbortSignal): void => setMaxListeners(0, signal);

/**
 * Wraps `base`. Every call of a cell's evaluators (a judge's HTTP request, its retries…) listens
 * to the evaluation phase's deadline signal: twenty evaluators on one cell are normal, not a
 * listener leak. The engine marks such deadlines with SHARED_SIGNAL, and their limit is lifted
 * when the signal is made, which is only when something reads it.
 */
export function processClock(base: Clock): Clock {
  return {
    ...base,
    now: () => base.now(),
    sleep: (ms, signal) => base.sleep(ms, signal),
    later: (ms, fire) => base.later(ms, fire),
    deadline: (ms, parent, prepare) => base.deadline(ms, parent, prepare === SHARED_SIGNAL ? unlimited : prepare),
  };
}
