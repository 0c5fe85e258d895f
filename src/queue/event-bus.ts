// The in-process event bus: fan-out of committed event batches to subscribers, plus a bounded
// ring of each run's recent events so live subscribers rarely need to read storage. Memory is
// bounded: RING events and RING_BYTES per run, TOTAL_BYTES over all runs (the least recently
// published runs' rings are let go first), RUNS runs (the least recently published run is
// dropped), and the ring of a run that has ended goes once its last subscriber has left (later
// readers use storage), so finished runs hold no memory. Bytes as well as events: outputs can be
// 10–32 MB, and 4,096 of them were once held for a run's subscribers.
// It also keeps the `cell_started` of the cells executing in this process, until they are
// committed, so that a watcher who joins mid-run is told which cells are running (a live event
// is otherwise heard only by who listened when it went out), and the last `retrying` of those
// waiting to try again; also bounded (RUNNING_*). And each executor's last `waiting` (calls held
// for a slot) of a run while some wait, so a watcher who joins during a long wait is told it.
import { type CellLiveEvent, isFinalEvent, type LiveEvent, type RunEvent, startedKey } from '../core/events.js';
import { eventBytes } from '../core/json-size.js';
import type { EventBus } from '../core/ports.js';

const RING = 4096;
/** Bytes of events (core/json-size.ts, eventBytes) one run's ring holds, past its last event. */
export const RING_BYTES = 8 * 1024 * 1024;
/** Bytes of events all rings hold together. */
export const TOTAL_BYTES = 64 * 1024 * 1024;
const RUNS = 256;
/** Runs whose cells in flight here are kept (the least recently started go first), and cells a run. */
const RUNNING_RUNS = 256;
const RUNNING_CELLS = 4096;

interface Channel {
  ring: RunEvent[];
  /** The ring's events' sizes, in its order, and their sum. */
  sizes: number[];
  bytes: number;
  listeners: Set<(events: RunEvent[]) => void>;
  /** Listeners of live-only events (cell_started, retrying as they happen). */
  live: Set<(event: LiveEvent) => void>;
  /** The last event published was the run's final one (done, stopped, run-level error). */
  ended: boolean;
  /** The highest seq published, kept when the ring restarts (0 before any). */
  maxSeq: number;
}

export class InProcessEventBus implements EventBus {
  private readonly channels = new Map<string, Channel>();
  /** Bytes held by every ring. */
  private bytes = 0;
  /** Per run, the `cell_started` of its cells executing in this process, by startedKey. */
  private readonly running = new Map<string, Map<string, LiveEvent>>();
  /**
   * Per run, the last `retrying` of each of those cells that is waiting to try again, with when
   * it was published: a watcher who joins during a long Retry-After is told the wait, and what
   * is left of it.
   */
  private readonly waiting = new Map<string, Map<string, { event: Extract<LiveEvent, { type: 'retrying' }>; at: number }>>();
  /** Per run, the last `waiting` of each of its executors here that says calls wait, by source. */
  private readonly held = new Map<string, Map<string, Extract<LiveEvent, { type: 'waiting' }>>>();

  constructor(private readonly now: () => number = Date.now) {}

  private channel(runId: string): Channel {
    let ch = this.channels.get(runId);
    if (ch) {
      // Map order doubles as recency order.
      this.channels.delete(runId);
      this.channels.set(runId, ch);
      return ch;
    }
    ch = { ring: [], sizes: [], bytes: 0, listeners: new Set(), live: new Set(), ended: false, maxSeq: 0 };
    this.channels.set(runId, ch);
    if (this.channels.size > RUNS) {
      // Never the channel just made (it has no listener yet): with every other run listened to,
      // it was dropped at once, and its events' bytes were counted for a ring nobody held.
      for (const [id, old] of this.channels) {
        if (old !== ch && old.listeners.size === 0) {
          this.forget(id, old);
          break;
        }
      }
    }
    return ch;
  }

