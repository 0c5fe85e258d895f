// Answers that may be large (an experiment with 10 MB of inline rows) without holding the main
// thread. Hono's c.json serializes the whole value and @hono/node-server then measures and writes
// the text in the same macrotask: ≈ 12 ms of JSON.stringify, ≈ 30 ms of Buffer.byteLength and
// ≈ 30 ms of socket writes for 10 MB (measured 2026-12-04). Here the text is produced in pieces:
// when it is done within one turn's budget the answer is an ordinary body with a length; when
// not, the pieces written so far start a chunked stream and the rest follows a turn at a time.
import type { Context } from 'hono';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import { nextTurn, turnBudget, turnElapsed } from '../core/turns.js';

/** Text handed to the socket at once while streaming (and between clock reads). */
const PIECE_CHARS = 256 * 1024;

/**
 * The JSON text of `value`, in pieces whose concatenation is exactly JSON.stringify(value).
 * Plain objects are walked key by key; array items and everything else are serialized by
 * JSON.stringify itself, so a large array of rows costs one native call per row. Values
 * JSON.stringify leaves out (undefined, functions, symbols) are left out the same way.
 */
export function* jsonPieces(value: unknown): Generator<string> {
  yield* piecesOf(resolved(value, ''));
}

/** What JSON.stringify serializes in place of `value`: its toJSON(key) when it has one (Dates). */
function resolved(value: unknown, key: string): unknown {
  return typeof value === 'object' && value !== null && typeof (value as { toJSON?: unknown }).toJSON === 'function'
    ? (value as { toJSON(key: string): unknown }).toJSON(key)
    : value;
}

function* piecesOf(value: unknown): Generator<string> {
  if (isPlainContainer(value)) {
    if (Array.isArray(value)) {
      yield '[';
      for (let i = 0; i < value.length; i++) yield (i > 0 ? ',' : '') + (JSON.stringify(resolved(value[i], String(i))) ?? 'null');
      yield ']';
      return;
    }
    yield '{';
    let first = true;
    for (const key of Object.keys(value)) {
      const item = resolved((value as Record<string, unknown>)[key], key);
      if (item === undefined || typeof item === 'function' || typeof item === 'symbol') continue;
      yield `${first ? '' : ','}${JSON.stringify(key)}:`;
      first = false;
      yield* piecesOf(item);
    }
    yield '}';
    return;
  }
  const text: string | undefined = JSON.stringify(value);
  if (text !== undefined) yield text;
}

/** An array or a plain object: what is walked. Boxed primitives and the like go to JSON.stringify whole. */
function isPlainContainer(value: unknown): value is object {
  if (typeof value !== 'object' || value === null) return false;
  if (Array.isArray(value)) return true;
  const proto: unknown = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

/** Up to PIECE_CHARS of text from `pieces` (at least one piece), or null when they are done. */
function take(pieces: Iterator<string>): string | null {
  const parts: string[] = [];
  let length = 0;
  while (length < PIECE_CHARS) {
    const next = pieces.next();
    if (next.done) break;
    parts.push(next.value);
    length += next.value.length;
  }
  return parts.length === 0 ? null : parts.join('');
}

/** c.json(value, status), streamed when serializing it takes longer than `budgetMs`. */
export function jsonAnswer(c: Context, value: unknown, status: ContentfulStatusCode = 200, budgetMs = turnBudget()): Response {
  const pieces = jsonPieces(value);
  const head: string[] = [];
  // Its own time, not the turn's: whether an answer streams depends on how long it takes to write.
  const started = performance.now();
  for (let text = take(pieces); text !== null; text = take(pieces)) {
    head.push(text);
    if (performance.now() - started >= budgetMs) return streamed(c, head, pieces, status);
  }
  return c.body(head.join(''), status, { 'content-type': 'application/json' });
}

function streamed(c: Context, head: string[], pieces: Iterator<string>, status: ContentfulStatusCode): Response {
  const encoder = new TextEncoder();
  const body = new ReadableStream<Uint8Array>({
    start(controller) {
      for (const text of head) controller.enqueue(encoder.encode(text));
    },
    async pull(controller) {
      await nextTurn();
      for (;;) {
        const text = take(pieces);
        if (text === null) {
          controller.close();
          return;
        }
        controller.enqueue(encoder.encode(text));
        // Let the socket drain and other work run: the stream asks again when it wants more.
        if (turnElapsed() >= turnBudget() || (controller.desiredSize ?? 0) <= 0) return;
      }
    },
  });
  return c.body(body, status, { 'content-type': 'application/json' });
}
