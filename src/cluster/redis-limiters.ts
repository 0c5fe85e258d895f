// The limits of a cluster, held in Redis so every worker shares them (docs/deployment.md,
// "Shared limits"): the per-origin limit of HTTP targets (a fixed number of slots per origin)
// and the adaptive per-provider/model limit (AIMD: halve on 429, grow back by 1/limit per
// success, pause everyone when the provider says so). Slots are redis-semaphore leases
// (./redis-slots.ts); the adaptive state is two keys per provider/model that every process reads
// before it asks for a slot, at most every `stateTtlMs`:
//
//   <prefix>:limits:deficit:<key>  how far below its ceiling the limit is (absent = at the ceiling)
//   <prefix>:limits:pause:<key>    present while calls must wait; its TTL is the wait
//
// Storing the deficit (not the limit) keeps growth one atomic INCRBYFLOAT from every process,
// and a lost key (Redis restarted, or an hour without a 429) means "at the ceiling", never "at 0".
// A 429 writes half of the limit this process last saw: two processes throttled at the same
// moment halve it once, not twice. The AIMD arithmetic is core's (core/engine/adaptive-limiter.ts).
import { Redis } from 'ioredis';
import { boundedPause, grownLimit, halvedLimit, type LimitSnapshot, type ModelLimiter } from '../core/engine/adaptive-limiter.js';
import { forgetIdle, type SlotLimiter } from '../core/engine/limiter.js';
import type { Clock, Logger } from '../core/ports.js';
import { type Admission, RedisSlots } from './redis-slots.js';

export interface SharedLimitsOptions {
  redisUrl: string;
  /** Key prefix, the queue's (`assay`): keys are `<prefix>:limits:…`. */
  prefix?: string;
  clock: Clock;
  logger: Logger;
  /** Ceiling of each provider/model's limit (ASSAY_MODEL_CONCURRENCY). */
  modelMax: (key: string) => number;
  /** Floor after repeated throttling (default 1). */
  modelMin?: number;
  /** Slots of each HTTP origin (ASSAY_LIMIT_PER_KEY). */
  perOrigin: (key: string) => number;
  /** Slot lease: how long a dead worker's slots stay taken (default 15 s). */
  leaseMs?: number;
  /** How often a waiter asks again while every slot is taken (default 10 ms). */
  pollMs?: number;
  /** How long a slot freed by a call stays with its process for the next call (default 50 ms). */
  idleMs?: number;
  /** How often to try again while Redis does not answer (default 250 ms). */
  retryMs?: number;
  /** How long a read of the adaptive state is reused (default 100 ms; 0 = read before every attempt). */
  stateTtlMs?: number;
  /** How long start-up waits for Redis (default 10 s). */
  connectTimeoutMs?: number;
}

/** A lowered limit left alone this long goes back to its ceiling (the deficit key expires). */
const DEFICIT_TTL_S = 3_600;
/** A command Redis does not answer within this fails, and the waiter tries again later. */
const COMMAND_TIMEOUT_MS = 2_000;

interface ModelState {
  max: number;
  /** The limit as this process last read or moved it (fractional; slots use its floor). */
  limit: number;
  /** clock.now() of the last read from Redis (-Infinity: never). */
  readAt: number;
  pausedUntil: number;
  throttles: number;
  /** A background read of the state is under way. */
  reading: boolean;
}

/** Fixed slots per key shared by the cluster (per-origin limits of HTTP targets). */
export class RedisKeyedLimiter implements SlotLimiter {
  constructor(
    private readonly slots: RedisSlots,
    private readonly limitFor: (key: string) => number,
  ) {}

  acquire(key: string, signal?: AbortSignal, party?: string): Promise<() => void> {
    const admission: Admission = { limit: this.limitFor(key), pauseMs: 0 };
    return this.slots.acquire(key, () => admission, signal, undefined, party);
  }
}

/** The adaptive per-provider/model limit, shared by the cluster. */
export class RedisModelLimiter implements ModelLimiter {
  private readonly keys = new Map<string, ModelState>();
  private warned = false;

  constructor(
    private readonly redis: Redis,
    private readonly slots: RedisSlots,
    private readonly options: Pick<SharedLimitsOptions, 'clock' | 'logger' | 'modelMax' | 'modelMin'> & { stateTtlMs: number },
  ) {}

  acquire(key: string, signal?: AbortSignal, party?: string): Promise<() => void> {
    return this.slots.acquire(key, () => this.admission(key), signal, (wonAt) => this.reusable(key, wonAt), party);
  }

  succeeded(key: string): void {
    const s = this.state(key);
    if (s.limit >= s.max) return;
    const step = grownLimit(s.limit, s.max) - s.limit;
    s.limit += step;
    this.write(this.redis.incrbyfloat(`deficit:${key}`, -step));
  }

  throttled(key: string, pauseMs?: number): void {
    const s = this.state(key);
    s.throttles++;
    s.limit = halvedLimit(s.limit, this.options.modelMin ?? 1);
    this.slots.flushIdle(key);
    this.write(this.redis.set(`deficit:${key}`, String(s.max - s.limit), 'EX', DEFICIT_TTL_S));
    if (pauseMs !== undefined && pauseMs > 0) this.exhausted(key, pauseMs);
  }

  exhausted(key: string, asked: number): void {
    const s = this.state(key);
    const pauseMs = boundedPause(asked);
    s.pausedUntil = Math.max(s.pausedUntil, this.options.clock.now() + pauseMs);
    this.write(this.extendPause(key, Math.ceil(pauseMs)));
  }