  /** Empties a ring: its readers go to storage from then on. */
  private clearRing(ch: Channel): void {
    this.bytes -= ch.bytes;
    ch.ring = [];
    ch.sizes = [];
    ch.bytes = 0;
  }

  private forget(runId: string, ch: Channel): void {
    this.clearRing(ch);
    this.channels.delete(runId);
  }

  /** Drops a ring's oldest events past RING events or RING_BYTES (keeping its last event). */
  private trim(ch: Channel): void {
    let drop = Math.max(0, ch.ring.length - RING);
    let bytes = ch.bytes;
    for (let i = 0; i < drop; i++) bytes -= ch.sizes[i]!;
    while (bytes > RING_BYTES && drop < ch.ring.length - 1) bytes -= ch.sizes[drop++]!;
    if (drop === 0) return;
    ch.ring.splice(0, drop);
    ch.sizes.splice(0, drop);
    this.bytes -= ch.bytes - bytes;
    ch.bytes = bytes;
  }

  publish(runId: string, events: RunEvent[]): void {
    if (events.length === 0) return;
    // An ended run runs nothing: cells abandoned at a stop are no longer in flight.
    if (isFinalEvent(events[events.length - 1]!)) this.forgetRunning(runId);
    const ch = this.channel(runId);
    const newest = events[events.length - 1]!.seq;
    if (newest < ch.maxSeq) {
      // An older batch, late: shards of one run commit on several workers, and their batches
      // can reach this process out of commit order. Held in the ring, it would end below the
      // events already published, and a reader at its end would take "nothing newer" for true
      // until its re-check (up to a second). Its readers read storage instead, which has both.
      this.publishStored(runId);
      return;
    }
    ch.maxSeq = newest;
    const last = ch.ring[ch.ring.length - 1];
    // A gap (a batch published elsewhere, or the ring was dropped) restarts the ring.
    if (last && events[0]!.seq !== last.seq + 1) this.clearRing(ch);
    for (const event of events) {
      const size = eventBytes(event);
      ch.ring.push(event);
      ch.sizes.push(size);
      ch.bytes += size;
      this.bytes += size;
    }
    this.trim(ch);
    // Over the total, the least recently published rings go first (Map order is recency).
    if (this.bytes > TOTAL_BYTES) {
      for (const other of this.channels.values()) {
        if (this.bytes <= TOTAL_BYTES) break;
        if (other !== ch) this.clearRing(other);
      }
    }
    ch.ended = isFinalEvent(events[events.length - 1]!);
    for (const listener of ch.listeners) listener(events);
    this.dropIfDone(runId, ch);
  }

  /**
   * Events up to some seq were committed that this bus never received (another process did not
   * send them whole: src/queue/redis-event-bus.ts). The ring restarts, so that no reader takes
   * it for complete, and listeners hear an empty batch: read storage.
   */
  publishStored(runId: string): void {
    const ch = this.channels.get(runId);
    if (!ch) return;
    this.clearRing(ch);
    for (const listener of ch.listeners) listener([]);
  }

  /**
   * Delivered only to who listens now; costs a map lookup when nobody does. A `cell_started`
   * of this process (`own`; another process's, relayed by the Redis bus, is not) is kept too.
   */
  publishLive(runId: string, event: LiveEvent, own = true): void {
    if (own && event.type === 'cell_started') this.started(runId, event);
    else if (own && event.type === 'retrying') this.retrying(runId, event);
    else if (own && event.type === 'waiting') this.slotWaits(runId, event);
    const ch = this.channels.get(runId);
    if (!ch || ch.live.size === 0) return;
    for (const listener of ch.live) listener(event);
  }

  /** Kept while its executor's calls wait; its empty word forgets it. */
  private slotWaits(runId: string, event: Extract<LiveEvent, { type: 'waiting' }>): void {
    let sources = this.held.get(runId);
    if (event.waits.length === 0) {
      sources?.delete(event.source);
      if (sources?.size === 0) this.held.delete(runId);
      return;
    }
    if (!sources) {
      if (this.held.size >= RUNNING_RUNS) this.held.delete(this.held.keys().next().value!);
      this.held.set(runId, (sources = new Map()));
    }
    sources.set(event.source, event);
  }

