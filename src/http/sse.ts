// Serialises a run's event stream as SSE (SPEC §6): `id: <seq>`, one-line JSON `data:`, a
// blank line; `: ping` comments during silence. Writes wait for the socket to drain, so a slow
// reader only slows its own stream (which reads from the ring or storage at its own pace).
import { ServerResponse } from 'node:http';
import { RESPONSE_ALREADY_SENT } from '@hono/node-server/utils/response';
import type { Context } from 'hono';
import { streamSSE } from 'hono/streaming';
import type { StreamItem } from '../app/runs/events.js';
import type { RunEvent } from '../core/events.js';

/**
 * Frames by event, while more than one stream is open: every subscriber of a run gets the same
 * event objects from the bus ring, so each is serialised once rather than once per subscriber.
 * Weak: a frame lives as long as its event (the ring bounds both). With one stream (a CLI, a
 * CI job, the web page of one run) there is nothing to share, and a frame kept as long as the
 * ring keeps its event outlives the young generation: the frames were the largest thing a
 * 2,000-cell run promoted to the old generation (≈ 5 MB; docs/benchmarks.md, "Memory").
 */
const frames = new WeakMap<RunEvent, string>();
/** SSE streams open in this process. */
let openStreams = 0;

function frameOf(e: RunEvent): string {
  let frame = openStreams > 1 ? frames.get(e) : undefined;
  if (frame === undefined) {
    // Written by hand: the frame order is `id:` then `data:` (SPEC §6).
    frame = `id: ${e.seq}\ndata: ${JSON.stringify(e)}\n\n`;
    if (openStreams > 1) frames.set(e, frame);
  }
  return frame;
}

/** A page of events goes out as one chunk: one write per page, not per event. */
function chunkOf(item: StreamItem): string {
  if (item.kind === 'ping') return ': ping\n\n';
  // Live-only events carry no id: a client's Last-Event-ID stays on the last committed event.
  if (item.kind === 'live') return item.events.map((e) => `data: ${JSON.stringify(e)}\n\n`).join('');
  // A comment, so clients see why the stream ended; reconnecting with the key then gets a 401.
  if (item.kind === 'closed') return `: closed: ${item.reason}\n\n`;
  return item.events.length === 1 ? frameOf(item.events[0]!) : item.events.map(frameOf).join('');
}

// No `Connection: keep-alive` (Hono's streamSSE sets one): it stops Node from sending its
// `Keep-Alive: timeout=…` hint, and a client then reuses the connection after the server's idle
// timeout closed it and gets ECONNRESET (seen in the load test). HTTP/1.1 keeps it alive anyway.
const SSE_HEADERS = { 'Content-Type': 'text/event-stream', 'Cache-Control': 'no-cache', 'X-Accel-Buffering': 'no' };

/**
 * `onClose` runs once, when the stream ends or the client goes away (whichever comes first):
 * the per-key stream count is released there (src/http/limits.ts).
 */
export function sseResponse(c: Context, items: (signal: AbortSignal) => AsyncGenerator<StreamItem>, onClose: () => void = () => {}): Response {
  openStreams++;
  let open = true;
  const close = (): void => {
    if (!open) return;
    open = false;
    openStreams--;
    onClose();
  };
  const outgoing: unknown = (c.env as { outgoing?: unknown } | undefined)?.outgoing;
  if (outgoing instanceof ServerResponse) {
    void pumpToNode(outgoing, items, close);
    return RESPONSE_ALREADY_SENT;
  }
  return viaWebStream(c, items, close);
}

/**
 * Behind @hono/node-server the stream is written straight to Node's response: the web-stream
 * path below costs several promise hops and a TextEncoder pass per write, which with hundreds
 * of subscribers was a large part of the server's CPU (docs/benchmarks.md, "Load").
 */
async function pumpToNode(out: ServerResponse, items: (signal: AbortSignal) => AsyncGenerator<StreamItem>, onClose: () => void): Promise<void> {
  const controller = new AbortController();
  let closed = false;
  let wake: (() => void) | undefined;
  const finish = (): void => {
    if (closed) return;
    closed = true;
    controller.abort();
    wake?.();
    onClose();
  };
  out.once('close', finish);
  try {
    out.writeHead(200, SSE_HEADERS);
    out.flushHeaders();
    for await (const item of items(controller.signal)) {
      if (closed) break;
      if (!out.write(chunkOf(item)) && !closed) {
        await new Promise<void>((resolve) => {
          wake = resolve;
          out.once('drain', resolve);
        });
        out.removeListener('drain', wake!);
        wake = undefined;
      }
    }
  } catch {
    // A failed read ends the stream; the client reconnects with Last-Event-ID.
  } finally {
    finish();
    if (!out.writableEnded) out.end();
  }
}

/** Without a Node response (app.request() in tests, other runtimes): Hono's streamSSE. */
function viaWebStream(c: Context, items: (signal: AbortSignal) => AsyncGenerator<StreamItem>, onClose: () => void): Response {
  c.header('X-Accel-Buffering', 'no');
  const response = streamSSE(c, async (stream) => {
    const controller = new AbortController();
    stream.onAbort(() => {
      onClose();
      controller.abort();
    });
    try {
      for await (const item of items(controller.signal)) {
        if (stream.aborted || stream.closed) break;
        await stream.write(chunkOf(item));
      }
    } finally {
      controller.abort();
      onClose();
    }
  });
  response.headers.delete('connection');
  return response;
}
