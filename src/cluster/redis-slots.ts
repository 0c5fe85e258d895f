// Slots per key shared by every process of a cluster: a counting semaphore in Redis
// (redis-semaphore's sorted set of holders, each with a lease it renews while it holds the slot),
// so N workers together never hold more than the limit, and a dead worker's slots come back when
// their leases expire. docs/deployment.md, "Shared limits".
//
// Each process queues its own waiters per key (abortable; served in turns by project, FIFO
// within one: core/engine/fair-queue.ts) and lets only the head of that queue ask Redis, so a thousand waiting cells cost one attempt per poll, not a thousand. A slot
// freed in this process goes straight to the next local waiter, or stays held (and renewed) for
// `idleMs` in case the next call of this process wants it: a busy worker then takes and gives
// back slots without a Redis command per call (two commands cost ≈ 0.1–0.2 ms of CPU a call on
// a loaded machine, mostly socket writes; docs/benchmarks.md, "Cluster"). Slots freed elsewhere
// are found by the poll.
import type { Redis } from 'ioredis';
import { Semaphore } from 'redis-semaphore';
import { FairQueue } from '../core/engine/fair-queue.js';
import { forgetIdle } from '../core/engine/limiter.js';
import type { Clock, Logger } from '../core/ports.js';

export interface RedisSlotsOptions {
  redis: Redis;
  clock: Clock;
  logger: Logger;
  /** How long a slot stays held without renewal (a dead holder's slot comes back after this). */
  leaseMs: number;
  /** How often the head waiter asks Redis again while every slot is taken. */
  pollMs: number;
  /** How long a slot freed here stays held for this process's next call before it goes back. */
  idleMs: number;
  /** How long to wait before asking again after Redis failed to answer. */
  retryMs: number;
}

/** The limit and any pause that apply to the next acquisition of a key. */
export interface Admission {
  limit: number;
  /** Wait this long before trying (a provider asked everyone to pause). */
  pauseMs: number;
}

interface Waiter {
  resolve: (release: () => void) => void;
  reject: (error: unknown) => void;
  signal: AbortSignal | undefined;
  onAbort?: () => void;
}

/**
 * Whether a slot won when the limit was `wonAt` may serve another call without asking Redis
 * (false when the limit has dropped below it since, or the provider asked everyone to pause).
 */
export type Reuse = (wonAt: number) => boolean;

interface IdleSlot {
  slot: RenewingSemaphore;
  cancel: () => void;
}

interface Gate {
  waiters: FairQueue<Waiter>;
  held: number;
  /** Slots held in Redis that no call of this process uses right now (newest last). */
  idle: IdleSlot[];
  reuse: Reuse;
  pumping: boolean;
  /** A slot was freed in this process since the last attempt: try again at once. */
  woken: boolean;
  /** The last attempts found every slot taken. */
  full: boolean;
  /** Ends the current poll wait early (a slot was freed here). */
  interrupt: () => void;
  /** Ends any current wait (closing). */
  cancel: () => void;
}

/** Attempts sent to Redis at once for one key's waiters (they travel in one round trip). */
const ATTEMPTS_AT_ONCE = 32;

/** Redis errors during renewal must not escape redis-semaphore's timer (an unhandled rejection ends Node). */
class RenewingSemaphore extends Semaphore {
  constructor(redis: Redis, key: string, readonly wonAt: number, options: ConstructorParameters<typeof Semaphore>[3], private readonly onRenewError: (error: unknown) => void) {
    super(redis, key, wonAt, options);
  }

  protected override async _refresh(): Promise<boolean> {
    try {
      return await super._refresh();
    } catch (error) {
      // Unknown, not lost: the lease may still be there; the next renewal asks again.
      this.onRenewError(error);
      return true;
    }
  }
}

function abortError(signal: AbortSignal): unknown {
  return signal.reason ?? new DOMException('Aborted', 'AbortError');
}

export class RedisSlots {
  private readonly gates = new Map<string, Gate>();
  private readonly stop = new AbortController();
  /** One warning per Redis outage, not one per attempt. */
  private warned = false;

  constructor(private readonly options: RedisSlotsOptions) {}

  /** Slots this process holds and waiters it has for `key` (for /metrics and tests). */
  local(key: string): { inUse: number; waiting: number } {
    const g = this.gates.get(key);
    return { inUse: g?.held ?? 0, waiting: g?.waiters.length ?? 0 };
  }