  private started(runId: string, event: CellLiveEvent): void {
    let cells = this.running.get(runId);
    if (!cells) {
      if (this.running.size >= RUNNING_RUNS) this.forgetRunning(this.running.keys().next().value!);
      this.running.set(runId, (cells = new Map()));
    }
    cells.set(startedKey(event), event);
    if (cells.size > RUNNING_CELLS) {
      const oldest = cells.keys().next().value!;
      cells.delete(oldest);
      this.waiting.get(runId)?.delete(oldest);
    }
  }

  /** Kept only for a cell kept as running (so within the same bounds), replacing its earlier wait. */
  private retrying(runId: string, event: Extract<LiveEvent, { type: 'retrying' }>): void {
    const key = startedKey(event);
    if (!this.running.get(runId)?.has(key)) return;
    let cells = this.waiting.get(runId);
    if (!cells) this.waiting.set(runId, (cells = new Map()));
    cells.set(key, { event, at: this.now() });
  }

  settle(runId: string, cells: readonly { rowIndex: number; targetId: string; repeat: number }[]): void {
    const running = this.running.get(runId);
    if (!running) return;
    const waiting = this.waiting.get(runId);
    for (const c of cells) {
      const key = startedKey(c);
      running.delete(key);
      waiting?.delete(key);
    }
    if (running.size === 0) this.forgetRunning(runId);
  }

  private forgetRunning(runId: string): void {
    this.running.delete(runId);
    this.waiting.delete(runId);
  }

  /**
   * The `cell_started` of the run's cells executing in this process, its executors' last
   * `waiting` while calls wait for a slot, then the last `retrying` of the cells waiting to try
   * again, its delay cut to what is left of it.
   */
  runningCells(runId: string): LiveEvent[] {
    const cells = this.running.get(runId);
    const held = this.held.get(runId);
    if (!cells) return held ? [...held.values()] : [];
    const out: LiveEvent[] = [...cells.values()];
    if (held) out.push(...held.values());
    const now = this.now();
    for (const [key, { event, at }] of this.waiting.get(runId) ?? []) {
      const left = event.delayMs - (now - at);
      if (left <= 0 || !cells.has(key)) continue;
      const copy = { ...event };
      copy.delayMs = left;
      out.push(copy);
    }
    return out;
  }

  subscribe(runId: string, listener: (events: RunEvent[]) => void, onLive?: (event: LiveEvent) => void): () => void {
    const ch = this.channel(runId);
    ch.listeners.add(listener);
    if (onLive) {
      ch.live.add(onLive);
      for (const event of this.runningCells(runId)) onLive(event);
    }
    return () => {
      ch.listeners.delete(listener);
      if (onLive) ch.live.delete(onLive);
      this.dropIfDone(runId, ch);
    };
  }

  /** Forgets an ended (or empty) run's channel once nobody listens to it. */
  private dropIfDone(runId: string, ch: Channel): void {
    if ((ch.ended || ch.ring.length === 0) && ch.listeners.size === 0 && this.channels.get(runId) === ch) this.forget(runId, ch);
  }

  recent(runId: string, afterSeq: number, limit: number): RunEvent[] | null {
    const ring = this.channels.get(runId)?.ring;
    if (!ring || ring.length === 0) return null;
    const first = ring[0]!.seq;
    if (afterSeq + 1 < first) return null;
    const start = afterSeq + 1 - first;
    return ring.slice(start, start + limit);
  }

  /** Bytes the rings hold (for tests and metrics). */
  get heldBytes(): number {
    return this.bytes;
  }

  async close(): Promise<void> {
    this.channels.clear();
    this.running.clear();
    this.waiting.clear();
    this.held.clear();
    this.bytes = 0;
  }
}
