// The scripts of an HTTP target's `outputPath` (filters `[?(…)]` and keys `[(…)]`), parsed and
// run here instead of by jsonpath-plus. Its 'safe' evaluator still calls any method a value has:
// `@.repeat(100000000).split('')` killed the server with an uncatchable V8 fatal error, and
// `@.repeat(150000000).indexOf('z')` held the main thread 897 ms. Its comparisons also turn arrays
// into strings: `$.big[*][?(@parent == 'x')]` on a 60 KB answer held the main thread 21.6 s. So a
// script may only read values and compare them (the grammar below), comparisons never convert an
// array or object, and every string a script compares or returns is charged to the work budget.
//
//   expr     := and ('||' and)*
//   and      := equality ('&&' equality)*
//   equality := relation (('==' | '!=' | '===' | '!==') relation)*
//   relation := sum (('<' | '<=' | '>' | '>=') sum)*
//   sum      := product (('+' | '-') product)*          numbers only: anything else gives NaN
//   product  := unary (('*' | '/' | '%') unary)*
//   unary    := ('!' | '-') unary | member
//   member   := primary ('.' name | '[' string ']' | '[' integer ']')*    own properties only
//   primary  := '@' | '@property' | '@path' | '@parent' | '@parentProperty' | '@root' | '$'
//             | number | string | true | false | null | undefined | '(' expr ')'
//
// Hand-written: jsep (what jsonpath-plus parses with) is only its transitive dependency and parses
// calls, assignments and regexes we would then have to walk back out of its tree; the grammar
// above is a few dozen lines of recursive descent.
import { assertNever } from '../core/errors.js';

/** Longest script we parse: the longest `outputPath` a document may hold (core/model/experiment.ts). */
export const MAX_SCRIPT_CHARS = 2000;
/** Deepest nesting of parentheses and unary operators: the parser and evaluator recurse on them. */
const MAX_NESTING = 32;
/** Characters of a compared or returned string worth one unit of the outputPath work budget. */
export const STRING_CHARS_PER_UNIT = 256;
/** Nodes of a script worth one unit of the work budget, on each evaluation. */
const NODES_PER_UNIT = 8;
/** Names a script may not read even as own properties: the first step of every prototype escape. */
const FORBIDDEN_NAMES = new Set(['constructor', '__proto__', 'prototype']);
/** What every refusal ends with. */
const ALLOWED = "outputPath filters may only read and compare values (@.price > 10 && @.kind == 'x'); calls like .repeat() are not allowed";

/** The values a script starts from: `@` is `value`, `$` is `root`. */
type RootName = 'value' | 'property' | 'path' | 'parent' | 'parentProperty' | 'root';
const SPECIAL_ROOTS: Record<string, RootName> = {
  '@property': 'property',
  '@path': 'path',
  '@parent': 'parent',
  '@parentProperty': 'parentProperty',
  '@root': 'root',
};
const LITERALS: Record<string, null | boolean | undefined> = { true: true, false: false, null: null, undefined };

type Comparison = '==' | '!=' | '===' | '!==' | '<' | '<=' | '>' | '>=';
type Arithmetic = '+' | '-' | '*' | '/' | '%';
type Node =
  | { kind: 'literal'; value: string | number | boolean | null | undefined }
  | { kind: 'root'; name: RootName }
  | { kind: 'member'; object: Node; key: string | number }
  | { kind: 'not' | 'negate'; operand: Node }
  | { kind: 'and' | 'or'; left: Node; right: Node }
  | { kind: 'compare'; op: Comparison; left: Node; right: Node }
  | { kind: 'arithmetic'; op: Arithmetic; left: Node; right: Node };

/** A parsed script, and the work units one evaluation of it costs before any string. */
export interface Filter {
  node: Node;
  cost: number;
}

/** A script outside the grammar; the message names what was refused and what is allowed. */
export class FilterRefused extends Error {}

type Token =
  | { kind: 'number'; value: number; at: number }
  | { kind: 'string'; value: string; at: number }
  | { kind: 'name'; value: string; at: number }
  | { kind: 'root'; value: RootName; at: number }
  | { kind: 'op'; value: string; at: number }
  | { kind: 'end'; at: number };

