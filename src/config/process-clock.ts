// The clock every adapter of a process receives: the injected one (the system's, or a test's
// fake), with deadline signals that accept any number of listeners.
import { setMaxListeners } from 'node:events';
import type { Clock } from '../core/ports.js';

/**
 * Wraps `base`. Every call of a cell (a judge's HTTP request, its retries…) listens to the
 * cell's deadline signal: twenty evaluators on one cell are normal, not a listener leak.
 */
export function processClock(base: Clock): Clock {
  return {
    ...base,
    now: () => base.now(),
    sleep: (ms, signal) => base.sleep(ms, signal),
    later: (ms, fire) => base.later(ms, fire),
    deadline: (ms, parent) => {
      const d = base.deadline(ms, parent);
      setMaxListeners(0, d.signal);
      return d;
    },
  };
}
