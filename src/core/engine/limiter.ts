// Concurrency primitives: a FIFO semaphore, and limits per key shared by every run of the
// process (e.g. one per HTTP origin or provider/model). Waiting honours an AbortSignal.

/** Rejects with the signal's reason, the standard way to say "stop waiting". */
function abortError(signal: AbortSignal): unknown {
  return signal.reason ?? new DOMException('Aborted', 'AbortError');
}

/** A counting semaphore with a changeable limit (the AIMD limiter adjusts it). */
export class Semaphore {
  private active = 0;
  private readonly waiters: { resolve: () => void; reject: (e: unknown) => void; signal?: AbortSignal | undefined; onAbort?: () => void }[] = [];

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

  /** Waits for a slot; the returned function releases it (idempotent). */
  async acquire(signal?: AbortSignal): Promise<() => void> {
    if (signal?.aborted) throw abortError(signal);
    if (this.active < this.max && this.waiters.length === 0) {
      this.active++;
      return this.releaser();
    }
    await new Promise<void>((resolve, reject) => {
      const waiter: (typeof this.waiters)[number] = { resolve, reject, signal };
      if (signal) {
        waiter.onAbort = () => {
          const i = this.waiters.indexOf(waiter);
          if (i >= 0) this.waiters.splice(i, 1);
          reject(abortError(signal));
        };
        signal.addEventListener('abort', waiter.onAbort, { once: true });
      }
      this.waiters.push(waiter);
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

/** Anything that hands out slots per key (fixed per-origin limits, adaptive per-model limits). */
export interface SlotLimiter {
  acquire(key: string, signal?: AbortSignal): Promise<() => void>;
}

/** Limits keyed by a string, shared by all runs; each key gets a semaphore on first use. */
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

  acquire(key: string, signal?: AbortSignal): Promise<() => void> {
    return this.get(key).acquire(signal);
  }
}
