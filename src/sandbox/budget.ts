// The process-wide bound on sandbox memory: at most `limit` isolates alive at once, whatever
// run or project they serve. Each isolate's heap is capped, so this caps their sum. An isolate
// holds its slot while it lives, idle ones included (their heaps keep whatever the last call
// left); an idle one gives its slot up as soon as a call is waiting for one.
//
// Slots are shared between projects, which do not trust each other: one project's code that
// spins until its time limit (up to ten minutes) in as many functions as there are slots would
// otherwise make every other project's code wait, and time out. So one owner (a project) holds
// at most `perOwner` slots (half the budget), and a freed slot goes to the waiting owner that
// holds fewest, first come first served among equals. See docs/decisions.md ("Code sandbox").

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
  owner: string | null;
  state: 'busy' | 'idle' | 'released';
  reclaim: () => void;
}

interface Waiter {
  owner: string | null;
  grant: (holder: Holder) => void;
  reclaim: () => void;
}

/** The slots a fair share allows one owner: half the budget, at least one. */
export function perOwnerLimit(limit: number): number {
  return Math.max(1, Math.ceil(limit / 2));
}

/** A count of live isolates, shared fairly between owners, with waits abandoned when the waiter's signal aborts. */
export class IsolateBudget {
  /** Isolates allowed at once (at least one). */
  readonly limit: number;
  /** Isolates one owner may have at once. */
  readonly perOwner: number;
  private live = 0;
  private readonly held = new Map<string | null, number>();
  private readonly waiters: Waiter[] = [];
  /** Idle holders, least recently used first (a Set keeps insertion order). */
  private readonly idleHolders = new Set<Holder>();

  constructor(limit: number) {
    this.limit = Math.max(1, Math.floor(limit));
    this.perOwner = perOwnerLimit(this.limit);
  }

  /** Calls waiting for a slot. */
  get waiting(): number {
    return this.waiters.length;
  }

  /** Slots `owner` holds now. */
  heldBy(owner: string | null): number {
    return this.held.get(owner) ?? 0;
  }

  /** Whether `owner` is under its share (no owner: the process's own code, which has no share). */
  private underShare(owner: string | null): boolean {
    return owner === null || this.heldBy(owner) < this.perOwner;
  }

  /**
   * Waits for a slot for `owner` (null: no owner, no share), taking one back from an idle isolate when that makes room;
   * rejects with the signal's reason if it aborts first. The slot starts busy. `reclaim` is
   * called (once, only while idle) when the slot is taken back: it must dispose the isolate.
   */
  acquire(owner: string | null, reclaim: () => void, signal: AbortSignal): Promise<Slot> {
    if (signal.aborted) return Promise.reject(signal.reason);
    return new Promise<Holder>((resolve, reject) => {
      const onAbort = () => {
        const i = this.waiters.indexOf(waiter);
        if (i >= 0) this.waiters.splice(i, 1);
        reject(signal.reason);
      };
      const waiter: Waiter = {
        owner,
        reclaim,
        grant: (holder) => {
          signal.removeEventListener('abort', onAbort);
          resolve(holder);
        },
      };
      signal.addEventListener('abort', onAbort, { once: true });
      this.waiters.push(waiter);
      this.pump();
    }).then((holder) => this.slotOf(holder));
  }

  private slotOf(holder: Holder): Slot {
    return {
      busy: () => {
        if (holder.state !== 'idle') return holder.state === 'busy';
        this.idleHolders.delete(holder);
        holder.state = 'busy';
        return true;
      },
      idle: () => {
        if (holder.state !== 'busy') return;
        // Someone could use this slot: keeping this isolate warm would only make them wait longer.
        if (this.waiters.some((w) => w.owner === holder.owner || this.underShare(w.owner))) return this.takeBack(holder);
        holder.state = 'idle';
        this.idleHolders.add(holder);
      },
      release: () => this.drop(holder),
    };
  }

  /** Grants every waiter that can have a slot now, freeing idle slots where that makes room. */
  private pump(): void {
    for (;;) {
      const next = this.nextWaiter();
      if (!next) return;
      const { waiter, index } = next;
      const room = this.underShare(waiter.owner) ? this.live < this.limit || this.takeBackIdle() : this.takeBackIdle(waiter.owner);
      if (!room) return;
      this.waiters.splice(index, 1);
      const holder: Holder = { owner: waiter.owner, state: 'busy', reclaim: waiter.reclaim };
      this.live++;
      this.held.set(waiter.owner, this.heldBy(waiter.owner) + 1);
      waiter.grant(holder);
    }
  }

  /**
   * The waiter to serve next: the first of the owner holding fewest slots among those under
   * their share, or, when every waiting owner is at its share, the first that can reuse one of
   * its own idle slots. None when no waiter can be served.
   */
  private nextWaiter(): { waiter: Waiter; index: number } | undefined {
    let best: { waiter: Waiter; index: number } | undefined;
    this.waiters.forEach((waiter, index) => {
      if (!this.underShare(waiter.owner)) return;
      if (!best || this.heldBy(waiter.owner) < this.heldBy(best.waiter.owner)) best = { waiter, index };
    });
    if (best && (this.live < this.limit || this.idleHolders.size > 0)) return best;
    const index = this.waiters.findIndex((w) => [...this.idleHolders].some((h) => h.owner === w.owner));
    return index >= 0 ? { waiter: this.waiters[index]!, index } : undefined;
  }

  /** Takes back the least recently used idle slot (of `owner` when given); false when there is none. */
  private takeBackIdle(owner?: string | null): boolean {
    for (const holder of this.idleHolders) {
      if (owner !== undefined && holder.owner !== owner) continue;
      // Not pumping again: the caller is pumping, and grants the slot this frees.
      holder.reclaim();
      this.drop(holder, false);
      return true;
    }
    return false;
  }

  private takeBack(holder: Holder): void {
    holder.reclaim();
    this.drop(holder);
  }

  private drop(holder: Holder, pump = true): void {
    if (holder.state === 'released') return;
    holder.state = 'released';
    this.idleHolders.delete(holder);
    this.live--;
    const held = this.heldBy(holder.owner) - 1;
    if (held > 0) this.held.set(holder.owner, held);
    else this.held.delete(holder.owner);
    if (pump) this.pump();
  }
}
