// Reading a run's events: from the bus's recent-events ring when it holds them, otherwise
// from storage (run-level events plus the events derived from committed cells). A stream
// keeps only a cursor per subscriber, never a queue of events, so a slow reader costs no
// memory and never slows the run: it simply reads further behind.
import { isFinalEvent, type LiveEvent, type RunEvent } from '../../core/events.js';
import { PAGE_BYTES } from '../../core/model/paging.js';
import { TERMINAL } from '../../core/model/run.js';
import type { Clock, EventBus, Stores } from '../../core/ports.js';
import { yieldIfBusy } from '../../core/turns.js';
import { EVENT_PAGE, readEventPage } from './event-page.js';
import { LiveQueue } from './live-queue.js';

/** A comment line is sent after this much silence (SPEC §6). */
export const PING_MS = 15_000;
/** Storage is re-checked this often while waiting, for events committed by other processes. */
const RECHECK_MS = 1_000;
/**
 * A live stream writes events at most once per this many ms: events committed in between go out
 * as one chunk. Each write is a system call per subscriber, the main cost of fan-out to hundreds
 * of subscribers (docs/benchmarks.md, "Load"); a progress display updated 4 times a second
 * looks live.
 */
export const FLUSH_GAP_MS = 250;

/**
 * The stored outputs a stream's first page from storage may hold, and what it falls back to when
 * the reader does not keep up. A page is held in memory until the socket has taken all of it,
 * and a page of PAGE_BYTES of outputs is ≈ 11 MB parsed and framed: 40 readers that stopped
 * reading a run of 100 KB outputs held 454 MB (measured 2026-12-07). The budget doubles after
 * each page written without waiting, up to PAGE_BYTES, like TCP's slow start.
 */
export const SLOW_PAGE_BYTES = 256 * 1024;

/**
 * Told by the writer of a stream (http/sse.ts) when the socket was full with part of a page of
 * committed events not yet framed: the seq of the last event it wrote, and a promise that settles
 * once the socket takes more (or the client left). The stream then lets go of the page, waits,
 * and reads on after that seq in a small page, so a reader that does not keep up holds one write
 * of memory, not a page.
 */
export interface WriteFlow {
  unsent?: { after: number; drained: Promise<void> };
}

/**
 * How often a stream checks that the API key that opened it is still valid: a revoked key's
 * streams close within this (plus one re-check) rather than streaming for as long as the run.
 */
export const KEY_CHECK_MS = 3_000;

/**
 * Live events are written at most this often (the first at once): a cell's `cell_started`
 * reaches a watcher within 100 ms, and a run starting a thousand cells a second costs ten
 * writes a second per stream rather than a thousand.
 */
export const LIVE_GAP_MS = 100;

/**
 * A page of consecutive committed events (written as one chunk), live-only events (no SSE id),
 * a keep-alive, or why the stream ends early: the key that opened it was revoked, or the server
 * is shutting down (the run goes on; the client reconnects with Last-Event-ID).
 */
export type StreamItem =
  /** First on every stream: committed events up to seq `to` are a replay (they were stored when it opened); those after are live. */
  | { kind: 'replay'; to: number }
  | { kind: 'events'; events: RunEvent[] }
  | { kind: 'live'; events: LiveEvent[] }
  | { kind: 'ping' }
  | { kind: 'closed'; reason: 'key_revoked' | 'shutdown' };

/** What a stream reads from: storage, the bus and the clock, and whether its key still holds. */
export interface StreamDeps {
  stores: Pick<Stores, 'runs'>;
  bus: EventBus;
  clock: Clock;
  pingMs?: number;
  /** False once the API key that opened the stream was revoked; checked every KEY_CHECK_MS. */
  keyActive?: () => Promise<boolean>;
  /**
   * Aborted when the server shuts down: the stream sends the committed events it has not sent
   * (one page at most), then ends with `closed: shutdown` instead of holding the server's
   * close until its timeout (docs/deployment.md, "What survives what").
   */
  closing?: AbortSignal;
}

/**
 * Streams a run's events after `afterSeq` until the run has ended and everything was sent,
 * or `signal` aborts (the client went away; the run is unaffected).
 *
 * Live-only events (`cell_started` as a call begins, `retrying` as a retry is scheduled) go
 * out at once, without an id; when their committed twins (with seqs) come by later, this
 * stream leaves them out, so a live watcher sees each event once. A replay (no live events)
 * gets the committed ones.
 */
