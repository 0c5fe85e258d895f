// Keeps one execution's lease alive and watches the run's abort flag (set by any process), on
// one timer of the injected clock: the flag is read every `pollMs`, the lease renewed every
// third of its length. Losing the lease or seeing the flag stops the execution.
import { type Clock, every, type Stores } from '../../core/ports.js';
import type { StopReason } from '../../core/model/run.js';

export interface LeaseKeeping {
  stores: Pick<Stores, 'runs'>;
  clock: Clock;
  runId: string;
  owner: string;
  leaseMs: number;
  pollMs: number;
  /** Called with 'user' when the abort flag is seen, 'shutdown' when the lease is lost. */
  stop(reason: StopReason): void;
}

/** Starts keeping the lease; the answer stops it. */
export function keepLease(k: LeaseKeeping): () => void {
  let lastRenew = k.clock.now();
  let busy = false;
  return every(k.clock, k.pollMs, () => {
    // One check at a time: a slow storage never piles up overlapping reads.
    if (busy) return;
    busy = true;
    void (async () => {
      try {
        const current = await k.stores.runs.cursor(k.runId);
        if (current?.abortRequested) k.stop('user');
        if (k.clock.now() - lastRenew > k.leaseMs / 3) {
          lastRenew = k.clock.now();
          if (!(await k.stores.runs.renew(k.runId, k.owner, k.clock.now() + k.leaseMs))) k.stop('shutdown');
        }
      } catch {
        // Storage hiccups are retried on the next tick; a lost lease stops us there.
      } finally {
        busy = false;
      }
    })();
  });
}
