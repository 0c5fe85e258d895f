// What crosses the isolate's boundary: the wrapper that turns a user's body into a function,
// the runner inside the isolate that answers each call with a tagged string, and the one-line
// errors the host makes of those answers and of isolated-vm's own failures.
import { BODY_BOUNDS, jsonShapeProblem, MAX_ANSWER_STRINGS } from '../core/json-scan.js';
import { CallError } from '../core/model/results.js';
import { yieldIfBusy } from '../core/turns.js';

/** Name given to user code in stack traces; only used to find line numbers. */
export const FILENAME = 'assay-code.js';
const MAX_MESSAGE = 500;
/** Largest result (JSON characters) a call may return; more is an error, checked inside. */
const MAX_RESULT_CHARS = 10 * 1024 * 1024;

/**
 * The user's body becomes an async function expression at the top level of its own script, so
 * its scope holds only its parameters and the builtins. Line 1 is the header (hidden by
 * `lineOffset: -1`), so line N of the body is reported as line N.
 */
export function wrap(body: string, params: readonly string[]): string {
  return `(async function (${params.join(', ')}) {\n${body}\n})`;
}

/**
 * Closure (run by `evalClosure` with the user function as `$0`) returning the runner: an async
 * function taking the arguments as JSON text and answering a tagged string —
 * `"1" + JSON` (the result), `"0" + JSON {message, line?}` (the code threw),
 * `"2" + JSON {message}` (the result is not JSON-serialisable, e.g. a BigInt or a cycle),
 * `"3"` (the result is larger than MAX_RESULT_CHARS) or `"4"` (the code threw the RangeError
 * of an array buffer the allocator refused: the memory limit).
 * isolated-vm refuses such an allocation without disposing the isolate, and the only trace it
 * leaves is V8's RangeError with its fixed message, so that exact message is what is matched
 * (a user throwing it on purpose only changes the text of their own error). Asking the isolate
 * itself to fail one allocation at start-up, to learn the message, would cost a full GC
 * (~10 ms) per isolate.
 * It keeps the original JSON functions in case user code replaces them. Results follow
 * JSON.stringify: `undefined`, functions and symbols become `null` at the top level, are
 * dropped from objects and become `null` in arrays; Dates become ISO strings.
 */
export const RUNNER = `
  const fn = $0, parse = JSON.parse, stringify = JSON.stringify, S = String, RangeErr = RangeError;
  if (typeof fn !== 'function') throw new TypeError('the code must be a function body');
  const fileRe = /${FILENAME.replace(/[.-]/g, '\\$&')}:(\\d+):/;
  function describe(e) {
    let message;
    try { message = e instanceof Error ? S(e.message) : typeof e === 'string' ? e : stringify(e) ?? S(e); }
    catch { message = 'a value that cannot be shown'; }
    let line;
    try {
      const m = e instanceof Error && typeof e.stack === 'string' ? fileRe.exec(e.stack) : null;
      if (m) line = Number(m[1]);
    } catch { /* no line */ }
    return { message, line };
  }
  return async function (argsJson) {
    let value;
    try { value = await fn(...parse(argsJson)); }
    catch (e) {
      if (e instanceof RangeErr && e.message === 'Array buffer allocation failed') return '4';
      return '0' + stringify(describe(e));
    }
    try {
      const text = stringify(value);
      if (text !== undefined && text.length > ${MAX_RESULT_CHARS}) return '3';
      return text === undefined ? '1null' : '1' + text;
    }
    catch (e) { return '2' + stringify(describe(e)); }
  };
`;

/**
 * One line, bounded: messages end up in results and events. Cutting before any redaction is
 * safe here only because no secret reaches the sandbox: secrets exist in HTTP targets' url,
 * headers and auth, and target outputs reach code evaluators already redacted.
 */
export function oneLine(text: string): string {
  const flat = text.replace(/\s*[\r\n]+\s*/g, ' ').trim();
  return flat.length > MAX_MESSAGE ? `${flat.slice(0, MAX_MESSAGE)}…` : flat;
}

/** A call to, or the load of, a function disposed meanwhile. */
export function disposedError(): CallError {
  return new CallError('the code sandbox was disposed', { retryable: false });
}

/** The memory limit stopped the code (a heap bomb, or a buffer the allocator refused). */
export function outOfMemory(memoryMb: number): CallError {
  return new CallError(`code exceeded the ${memoryMb} MB memory limit`, { retryable: false });
}

/** The code ran past its own time limit. */
export function timedOut(ms: number): CallError {
  return new CallError(`code timed out after ${ms} ms`, { retryable: false });
}

/**
 * The shape a code result may have (core/json-scan.ts): JSON.parse builds it on the main thread,
 * and 1,000,000 `[i]` (8 MB, under the size cap) held every other request for up to 1.9 s. The
 * depth is the engine's output bound (core/engine/cell.ts, MAX_OUTPUT_DEPTH).
 */
const RESULT_SHAPE = { maxDepth: 500, ...BODY_BOUNDS, maxStrings: MAX_ANSWER_STRINGS };

/**
 * Unpacks the runner's tagged answer: the result, or the CallError it stands for. The scan of a
 * result and its build are a turn each when the turn is spent (core/turns.ts): for 1 MB of
 * numbers each took 15–35 ms, and the cell's evaluators go on in the same turn (security review
 * of 2026-12-07, runs over wide rows).
 */
export async function decode(tagged: unknown, memoryMb: number): Promise<unknown> {
  if (typeof tagged !== 'string' || tagged.length === 0) {
    throw new CallError('code sandbox returned an unexpected value', { retryable: false });
  }
  const kind = tagged[0];
  if (kind === '1') {
    const text = tagged.slice(1);
    const shape = jsonShapeProblem(text, RESULT_SHAPE);
    if (shape !== null) throw new CallError(`code returned a value ${shape.startsWith('nested') ? '' : 'made of '}${shape}`, { retryable: false });
    await yieldIfBusy();
    return JSON.parse(text) as unknown;
  }
  if (kind === '4') throw outOfMemory(memoryMb);
  if (kind === '3') throw new CallError(`code returned more than ${MAX_RESULT_CHARS / 1024 / 1024} MB of JSON`, { retryable: false });
  const { message, line } = JSON.parse(tagged.slice(1)) as { message: string; line?: number };
  if (kind === '0') {
    const where = typeof line === 'number' ? ` (line ${line})` : '';
    throw new CallError(`code threw: ${oneLine(message)}${where}`, { retryable: false });
  }
  throw new CallError(`code returned a value that is not JSON: ${oneLine(message)}`, { retryable: false });
}

/**
 * isolated-vm reports syntax errors as `message [file:line:column]`. A line past the body is
 * the wrapper's closing brace: the body ended early (unclosed bracket) or closed too soon.
 */
export function compileError(error: unknown, lines: number): CallError {
  const raw = messageOf(error);
  const m = /\s*\[[^\]]*:(\d+):\d+\]\s*$/.exec(raw);
  const message = oneLine(m ? raw.slice(0, m.index) : raw);
  if (!m) return new CallError(`code does not compile: ${message}`, { retryable: false });
  const line = Math.max(1, Number(m[1]));
  const where = line > lines ? ` at the end of the code (line ${lines})` : ` (line ${line})`;
  return new CallError(`code does not compile: ${message}${where}`, { retryable: false });
}

/** The message only, never a stack (stacks would show host paths). */
export function messageOf(error: unknown): string {
  if (error instanceof Error) return error.message;
  return typeof error === 'string' ? error : 'unknown error';
}
