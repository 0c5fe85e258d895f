// Following a run's event stream (SSE) across dropped connections. A connection that delivered
// events was healthy: when it is cut (a proxy's connection lifetime, a load balancer), the
// stream resumes at once after the last event seen (Last-Event-ID), however often that happens
// — a long run behind a proxy that cut every few minutes used to die after 20 connections in
// all. Connections that fail (refused while the server restarts, a 502 from its proxy, no
// answer, nothing heard) are retried with backoff for as long as `retryForMs` allows, counted
// from the first failure in a row.
import { createParser } from 'eventsource-parser';
import type { LiveEvent, RunEvent } from '../core/events.js';
import { isFinalEvent } from '../core/final-event.js';
import { BodyAbortedError } from './body.js';
import { ApiError, ConnectionLostError, NoAnswerError, NotAssayError, StreamLostError, UnreachableError } from './errors.js';

/**
 * What a run's stream delivers: committed events (with `seq`, the SSE id) and live-only events
 * (`cell_started`, `retrying` as they happen; no seq). Each is delivered once.
 */
export type StreamEvent = RunEvent | LiveEvent;

/** Told before each wait after a failed connection. */
export interface RetryNotice {
  error: Error;
  /** Failed connections in a row, this one included. */
  attempt: number;
  delayMs: number;
  /** The reason the server gave when it last ended the stream (`: closed: shutdown`), if it gave one. */
  serverClosed?: string;
}

export interface EventsOptions {
  afterSeq?: number;
  /** Ends the stream (quietly) when aborted. */
  signal?: AbortSignal;
  /**
   * How long connections may keep failing in a row before the stream gives up with a
   * StreamLostError (default RETRY_FOR_MS); Infinity: until `signal` ends it.
   */
  retryForMs?: number;
  onRetry?: (notice: RetryNotice) => void;
  /**
   * Told each time a connection is answered with an event stream: after failures, the stream
   * is back, though a quiet run may send no event (nor a ping) for a while yet.
   */
  onOpen?: () => void;
  /**
   * Told as each connection begins, before its first event, when the server says where its
   * replay ends (`: replay-to SEQ`, servers since 2026-12-06): committed events up to that seq
   * were stored before the connection opened; the ones after it are live.
   */
  onReplay?: (to: number) => void;
}

/** The default of `EventsOptions.retryForMs`: about as long as the 20 quick retries of before. */
export const RETRY_FOR_MS = 5_000;
const FIRST_DELAY_MS = 250;
const MAX_DELAY_MS = 5_000;

/**
 * Silence after which a connection counts as dead: the server sends `: ping` every 15 s when it
 * has no event to send (PING_MS in src/app/runs/events.ts), so 45 s of nothing is three missed.
 */
export const STREAM_SILENCE_MS = 45_000;

/** What the client lends the stream: its endpoint, its request (bounded until the headers), and its bounds. */
export interface StreamSource {
  endpoint: string;
  open(path: string, headers: Record<string, string>, signal: AbortSignal | undefined): Promise<Response>;
  silenceMs: number;
  maxEventBytes: number;
}

/** What one connection did, for the reconnect decision. */
interface Connection {
  events: number;
  /** Anything at all came (events or the server's pings). */
  heard: boolean;
  /** Cut by us after STREAM_SILENCE_MS of nothing. */
  silent: boolean;
  /** The reason in the server's `: closed: REASON` comment, when it ended the stream with one. */
  closedBy?: string;
}

/** Failures another connection may get past: the network, the server (or its proxy) restarting or busy, silence. */
function retryable(error: unknown): boolean {
  if (error instanceof UnreachableError || error instanceof NoAnswerError || error instanceof ConnectionLostError) return true;
  const status = error instanceof ApiError ? error.status : error instanceof NotAssayError ? error.status : undefined;
  return status !== undefined && (status >= 500 || status === 429 || status === 408);
}

const sleep = (ms: number, signal: AbortSignal | undefined) =>
  new Promise<void>((resolve) => {
    const done = () => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal?.addEventListener('abort', done, { once: true });
  });

