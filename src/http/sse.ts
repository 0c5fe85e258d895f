// Writes a run's event stream as SSE (SPEC §6; its frames are sse-frames.ts'). Writes wait for the socket to drain, so a slow
// reader only slows its own stream (which reads from the ring or storage at its own pace).
import type { ServerResponse } from 'node:http';
import { RESPONSE_ALREADY_SENT } from '@hono/node-server/utils/response';
import type { Context } from 'hono';
import { streamSSE } from 'hono/streaming';
import type { StreamItem, WriteFlow } from '../app/runs/events.js';
import type { RunEvent } from '../core/events.js';
import { nextTurn, turnBudget, turnElapsed } from '../core/turns.js';
import { outgoingOf } from './node-env.js';
import { chunksOf, chunksTagged, framePieces, Mark, nodeChunks, PIECE_CHARS, streamOpened } from './sse-frames.js';
import { stalledWrites } from './sse-stalls.js';

// No `Connection: keep-alive` (Hono's streamSSE sets one): it stops Node from sending its
// `Keep-Alive: timeout=…` hint, and a client then reuses the connection after the server's idle
// timeout closed it and gets ECONNRESET (seen in the load test). HTTP/1.1 keeps it alive anyway.
const SSE_HEADERS = { 'Content-Type': 'text/event-stream', 'Cache-Control': 'no-cache', 'X-Accel-Buffering': 'no' };

/**
 * `onClose` runs once, when the stream ends or the client goes away (whichever comes first):
 * the per-key stream count is released there (src/http/limits.ts).
 */
export function sseResponse(c: Context, items: (signal: AbortSignal, flow?: WriteFlow) => AsyncGenerator<StreamItem>, onClose: () => void = () => {}): Response {
  const counted = streamOpened();
  let open = true;
  const close = (): void => {
    if (!open) return;
    open = false;
    counted();
    onClose();
  };
  const outgoing = outgoingOf(c);
  if (outgoing) {
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
async function pumpToNode(out: ServerResponse, items: (signal: AbortSignal, flow: WriteFlow) => AsyncGenerator<StreamItem>, onClose: () => void): Promise<void> {
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
  /**
   * Settles when the socket takes more, or the client has gone. Meanwhile the stream counts
   * `held` bytes (a frame it is writing, besides the socket's queue) in the ledger of stalled
   * streams, which may cut it (http/sse-stalls.ts).
   */
  const drained = (held = 0): Promise<void> =>
    new Promise<void>((resolve) => {
      const release = stalledWrites.stall(held + out.writableLength, () => out.destroy());
      const done = (): void => {
        out.removeListener('drain', done);
        wake = undefined;
        release();
        resolve();
      };
      wake = done;
      out.once('drain', done);
    });
  out.once('close', finish);
  const flow: WriteFlow = {};
  const stream = items(controller.signal, flow);
  try {
    out.writeHead(200, SSE_HEADERS);
    out.flushHeaders();
    const mark = new Mark();
    for (;;) {
      const next = await stream.next();
      if (next.done || closed) break;
      if (mark.held(next.value)) continue;
      await writeItem(next.value);
      if (closed) break;
    }
    // A frame of megabytes is written a piece at a time, each once the socket has taken the one
    // before: written at once, a stalled reader's socket queue held a copy of all of it besides
    // the frame itself. False when the socket is full after the last piece. Only for frames over
    // PIECE_CHARS: the usual small write stays synchronous, with no promise per write.
    async function writePieces(text: string): Promise<boolean> {
      for (let at = 0; ; ) {
        const end = at + PIECE_CHARS;
        const more = out.write(text.slice(at, end));
        if (end >= text.length || closed) return more;
        at = end;
        // What the stream holds while it waits: the frame, and the event it was framed from.
        if (!more) await drained(2 * text.length);
      }
    }
    // An event with a big output, framed a piece at a time as the socket takes them: while it
    // waits, the stream holds the event (`held`) and the piece the socket queued. False when the
    // socket is full after the last piece.
    async function writeFramePieces(pieces: Generator<string>, held: number): Promise<boolean> {
      let piece = pieces.next();
      for (;;) {
        const more = out.write(mark.withMark(piece.value as string));
        piece = pieces.next();
        if (piece.done || closed) return more;
        if (!more) await drained(held);
        if (closed) return false;
        if (turnElapsed() >= turnBudget()) await nextTurn();
      }
    }
    // A full socket with part of a page of committed events unframed: the rest is left to the
    // stream, which lets go of it and reads it again once the socket drains (WriteFlow).
    async function writeItem(item: StreamItem): Promise<void> {
      const chunks = item.kind === 'events' ? nodeChunks(item.events) : chunksTagged(item);
      for (;;) {
        // Framing a megabyte output costs milliseconds (serializing it, then encoding it for the
        // socket): with the commit that stored it in the same turn, cells of 10 MB held the main
        // thread ≈ 150 ms. A stream frames the next chunk in a turn of its own when this one has
        // run its budget (core/turns.ts); checked without a promise, as a write is usually a few
        // small frames for each of hundreds of subscribers.
        if (turnElapsed() >= turnBudget()) await nextTurn();
        // Nothing more is framed for a client that has gone (a frame can be megabytes).
        if (closed) return;
        const chunk = chunks.next();
        if (chunk.done) return;
        const [framed, through, output] = chunk.value;
        let written: boolean;
        if (output !== undefined) written = await writeFramePieces(framePieces((item as { events: RunEvent[] }).events[through]!, output), output.length);
        else {
          const text = mark.withMark(framed);
          written = text.length <= PIECE_CHARS ? out.write(text) : await writePieces(text);
        }
        if (written || closed) continue;
        if (item.kind === 'events') {
          // Whether or not frames are left, the page is the stream's to let go while it waits.
          flow.unsent = { after: item.events[through]!.seq, drained: drained() };
          return;
        }
        await drained();
      }
    }
  } catch {
    // A failed read ends the stream; the client reconnects with Last-Event-ID.
  } finally {
    finish();
    if (!out.writableEnded) out.end();
    // The stream's own cleanup (it leaves the bus), as a for-await loop would have run it.
    await stream.return(undefined).catch(() => {});
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
      const mark = new Mark();
      for await (const item of items(controller.signal)) {
        if (mark.held(item)) continue;
        for (const chunk of chunksOf(item)) {
          if (stream.aborted || stream.closed) break;
          await stream.write(mark.withMark(chunk));
        }
        if (stream.aborted || stream.closed) break;
      }
    } finally {
      controller.abort();
      onClose();
    }
  });
  response.headers.delete('connection');
  return response;
}
