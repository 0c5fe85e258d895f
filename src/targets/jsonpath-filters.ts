// The scripts of an HTTP target's `outputPath` (filters `[?(…)]` and keys `[(…)]`), parsed and
// run here instead of by jsonpath-plus. Its 'safe' evaluator still calls any method a value has:
// `@.repeat(100000000).split('')` killed the server with an uncatchable V8 fatal error, and
// `@.repeat(150000000).indexOf('z')` held the main thread 897 ms. Its comparisons also turn arrays
// into strings: `$.big[*][?(@parent == 'x')]` on a 60 KB answer held the main thread 21.6 s. So a
// script may only read values and compare them (the grammar is in jsonpath-filter-parse.ts),
// comparisons never convert an array or object, and every string a script compares or returns is
// charged to the work budget.
//
// This file is the entry point: it finds the scripts of a path and evaluates parsed ones.
// jsonpath-filter-parse.ts parses (and caches) them, jsonpath-filter-tokens.ts tokenizes them.
import { assertNever } from '../core/errors.js';
import type { Arithmetic, Comparison, Filter, Node } from './jsonpath-filter-parse.js';


/** Characters of a compared or returned string worth one unit of the outputPath work budget. */
export const STRING_CHARS_PER_UNIT = 256;

// jsonpath-plus's own reading of a filter element (src/jsonpath.js, `_trace`): it strips `?(` and
// the last `)`, and a filter holding `[?(…)]` or `[(…)]` is not evaluated itself: only that inner
// script is, on a property of each candidate.
const FILTER_BODY = /^\?\((.*?)\)$/u;
const NESTED = /@.?([^?]*)[['](\??\(.*?\))(?!.\)\])[\]']/u;

/** The scripts jsonpath-plus would evaluate for these path elements (from JSONPath.toPathArray). */
export function pathScripts(elements: readonly string[]): string[] {
  const scripts: string[] = [];
  for (const element of elements) {
    if (element.startsWith('?(')) {
      const body = element.replace(FILTER_BODY, '$1');
      const nested = NESTED.exec(body);
      scripts.push(...(nested ? pathScripts([nested[2]!]) : [body]));
    } else if (element.startsWith('(')) {
      scripts.push(element);
    }
  }
  return scripts;
}

/** What `@`, `$` and the `@…` names stand for in one evaluation; `path` is built only when read. */
export interface FilterScope {
  value: unknown;
  property: unknown;
  parent: unknown;
  parentProperty: unknown;
  root: unknown;
  path: () => string;
}

type Spend = (units: number) => void;

const isObject = (v: unknown): v is object => v !== null && typeof v === 'object';
const stringCost = (v: unknown): number => (typeof v === 'string' ? Math.floor(v.length / STRING_CHARS_PER_UNIT) : 0);

/** An own property of a string, array or object; undefined otherwise (no prototype, no throwing). */
function read(object: unknown, key: string | number): unknown {
  if (typeof object !== 'string' && !isObject(object)) return undefined;
  // Object.hasOwn takes a string too (its indices and length are own properties).
  return Object.hasOwn(object as object, key) ? (object as Record<string | number, unknown>)[key] : undefined;
}

/**
 * A comparison that never converts an array or object (JavaScript would join it into a string):
 * with one, equality is identity and ordering is false. Strings are charged by length.
 */
function compare(op: Comparison, a: unknown, b: unknown, spend: Spend): boolean {
  if (isObject(a) || isObject(b)) return op === '==' || op === '===' ? a === b : op === '!=' || op === '!==' ? a !== b : false;
  spend(stringCost(a) + stringCost(b));
  return COMPARISONS[op](a as number, b as number);
}

// On primitives only (compare); `==` and `!=` are JavaScript's loose equality, as filters have always meant them.
const COMPARISONS: Record<Comparison, (x: number, y: number) => boolean> = {
  '==': (x, y) => x == y, '!=': (x, y) => x != y, '===': (x, y) => x === y, '!==': (x, y) => x !== y,
  '<': (x, y) => x < y, '<=': (x, y) => x <= y, '>': (x, y) => x > y, '>=': (x, y) => x >= y,
};
/** Arithmetic on numbers only: anything else is NaN (no string concatenation, no conversion). */
const ARITHMETIC: Record<Arithmetic, (x: number, y: number) => number> = {
  '+': (x, y) => x + y, '-': (x, y) => x - y, '*': (x, y) => x * y, '/': (x, y) => x / y, '%': (x, y) => x % y,
};

function arithmetic(op: Arithmetic, a: unknown, b: unknown): number {
  return typeof a === 'number' && typeof b === 'number' ? ARITHMETIC[op](a, b) : NaN;
}

function evaluate(node: Node, scope: FilterScope, spend: Spend): unknown {
  switch (node.kind) {
    case 'literal':
      return node.value;
    case 'root': {
      if (node.name !== 'path') return scope[node.name];
      const path = scope.path();
      spend(stringCost(path));
      return path;
    }
    case 'member':
      return read(evaluate(node.object, scope, spend), node.key);
    case 'not':
      return !evaluate(node.operand, scope, spend);
    case 'negate': {
      const v = evaluate(node.operand, scope, spend);
      return typeof v === 'number' ? -v : NaN;
    }
    case 'and':
      return evaluate(node.left, scope, spend) && evaluate(node.right, scope, spend);
    case 'or':
      return evaluate(node.left, scope, spend) || evaluate(node.right, scope, spend);
    case 'compare':
      return compare(node.op, evaluate(node.left, scope, spend), evaluate(node.right, scope, spend), spend);
    case 'arithmetic':
      return arithmetic(node.op, evaluate(node.left, scope, spend), evaluate(node.right, scope, spend));
    default:
      return assertNever(node, 'filter node');
  }
}

/**
 * One evaluation of a filter, charging `spend`. jsonpath-plus reads a filter's result for its
 * truth, and uses a `[(…)]` result as a key: it scans a string result and would turn an array or
 * object into a string, so strings are charged by length and an array or object becomes `true`.
 */
export function runFilter(filter: Filter, scope: FilterScope, spend: Spend): unknown {
  spend(filter.cost);
  const result = evaluate(filter.node, scope, spend);
  if (isObject(result)) return true;
  spend(stringCost(result));
  return result;
}
