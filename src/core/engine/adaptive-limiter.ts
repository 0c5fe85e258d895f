// Limits per provider/model shared by every run of the process, adapting to the provider:
// additive increase, multiplicative decrease (AIMD). A 429 halves the key's concurrency and
// can pause new calls until the provider's reset time; each success adds 1/limit, so the limit
// grows by about one per round of calls back to its ceiling.
import type { Clock } from '../ports.js';
import { forgetIdle, Semaphore, type SlotLimiter } from './limiter.js';

/** What a per-provider/model limit shows of one key (for /metrics and tests). */
export interface LimitSnapshot {
  limit: number;
  inUse: number;
  waiting: number;
  throttles: number;
  pausedUntil: number;
}

/**
 * The port the model client and the engine use for provider/model limits: slots, and the call
 * outcomes that move the limit. In-process here (embedded mode); held in Redis for a cluster
 * (src/cluster/redis-limiters.ts), where `inUse`/`waiting` are this process's share.
 */
export interface ModelLimiter extends SlotLimiter {
  succeeded(key: string): void;
  throttled(key: string, pauseMs?: number): void;
  exhausted(key: string, pauseMs: number): void;
  keyList(): string[];
  snapshot(key: string): LimitSnapshot;
}

/**
 * The longest a key's new calls are paused for what a provider said (Retry-After, rate-limit
 * reset headers): the longest Retry-After a call waits out (core/engine/retry.ts). A day-long
 * Retry-After would otherwise hold every run on the key for a day.
 */
export const MAX_PAUSE_MS = 120_000;

/** The pause a provider's answer asks for, within MAX_PAUSE_MS. */
export const boundedPause = (pauseMs: number): number => Math.min(pauseMs, MAX_PAUSE_MS);

/** AIMD's additive step: each success adds 1/limit, so a full round of calls adds about one. */
export function grownLimit(limit: number, max: number): number {
  return Math.min(max, limit + 1 / Math.max(1, limit));
}

/** AIMD's multiplicative step on a 429: half, never under the floor. */
export function halvedLimit(limit: number, min: number): number {
  return Math.max(min, limit / 2);
}

export interface AdaptiveOptions {
  /** Ceiling (and starting value) of each key's concurrency. */
  max: (key: string) => number;
  /** Floor after repeated throttling. */
  min?: number;
  clock: Clock;
}

interface KeyState {
  semaphore: Semaphore;
  /** Fractional limit; the semaphore holds its floor. */
  limit: number;
  max: number;
  pausedUntil: number;
  throttles: number;
}

export class AdaptiveLimiter implements ModelLimiter {
  private readonly keys = new Map<string, KeyState>();

  constructor(private readonly options: AdaptiveOptions) {}

  private state(key: string): KeyState {
    let s = this.keys.get(key);
    if (!s) {
      // A key at rest (full limit, no pause, no call) is as good as new: forgetting it loses nothing.
      const now = this.options.clock.now();
      forgetIdle(this.keys, (k) => k.semaphore.inUse === 0 && k.semaphore.waiting === 0 && k.limit >= k.max && k.pausedUntil <= now);
      const max = Math.max(1, this.options.max(key));
      s = { semaphore: new Semaphore(max), limit: max, max, pausedUntil: 0, throttles: 0 };
      this.keys.set(key, s);
    }
    return s;
  }

  /** Waits for a slot of `key` (and for any pause the provider asked for), in turn with other parties. */
  async acquire(key: string, signal?: AbortSignal, party?: string): Promise<() => void> {
    const s = this.state(key);
    for (;;) {
      const wait = s.pausedUntil - this.options.clock.now();
      if (wait <= 0) break;
      await this.options.clock.sleep(wait, signal);
    }
    return s.semaphore.acquire(signal, party);
  }

  /** A call succeeded: grow back towards the ceiling. */
  succeeded(key: string): void {
    const s = this.state(key);
    if (s.limit >= s.max) return;
    s.limit = grownLimit(s.limit, s.max);
    s.semaphore.setLimit(Math.floor(s.limit));
  }

  /**
   * The provider throttled a call: halve the concurrency, and pause new calls for `pauseMs`
   * when the provider said how long to wait.
   */
  throttled(key: string, pauseMs?: number): void {
    const s = this.state(key);
    s.throttles++;
    s.limit = halvedLimit(s.limit, this.options.min ?? 1);
    s.semaphore.setLimit(Math.floor(s.limit));
    if (pauseMs !== undefined && pauseMs > 0) s.pausedUntil = Math.max(s.pausedUntil, this.options.clock.now() + boundedPause(pauseMs));
  }

  /** The provider says no request is left until `pauseMs` from now (rate-limit headers). */
  exhausted(key: string, pauseMs: number): void {
    const s = this.state(key);
    s.pausedUntil = Math.max(s.pausedUntil, this.options.clock.now() + boundedPause(pauseMs));
  }

  /** Every key seen so far (for /metrics). */
  keyList(): string[] {
    return [...this.keys.keys()];
  }

  /** Current view of a key, for /metrics and tests. */
  snapshot(key: string): LimitSnapshot {
    const s = this.state(key);
    return { limit: Math.floor(s.limit), inUse: s.semaphore.inUse, waiting: s.semaphore.waiting, throttles: s.throttles, pausedUntil: s.pausedUntil };
  }
}