  keyList(): string[] {
    return [...this.keys.keys()];
  }

  snapshot(key: string): LimitSnapshot {
    const s = this.state(key);
    return { limit: Math.floor(s.limit), ...this.slots.local(key), throttles: s.throttles, pausedUntil: s.pausedUntil };
  }

  private state(key: string): ModelState {
    let s = this.keys.get(key);
    if (!s) {
      // Only a cache of what Redis holds: a key at its ceiling, unpaused and not being read is
      // forgotten once there are MAX_LIMITER_KEYS (as in the embedded limiter), and read again.
      const now = this.options.clock.now();
      forgetIdle(this.keys, (k) => !k.reading && k.limit >= k.max && k.pausedUntil <= now);
      const max = Math.max(1, this.options.modelMax(key));
      s = { max, limit: max, readAt: -Infinity, pausedUntil: 0, throttles: 0, reading: false };
      this.keys.set(key, s);
    }
    return s;
  }

  /**
   * Whether a slot this process holds may serve another call without asking Redis: not above the
   * limit as last read, not during a pause. A stale read is refreshed in the background, so a
   * process whose calls all reuse slots still learns of another process's 429 within stateTtlMs.
   */
  private reusable(key: string, wonAt: number): boolean {
    const s = this.state(key);
    const now = this.options.clock.now();
    if (now - s.readAt >= this.options.stateTtlMs && !s.reading) {
      s.reading = true;
      this.admission(key).catch(() => {}).finally(() => (s.reading = false));
    }
    return s.pausedUntil <= now && Math.floor(s.limit) >= wonAt;
  }

  /** The shared limit and pause, read from Redis when the last read is older than stateTtlMs. */
  private async admission(key: string): Promise<Admission> {
    const s = this.state(key);
    const now = this.options.clock.now();
    if (now - s.readAt >= this.options.stateTtlMs) {
      const replies = await this.redis.multi().get(`deficit:${key}`).pttl(`pause:${key}`).exec();
      const [deficit, pauseTtl] = (replies ?? []).map(([error, value]) => {
        if (error) throw error;
        return value;
      });
      const below = Math.max(0, Number(deficit ?? 0) || 0);
      s.limit = Math.max(this.options.modelMin ?? 1, s.max - below);
      if (typeof pauseTtl === 'number' && pauseTtl > 0) s.pausedUntil = Math.max(s.pausedUntil, now + pauseTtl);
      s.readAt = now;
    }
    return { limit: s.limit, pauseMs: Math.max(0, s.pausedUntil - this.options.clock.now()) };
  }

  /** Makes the pause key live at least `ms` more (never shortens a longer pause another process set). */
  private async extendPause(key: string, ms: number): Promise<void> {
    const k = `pause:${key}`;
    if ((await this.redis.set(k, '1', 'PX', ms, 'NX')) === 'OK') return;
    const left = await this.redis.pttl(k);
    if (left < ms) await this.redis.set(k, '1', 'PX', ms);
  }

  /** Outcome writes are fire-and-forget: a lost one only makes the limit adapt a little later. */
  private write(p: Promise<unknown>): void {
    p.then(
      () => (this.warned = false),
      (error: unknown) => {
        if (this.warned) return;
        this.warned = true;
        this.options.logger.warn({ err: error instanceof Error ? error.message : String(error) }, 'shared limit: could not record a call outcome in Redis');
      },
    );
  }
}

/** The cluster's shared limits over one Redis connection. */
export class SharedLimits {
  private constructor(
    private readonly redis: Redis,
    private readonly slots: RedisSlots,
    readonly model: RedisModelLimiter,
    readonly perOrigin: RedisKeyedLimiter,
  ) {}

  static async connect(options: SharedLimitsOptions): Promise<SharedLimits> {
    // No offline queue: while Redis is away an attempt fails at once and its waiter tries again
    // later (abortable), instead of piling commands up in memory.
    const redis = new Redis(options.redisUrl, {
      keyPrefix: `${options.prefix ?? 'assay'}:limits:`, lazyConnect: true, enableOfflineQueue: false, commandTimeout: COMMAND_TIMEOUT_MS,
      connectTimeout: options.connectTimeoutMs ?? 10_000,
    });
    redis.on('error', () => {
      // Reported once per outage by the limiters; ioredis reconnects by itself.
    });
    await redis.connect();
    const slots = new RedisSlots({
      redis, clock: options.clock, logger: options.logger,
      leaseMs: options.leaseMs ?? 15_000, pollMs: options.pollMs ?? 10, retryMs: options.retryMs ?? 250, idleMs: options.idleMs ?? 50,
    });
    const model = new RedisModelLimiter(redis, slots, { ...options, stateTtlMs: options.stateTtlMs ?? 100 });
    return new SharedLimits(redis, slots, model, new RedisKeyedLimiter(slots, options.perOrigin));
  }

  /** Keys this process keeps a local queue for (tests): bounded like the model keys. */
  get queuedKeys(): number {
    return this.slots.size;
  }

  /** Refuses new waiters and closes the connection (slots still held expire with their leases). */
  async close(): Promise<void> {
    this.slots.close();
    await this.redis.quit().catch(() => this.redis.disconnect());
  }

  /** Drops the connection without releasing anything, as a killed worker would (tests). */
  kill(): void {
    this.redis.disconnect();
    this.slots.close();
  }
}
