// Parsing untrusted JSON text: prototype-pollution keys are refused (secure-json-parse);
// nesting and the number of arrays and objects are bounded before parsing, because JSON.parse
// holds the main thread for as long as it takes to build them (core/json-scan.ts) and later
// recursive steps (validation, JSON.stringify, templates) would overflow the stack on a hostile
// body; strings must be well-formed Unicode; and numbers finite (1e400 parses as Infinity and
// would be stored as null).
import sjson from 'secure-json-parse';
import { AssayError, ValidationError } from '../core/errors.js';
import { BODY_BOUNDS, jsonShape, jsonShapeInTurns, type JsonShape } from '../core/json-scan.js';
import { yieldIfBusy } from '../core/turns.js';
import { parseInPieces, PIECE_CHARS } from './json-pieces.js';

export const MAX_JSON_DEPTH = 64;

/** Most arrays and objects, values and distinct keys in one body (the reasons: core/json-scan.ts). */
export const MAX_JSON_CONTAINERS = BODY_BOUNDS.maxContainers;
export const MAX_JSON_VALUES = BODY_BOUNDS.maxValues;
export const MAX_JSON_DISTINCT_KEYS = BODY_BOUNDS.maxDistinctKeys;

/** `\uD800`–`\uDFFF` escapes: the only way JSON text (valid UTF-8) can carry a lone surrogate. */
const SURROGATE_ESCAPE = /\\u[dD][89a-fA-F]/;

/** JSON text → value, or an AssayError (`invalid_json` / `validation_error`). */
export function parseUntrustedJson(text: string, what = 'body', options: ParseOptions = {}): unknown {
  return parseShaped(text, what, checkShape(text, what), options);
}

/**
 * parseUntrustedJson for a body, in turns of the event loop (core/turns.ts): the scan in steps of
 * a MB, and a text longer than a piece parsed in pieces (json-pieces.ts). Whole, the scan of
 * 10 MB took 40–110 ms and JSON.parse of 10 MB of wide rows ≈ 300 ms.
 */
export async function parseUntrustedJsonInTurns(text: string, what = 'body'): Promise<unknown> {
  const hugeNumber = checkShapeOf(await jsonShapeInTurns(text, { maxDepth: MAX_JSON_DEPTH, ...BODY_BOUNDS }), what);
  await yieldIfBusy();
  // A large text in pieces with turns between them (json-pieces.ts): JSON.parse of 10 MB of wide
  // rows holds the thread ≈ 300 ms.
  if (text.length <= PIECE_CHARS) return parseShaped(text, what, hugeNumber, {});
  let value: unknown;
  try {
    value = await parseInPieces(text, parseSecure, forbidPrototypeKey);
  } catch (error) {
    throw parseError(error, text, what);
  }
  return checkParsed(value, text, what, hugeNumber, {});
}

interface ParseOptions {
  numbers?: 'refuse-infinite' | 'caller-checks';
}

/** Refuses text whose shape is past the bounds; says whether a number may be out of range. */
function checkShape(text: string, what: string): boolean {
  return checkShapeOf(jsonShape(text, { maxDepth: MAX_JSON_DEPTH, ...BODY_BOUNDS }), what);
}

function checkShapeOf({ problem: shape, hugeNumber }: JsonShape, what: string): boolean {
  if (shape !== null) {
    const hint = shape.startsWith('more than') ? ' (upload large datasets as CSV or JSON Lines: they are streamed)' : '';
    throw new ValidationError(`The ${what} has ${shape.startsWith('nested') ? 'values ' : ''}${shape}${hint}`, [{ path: [], message: shape }]);
  }
  return hugeNumber;
}

/** JSON.parse refusing `__proto__` keys and `constructor.prototype` (secure-json-parse). */
function parseSecure(text: string): unknown {
  return sjson.parse(text, undefined, { protoAction: 'error', constructorAction: 'error' });
}

/** What secure-json-parse refuses, for a key and value that json-pieces.ts put together itself. */
function forbidPrototypeKey(key: string, value: unknown): void {
  const prototypeOf = key === 'constructor' && value !== null && typeof value === 'object' && Object.hasOwn(value, 'prototype');
  if (key === '__proto__' || prototypeOf) throw new SyntaxError('Object contains forbidden prototype property');
}

