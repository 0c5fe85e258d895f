// Keeps one lease alive (a run's, or a shard's) and watches the run's flags, on one timer of
// the injected clock: the flags are read every `pollMs`, the lease renewed every third of its
// length. Losing the lease or seeing a flag stops the execution. One keeper for every kind of
// lease, so a fix to the timing (one check at a time, hiccups retried) reaches them all.
import { type Clock, every, type Stores } from '../../core/ports.js';
import type { StopReason } from '../../core/model/run.js';

export interface LeaseKeeping {
  clock: Clock;
  leaseMs: number;
  pollMs: number;
  /** Reads what should stop the execution now (the run's abort flag…), or null to go on. */
  check(): Promise<StopReason | null>;
  /** Extends the lease to `until`; false when it is no longer ours. */
  renew(until: number): Promise<boolean>;
  /** Called with what `check` found, or 'shutdown' when the lease is lost. */
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
        const reason = await k.check();
        if (reason) k.stop(reason);
        if (k.clock.now() - lastRenew > k.leaseMs / 3) {
          lastRenew = k.clock.now();
          if (!(await k.renew(k.clock.now() + k.leaseMs))) k.stop('shutdown');
        }
      } catch {
        // Storage hiccups are retried on the next tick; a lost lease stops us there.
      } finally {
        busy = false;
      }
    })();
  });
}

/**
 * The run's own lease (held by the process executing it whole, or by a sharded run's
 * coordinator) and its abort flag, which any process may set: 'user' once it is seen.
 */
export function runLease(stores: Pick<Stores, 'runs'>, runId: string, owner: string): Pick<LeaseKeeping, 'check' | 'renew'> {
  return {
    check: async () => ((await stores.runs.cursor(runId))?.abortRequested ? 'user' : null),
    renew: (until) => stores.runs.renew(runId, owner, until),
  };
}
