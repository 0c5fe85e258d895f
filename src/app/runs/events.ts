// Reading a run's events: from the bus's recent-events ring when it holds them, otherwise
// from storage (run-level events plus the events derived from committed cells). A stream
// keeps only a cursor per subscriber, never a queue of events, so a slow reader costs no
// memory and never slows the run: it simply reads further behind.
import { cellEvents, rowEvent } from '../../core/engine/cell-events.js';
import { isFinalEvent, type RunEvent } from '../../core/events.js';
import { TERMINAL } from '../../core/model/run.js';
import type { Clock, EventBus, Stores } from '../../core/ports.js';

export const EVENT_PAGE = 500;
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
 * Events with seq > afterSeq, contiguous, at most `limit`. With `ringOnly`, a bus ring that
 * covers `afterSeq` but holds nothing newer answers "nothing yet" without reading storage: this
 * process publishes every event it commits, so only events committed by another process can be
 * missing, and the periodic re-check (RECHECK_MS) reads storage for those.
 */
export async function readEvents(
  stores: Pick<Stores, 'runs'>,
  bus: EventBus,
  runId: string,
  total: number,
  afterSeq: number,
  limit = EVENT_PAGE,
  ringOnly = false,
): Promise<RunEvent[]> {
  const recent = bus.recent(runId, afterSeq, limit);
  if (recent && (recent.length > 0 || ringOnly)) return recent;
  const [runEvents, cells, rows] = await Promise.all([
    stores.runs.runEvents(runId, afterSeq, limit),
    stores.runs.cellsAfterSeq(runId, afterSeq, Math.ceil(limit / 3)),
    stores.runs.rowResultsAfterSeq(runId, afterSeq, limit),
  ]);
  const merged = [...runEvents, ...rows.map(rowEvent)];
  for (const c of cells) for (const e of cellEvents(c, total)) if (e.seq > afterSeq) merged.push(e);
  merged.sort((a, b) => a.seq - b.seq);
  const out: RunEvent[] = [];
  let expected = afterSeq + 1;
  for (const e of merged) {
    if (e.seq !== expected || out.length >= limit) break;
    out.push(e);
    expected++;
  }
  return out;
}

/**
 * How often a stream checks that the API key that opened it is still valid: a revoked key's
 * streams close within this (plus one re-check) rather than streaming for as long as the run.
 */
export const KEY_CHECK_MS = 3_000;

/** A page of consecutive events (written as one chunk), a keep-alive, or why the stream ends early. */
export type StreamItem = { kind: 'events'; events: RunEvent[] } | { kind: 'ping' } | { kind: 'closed'; reason: 'key_revoked' };

/** What a stream reads from: storage, the bus and the clock, and whether its key still holds. */
export interface StreamDeps {
  stores: Pick<Stores, 'runs'>;
  bus: EventBus;
  clock: Clock;
  pingMs?: number;
  /** False once the API key that opened the stream was revoked; checked every KEY_CHECK_MS. */
  keyActive?: () => Promise<boolean>;
}

/**
 * Streams a run's events after `afterSeq` until the run has ended and everything was sent,
 * or `signal` aborts (the client went away; the run is unaffected).
 */
export async function* streamRunEvents(
  deps: StreamDeps,
  runId: string,
  afterSeq: number,
  signal: AbortSignal,
): AsyncGenerator<StreamItem> {
  let cursor = afterSeq;
  let wake: (() => void) | null = null;
  // Set by every notification, so one arriving while we read is never slept through.
  let pending = false;
  const unsubscribe = deps.bus.subscribe(runId, () => {
    pending = true;
    wake?.();
  });
  const onAbort = () => wake?.();
  signal.addEventListener('abort', onAbort);
  let lastSent = deps.clock.now();
  // When events were last written (pings aside): the first write is never held back.
  let lastWrite = -Infinity;
  // Storage is read (events and the run's status) on the first pass, after a final event and
  // on every re-check; otherwise (a wake-up by a notification, the pages after the first) a
  // ring that covers the cursor is read alone. With hundreds of
  // subscribers, reading storage on every notification was most of the cost of fan-out
  // (docs/benchmarks.md, "Load"). The run is read as its cursor (status, total, next seq), never
  // whole: a run's spec can be megabytes, and every open stream re-reads the run each second.
  let recheck = true;
  let lastKeyCheck = deps.clock.now();
  try {
    let run = await deps.stores.runs.cursor(runId);
    if (!run) return;
    while (!signal.aborted) {
      if (deps.keyActive && deps.clock.now() - lastKeyCheck >= KEY_CHECK_MS) {
        lastKeyCheck = deps.clock.now();
        if (!(await deps.keyActive())) {
          yield { kind: 'closed', reason: 'key_revoked' };
          return;
        }
      }
      pending = false;
      const checkStorage = recheck;
      recheck = false;
      const events = await readEvents(deps.stores, deps.bus, runId, run.total, cursor, EVENT_PAGE, !checkStorage);
      if (events.length > 0) {
        yield { kind: 'events', events };
        cursor = events[events.length - 1]!.seq;
        lastSent = deps.clock.now();
        lastWrite = lastSent;
        if (!isFinalEvent(events[events.length - 1]!)) continue;
      }
      if (checkStorage || events.length > 0) {
        run = (await deps.stores.runs.cursor(runId)) ?? run;
        if (TERMINAL.has(run.status) && cursor >= run.nextSeq - 1) return;
      }
      if (events.length > 0 || pending) continue;
      recheck = await new Promise<boolean>((resolve) => {
        const timer = setTimeout(() => resolve(true), Math.min(RECHECK_MS, deps.pingMs ?? PING_MS));
        wake = () => {
          clearTimeout(timer);
          resolve(false);
        };
      });
      wake = null;
      const sinceWrite = deps.clock.now() - lastWrite;
      if (!recheck && sinceWrite < FLUSH_GAP_MS && !signal.aborted) {
        // Woken by a notification soon after a write: let more events gather first.
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, FLUSH_GAP_MS - sinceWrite);
          // Notifications only set `pending` here; an abort ends the wait.
          wake = () => {
            if (!signal.aborted) return;
            clearTimeout(timer);
            resolve();
          };
        });
        wake = null;
      }
      if (deps.clock.now() - lastSent >= (deps.pingMs ?? PING_MS)) {
        yield { kind: 'ping' };
        lastSent = deps.clock.now();
      }
    }
  } finally {
    unsubscribe();
    signal.removeEventListener('abort', onAbort);
  }
}