  /**
   * Waits for a slot of `key`, in turn with the other parties (projects) waiting here;
   * `admission` is read before every attempt (the adaptive limit moves). The returned function
   * releases the slot (idempotent).
   */
  acquire(key: string, admission: () => Admission | Promise<Admission>, signal?: AbortSignal, reuse: Reuse = () => true, party = ''): Promise<() => void> {
    if (signal?.aborted) return Promise.reject(abortError(signal));
    if (this.stop.signal.aborted) return Promise.reject(new Error('shared limits are closed'));
    const gate = this.gate(key);
    gate.reuse = reuse;
    if (gate.waiters.length === 0) {
      const slot = this.takeIdle(gate);
      if (slot) {
        gate.held++;
        return Promise.resolve(this.releaser(gate, slot));
      }
    }
    return new Promise((resolve, reject) => {
      const waiter: Waiter = { resolve, reject, signal };
      if (signal) {
        waiter.onAbort = () => {
          gate.waiters.remove(party, waiter);
          reject(abortError(signal));
        };
        signal.addEventListener('abort', waiter.onAbort, { once: true });
      }
      gate.waiters.push(party, waiter);
      void this.pump(key, gate, admission);
    });
  }

  /** Gives back the idle slots of `key` (its limit just dropped: they may be over it). */
  flushIdle(key: string): void {
    const gate = this.gates.get(key);
    if (!gate) return;
    for (const i of gate.idle.splice(0)) {
      i.cancel();
      this.giveBack(gate, i.slot);
    }
  }

  /** Stops every queue: waiters are refused, idle slots go back; held slots are released by their holders (or expire). */
  close(): void {
    this.stop.abort(new Error('shared limits are closed'));
    for (const [key, gate] of this.gates) {
      for (const w of gate.waiters.drain()) {
        if (w.signal && w.onAbort) w.signal.removeEventListener('abort', w.onAbort);
        w.reject(this.stop.signal.reason);
      }
      gate.cancel();
      this.flushIdle(key);
    }
  }

  /** Keys with a gate now (tests). */
  get size(): number {
    return this.gates.size;
  }

  private gate(key: string): Gate {
    let g = this.gates.get(key);
    if (!g) {
      // Keys come from what projects save: gates with no waiter, no slot held or idle and no
      // loop running go once there are MAX_LIMITER_KEYS (a new gate is as good as one of those).
      forgetIdle(this.gates, (idle) => idle.waiters.length === 0 && idle.held === 0 && idle.idle.length === 0 && !idle.pumping);
      g = { waiters: new FairQueue<Waiter>(), held: 0, idle: [], reuse: () => true, pumping: false, woken: false, full: false, interrupt: () => {}, cancel: () => {} };
      this.gates.set(key, g);
    }
    return g;
  }

  /** Waits `ms`, or less when this process frees a slot of the key (if `wakeable`) or closes. */
  private pause(gate: Gate, ms: number, wakeable: boolean): Promise<void> {
    if (wakeable && gate.woken) {
      gate.woken = false;
      return Promise.resolve();
    }
    return new Promise((resolve) => {
      const done = new AbortController();
      const finish = () => {
        done.abort();
        gate.interrupt = () => {};
        gate.cancel = () => {};
        resolve();
      };
      if (wakeable) gate.interrupt = finish;
      gate.cancel = finish;
      this.options.clock.sleep(ms, done.signal).then(finish, finish);
    });
  }

