// Concurrency primitives: a semaphore whose waiters are served in turns by party (FIFO within
// one), and limits per key shared by every run of the process (e.g. one per HTTP origin or
// provider/model). Waiting honours an AbortSignal.
import { FairQueue } from './fair-queue.js';

/** Rejects with the signal's reason, the standard way to say "stop waiting". */
function abortError(signal: AbortSignal): unknown {
  return signal.reason ?? new DOMException('Aborted', 'AbortError');
}

interface Waiter {
  resolve: () => void;
  reject: (e: unknown) => void;
  signal?: AbortSignal | undefined;
  onAbort?: () => void;
}

/**
 * A counting semaphore with a changeable limit (the AIMD limiter adjusts it). Waiters name a
 * party (the project they wait for): while slots are short the parties take them in turns,
 * so one project's thousand queued calls do not go before another's one (fair-queue.ts).
 */
export class Semaphore {
  private active = 0;
  private readonly waiters = new FairQueue<Waiter>();

  constructor(private max: number) {}

  get limit(): number {
    return this.max;
  }

  get inUse(): number {
    return this.active;
  }

  get waiting(): number {
    return this.waiters.length;
  }

  setLimit(max: number): void {
    this.max = Math.max(1, Math.floor(max));
    this.drain();
  }

  /** Waits for a slot, in turn with other parties' waiters; the returned function releases it (idempotent). */
  async acquire(signal?: AbortSignal, party = ''): Promise<() => void> {
    if (signal?.aborted) throw abortError(signal);
    if (this.active < this.max && this.waiters.length === 0) {
      this.active++;
      return this.releaser();
    }
    await new Promise<void>((resolve, reject) => {
      const waiter: Waiter = { resolve, reject, signal };
      if (signal) {
        waiter.onAbort = () => {
          this.waiters.remove(party, waiter);
          reject(abortError(signal));
        };
        signal.addEventListener('abort', waiter.onAbort, { once: true });
      }
      this.waiters.push(party, waiter);
    });
    return this.releaser();
  }

  private releaser(): () => void {
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.active--;
      this.drain();
    };
  }

  private drain(): void {
    while (this.active < this.max && this.waiters.length > 0) {
      const next = this.waiters.shift()!;
      if (next.signal && next.onAbort) next.signal.removeEventListener('abort', next.onAbort);
      this.active++;
      next.resolve();
    }
  }
}

/**
 * Anything that hands out slots per key (fixed per-origin limits, adaptive per-model limits).
 * `party` is the project the slot is for: parties waiting on one key take slots in turns.
 */
export interface SlotLimiter {
  acquire(key: string, signal?: AbortSignal, party?: string): Promise<() => void>;
}

/**
 * Keys a limiter keeps before it forgets its idle ones: keys come from what projects save (model
 * names, URL origins), so without a bound a project could grow the map without end.
 */
export const MAX_LIMITER_KEYS = 10_000;

/** Forgets the entries `idle` says are at rest, once the map holds MAX_LIMITER_KEYS (a new one is about to come). */
export function forgetIdle<V>(map: Map<string, V>, idle: (value: V) => boolean): void {
  if (map.size < MAX_LIMITER_KEYS) return;
  for (const [key, value] of map) if (idle(value)) map.delete(key);
}

/** Limits keyed by a string, shared by all runs; each key gets a semaphore on first use. */
export class KeyedLimiter implements SlotLimiter {
  private readonly semaphores = new Map<string, Semaphore>();

  constructor(private readonly limitFor: (key: string) => number) {}

  get(key: string): Semaphore {
    let s = this.semaphores.get(key);
    if (!s) {
      // A forgotten key starts again at its full limit, as it was: nothing of it is lost.
      forgetIdle(this.semaphores, (idle) => idle.inUse === 0 && idle.waiting === 0);
      s = new Semaphore(this.limitFor(key));
      this.semaphores.set(key, s);
    }
    return s;
  }

  /** Keys held now (tests). */
  get size(): number {
    return this.semaphores.size;
  }

  acquire(key: string, signal?: AbortSignal, party?: string): Promise<() => void> {
    return this.get(key).acquire(signal, party);
  }
}
