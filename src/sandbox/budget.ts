// The process-wide bound on sandbox memory: at most `limit` isolates alive at once, whatever
// run or project they serve. Each isolate's heap is capped, so this caps their sum. An isolate
// holds its slot while it lives, idle ones included (their heaps keep whatever the last call
// left); an idle one gives its slot up as soon as a call is waiting for one.
//
// Slots are shared between projects, which do not trust each other: one project's code that
// spins until its time limit (up to ten minutes) in as many functions as there are slots would
// otherwise make every other project's code wait, and time out. So one owner (a project) holds
// at most `perOwner` slots (half the budget, rounded down), and a freed slot goes to the waiting owner that
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
  /** Arrival order, across owners. */
  seq: number;
  /** Set when its signal aborted: skipped when reached (removing it from the middle would cost a scan). */
  gone: boolean;
  grant: (holder: Holder) => void;
  reclaim: () => void;
}

/** One owner's waiting calls, first come first served. */
class OwnerQueue {
  private readonly items: Waiter[] = [];
  private head = 0;
  /** Waiters not gone. */
  size = 0;

  constructor(readonly owner: string | null) {}

  push(waiter: Waiter): void {
    this.items.push(waiter);
    this.size++;
  }

  /** The first waiter not gone. */
  first(): Waiter | undefined {
    while (this.head < this.items.length && this.items[this.head]!.gone) this.head++;
    // Drop what was passed once it is most of the array (amortised O(1) per waiter).
    if (this.head > 64 && this.head * 2 > this.items.length) {
      this.items.splice(0, this.head);
      this.head = 0;
    }
    return this.items[this.head];
  }

  shift(): Waiter {
    const waiter = this.first()!;
    this.head++;
    this.size--;
    return waiter;
  }
}

/** The slots a fair share allows one owner: half the budget rounded down, at least one. */
export function perOwnerLimit(limit: number): number {
  return Math.max(1, Math.floor(limit / 2));
}

/**
 * A count of live isolates, shared fairly between owners, with waits abandoned when the
 * waiter's signal aborts. Every operation costs O(owners waiting), never O(calls waiting):
 * a document may hold thousands of code functions that all wait at once.
 */
export class IsolateBudget {
  /** Isolates allowed at once (at least one). */
  readonly limit: number;
  /** Isolates one owner may have at once. */
  readonly perOwner: number;
  private live = 0;
  private seq = 0;
  private waitingCalls = 0;
  private readonly held = new Map<string | null, number>();
  /** Owners with calls waiting (a queue is dropped once empty). */
  private readonly queues = new Map<string | null, OwnerQueue>();
  /** Idle holders, least recently used first (a Set keeps insertion order). */
  private readonly idleHolders = new Set<Holder>();
  /** The same, per owner. */
  private readonly idleByOwner = new Map<string | null, Set<Holder>>();

  constructor(limit: number) {
    this.limit = Math.max(1, Math.floor(limit));
    this.perOwner = perOwnerLimit(this.limit);
  }

