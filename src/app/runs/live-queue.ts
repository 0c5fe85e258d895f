// The live events one stream has heard and not yet written, and the committed twins it is to
// leave out. Live-only events (`cell_started` as a call begins, `retrying` as a retry is
// scheduled) go out at once without an id; when their committed twins (with seqs) come by later,
// the stream leaves them out, so a live watcher sees each event once. `waiting` has no twin: the
// latest word of each source replaces an older one still queued.
import { type LiveEvent, liveKey, type RunEvent } from '../../core/events.js';

/**
 * Live events a stream holds for a reader that does not keep up; beyond, they are dropped and
 * the reader gets their committed twins instead (which is why a dropped one is not announced).
 */
const MAX_LIVE_QUEUE = 1_000;

export class LiveQueue {
  private queue: LiveEvent[] = [];
  /** Keys of the live events waiting in the queue (a committed twin that overtakes one cancels it). */
  private readonly queued = new Set<string>();
  /** Keys of live events sent, whose committed twins are to be left out. */
  private readonly announced = new Set<string>();
  /** The twins the last page left out, as [seq, key]: told again if that page is read again. */
  private leftOut: [number, string][] = [];

  /**
   * `liveFloor`: the run's next seq when the stream subscribed. Every live event it hears is of a
   * cell not committed then, so its twin has a seq of at least this. Older committed events are
   * never twins: a resumed run's first execution committed `cell_started`s under the same keys as
   * the cells it runs again, and those, replayed, must not cancel the live start of a retried cell.
   */
  constructor(private readonly liveFloor: number) {}

  get size(): number {
    return this.queue.length;
  }

  /** Queues a live event the bus told; false when it adds nothing (a repeat, or the queue is full). */
  add(event: LiveEvent): boolean {
    if (event.type === 'waiting') {
      // The word from its source replaces one still queued, so the queue holds one per source
      // at most, past MAX_LIVE_QUEUE too (that none wait any more must not be dropped: nothing
      // else would say it).
      const i = this.queue.findIndex((e) => e.type === 'waiting' && e.source === event.source);
      if (i >= 0) this.queue[i] = event;
      else this.queue.push(event);
      return true;
    }
    if (this.queue.length >= MAX_LIVE_QUEUE) return false;
    const key = liveKey(event);
    // Told again (another watcher joined, and the cells in flight were announced once more).
    if (this.queued.has(key) || this.announced.has(key)) return false;
    this.queue.push(event);
    this.queued.add(key);
    return true;
  }

  /** The queued events to write now, as announced; null when none is left to write. */
  take(): LiveEvent[] | null {
    if (this.queue.length === 0) return null;
    // Those whose committed twin already went out (it overtook them in the queue) are dropped.
    const events = this.queue.filter((e) => e.type === 'waiting' || this.queued.delete(liveKey(e)));
    this.queue = [];
    for (const e of events) if (e.type !== 'waiting') this.announced.add(liveKey(e));
    return events.length > 0 ? events : null;
  }

  /** Committed events minus the twins of live events already sent; a twin still queued is cancelled. */
  unannounced(events: RunEvent[]): RunEvent[] {
    this.leftOut = [];
    if (this.announced.size === 0 && this.queued.size === 0) return events;
    return events.filter((e) => {
      if ((e.type !== 'cell_started' && e.type !== 'retrying') || e.seq < this.liveFloor) return true;
      const key = liveKey(e);
      if (this.announced.delete(key)) {
        this.leftOut.push([e.seq, key]);
        return false;
      }
      this.queued.delete(key);
      return true;
    });
  }

  /** The page after `seq` is to be read again: its twins of announced live events are left out again. */
  reannounce(seq: number): void {
    for (const [at, key] of this.leftOut) if (at > seq) this.announced.add(key);
    this.leftOut = [];
  }
}
