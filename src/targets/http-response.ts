// Reading an HTTP target's answer: JSON detection, output selection by JSONPath, and turning
// failures (HTTP status, network, timeout) into CallErrors that carry the retry decision.
import type { IncomingHttpHeaders } from 'node:http';
import { JSONPath } from 'jsonpath-plus';
import { isRetryableStatus } from '../core/engine/retry.js';
import { BODY_BOUNDS, jsonShapeProblem, MAX_ANSWER_STRINGS } from '../core/json-scan.js';
import { CallError } from '../core/model/results.js';
import type { Answer } from '../net/http-transport.js';
import type { Redactor } from './redact.js';
import { parseRetryAfter } from '../core/engine/retry-after.js';
import { compileFilter, filterProblem } from './jsonpath-filter-parse.js';
import { FilterRefused } from './jsonpath-filter-tokens.js';
import { pathScripts, runFilter } from './jsonpath-filters.js';
import { RENDER_LIMITS, TurnLimits } from './render-turn.js';

/** Largest successful body we read (10 MiB); a larger answer is an error, not an output. */
export const MAX_BODY_BYTES = 10 * 1024 * 1024;
/** How much of any other body (errors, redirects) we read, only to quote it. */
export const MAX_ERROR_BODY_BYTES = 64 * 1024;
const EXCERPT_CHARS = 200;

/** A response header as one string (repeated headers joined, as fetch's Headers.get does). */
export function headerValue(headers: IncomingHttpHeaders, name: string): string | null {
  const value = headers[name];
  if (value === undefined) return null;
  return typeof value === 'string' ? value : value.join(', ');
}

/**
 * A short one-line quote of a body for error messages, secrets redacted. Redaction comes first
 * (the whole text, then flattening, then the cut): a secret the cut shortened would no longer
 * match the redactor and would be shown all but its last characters.
 */
export function excerpt(text: string, redactor: Redactor): string {
  const flat = redactor.text(text).replace(/\s+/g, ' ').trim();
  return flat === '' ? '(empty body)' : cut(flat);
}

/** The head of an already redacted text, marked with … when it was longer. */
function cut(text: string): string {
  return text.length > EXCERPT_CHARS ? `${text.slice(0, EXCERPT_CHARS)}…` : text;
}

function isJsonType(contentType: string | null): boolean {
  return contentType !== null && /^application\/(?:[\w.+-]+\+)?json\b|^text\/json\b/i.test(contentType.trim());
}

/**
 * Deepest nesting of a JSON answer we accept. JSON.parse reads any depth, but everything after
 * it (outputPath, redaction, storing the output as JSON) recurses, and a 2 MB answer of nested
 * brackets would overflow the stack there, far from the target that sent it. The scan before
 * the parse refuses deeper text (a walk of the parsed value checked it again: 73 ms for an
 * answer of 990,000 strings).
 */
export const MAX_JSON_DEPTH = 500;

/**
 * Most arrays and objects, values and distinct keys in a JSON answer we build (core/json-scan.ts):
 * JSON.parse holds the main thread for as long as it takes to make them, and redaction and
 * storing walk them again. An agent answering 1,000,000 `[i]` (8.9 MB) held every other request for seconds.
 */
export const MAX_JSON_CONTAINERS = BODY_BOUNDS.maxContainers;

/** Parsed JSON, or undefined when `text` is not JSON; a CallError when its shape is too costly to build. */
function parseJson(text: string, origin: string): { value: unknown } | undefined {
  const shape = jsonShapeProblem(text, { maxDepth: MAX_JSON_DEPTH, ...BODY_BOUNDS, maxStrings: MAX_ANSWER_STRINGS });
  if (shape !== null) throw new CallError(`JSON from ${origin} is ${shape.startsWith('nested') ? '' : 'made of '}${shape}`, { retryable: false });
  try {
    return { value: JSON.parse(text) as unknown };
  } catch {
    return undefined;
  }
}

/**
 * The body as a value: parsed JSON when the content type says JSON (invalid JSON is then an
 * error) or when the text happens to parse; otherwise the text itself.
 */
