// A cluster run's `execution.concurrency` shared by every worker executing its shards: one
// redis-semaphore Semaphore per run (key `<prefix>:run-cells:semaphore:<runId>`, the prefix
// being ASSAY_REDIS_PREFIX, by default `assay`), a permit per cell
// in flight. Permits are leases (LOCK_MS, renewed while the cell runs), so the permits of a
// killed worker come back on their own. Chosen over dividing the concurrency among shards:
// the number of shards in flight changes all the time (workers join, die, finish early), and a
// fixed split leaves a lone worker running a run at a fraction of its concurrency.
import { Redis } from 'ioredis';
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

  private readonly lockMs: number;
  private readonly retryMs: number;
  /** Permits held by cells of this process, renewed together every third of their lease. */
  private readonly held = new Set<{ key: string; limit: number; identifier: string }>();
  private refreshing: NodeJS.Timeout | null = null;
  /** Releases sent and not yet answered: a closing process waits for their answers before it quits. */
  private readonly releasing = new Set<Promise<void>>();

  constructor(
    /** A connection whose `keyPrefix` is `<prefix>:run-cells:` (see open()); the class adds none. */
    private readonly redis: Redis,
    private readonly logger: Logger,
    /** Tests shorten these; defaults LOCK_MS and RETRY_MS. */
    options: { lockMs?: number; retryMs?: number } = {},
  ) {
    this.lockMs = options.lockMs ?? LOCK_MS;
    this.retryMs = options.retryMs ?? RETRY_MS;
  }

  /**
   * The connection a cluster process uses, its keys under `<prefix>:run-cells:` (redis-semaphore
   * puts `semaphore:` before every key it is given, so the prefix has to be the connection's).
   * Commands fail fast while Redis is away (no offline queue): a cell waiting for a permit asks
   * again, it does not pile up.
   */
  static connection(redisUrl: string, prefix: string): Redis {
    const redis = new Redis(redisUrl, { keyPrefix: `${prefix}:run-cells:`, enableOfflineQueue: false, maxRetriesPerRequest: 1 });
    redis.on('error', () => {});
    return redis;
  }

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
    const key = runId;
    let warned = false;
    for (;;) {
      if (signal.aborted) throw signal.reason;
      // The library's own refresh timer is off: it rejects unhandled when Redis is away, which
      // would end the process; refresh() below renews every permit held here instead.
      const permit = new Semaphore(this.redis, key, limit, { lockTimeout: this.lockMs, refreshInterval: 0, acquireAttemptsLimit: 1, retryInterval: this.retryMs });
      try {
        if (await permit.tryAcquire()) {
          const held = { key, limit, identifier: permit.identifier };
          this.held.add(held);
          this.refreshing ??= setInterval(() => void this.refresh(), this.lockMs / 3).unref();
          return () => {
            this.held.delete(held);
            if (this.held.size === 0 && this.refreshing) {
              clearInterval(this.refreshing);
              this.refreshing = null;
            }
            const released: Promise<void> = permit.release().catch(() => {}).finally(() => this.releasing.delete(released));
            this.releasing.add(released);
          };
        }
      } catch (error) {
        // Redis unreachable: the cell waits (it has not started) until Redis answers again.
        if (!warned) this.logger.warn({ runId, err: error instanceof Error ? error.message : String(error) }, 'run concurrency permits unavailable; waiting for Redis');
        warned = true;
      }
      await pause(this.retryMs, signal);
    }
  }

  /**
   * Renews every permit held here (redis-semaphore's refresh of a permit known by its
   * identifier). A permit found gone (Redis restarted empty) is not taken again: its cell goes
   * on, and the bound is loose for at most the cells in flight then, rather than failing them.
   */
  private async refresh(): Promise<void> {
    await Promise.all(
      [...this.held].map((h) =>
        new Semaphore(this.redis, h.key, h.limit, { lockTimeout: this.lockMs, refreshInterval: 0, identifier: h.identifier, acquiredExternally: true })
          .tryAcquire()
          .catch(() => false),
      ),
    );
  }

  /** Waits for the releases in flight to be answered and stops renewing (call after the executions stopped). */
  async close(): Promise<void> {
    await Promise.all([...this.releasing]);
    if (this.refreshing) clearInterval(this.refreshing);
    this.refreshing = null;
  }
}