/** A parse failure as the error the client sees. */
function parseError(error: unknown, text: string, what: string): unknown {
  const message = error instanceof Error ? error.message : String(error);
  if (error instanceof SyntaxError && /prototype/i.test(message)) {
    return new ValidationError(`The ${what} contains a forbidden key (__proto__ or constructor.prototype)`, [
      { path: [], message: 'forbidden key __proto__ or constructor.prototype' },
    ]);
  }
  return new AssayError('invalid_json', `The ${what} is not valid JSON: ${message}${looksLikeYaml(text) ? YAML_HINT : ''}`, {
    compatText: 'Invalid JSON body',
  });
}

function parseShaped(text: string, what: string, hugeNumber: boolean, options: ParseOptions): unknown {
  let value: unknown;
  try {
    value = parseSecure(text);
  } catch (error) {
    throw parseError(error, text, what);
  }
  return checkParsed(value, text, what, hugeNumber, options);
}

/** The checks after parsing: well-formed strings, finite numbers. */
function checkParsed(value: unknown, text: string, what: string, hugeNumber: boolean, options: ParseOptions): unknown {
  // No depth walk here: the scan above has bounded the nesting of exactly this text.
  if (SURROGATE_ESCAPE.test(text)) assertWellFormed(value, what);
  if (options.numbers !== 'caller-checks' && hugeNumber) {
    const path = nonFinitePath(value);
    if (path) throw new ValidationError(`The ${what} has a number out of range at ${path.join('.') || '(root)'} (beyond ±1.8e308); send it as a string`, [{ path, message: OUT_OF_RANGE }]);
  }
  return value;
}

/** Said when text that is not JSON starts like YAML: promptfoo users send their files as they are. */
const YAML_HINT = '. It looks like YAML: send it with Content-Type: application/yaml (or use `assay push FILE`)';

/** A first line that is a YAML comment, document marker or `key:` mapping (JSON never starts so). */
function looksLikeYaml(text: string): boolean {
  const first = /^\s*(\S[^\n]*)/.exec(text.slice(0, 1000))?.[1] ?? '';
  return /^(#|---|[A-Za-z_][\w.-]*:(\s|$))/.test(first);
}

/** Why a number in a row cannot be stored (issue message, after the field's path). */
export const OUT_OF_RANGE = 'is a number out of range (beyond ±1.8e308); send it as a string';

/**
 * The path of the first number in `value` that is not finite, or null. JSON.parse reads 1e400
 * as Infinity and JSON.stringify then writes null, so such a row would be stored changed.
 */
export function nonFinitePath(value: unknown): (string | number)[] | null {
  if (typeof value === 'number') return Number.isFinite(value) ? null : [];
  if (typeof value !== 'object' || value === null) return null;
  for (const [key, item] of Array.isArray(value) ? value.entries() : Object.entries(value)) {
    const rest = nonFinitePath(item);
    if (rest) return [key, ...rest];
  }
  return null;
}

/** String.prototype.isWellFormed (Node 20; TypeScript's lib here predates it). */
const isWellFormed = (s: string): boolean => (s as unknown as { isWellFormed(): boolean }).isWellFormed();

/**
 * Throws when a string or key holds a lone surrogate (`"\ud800"`): valid JSON, but not text —
 * SQLite and PostgreSQL store it as U+FFFD, so a name saved that way read back changed, and
 * differently in the record and in its JSON document. Walked only when the text holds such an
 * escape at all.
 */
function assertWellFormed(value: unknown, what: string): void {
  const stack: unknown[] = [value];
  while (stack.length > 0) {
    const v = stack.pop();
    if (typeof v === 'string') {
      if (!isWellFormed(v)) throw new ValidationError(`The ${what} holds a lone surrogate (ill-formed Unicode)`, [{ path: [], message: 'lone surrogate in a string' }]);
    } else if (typeof v === 'object' && v !== null) {
      for (const [key, child] of Object.entries(v)) stack.push(key, child);
    }
  }
}

/** Throws when `value` nests objects/arrays deeper than MAX_JSON_DEPTH. Iterative on purpose. */
export function assertDepth(value: unknown, what = 'body', max = MAX_JSON_DEPTH): void {
  const stack: [unknown, number][] = [[value, 1]];
  while (stack.length > 0) {
    const [v, depth] = stack.pop()!;
    if (typeof v !== 'object' || v === null) continue;
    if (depth > max) {
      throw new ValidationError(`The ${what} is nested more than ${max} levels deep`, [{ path: [], message: `nested more than ${max} levels` }]);
    }
    for (const child of Array.isArray(v) ? v : Object.values(v)) {
      if (typeof child === 'object' && child !== null) stack.push([child, depth + 1]);
    }
  }
}
