// Serialises a run's event stream as SSE (SPEC §6): `id: <seq>`, one-line JSON `data:`, a
// blank line; `: ping` comments during silence. Writes wait for the socket to drain, so a slow
// reader only slows its own stream (which reads from the ring or storage at its own pace).
import { randomUUID } from 'node:crypto';
import type { ServerResponse } from 'node:http';
import { RESPONSE_ALREADY_SENT } from '@hono/node-server/utils/response';
import type { Context } from 'hono';
import { streamSSE } from 'hono/streaming';
import type { StreamItem, WriteFlow } from '../app/runs/events.js';
import type { RunEvent } from '../core/events.js';
import { nextTurn, turnBudget, turnElapsed } from '../core/turns.js';
import { outgoingOf } from './node-env.js';
import { stalledWrites } from './sse-stalls.js';

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

/** Characters of one write of a frame larger than this (see writePieces in pumpToNode). */
const PIECE_CHARS = 256 * 1024;

/**
 * The output of a committed event when it is a string of more than PIECE_CHARS: such an event is
 * framed a piece at a time as the socket takes them (framePieces), never whole.
 */
function bigOutputOf(e: RunEvent): string | undefined {
  const output = (e as { output?: unknown }).output;
  return typeof output === 'string' && output.length > PIECE_CHARS ? output : undefined;
}

/** Stands for the output in the frame around it: no event's own text can hold it (a random id). */
const HOLE = JSON.stringify(`\u0000${randomUUID()}`);

/**
 * The frame of `e` (frameOf's text, to the character) in pieces of about PIECE_CHARS: the frame
 * around the output, then the output serialised a slice at a time. A reader that stops reading
 * then holds the event and one piece, not a frame of the output's size besides (40 readers of a
 * run of 9 MB outputs held ≈ 900 MB at the peak; docs/benchmarks.md, "Readers that stop reading").
 */
export function* framePieces(e: RunEvent, output: string): Generator<string> {
  // A lone spread, then the hole in the output's place (its key keeps its position).
  const shell: Record<string, unknown> = { ...e };
  shell.output = JSON.parse(HOLE) as string;
  const text = JSON.stringify(shell);
  const at = text.indexOf(HOLE);
  yield `id: ${e.seq}\ndata: ${text.slice(0, at)}"`;
  for (let from = 0; from < output.length; ) {
    let to = Math.min(output.length, from + PIECE_CHARS);
    // Never between the halves of a surrogate pair: each half alone is written as a \u escape.
    const last = output.charCodeAt(to - 1);
    if (to < output.length && last >= 0xd800 && last <= 0xdbff) to--;
    yield JSON.stringify(output.slice(from, to)).slice(1, -1);
    from = to;
  }
  yield `"${text.slice(at + HOLE.length)}\n\n`;
}

/** Characters of frames one write carries at most, past its first frame. */
export const WRITE_CHARS = 256 * 1024;

/**
 * The writes of an item: a page of events goes out as few chunks as it can (one write per page
 * of small events, not one per event), each at most WRITE_CHARS past its first frame, so that a
 * page of megabyte outputs is framed and written a turn at a time (see pumpToNode).
 */
export function* chunksOf(item: StreamItem): Generator<string> {
  if (item.kind === 'ping') yield ': ping\n\n';
  // A comment, invisible to EventSource and to LangWatch's parser: the seq the replay ends at.
  // The writers below send it at the head of the stream's next write (withMark).
  else if (item.kind === 'replay') yield `: replay-to ${item.to}\n\n`;
  // A comment, so clients see why the stream ended: `key_revoked` (reconnecting with the key then
  // gets a 401) or `shutdown` (the server is going away; a reconnect reaches the next one).
  else if (item.kind === 'closed') yield `: closed: ${item.reason}\n\n`;
  // Live-only events carry no id: a client's Last-Event-ID stays on the last committed event.
  else if (item.kind === 'live') yield* grouped(item.events, (e) => `data: ${JSON.stringify(e)}\n\n`);
  else yield* grouped(item.events, frameOf);
}