export async function* streamRunEvents(deps: StreamDeps, runId: string, afterSeq: number, signal: AbortSignal, flow: WriteFlow = {}): AsyncGenerator<StreamItem> {
  const { clock } = deps;
  let cursor = afterSeq;
  /** The byte budget of the next page read from storage (SLOW_PAGE_BYTES). */
  let pageBytes = SLOW_PAGE_BYTES;
  let wake: (() => void) | null = null;
  // Set by every notification, so one arriving while we read is never slept through.
  let pending = false;
  // Set when the run's final event was published: it goes out at once, not after the flush
  // gap, so a client waiting for the end (the CLI, an SDK, a CI job) learns it without delay.
  let ending = false;
  // Read before subscribing: every live event this stream hears is of a cell that had not been
  // committed then (a cell leaves the bus's cells in flight before its commit), so this is the
  // floor of the live events' committed twins (LiveQueue).
  const first = await deps.stores.runs.cursor(runId);
  if (!first) return;
  const liveFloor = first.nextSeq;
  // Where the replay ends, told first: a client can then tell history from live events (the
  // CLI's progress line prints a resumed run's earlier executions as one count, not as live).
  yield { kind: 'replay', to: liveFloor - 1 };
  const live = new LiveQueue(liveFloor);
  const unsubscribe = deps.bus.subscribe(
    runId,
    (events) => {
      pending = true;
      // An empty batch: committed events the bus did not carry; the ring restarted after them,
      // so the next read goes to storage.
      if (events.length > 0 && isFinalEvent(events[events.length - 1]!)) ending = true;
      wake?.();
    },
    (event) => {
      if (live.add(event)) wake?.();
    },
  );
  const onAbort = () => wake?.();
  signal.addEventListener('abort', onAbort);
  const closing = deps.closing;
  closing?.addEventListener('abort', onAbort);
  /** The client left, or the server is going away: either ends a wait. */
  const interrupted = (): boolean => signal.aborted || closing?.aborted === true;
  /** Sleeps up to `ms`; `early` says which wake-ups end the sleep. Answers true when the time ran out. */
  const sleep = (ms: number, early: () => boolean): Promise<boolean> =>
    new Promise<boolean>((resolve) => {
      const cancel = clock.later(ms, () => {
        wake = null;
        resolve(true);
      });
      wake = () => {
        if (!early()) return;
        cancel();
        wake = null;
        resolve(false);
      };
    });
  let lastSent = clock.now();
  // When events were last written (pings aside): the first write is never held back.
  let lastWrite = -Infinity;
  let lastLiveWrite = -Infinity;
  let lastKeyCheck = clock.now();
  const pingMs = deps.pingMs ?? PING_MS;
  // Storage is read (events and the run's status) on the first pass, after a final event and
  // on every re-check; otherwise (a wake-up by a notification, the pages after the first) a
  // ring that covers the cursor is read alone. With hundreds of subscribers, reading storage on
  // every notification was most of the cost of fan-out (docs/benchmarks.md, "Load"). The run is
  // read as its cursor (status, total, next seq), never whole: a run's spec can be megabytes,
  // and every open stream re-reads the run each second.
  let recheck = true;
  // A backlog is read page after page without waiting.
  let morePages = true;
  /** Set when the writer left part of a page unwritten (WriteFlow): waited for before reading on. */
  let drained: Promise<void> | null = null;

  /**
   * Waits until there is something to write: committed events once FLUSH_GAP_MS passed since
   * the last write (notifications in between only mark them pending), live events once
   * LIVE_GAP_MS passed since the last live write, an abort, or the periodic re-check. Each
   * kind batches on its own clock, so live events never break the batching of committed ones.
   * Answers true for a re-check.
   */
  /** When the next write falls due, from what is waiting (Infinity when nothing is). */
  const dueAt = (): number =>
    Math.min(pending ? (ending ? 0 : lastWrite + FLUSH_GAP_MS) : Number.POSITIVE_INFINITY, live.size > 0 ? lastLiveWrite + LIVE_GAP_MS : Number.POSITIVE_INFINITY);
  const waitForWork = async (): Promise<boolean> => {
    const recheckAt = clock.now() + Math.min(RECHECK_MS, pingMs);
    for (;;) {
      const now = clock.now();
      if (interrupted()) return false;
      if ((pending && (ending || now - lastWrite >= FLUSH_GAP_MS)) || (live.size > 0 && now - lastLiveWrite >= LIVE_GAP_MS)) return false;
      if (now >= recheckAt) return true;
      let next = recheckAt;
      if (pending) next = Math.min(next, lastWrite + FLUSH_GAP_MS);
      if (live.size > 0) next = Math.min(next, lastLiveWrite + LIVE_GAP_MS);
      // A notification ends the sleep early only when it makes something due before the sleep
      // would end anyway (or the client left): live events arrive once per cell, and waking,
      // re-arming a timer and sleeping again for each of them cost more than the batch they join.
      await sleep(Math.max(0, next - now), () => interrupted() || dueAt() < next);
    }
  };

  try {
    let run = first;
    while (!signal.aborted) {
      if (drained) {
        // Outside the block that read the page, so nothing here holds it while the socket drains.
        const wait = drained;
        drained = null;
        await wait;
        continue;
      }
      if (closing?.aborted) {
        // A last page of what was committed before the shutdown (a reconnect replays the rest);
        // live events are left out, their committed twins come with the replay.
        const { events } = await readEventPage(deps.stores, deps.bus, runId, run.total, cursor);
        const shown = live.unannounced(events);
        if (shown.length > 0) yield { kind: 'events', events: shown };
        // The run ended in that page: the stream ends as it always does, after its final event.
        if (events.length > 0 && isFinalEvent(events[events.length - 1]!)) return;
        yield { kind: 'closed', reason: 'shutdown' };
        return;
      }
      if (deps.keyActive && clock.now() - lastKeyCheck >= KEY_CHECK_MS) {
        lastKeyCheck = clock.now();
        if (!(await deps.keyActive())) {
          yield { kind: 'closed', reason: 'key_revoked' };
          return;
        }
      }
      // Whichever kind falls due, what waits of the other kind goes out with it: the two items
      // are written in one turn of the event loop, so Node's corked socket sends them as one
      // write. A write (a system call, and on loopback the receiver's side too) is what a
      // stream costs; live and committed events on clocks of their own made 13–14 writes a
      // second per stream where 10 carry the same events.
      const now = clock.now();
      const liveDue = live.size > 0 && now - lastLiveWrite >= LIVE_GAP_MS;
      const committedDue = pending && (ending || now - lastWrite >= FLUSH_GAP_MS);
      if (liveDue || (committedDue && live.size > 0)) {
        const events = live.take();
        if (events) {
          yield { kind: 'live', events };
          lastLiveWrite = lastSent = clock.now();
        }
      }
      if (recheck || morePages || (pending && (committedDue || liveDue))) {
        pending = false;
        const checkStorage = recheck;
        recheck = false;
        morePages = false;
        // A page read from storage can be megabytes of outputs to parse: not in a turn that
        // already ran its budget (a commit of such outputs, another stream's write).
        await yieldIfBusy();
        const { events, stored } = await readEventPage(deps.stores, deps.bus, runId, run.total, cursor, EVENT_PAGE, !checkStorage, pageBytes);
        if (stored) pageBytes = Math.min(PAGE_BYTES, pageBytes * 2);
        if (events.length > 0) {
          cursor = events[events.length - 1]!.seq;
          const shown = live.unannounced(events);
          if (shown.length > 0) yield { kind: 'events', events: shown };
          lastWrite = lastSent = clock.now();
          const unsent = flow.unsent;
          if (unsent) {
            // Read again later, after what was written, in a small page. The page is emptied, not
            // just dropped: a suspended generator's frame can keep what its registers last held.
            flow.unsent = undefined;
            events.length = 0;
            shown.length = 0;
            cursor = unsent.after;
            live.reannounce(cursor);
            pageBytes = SLOW_PAGE_BYTES;
            drained = unsent.drained;
            morePages = true;
            continue;
          }
          if (!isFinalEvent(events[events.length - 1]!)) {
            // A page from storage may stop short of EVENT_PAGE (its cells' byte budget): read
            // on until storage has nothing more or the ring takes over. (The run's nextSeq is
            // not re-read while pages come, so it cannot say whether more are stored.)
            morePages = events.length >= EVENT_PAGE || stored;
            // A backlog of 100,000 cells is hundreds of pages: a turn of the event loop
            // between them (core/turns.ts); reading and writing them took 0.5 s in one before.
            if (morePages) await yieldIfBusy();
            continue;
          }
        }
        if (checkStorage || events.length > 0) {
          run = (await deps.stores.runs.cursor(runId)) ?? run;
          if (TERMINAL.has(run.status) && cursor >= run.nextSeq - 1) return;
        }
      }
      recheck = await waitForWork();
      if (clock.now() - lastSent >= pingMs) {
        yield { kind: 'ping' };
        lastSent = clock.now();
      }
    }
  } finally {
    unsubscribe();
    signal.removeEventListener('abort', onAbort);
    closing?.removeEventListener('abort', onAbort);
  }
}