  /**
   * One loop per key and process while anyone waits: up to ATTEMPTS_AT_ONCE attempts for the
   * first waiters, each slot won handed to the head of the queue; when the key is full, wait a
   * poll (or until a slot is freed here) and try again.
   */
  private async pump(key: string, gate: Gate, admission: () => Admission | Promise<Admission>): Promise<void> {
    if (gate.pumping) return;
    gate.pumping = true;
    try {
      while (gate.waiters.length > 0 && !this.stop.signal.aborted) {
        let a: Admission;
        try {
          a = await admission();
        } catch (error) {
          this.warnOnce(error, 'shared limit: Redis did not answer; waiting for it');
          await this.pause(gate, this.options.retryMs, false);
          continue;
        }
        if (a.pauseMs > 0) {
          await this.pause(gate, a.pauseMs, false);
          continue;
        }
        gate.woken = false;
        // A key found full is probed with one attempt per poll, not one per waiter: four workers
        // polling 32 attempts every 10 ms would be 12,800 scripts a second for nothing.
        const n = gate.full ? 1 : Math.min(gate.waiters.length, ATTEMPTS_AT_ONCE);
        const outcomes = await Promise.allSettled(Array.from({ length: n }, () => this.tryTake(key, a.limit)));
        let failed: unknown;
        let full = false;
        for (const o of outcomes) {
          if (o.status === 'rejected') failed ??= o.reason;
          else if (o.value === null) full = true;
          else this.handOver(gate, o.value);
        }
        gate.full = full;
        if (failed !== undefined) {
          this.warnOnce(failed, 'shared limit: Redis did not answer; waiting for it');
          await this.pause(gate, this.options.retryMs, false);
        } else {
          this.warned = false;
          if (full) await this.pause(gate, this.options.pollMs, true);
        }
      }
    } finally {
      gate.pumping = false;
    }
  }

  /** Gives a slot won to the waiter whose turn it is, or back to Redis when every waiter gave up meanwhile. */
  private handOver(gate: Gate, slot: RenewingSemaphore): void {
    const w = gate.waiters.shift();
    if (!w) return this.giveBack(gate, slot);
    if (w.signal && w.onAbort) w.signal.removeEventListener('abort', w.onAbort);
    gate.held++;
    w.resolve(this.releaser(gate, slot));
  }

  private async tryTake(key: string, limit: number): Promise<RenewingSemaphore | null> {
    const { leaseMs } = this.options;
    const slot = new RenewingSemaphore(
      this.options.redis, key, Math.max(1, Math.floor(limit)),
      {
        lockTimeout: leaseMs,
        // One attempt: this class does the waiting (abortable, and woken by local releases).
        acquireAttemptsLimit: 1,
        retryInterval: 0,
        refreshInterval: Math.max(1, Math.floor(leaseMs / 3)),
        onLockLost: () => this.warnOnce(undefined, 'shared limit: a held slot\'s lease was lost (Redis restarted or the process stalled); the call goes on'),
      },
      (error) => this.warnOnce(error, 'shared limit: could not renew a slot\'s lease'),
    );
    return (await slot.tryAcquire()) ? slot : null;
  }

  /** The newest idle slot that may still be used, giving back those that may not. */
  private takeIdle(gate: Gate): RenewingSemaphore | null {
    for (let i = gate.idle.pop(); i; i = gate.idle.pop()) {
      i.cancel();
      if (i.slot.isAcquired && gate.reuse(i.slot.wonAt)) return i.slot;
      this.giveBack(gate, i.slot);
    }
    return null;
  }

  private releaser(gate: Gate, slot: RenewingSemaphore): () => void {
    let released = false;
    return () => {
      if (released) return;
      released = true;
      gate.held--;
      // A slot whose renewal found it gone (Redis restarted empty) is not passed on: Redis no
      // longer counts it.
      if (this.stop.signal.aborted || !slot.isAcquired || !gate.reuse(slot.wonAt)) return this.giveBack(gate, slot);
      // The next local waiter takes it as it is; with nobody waiting it idles a moment.
      if (gate.waiters.length > 0) return this.handOver(gate, slot);
      const idle: IdleSlot = {
        slot,
        cancel: this.options.clock.later(this.options.idleMs, () => {
          const at = gate.idle.indexOf(idle);
          if (at >= 0) gate.idle.splice(at, 1);
          this.giveBack(gate, slot);
        }),
      };
      gate.idle.push(idle);
    };
  }

  /** Removes the slot in Redis, then wakes this process's head waiter (the slot is free only once Redis says so). */
  private giveBack(gate: Gate, slot: RenewingSemaphore): void {
    slot.release().catch((error: unknown) => this.warnOnce(error, 'shared limit: could not release a slot; its lease will expire')).finally(() => {
      gate.woken = true;
      gate.interrupt();
    });
  }

  private warnOnce(error: unknown, msg: string): void {
    if (this.warned) return;
    this.warned = true;
    this.options.logger.warn({ err: error instanceof Error ? error.message : error }, msg);
  }
}