const OPERATORS = ['===', '!==', '==', '!=', '<=', '>=', '&&', '||', '<', '>', '!', '+', '-', '*', '/', '%', '.', '[', ']', '(', ')'];
const NAME = /[\p{ID_Start}$_][\p{ID_Continue}$\u200c\u200d]*/uy;
const NUMBER = /(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?/y;
const ESCAPES: Record<string, string> = { '\\': '\\', "'": "'", '"': '"', '/': '/', b: '\b', f: '\f', n: '\n', r: '\r', t: '\t' };

/** Why a character cannot start a token (or the operator it would start is not allowed). */
function refusedAt(code: string, i: number): string {
  const rest = code.slice(i);
  if (rest.startsWith('//') || rest.startsWith('/*')) return 'a comment';
  if (rest.startsWith('=>')) return 'an arrow function';
  if (rest.startsWith('=')) return 'an assignment';
  if (rest.startsWith('`')) return 'a template string';
  if (rest.startsWith('?') || rest.startsWith(':')) return `"${rest[0]}" (conditionals and nested filters)`;
  return `"${[...rest][0]}"`;
}

function tokenize(code: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  const fail = (what: string, at: number): never => {
    throw new FilterRefused(`${what} at character ${at + 1}`);
  };
  while (i < code.length) {
    const c = code[i]!;
    if (c === ' ' || c === '\t' || c === '\n' || c === '\r') {
      i++;
      continue;
    }
    if (c === '/' && (code[i + 1] === '/' || code[i + 1] === '*')) fail('a comment', i);
    if (c === '$') {
      NAME.lastIndex = i;
      const name = NAME.exec(code)![0];
      if (name !== '$') fail(`the name "${name}" (only @, $, @property, @path, @parent, @parentProperty and @root)`, i);
      tokens.push({ kind: 'root', value: 'root', at: i++ });
      continue;
    }
    if (c === '@') {
      NAME.lastIndex = i + 1;
      const word = NAME.exec(code)?.[0] ?? '';
      const name = word === '' ? 'value' : SPECIAL_ROOTS[`@${word}`];
      if (name === undefined) fail(`"@${word}" (only @, $, @property, @path, @parent, @parentProperty and @root)`, i);
      tokens.push({ kind: 'root', value: name!, at: i });
      i += 1 + word.length;
      continue;
    }
    NUMBER.lastIndex = i;
    const number = /[\d.]/.test(c) ? NUMBER.exec(code) : null;
    if (number) {
      i += number[0].length;
      if (/[\p{ID_Continue}$]/u.test(code[i] ?? '')) fail('a malformed number', number.index);
      tokens.push({ kind: 'number', value: Number(number[0]), at: number.index });
      continue;
    }
    NAME.lastIndex = i;
    const name = NAME.exec(code);
    if (name) {
      tokens.push({ kind: 'name', value: name[0], at: i });
      i += name[0].length;
      continue;
    }
    if (c === "'" || c === '"') {
      const start = i;
      let value = '';
      for (i++; ; i++) {
        if (i >= code.length) fail('an unterminated string', start);
        const d = code[i]!;
        if (d === c) break;
        if (d !== '\\') {
          value += d;
          continue;
        }
        const e = code[++i] ?? '';
        if (e === 'u' && /^[\da-fA-F]{4}$/.test(code.slice(i + 1, i + 5))) {
          value += String.fromCharCode(parseInt(code.slice(i + 1, i + 5), 16));
          i += 4;
        } else if (e in ESCAPES) value += ESCAPES[e];
        else fail('an unsupported escape in a string', i - 1);
      }
      i++;
      tokens.push({ kind: 'string', value, at: start });
      continue;
    }
    // Longest first; `=`, `&`, `|`, `?` and the like are not operators here.
    const op = OPERATORS.find((o) => code.startsWith(o, i));
    if (!op) fail(refusedAt(code, i), i);
    tokens.push({ kind: 'op', value: op!, at: i });
    i += op!.length;
  }
  tokens.push({ kind: 'end', at: code.length });
  return tokens;
}

/** Recursive descent over the grammar at the top of this file; counts the nodes it builds. */
class Parser {
  private index = 0;
  private depth = 0;
  nodes = 0;

  constructor(private readonly tokens: Token[]) {}

  private peek(): Token {
    return this.tokens[this.index]!;
  }

  private isOp(...values: string[]): string | undefined {
    const t = this.peek();
    return t.kind === 'op' && values.includes(t.value) ? t.value : undefined;
  }

  private fail(what: string, token: Token = this.peek()): never {
    throw new FilterRefused(`${what} at character ${token.at + 1}`);
  }

  private node<N extends Node>(n: N): N {
    this.nodes++;
    return n;
  }

  parse(): Node {
    const node = this.expression();
    const t = this.peek();
    if (t.kind !== 'end') this.fail(t.kind === 'op' && t.value === '(' ? 'a call' : `unexpected ${describe(t)}`);
    return node;
  }

  private binary<K extends 'and' | 'or' | 'compare' | 'arithmetic'>(kind: K, ops: string[], next: () => Node): Node {
    let left = next();
    for (let op = this.isOp(...ops); op !== undefined; op = this.isOp(...ops)) {
      this.index++;
      const right = next();
      left = kind === 'and' || kind === 'or' ? this.node({ kind, left, right } as Node) : this.node({ kind, op, left, right } as Node);
    }
    return left;
  }

  private expression(): Node {
    return this.binary('or', ['||'], () => this.binary('and', ['&&'], () => this.equality()));
  }

  private equality(): Node {
    return this.binary('compare', ['==', '!=', '===', '!=='], () => this.binary('compare', ['<', '<=', '>', '>='], () => this.sum()));
  }

  private sum(): Node {
    return this.binary('arithmetic', ['+', '-'], () => this.binary('arithmetic', ['*', '/', '%'], () => this.unary()));
  }

  private nest<T>(inner: () => T): T {
    if (++this.depth > MAX_NESTING) this.fail(`nesting deeper than ${MAX_NESTING}`);
    const result = inner();
    this.depth--;
    return result;
  }

  private unary(): Node {
    const op = this.isOp('!', '-');
    if (op === undefined) return this.member();
    this.index++;
    return this.nest(() => this.node({ kind: op === '!' ? 'not' : 'negate', operand: this.unary() }));
  }

  private member(): Node {
    let node = this.primary();
    for (;;) {
      const t = this.peek();
      if (t.kind !== 'op' || (t.value !== '.' && t.value !== '[')) break;
      this.index++;
      const key = this.peek();
      if (t.value === '.' && key.kind !== 'name') this.fail(`${describe(key)} after "."`, key);
      if (t.value === '[' && !(key.kind === 'string' || (key.kind === 'number' && Number.isSafeInteger(key.value)))) {
        this.fail(`${describe(key)} in brackets (only a string or an integer)`, key);
      }
      const name = (key as Token & { value: string | number }).value;
      if (typeof name === 'string' && FORBIDDEN_NAMES.has(name)) this.fail(`reading "${name}"`, key);
      this.index++;
      if (t.value === '[') {
        if (!this.isOp(']')) this.fail(`${describe(this.peek())} in brackets (only a string or an integer)`);
        this.index++;
      }
      node = this.node({ kind: 'member', object: node, key: name });
    }
    if (this.isOp('(')) this.fail('a call');
    return node;
  }

  private primary(): Node {
    const t = this.peek();
    this.index++;
    switch (t.kind) {
      case 'root':
        return this.node({ kind: 'root', name: t.value });
      case 'number':
      case 'string':
        return this.node({ kind: 'literal', value: t.value });
      case 'name':
        if (t.value in LITERALS) return this.node({ kind: 'literal', value: LITERALS[t.value] });
        return this.fail(`the name "${t.value}" (only @, $, @property, @path, @parent, @parentProperty and @root)`, t);
      case 'op':
        if (t.value === '(') {
          const inner = this.nest(() => this.expression());
          if (!this.isOp(')')) this.fail(`unexpected ${describe(this.peek())}`);
          this.index++;
          return inner;
        }
        if (t.value === '/') return this.fail('a regular expression', t);
        return this.fail(`unexpected ${describe(t)}`, t);
      case 'end':
        return this.fail('a missing value', t);
      default:
        return assertNever(t, 'token');
    }
  }
}

/** A token as a message names it. */
function describe(t: Token): string {
  if (t.kind === 'end') return 'end of filter';
  if (t.kind === 'op' || t.kind === 'name') return `"${t.value}"`;
  return t.kind === 'root' ? 'a value' : `a ${t.kind}`;
}

/** A script quoted in a message: short, on one line. */
function quote(code: string): string {
  const flat = code.replace(/\s+/g, ' ').trim();
  return JSON.stringify(flat.length > 60 ? `${flat.slice(0, 60)}…` : flat);
}

/** Parses one script; a FilterRefused (its message ready for a person) when it is outside the grammar. */
function parseFilter(code: string): Filter {
  try {
    const parser = new Parser(tokenize(code));
    const node = parser.parse();
    return { node, cost: Math.ceil(parser.nodes / NODES_PER_UNIT) };
  } catch (error) {
    if (!(error instanceof FilterRefused)) throw error;
    throw new FilterRefused(`${error.message} in filter ${quote(code)}: ${ALLOWED}`);
  }
}

/** Most scripts kept parsed (a run evaluates one script once per candidate value). */
const MAX_CACHED_FILTERS = 1_000;
const parsed = new Map<string, Filter | FilterRefused>();

/** The script parsed (cached); throws FilterRefused when it is outside the grammar. */
export function compileFilter(code: string): Filter {
  // Not parsed, nor kept as a cache key: a script an answer supplies may be megabytes long.
  if (code.length > MAX_SCRIPT_CHARS) throw new FilterRefused(`a script longer than ${MAX_SCRIPT_CHARS} characters in filter ${quote(code.slice(0, 100))}: ${ALLOWED}`);
  let entry = parsed.get(code);
  if (entry === undefined) {
    try {
      entry = parseFilter(code);
    } catch (error) {
      if (!(error instanceof FilterRefused)) throw error;
      entry = error;
    }
    if (parsed.size >= MAX_CACHED_FILTERS) parsed.clear();
    parsed.set(code, entry);
  }
  if (entry instanceof FilterRefused) throw entry;
  return entry;
}

/** Why a script is refused (a message naming what is allowed), or null when it is allowed. */
export function filterProblem(code: string): string | null {
  try {
    compileFilter(code);
    return null;
  } catch (error) {
    if (error instanceof FilterRefused) return error.message;
    throw error;
  }
}

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