export async function* followEvents(source: StreamSource, runId: string, options: EventsOptions = {}): AsyncGenerator<StreamEvent> {
  const { signal } = options;
  const path = `/api/experiments/runs/${encodeURIComponent(runId)}/events`;
  let cursor = options.afterSeq ?? 0;
  let failures = 0;
  let failingSince = 0;
  // Why the server last ended the stream (`shutdown`: it is stopping or restarting), until a connection opens again.
  let serverClosed: string | undefined;
  // The last committed event seen, on this connection or an earlier one, was a final one.
  let lastFinal = false;
  for (;;) {
    const connection: Connection = { events: 0, heard: false, silent: false };
    let error: Error;
    try {
      const res = await source.open(path, { accept: 'text/event-stream', 'last-event-id': String(cursor) }, signal);
      const type = res.headers.get('content-type')?.split(';')[0]?.trim();
      if (type !== 'text/event-stream') {
        await res.body?.cancel().catch(() => {});
        throw new NotAssayError(source.endpoint, `GET ${path} answered ${res.status} with ${type || 'no content type'}, not an event stream`, res.status);
      }
      serverClosed = undefined;
      options.onOpen?.();
      // A final event ends the stream only when the server then closes it: replayed from
      // before a resume, a run's history has an earlier `done` or `stopped`, and `resumed`
      // and the events of the execution after it follow (SPEC §6). The server closes a stream
      // as soon as it has sent the run's last event.
      for await (const event of connectionEvents(source, path, res, connection, signal, options.onReplay)) {
        if ('seq' in event && typeof event.seq === 'number') cursor = event.seq;
        failures = 0;
        yield event;
        if ('seq' in event) lastFinal = isFinalEvent(event);
      }
      // Closed by the server (or silent) after a final event: the run ended there. So it did
      // when a connection cut after one is picked up again and the server closes it with
      // nothing more (a resumed run would send its `resumed` at least).
      if (lastFinal && connection.closedBy === undefined) return;
      serverClosed = connection.closedBy;
      const why = connection.silent ? `nothing for ${source.silenceMs / 1000} s` : serverClosed === 'shutdown' ? 'the server shut down before the run ended' : 'the stream ended before the run did';
      error = new ConnectionLostError(source.endpoint, 'GET', path, why);
    } catch (e) {
      // Stopped while (re)connecting or reading: the caller asked for the end.
      if (signal?.aborted) return;
      if (!retryable(e)) throw e;
      error = e as Error;
    }
    if (signal?.aborted) return;
    // Healthy until cut (events came, or pings until the other side closed it): resume at once.
    if (connection.events > 0 || (connection.heard && !connection.silent)) {
      failures = 0;
      await sleep(FIRST_DELAY_MS, signal);
      continue;
    }
    if (failures === 0) failingSince = Date.now();
    failures++;
    const delayMs = Math.min(MAX_DELAY_MS, FIRST_DELAY_MS * 2 ** (failures - 1));
    const failingMs = Date.now() - failingSince;
    if (failingMs + delayMs > (options.retryForMs ?? RETRY_FOR_MS)) throw new StreamLostError(runId, error, failures, failingMs);
    options.onRetry?.(serverClosed === undefined ? { error, attempt: failures, delayMs } : { error, attempt: failures, delayMs, serverClosed });
    await sleep(delayMs, signal);
  }
}

/** One connection's events, as they arrive; ends when the server ends the stream, throws when it is cut, stalls or sends what is not an event. */
async function* connectionEvents(source: StreamSource, path: string, res: Response, connection: Connection, signal: AbortSignal | undefined, onReplay?: (to: number) => void): AsyncGenerator<StreamEvent> {
  const queue: StreamEvent[] = [];
  let bad: Error | undefined;
  const notAssay = (what: string) => new NotAssayError(source.endpoint, `its event stream GET ${path} sent ${what}`);
  const parser = createParser({
    maxBufferSize: source.maxEventBytes,
    onEvent: (e) => {
      if (bad) return;
      let event: unknown;
      try {
        event = JSON.parse(e.data);
      } catch {
        event = undefined;
      }
      if (typeof event === 'object' && event !== null && typeof (event as { type?: unknown }).type === 'string') queue.push(event as StreamEvent);
      else bad = notAssay(`something that is not an Assay event: ${JSON.stringify(e.data.slice(0, 80))}${e.data.length > 80 ? '…' : ''}`);
    },
    // The server says why it ends a stream in a comment (src/http/sse-frames.ts): `: closed: shutdown`.
    // And where its replay ends, before any event (`: replay-to 41`); told at once, as no event of
    // this connection is waiting to be read yet.
    onComment: (comment) => {
      const reason = /^\s*closed: (\S+)/.exec(comment)?.[1];
      if (reason !== undefined) connection.closedBy = reason;
      const to = /^\s*replay-to (\d+)\s*$/.exec(comment)?.[1];
      if (to !== undefined && connection.events === 0 && queue.length === 0) onReplay?.(Number(to));
    },
    onError: (e) => {
      bad ??= e.type === 'max-buffer-size-exceeded' ? notAssay(`an event larger than ${source.maxEventBytes} bytes`) : undefined;
    },
  });
  const reader = res.body!.getReader();
  const decoder = new TextDecoder();
  // Our own cut after silence; with the caller's signal, ends the read in progress.
  const stop = new AbortController();
  const stopped = new Promise<never>((_resolve, reject) => stop.signal.addEventListener('abort', () => reject(new BodyAbortedError()), { once: true }));
  stopped.catch(() => {});
  const onCallerAbort = () => stop.abort();
  signal?.addEventListener('abort', onCallerAbort, { once: true });
  let silence: ReturnType<typeof setTimeout> | undefined;
  const listen = () => {
    clearTimeout(silence);
    silence = setTimeout(() => {
      connection.silent = true;
      stop.abort();
    }, source.silenceMs);
  };
  try {
    listen();
    for (;;) {
      let chunk: Awaited<ReturnType<typeof reader.read>>;
      try {
        chunk = await Promise.race([reader.read(), stopped]);
      } catch (error) {
        if (connection.silent || signal?.aborted) return;
        throw new ConnectionLostError(source.endpoint, 'GET', path, error);
      }
      if (chunk.done) return;
      connection.heard = true;
      listen();
      parser.feed(decoder.decode(chunk.value, { stream: true }));
      if (bad) throw bad;
      if (queue.length === 0) continue;
      // The caller's time with an event is not the server's silence.
      clearTimeout(silence);
      while (queue.length > 0) {
        connection.events++;
        yield queue.shift()!;
      }
      listen();
    }
  } finally {
    clearTimeout(silence);
    signal?.removeEventListener('abort', onCallerAbort);
    void reader.cancel().catch(() => {});
  }
}