export function bodyValue(text: string, contentType: string | null, origin: string, redactor: Redactor): unknown {
  if (isJsonType(contentType)) {
    const parsed = parseJson(text, origin);
    if (!parsed) throw new CallError(`invalid JSON from ${origin}: ${excerpt(text, redactor)}`, { retryable: false });
    return parsed.value;
  }
  const trimmed = text.trim();
  if (trimmed !== '' && /^[[{"\d-]|^(?:true|false|null)$/.test(trimmed)) {
    // Text that only looks like JSON (it does not parse) stays the output as it is.
    const parsed = parseJson(trimmed, origin);
    if (parsed) return parsed.value;
  }
  return text;
}

// One evaluator for every call: calling JSONPath() as a function builds and throws an Error
// internally on each use, about 20× slower. Paths are parsed once and cached by the library.
const JSON_PATH = JSONPath({ autostart: false, wrap: false, eval: 'safe', path: '$', json: null });

/**
 * Work one `outputPath` may do on one answer: steps of the evaluation, each weighted by the
 * length of the path it carries (results are copied up that path), plus filter evaluations.
 * Evaluation is synchronous and each `..` multiplies the work by the depth of the answer:
 * `$..*..*..*` on a 2 KB answer nested 400 deep would run for minutes and then exhaust the
 * heap. Past this bound the call fails instead. The bound keeps the work (and the results
 * built) finite; the time it allows is 0.3–1.1 s on a 2-core machine, so the evaluation also
 * stops at JSONPATH_TIME_MS (below).
 */
export const MAX_JSONPATH_WORK = 2_000_000;

/**
 * The main thread's own time one evaluation may take, as a template render's (render-turn.ts:
 * time the thread waited for a CPU does not count, up to 2 s of wall time). Evaluation runs on
 * the main thread; under the step bound alone `$.a[*][?(@ > 1 && @ < 5)]` on an answer of
 * 190,000 one-item arrays held it 0.6 s and succeeded (security review of 2026-12-07).
 */
export const JSONPATH_TIME_MS = RENDER_LIMITS.timeMs;

/**
 * Units of work between two looks at the clock (well under a millisecond of evaluation). The
 * clock starts at the first look: the paths of nearly every call end before it, and pay nothing.
 */
const CLOCK_EVERY = 4_096;

/** Work done by the evaluation running now (evaluation is synchronous: one counter is enough). */
let work = 0;
/** The work at which the clock is looked at next. */
let nextClock = CLOCK_EVERY;
/** The running evaluation's time limit, made at its first look at the clock. */
let clock: TurnLimits | undefined;

class JsonPathTooCostly extends Error {}
class JsonPathTooSlow extends Error {}

function spend(units: number): void {
  work += units;
  if (work > MAX_JSONPATH_WORK) throw new JsonPathTooCostly();
  if (work >= nextClock) {
    nextClock = work + CLOCK_EVERY;
    clock ??= new TurnLimits();
    try {
      // Throws once the thread's own time since the first look is past the limit.
      clock.time.check(performance.now());
    } catch {
      throw new JsonPathTooSlow();
    }
  }
}

/** The answer being evaluated now, for `$` and `@root` in scripts (jsonpath-plus's own is unset). */
let root: unknown;

// Every step of jsonpath-plus goes through `_trace(expr, value, path, …)` (also the re-traces
// of `^`), and every script through `_eval`; counting there bounds any path on any answer,
// including paths that match nothing. `_eval` is replaced outright: scripts are parsed and run
// by targets/jsonpath-filters.ts, which allows reading and comparing values only. Scripts reach
// it from the path and also from the answer (a `[(…)]` key that evaluates to "?(…)" is traced as
// a filter), so the grammar is enforced here too, not only on the saved path.
type Internals = {
  _trace: (expr: unknown, value: unknown, path: unknown[], ...rest: unknown[]) => unknown;
  _eval: (code: string, value: unknown, property: unknown, path: unknown[], parent: unknown, parentProperty: unknown) => unknown;
};
const internals = JSON_PATH as unknown as Internals;
const trace = internals._trace;
internals._trace = function (this: unknown, expr, value, path, ...rest) {
  spend(1 + (Array.isArray(path) ? path.length : 0));
  return trace.call(this, expr, value, path, ...rest);
};
internals._eval = function (code, value, property, path, parent, parentProperty) {
  spend(2);
  const filter = compileFilter(String(code));
  const scope = { value, property, parent, parentProperty, root, path: () => JSONPath.toPathString([...path, property] as string[]) };
  return runFilter(filter, scope, spend);
};

/**
 * jsonpath-plus caches every parsed path for the life of the process, keyed by its text. Paths
 * come from saved experiments, so anyone with a key could grow that cache without bound by saving
 * ever new paths; past this many distinct paths it is emptied (with our verdicts on them).
 */
export const MAX_CACHED_PATHS = 1_000;
const pathCache = (JSONPath as unknown as { cache: Record<string, unknown> }).cache;
/** Each path seen, with why its scripts are refused (null: allowed). */
const pathVerdicts = new Map<string, string | null>();

/** Why a path's scripts are refused, or null; parses the path through jsonpath-plus's cache. */
function checkPath(path: string): string | null {
  const known = pathVerdicts.get(path);
  if (known !== undefined) return known;
  if (pathVerdicts.size >= MAX_CACHED_PATHS) {
    pathVerdicts.clear();
    for (const key of Object.keys(pathCache)) delete pathCache[key];
  }
  let verdict: string | null = null;
  for (const script of pathScripts(JSONPath.toPathArray(path))) {
    verdict = filterProblem(script);
    if (verdict !== null) break;
  }
  pathVerdicts.set(path, verdict);
  return verdict;
}

/**
 * Why an `outputPath` cannot be used (a filter that does more than read and compare values), or
 * null: the save-time check of config/jsonpath-checks.ts, and the first step of selectOutput.
 */
export function outputPathProblem(path: string): string | null {
  return path.trim() === '$' ? null : checkPath(path);
}

/** Entries in jsonpath-plus's cache now (for tests). */
export function cachedPathCount(): number {
  return Object.keys(pathCache).length;
}

/**
 * Applies `outputPath`; undefined when it matches nothing. Throws on an invalid or too costly
 * path, quoting jsonpath-plus's message with the secrets of `redactor` removed.
 */
export function selectOutput(path: string, value: unknown, redactor: Redactor): unknown {
  if (path.trim() === '$') return value;
  // Refused before looking at the answer: a path saved before filters were checked fails here.
  const problem = checkPath(path);
  if (problem !== null) throw new CallError(`invalid outputPath ${path}: ${problem}`, { retryable: false });
  if (value === null || typeof value !== 'object') return undefined;
  work = 0;
  nextClock = CLOCK_EVERY;
  clock = undefined;
  root = value;
  try {
    return JSON_PATH.evaluate(path, value as object, undefined, undefined) as unknown;
  } catch (error) {
    if (error instanceof JsonPathTooCostly || error instanceof JsonPathTooSlow) {
      const limit = error instanceof JsonPathTooCostly ? `more than ${MAX_JSONPATH_WORK} steps` : `more than ${JSONPATH_TIME_MS} ms`;
      throw new CallError(`outputPath ${path} is too costly on this response (${limit}): select less, with fewer "..", "*" or filters`, {
        retryable: false,
      });
    }
    // A script the answer itself supplied (through a `[(…)]` key): it may quote a secret.
    if (error instanceof FilterRefused) throw new CallError(`invalid outputPath ${path}: ${redactor.text(error.message)}`, { retryable: false });
    // jsonpath-plus quotes the values it failed on (a whole array, stringified): keep it short.
    const reason = error instanceof Error ? excerpt(error.message, redactor) : 'cannot be evaluated';
    throw new CallError(`invalid outputPath ${path}: ${reason}`, { retryable: false });
  } finally {
    root = undefined;
    clock = undefined;
  }
}


/** The CallError for a non-2xx answer, quoting the head of its body (secrets redacted first). */
export function statusError(answer: Answer, origin: string, nowMs: number, redactor: Redactor): CallError {
  const retryAfterMs = parseRetryAfter(
    { retryAfterMs: headerValue(answer.headers, 'retry-after-ms'), retryAfter: headerValue(answer.headers, 'retry-after') },
    nowMs,
  );
  return new CallError(`HTTP ${answer.status} from ${origin}: ${excerpt(answer.text, redactor)}`, {
    retryable: isRetryableStatus(answer.status),
    retryAfterMs,
    status: answer.status,
  });
}

/** The first string `code` along an error's cause chain (a wrapped error may carry it deeper). */
function errorCode(error: unknown): { code: string | undefined; message: string | undefined } {
  let current: unknown = error;
  let message: string | undefined;
  for (let depth = 0; depth < 5 && current !== null && typeof current === 'object'; depth++) {
    const { code, message: text, cause } = current as { code?: unknown; message?: unknown; cause?: unknown };
    if (depth > 0 && typeof text === 'string' && text !== '') message ??= text;
    if (typeof code === 'string') return { code, message: typeof text === 'string' ? text : message };
    current = cause;
  }
  return { code: undefined, message };
}

/** undici codes for a request it would not send: the target's fault, so retrying cannot help. */
const REQUEST_FAULTS = new Set(['UND_ERR_INVALID_ARG', 'UND_ERR_NOT_SUPPORTED', 'UND_ERR_REQ_CONTENT_LENGTH_MISMATCH']);

/**
 * A failed connection, reset, hang-up, DNS or protocol error (ECONNREFUSED, ECONNRESET,
 * UND_ERR_SOCKET, UND_ERR_CONNECT_TIMEOUT, HPE_…): retryable, naming its code. A request
 * undici refused to build is final. The low-level message (which may quote a host or URL
 * holding a secret) is redacted before it is cut.
 */
export function networkError(error: unknown, origin: string, redactor: Redactor): CallError {
  const { code, message } = errorCode(error);
  const detail = message && message !== code ? `${cut(redactor.text(message).replace(/\s+/g, ' '))} ` : '';
  if (code !== undefined && REQUEST_FAULTS.has(code)) {
    return new CallError(`invalid request to ${origin}: ${detail}(${code})`, { retryable: false, cause: error });
  }
  return new CallError(`network error calling ${origin}: ${detail}(${code ?? 'no code'})`, { retryable: true, cause: error });
}

export function timeoutError(ms: number): CallError {
  return new CallError(`timed out after ${ms} ms`, { retryable: true });
}
