// Parsing a large JSON body in pieces, with turns of the event loop between them. JSON.parse
// runs to its end in one go, and what it costs depends on what the text builds: 10 MB of wide
// rows (10,000 keys each) held the main thread ≈ 300 ms, 10 MB of small objects with 300 keys
// ≈ 300 ms (measured 2026-12-07), past the 100 ms any one request may hold it. Here the
// containers of a large text are cut into runs of whole members, each at most PIECE_CHARS long,
// and each run is parsed by JSON.parse (wrapped in its brackets), so the work stays native and
// its total about the same; a member longer than a piece is cut the same way, recursively.
//
// Written here rather than taken from a streaming JSON library: those parse in JavaScript, at
// several times JSON.parse's cost, for a body the server reads whole anyway.
//
// Every character is either inside a piece that JSON.parse reads or checked here (brackets,
// commas, colons, whitespace), so the text is accepted exactly when JSON.parse would accept it.
import { yieldIfBusy } from '../core/turns.js';

/** Longest run of members parsed at once (≈ 7–15 ms of JSON.parse at its slowest, ≈ 28 ms/MB). */
export const PIECE_CHARS = 256 * 1024;

/** Why a text could not be read: JSON.parse's message, or the structure checked here. */
class PiecewiseJsonError extends SyntaxError {}

/** Parses one piece; the caller's parser adds its own checks (forbidden keys). */
export type PieceParser = (text: string) => unknown;

const isSpace = (c: number): boolean => c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09;

/**
 * The value of `text`, which is longer than a piece, parsed in pieces by `parse`, giving the
 * turn away between them (core/turns.ts). Keys are checked as JSON.parse with `forbidKey` would
 * not see them: a key of a member that is cut is assembled here.
 */
export async function parseInPieces(text: string, parse: PieceParser, forbidKey: (key: string, value: unknown) => void): Promise<unknown> {
  let start = 0;
  let end = text.length;
  while (start < end && isSpace(text.charCodeAt(start))) start++;
  while (end > start && isSpace(text.charCodeAt(end - 1))) end--;
  const [value, after] = await valueAt(text, start, end, { parse, forbidKey });
  if (after !== end) fail('Unexpected non-whitespace character after JSON', after);
  return value;
}

interface Readers {
  parse: PieceParser;
  forbidKey: (key: string, value: unknown) => void;
}

function fail(message: string, at: number): never {
  throw new PiecewiseJsonError(`${message} at position ${at}`);
}

/** Parses `piece`, saying where in the whole text it failed (`offset`: where piece's index 0 sits). */
function parsePiece(readers: Readers, piece: string, offset: number): unknown {
  try {
    return readers.parse(piece);
  } catch (error) {
    if (!(error instanceof SyntaxError) || error instanceof PiecewiseJsonError) throw error;
    // V8 says where in the piece; shifted to where in the body.
    throw new SyntaxError(error.message.replace(/at position (\d+)/, (_, at: string) => `at position ${Math.max(0, Number(at) + offset)}`));
  }
}

/** Index of the quote that ends the string opened at `open` (one not preceded by an odd run of backslashes). */
function stringEnd(text: string, open: number, limit: number): number {
  let i = open;
  for (;;) {
    const q = text.indexOf('"', i + 1);
    if (q < 0 || q >= limit) fail('Unterminated string', open);
    let b = q - 1;
    while (text.charCodeAt(b) === 0x5c) b--;
    i = q;
    if ((q - 1 - b) % 2 === 0) return q;
  }
}

function skipSpace(text: string, i: number, limit: number): number {
  while (i < limit && isSpace(text.charCodeAt(i))) i++;
  return i;
}

/** `scan` found no comma or closer at depth 0 in its window: the first member is longer than a piece. */
const RAN_OUT = -1;

/**
 * Where the run of whole members starting at `i` (inside a container, at depth 0) ends: at the
 * container's closer if it comes within `window`, else at the last comma at depth 0 before it;
 * RAN_OUT when there is neither. Strings are skipped whole, so brackets and commas in them do
 * not count. Brackets are counted, not matched: a closer of the wrong kind is found by JSON.parse
 * reading the run, or by the container's own check of its closer.
 */
function scan(text: string, i: number, window: number, limit: number): number {
  let depth = 0;
  let lastComma = RAN_OUT;
  const stop = Math.min(window, limit);
  for (; i < stop; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x22) {
      i = stringEnd(text, i, limit);
    } else if (c === 0x5b || c === 0x7b) {
      depth++;
    } else if (c === 0x5d || c === 0x7d) {
      if (depth === 0) return i;
      depth--;
    } else if (c === 0x2c && depth === 0) {
      lastComma = i;
    }
  }
  if (stop === limit) fail('Unterminated array or object', limit);
  return lastComma;
}

