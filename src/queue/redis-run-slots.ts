// A cluster run's `execution.concurrency` shared by every worker executing its shards: one
// redis-semaphore Semaphore per run (key `semaphore:assay:run-cells:<runId>`), a permit per cell
// in flight. Permits are leases (LOCK_MS, refreshed while the cell runs), so the permits of a
// killed worker come back on their own. Chosen over dividing the concurrency among shards:
// the number of shards in flight changes all the time (workers join, die, finish early), and a
// fixed split leaves a lone worker running a run at a fraction of its concurrency.
import type { Redis } from 'ioredis';
import { Semaphore } from 'redis-semaphore';
import { Semaphore as LocalSemaphore } from '../core/engine/limiter.js';
import type { Logger } from '../core/ports.js';

/** A permit expires this long after its holder stopped refreshing it (a dead worker). */
export const LOCK_MS = 15_000;
/** How often a cell waiting for a permit asks again. */
export const RETRY_MS = 25;

function pause(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) return reject(signal.reason);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal.reason);
    };
    const timer = setTimeout(() => {
      signal.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal.addEventListener('abort', onAbort, { once: true });
  });
}

export class RedisRunSlots {
  /**
   * Per run, this process's cells that hold or ask for a permit (at most `limit`): the shards
   * of one run executing here share it, so no more than `limit` cells of a process poll Redis.
   */
  private readonly local = new Map<string, LocalSemaphore>();

  constructor(
    private readonly redis: Redis,
    private readonly logger: Logger,
  ) {}

  /** Takes a permit of run `runId` (at most `limit` held at once, all processes together). */
  acquirer(runId: string, limit: number): (signal: AbortSignal) => Promise<() => void> {
    return async (signal) => {
      let gate = this.local.get(runId);
      if (!gate) this.local.set(runId, (gate = new LocalSemaphore(limit)));
      const done = (release: () => void) => {
        release();
        if (gate.inUse === 0 && gate.waiting === 0 && this.local.get(runId) === gate) this.local.delete(runId);
      };
      const releaseLocal = await gate.acquire(signal);
      try {
        const releaseRemote = await this.remote(runId, limit, signal);
        return () => {
          releaseRemote();
          done(releaseLocal);
        };
      } catch (error) {
        done(releaseLocal);
        throw error;
      }
    };
  }

  private async remote(runId: string, limit: number, signal: AbortSignal): Promise<() => void> {
    let warned = false;
    for (;;) {
      if (signal.aborted) throw signal.reason;
      const permit = new Semaphore(this.redis, `assay:run-cells:${runId}`, limit, {
        lockTimeout: LOCK_MS, refreshInterval: LOCK_MS / 3, acquireAttemptsLimit: 1, retryInterval: RETRY_MS,
        // A refresh that finds the permit gone (Redis restarted empty): the cell goes on; the
        // bound is briefly loose rather than the cell failing.
        onLockLost: () => {},
      });
      try {
        if (await permit.tryAcquire()) return () => void permit.release().catch(() => {});
      } catch (error) {
        // Redis unreachable: the cell waits (it has not started) until Redis answers again.
        if (!warned) this.logger.warn({ runId, err: error instanceof Error ? error.message : String(error) }, 'run concurrency permits unavailable; waiting for Redis');
        warned = true;
      }
      await pause(RETRY_MS, signal);
    }
  }
}
