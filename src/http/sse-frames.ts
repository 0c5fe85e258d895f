// The frames of a run's event stream (SPEC §6): `id: <seq>`, one-line JSON `data:`, a blank line,
// `: ping` and the other comments; pages of small events joined into few writes, and events with
// a big output framed in pieces. The writers are in sse.ts.
import { randomUUID } from 'node:crypto';
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

/** Counts the streams open in this process (sseResponse): frames are shared only while several are. */
export function streamOpened(): () => void {
  openStreams++;
  let open = true;
  return () => {
    if (open) openStreams--;
    open = false;
  };
}

function frameOf(e: RunEvent): string {
  let frame = openStreams > 1 ? frames.get(e) : undefined;
  if (frame === undefined) {
    // Written by hand: the frame order is `id:` then `data:` (SPEC §6).
    frame = `id: ${e.seq}\ndata: ${JSON.stringify(e)}\n\n`;
    if (openStreams > 1) frames.set(e, frame);
  }
  return frame;
}

/** Characters of one write of a frame larger than this (see writePieces in sse.ts, pumpToNode). */
export const PIECE_CHARS = 256 * 1024;

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
 * page of megabyte outputs is framed and written a turn at a time (see pumpToNode in sse.ts).
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
 * The chunks of a page of committed events as the Node writer sends them: `groupedThrough`'s,
 * except that an event with a big output (bigOutputOf) comes alone, with its output, for the
 * writer to frame in pieces (unless a whole frame of it is kept already: see frameOf).
 */
export function nodeChunks(events: readonly RunEvent[]): Generator<[string, number, string | undefined]> {
  return groupedThrough(events, frameOf, bigAndUnframed);
}

/** The output of an event to frame in pieces: big, and with no whole frame kept (a type check first: the usual event is small). */
function bigAndUnframed(e: RunEvent): string | undefined {
  const output = bigOutputOf(e);
  return output !== undefined && !frames.has(e) ? output : undefined;
}

/**
 * `grouped`, each chunk with the index of the last event in it. An event that `apart` gives an
 * output for is not framed here: it comes alone as `['', index, output]`.
 */
function* groupedThrough<E>(events: readonly E[], frame: (e: E) => string, apart?: (e: E) => string | undefined): Generator<[string, number, string | undefined]> {
  if (events.length === 1 && apart === undefined) return yield [frame(events[0]!), 0, undefined];
  let chunk = '';
  for (let i = 0; i < events.length; i++) {
    const output = apart?.(events[i]!);
    if (output !== undefined) {
      if (chunk.length > 0) yield [chunk, i - 1, undefined];
      chunk = '';
      yield ['', i, output];
      continue;
    }
    const f = frame(events[i]!);
    if (chunk.length > 0 && chunk.length + f.length > WRITE_CHARS) {
      yield [chunk, i - 1, undefined];
      chunk = '';
    }
    chunk += f;
  }
  if (chunk.length > 0) yield [chunk, events.length - 1, undefined];
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
export class Mark {
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

/** The chunks of an item other than a page of committed events, as `groupedThrough` gives them. */
export function* chunksTagged(item: StreamItem): Generator<[string, number]> {
  for (const chunk of chunksOf(item)) yield [chunk, -1];
}