/** Frames of `events`, framed as they are read, joined into chunks of at most WRITE_CHARS past their first. */
function* grouped<E>(events: readonly E[], frame: (e: E) => string): Generator<string> {
  for (const [chunk] of groupedThrough(events, frame)) yield chunk;
}

/**
 * The chunks of a page of committed events as the Node writer sends them: `grouped`'s, each with
 * the index of its last event, except that an event with a big output (bigOutputOf) comes alone,
 * with its output, for the writer to frame in pieces, unless its whole frame is kept already
 * (another stream of the run framed it while it was small enough to share: see frameOf).
 */
function* nodeChunks(events: readonly RunEvent[]): Generator<[string, number, string | undefined]> {
  let chunk = '';
  for (let i = 0; i < events.length; i++) {
    const e = events[i]!;
    const output = bigOutputOf(e);
    if (output !== undefined && !frames.has(e)) {
      if (chunk.length > 0) yield [chunk, i - 1, undefined];
      chunk = '';
      yield ['', i, output];
      continue;
    }
    const f = frameOf(e);
    if (chunk.length > 0 && chunk.length + f.length > WRITE_CHARS) {
      yield [chunk, i - 1, undefined];
      chunk = '';
    }
    chunk += f;
  }
  if (chunk.length > 0) yield [chunk, events.length - 1, undefined];
}

/** `grouped`, each chunk with the index of the last event in it. */
function* groupedThrough<E>(events: readonly E[], frame: (e: E) => string): Generator<[string, number]> {
  if (events.length === 1) return yield [frame(events[0]!), 0];
  let chunk = '';
  for (let i = 0; i < events.length; i++) {
    const f = frame(events[i]!);
    if (chunk.length > 0 && chunk.length + f.length > WRITE_CHARS) {
      yield [chunk, i - 1];
      chunk = '';
    }
    chunk += f;
  }
  if (chunk.length > 0) yield [chunk, events.length - 1];
}

/**
 * The replay mark (`: replay-to SEQ`, first of a stream's items) is not written on its own: it
 * waits for the stream's next write and goes out at its head. A stream that ends with nothing
 * else to say (an ended run followed from its last event; a storage read that failed) then
 * writes nothing, as before there was a mark: a client reconnects at once after a connection it
 * heard anything from and backs off from one that said nothing (src/client/events.ts, and the
 * published CLIs), and the mark alone made it reconnect every 250 ms without end. The first
 * write of a stream also keeps its first event, as before the mark.
 */
class Mark {
  private text = '';
  /** True when `item` is the mark (held for the next write). */
  held(item: StreamItem): boolean {
    if (item.kind !== 'replay') return false;
    for (const chunk of chunksOf(item)) this.text += chunk;
    return true;
  }
  /** `chunk`, headed by the mark when one waits. */
  withMark(chunk: string): string {
    if (this.text === '') return chunk;
    const out = this.text + chunk;
    this.text = '';
    return out;
  }
}

// No `Connection: keep-alive` (Hono's streamSSE sets one): it stops Node from sending its
// `Keep-Alive: timeout=…` hint, and a client then reuses the connection after the server's idle
// timeout closed it and gets ECONNRESET (seen in the load test). HTTP/1.1 keeps it alive anyway.
const SSE_HEADERS = { 'Content-Type': 'text/event-stream', 'Cache-Control': 'no-cache', 'X-Accel-Buffering': 'no' };

/**
 * `onClose` runs once, when the stream ends or the client goes away (whichever comes first):
 * the per-key stream count is released there (src/http/limits.ts).
 */
export function sseResponse(c: Context, items: (signal: AbortSignal, flow?: WriteFlow) => AsyncGenerator<StreamItem>, onClose: () => void = () => {}): Response {
  openStreams++;
  let open = true;
  const close = (): void => {
    if (!open) return;
    open = false;
    openStreams--;
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

/** The chunks of an item other than a page of committed events, as `groupedThrough` gives them. */
function* chunksTagged(item: StreamItem): Generator<[string, number]> {
  for (const chunk of chunksOf(item)) yield [chunk, -1];
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