/** Where a value that is not a container or string ends (a number or literal, cut anywhere JSON is). */
function scalarEnd(text: string, i: number, limit: number): number {
  while (i < limit) {
    const c = text.charCodeAt(i);
    if (isSpace(c) || c === 0x2c || c === 0x5d || c === 0x7d) break;
    i++;
  }
  return i;
}

/** The value starting at `at` (no whitespace before it) and the index just past it. */
async function valueAt(text: string, at: number, limit: number, readers: Readers): Promise<[unknown, number]> {
  const c = text.charCodeAt(at);
  if (c === 0x5b || c === 0x7b) return containerAt(text, at, limit, readers);
  const end = c === 0x22 ? stringEnd(text, at, limit) + 1 : scalarEnd(text, at, limit);
  if (end === at) fail('Unexpected token or end of input', at);
  return [parsePiece(readers, text.slice(at, end), at), end];
}

/**
 * The array or object opening at `at`, and the index past its closer. Its members are read in
 * runs of at most PIECE_CHARS, each parsed whole by JSON.parse (which checks everything between
 * its brackets); a member that does not end within a piece is read on its own, recursively (for
 * an object: its key here, its value in pieces).
 */
async function containerAt(text: string, at: number, limit: number, readers: Readers): Promise<[unknown, number]> {
  const isArray = text.charCodeAt(at) === 0x5b;
  const close = isArray ? 0x5d : 0x7d;
  /** An array's runs and members, joined at the end: one concat copies 900,000 numbers in ≈ 20 ms, pushing them one by one took ≈ 90. */
  const parts: unknown[][] = [];
  const object: Record<string, unknown> = {};
  const done = (): unknown => (isArray ? ([] as unknown[]).concat(...parts) : object);
  let i = skipSpace(text, at + 1, limit);
  if (text.charCodeAt(i) === close) return [done(), i + 1];
  for (;;) {
    // i is where a member starts: a comma or closer here means a missing value (`[1,,2]`, `[1,]`).
    const c = text.charCodeAt(i);
    if (c === 0x2c || c === 0x5d || c === 0x7d) fail(`Unexpected '${String.fromCharCode(c)}'`, i);
    const stop = scan(text, i, i + PIECE_CHARS, limit);
    let next: number;
    if (stop === RAN_OUT) {
      await yieldIfBusy();
      next = skipSpace(text, await bigMember(text, i, limit, readers, isArray ? parts : object), limit);
    } else {
      const body = text.slice(i, stop);
      const run = parsePiece(readers, isArray ? `[${body}]` : `{${body}}`, i - 1);
      // The run's keys are plain (secure-json-parse refused "__proto__"), so assign copies them as data.
      if (isArray) parts.push(run as unknown[]);
      else Object.assign(object, run);
      next = stop;
    }
    const d = text.charCodeAt(next);
    if (d === close) return [done(), next + 1];
    if (d !== 0x2c) fail(`Expected ',' or '${String.fromCharCode(close)}'`, next);
    await yieldIfBusy();
    i = skipSpace(text, next + 1, limit);
  }
}

/** A member longer than a piece, added to `into` (an array's parts, or an object); returns the index past it. */
async function bigMember(text: string, at: number, limit: number, readers: Readers, into: unknown[][] | Record<string, unknown>): Promise<number> {
  if (Array.isArray(into)) {
    const [value, end] = await valueAt(text, at, limit, readers);
    into.push([value]);
    return end;
  }
  // `"key"` `:` value, the key read by JSON.parse, the value in pieces.
  if (text.charCodeAt(at) !== 0x22) fail('Expected a double-quoted property name', at);
  const keyEnd = stringEnd(text, at, limit) + 1;
  const key = parsePiece(readers, text.slice(at, keyEnd), at) as string;
  const colon = skipSpace(text, keyEnd, limit);
  if (text.charCodeAt(colon) !== 0x3a) fail("Expected ':' after property name", colon);
  const [value, end] = await valueAt(text, skipSpace(text, colon + 1, limit), limit, readers);
  readers.forbidKey(key, value);
  // Defined, not assigned: an assignment to "__proto__" would set the prototype (forbidKey
  // refuses that key; this keeps the object a plain record whatever it is given).
  Object.defineProperty(into, key, { value, writable: true, enumerable: true, configurable: true });
  return end;
}
