// The process-wide bound on sandbox memory: at most `limit` isolates alive at once, whatever
// run or project they serve. Each isolate's heap is capped, so this caps their sum. An isolate
// holds its slot while it lives, idle ones included (their heaps keep whatever the last call
// left); an idle one gives its slot up as soon as a call is waiting for one. See
// docs/decisions.md ("Code sandbox").
import { Semaphore } from '../core/engine/limiter.js';

/** One live isolate's hold on the budget. */
export interface Slot {
  /** Pins an idle isolate for a call; false when the slot was taken back meanwhile. */
  busy(): boolean;
  /** The call ended: the isolate stays alive for the next call, unless a call is waiting for a slot. */
  idle(): void;
  /** The isolate is gone: the slot is free again. Idempotent. */
  release(): void;
}

/** What the budget knows of one holder; `reclaim` disposes its isolate. */
interface Holder {
  state: 'busy' | 'idle' | 'released';
  reclaim: () => void;
  free: () => void;
}

/** A count of live isolates with FIFO waiting (abandoned when the waiter's signal aborts). */
export class IsolateBudget {
  /** Isolates allowed at once (at least one). */
  readonly limit: number;
  private readonly slots: Semaphore;
  /** Idle holders, least recently used first (a Set keeps insertion order). */
  private readonly idleHolders = new Set<Holder>();

  constructor(limit: number) {
    this.limit = Math.max(1, Math.floor(limit));
    this.slots = new Semaphore(this.limit);
  }

  /** Calls waiting for a slot. */
  get waiting(): number {
    return this.slots.waiting;
  }

  /**
   * Waits for a slot, taking one back from the least recently used idle isolate when all are
   * held; rejects with the signal's reason if it aborts first. The slot starts busy. `reclaim`
   * is called (once, only while idle) when the slot is taken back: it must dispose the isolate.
   */
  async acquire(reclaim: () => void, signal: AbortSignal): Promise<Slot> {
    if (this.slots.inUse >= this.limit) this.reclaimIdle();
    const free = await this.slots.acquire(signal);
    const holder: Holder = { state: 'busy', reclaim, free };
    return {
      busy: () => {
        if (holder.state !== 'idle') return holder.state === 'busy';
        this.idleHolders.delete(holder);
        holder.state = 'busy';
        return true;
      },
      idle: () => {
        if (holder.state !== 'busy') return;
        // Someone is waiting: keeping this isolate warm would only make them wait longer.
        if (this.slots.waiting > 0) return this.takeBack(holder);
        holder.state = 'idle';
        this.idleHolders.add(holder);
      },
      release: () => this.drop(holder),
    };
  }

  private reclaimIdle(): void {
    const oldest = this.idleHolders.values().next();
    if (!oldest.done) this.takeBack(oldest.value);
  }

  private takeBack(holder: Holder): void {
    holder.reclaim();
    this.drop(holder);
  }

  private drop(holder: Holder): void {
    if (holder.state === 'released') return;
    holder.state = 'released';
    this.idleHolders.delete(holder);
    holder.free();
  }
}