  /** Calls waiting for a slot. */
  get waiting(): number {
    return this.waitingCalls;
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
   * Waits for a slot for `owner` (null: no owner, no share), taking one back from an idle
   * isolate when that makes room; rejects with the signal's reason if it aborts first. The
   * slot starts busy. `reclaim` is called (once, only while idle) when the slot is taken back:
   * it must dispose the isolate.
   */
  acquire(owner: string | null, reclaim: () => void, signal: AbortSignal): Promise<Slot> {
    if (signal.aborted) return Promise.reject(signal.reason);
    return new Promise<Holder>((resolve, reject) => {
      const onAbort = () => {
        if (waiter.gone) return;
        waiter.gone = true;
        this.waitingCalls--;
        const queue = this.queues.get(owner)!;
        if (--queue.size === 0) this.queues.delete(owner);
        reject(signal.reason);
      };
      const waiter: Waiter = {
        owner,
        seq: this.seq++,
        gone: false,
        reclaim,
        grant: (holder) => {
          signal.removeEventListener('abort', onAbort);
          resolve(holder);
        },
      };
      signal.addEventListener('abort', onAbort, { once: true });
      let queue = this.queues.get(owner);
      if (!queue) this.queues.set(owner, (queue = new OwnerQueue(owner)));
      queue.push(waiter);
      this.waitingCalls++;
      this.pump();
    }).then((holder) => this.slotOf(holder));
  }

  private slotOf(holder: Holder): Slot {
    return {
      busy: () => {
        if (holder.state !== 'idle') return holder.state === 'busy';
        this.forgetIdle(holder);
        holder.state = 'busy';
        return true;
      },
      idle: () => {
        if (holder.state !== 'busy') return;
        // Someone could use this slot: keeping this isolate warm would only make them wait longer.
        if (this.couldUse(holder.owner)) return this.takeBack(holder);
        holder.state = 'idle';
        this.idleHolders.add(holder);
        let own = this.idleByOwner.get(holder.owner);
        if (!own) this.idleByOwner.set(holder.owner, (own = new Set()));
        own.add(holder);
      },
      release: () => this.drop(holder),
    };
  }

  /** Whether a waiting call could take a slot `owner` gives up: its own, or one under its share. */
  private couldUse(owner: string | null): boolean {
    if (this.queues.has(owner)) return true;
    for (const queue of this.queues.values()) if (this.underShare(queue.owner)) return true;
    return false;
  }

  /** Grants every waiter that can have a slot now, freeing idle slots where that makes room. */
  private pump(): void {
    for (;;) {
      const queue = this.nextQueue();
      if (!queue) return;
      if (this.underShare(queue.owner)) {
        if (this.live >= this.limit) this.takeBackIdle(this.idleHolders);
      } else {
        this.takeBackIdle(this.idleByOwner.get(queue.owner)!);
      }
      const waiter = queue.shift();
      if (queue.size === 0) this.queues.delete(queue.owner);
      this.waitingCalls--;
      const holder: Holder = { owner: waiter.owner, state: 'busy', reclaim: waiter.reclaim };
      this.live++;
      this.held.set(waiter.owner, this.heldBy(waiter.owner) + 1);
      waiter.grant(holder);
    }
  }

  /**
   * The queue to serve next: among owners under their share, the one holding fewest, earliest
   * first among equals — when a slot is free or idle; else an owner at its share that has an
   * idle slot of its own to reuse, earliest first. None when no waiter can be served.
   */
  private nextQueue(): OwnerQueue | undefined {
    const room = this.live < this.limit || this.idleHolders.size > 0;
    let best: OwnerQueue | undefined;
    let reuse: OwnerQueue | undefined;
    for (const queue of this.queues.values()) {
      const head = queue.first()!;
      if (this.underShare(queue.owner)) {
        if (!room) continue;
        const held = this.heldBy(queue.owner);
        const bestHeld = best ? this.heldBy(best.owner) : Infinity;
        if (held < bestHeld || (held === bestHeld && head.seq < best!.first()!.seq)) best = queue;
      } else if ((this.idleByOwner.get(queue.owner)?.size ?? 0) > 0) {
        if (!reuse || head.seq < reuse.first()!.seq) reuse = queue;
      }
    }
    return best ?? reuse;
  }

  /** Takes back the least recently used idle slot of `holders` (not pumping: the caller is). */
  private takeBackIdle(holders: Set<Holder>): void {
    const oldest = holders.values().next();
    if (oldest.done) return;
    oldest.value.reclaim();
    this.drop(oldest.value, false);
  }

  private takeBack(holder: Holder): void {
    holder.reclaim();
    this.drop(holder);
  }

  private forgetIdle(holder: Holder): void {
    this.idleHolders.delete(holder);
    const own = this.idleByOwner.get(holder.owner);
    if (own?.delete(holder) && own.size === 0) this.idleByOwner.delete(holder.owner);
  }

  private drop(holder: Holder, pump = true): void {
    if (holder.state === 'released') return;
    holder.state = 'released';
    this.forgetIdle(holder);
    this.live--;
    const held = this.heldBy(holder.owner) - 1;
    if (held > 0) this.held.set(holder.owner, held);
    else this.held.delete(holder.owner);
    if (pump) this.pump();
  }
}
