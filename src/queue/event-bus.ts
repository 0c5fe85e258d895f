// The in-process event bus: fan-out of committed event batches to subscribers, plus a bounded
// ring of each run's recent events so live subscribers rarely need to read storage. Memory is
// bounded: RING events per run, RUNS runs (the least recently published run is dropped), and
// the ring of a run that has ended goes once its last subscriber has left (later readers use
// storage), so finished runs hold no memory.
import { isFinalEvent, type LiveEvent, type RunEvent } from '../core/events.js';
import type { EventBus } from '../core/ports.js';

const RING = 4096;
const RUNS = 256;

interface Channel {
  ring: RunEvent[];
  listeners: Set<(events: RunEvent[]) => void>;
  /** Listeners of live-only events (cell_started, retrying as they happen). */
  live: Set<(event: LiveEvent) => void>;
  /** The last event published was the run's final one (done, stopped, run-level error). */
  ended: boolean;
}

export class InProcessEventBus implements EventBus {
  private readonly channels = new Map<string, Channel>();

  private channel(runId: string): Channel {
    let ch = this.channels.get(runId);
    if (ch) {
      // Map order doubles as recency order.
      this.channels.delete(runId);
      this.channels.set(runId, ch);
      return ch;
    }
    ch = { ring: [], listeners: new Set(), live: new Set(), ended: false };
    this.channels.set(runId, ch);
    if (this.channels.size > RUNS) {
      for (const [id, old] of this.channels) {
        if (old.listeners.size === 0) {
          this.channels.delete(id);
          break;
        }
      }
    }
    return ch;
  }

  publish(runId: string, events: RunEvent[]): void {
    if (events.length === 0) return;
    const ch = this.channel(runId);
    const last = ch.ring[ch.ring.length - 1];
    // A gap (a batch published elsewhere, or the ring was dropped) restarts the ring.
    if (last && events[0]!.seq !== last.seq + 1) ch.ring = [];
    ch.ring.push(...events);
    if (ch.ring.length > RING) ch.ring.splice(0, ch.ring.length - RING);
    ch.ended = isFinalEvent(events[events.length - 1]!);
    for (const listener of ch.listeners) listener(events);
    this.dropIfDone(runId, ch);
  }

  /** Delivered only to who listens now; costs a map lookup when nobody does. */
  publishLive(runId: string, event: LiveEvent): void {
    const ch = this.channels.get(runId);
    if (!ch || ch.live.size === 0) return;
    for (const listener of ch.live) listener(event);
  }

  subscribe(runId: string, listener: (events: RunEvent[]) => void, onLive?: (event: LiveEvent) => void): () => void {
    const ch = this.channel(runId);
    ch.listeners.add(listener);
    if (onLive) ch.live.add(onLive);
    return () => {
      ch.listeners.delete(listener);
      if (onLive) ch.live.delete(onLive);
      this.dropIfDone(runId, ch);
    };
  }

  /** Forgets an ended (or empty) run's channel once nobody listens to it. */
  private dropIfDone(runId: string, ch: Channel): void {
    if ((ch.ended || ch.ring.length === 0) && ch.listeners.size === 0 && this.channels.get(runId) === ch) this.channels.delete(runId);
  }

  recent(runId: string, afterSeq: number, limit: number): RunEvent[] | null {
    const ring = this.channels.get(runId)?.ring;
    if (!ring || ring.length === 0) return null;
    const first = ring[0]!.seq;
    if (afterSeq + 1 < first) return null;
    const start = afterSeq + 1 - first;
    return ring.slice(start, start + limit);
  }

  async close(): Promise<void> {
    this.channels.clear();
  }
}
