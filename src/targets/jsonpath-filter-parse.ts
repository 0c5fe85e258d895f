// Parses the scripts of an HTTP target's `outputPath` (filters `[?(…)]` and keys `[(…)]`) into the
// tree jsonpath-filters.ts evaluates; why they are not left to jsonpath-plus is at the top of that
// file. A script may only read values and compare them:
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
import { describeToken, FilterRefused, type RootName, type Token, tokenize } from './jsonpath-filter-tokens.js';

/** Longest script we parse: the longest `outputPath` a document may hold (core/model/experiment.ts). */
export const MAX_SCRIPT_CHARS = 2000;
/** Deepest nesting of parentheses and unary operators: the parser and evaluator recurse on them. */
const MAX_NESTING = 32;
/** Nodes of a script worth one unit of the work budget, on each evaluation. */
const NODES_PER_UNIT = 8;
/** Names a script may not read even as own properties: the first step of every prototype escape. */
const FORBIDDEN_NAMES = new Set(['constructor', '__proto__', 'prototype']);
/** What every refusal ends with. */
const ALLOWED = "outputPath filters may only read and compare values (@.price > 10 && @.kind == 'x'); calls like .repeat() are not allowed";

const LITERALS: Record<string, null | boolean | undefined> = { true: true, false: false, null: null, undefined };

/** The comparison operators (evaluated on primitives only: jsonpath-filters.ts). */
export type Comparison = '==' | '!=' | '===' | '!==' | '<' | '<=' | '>' | '>=';
/** The arithmetic operators (on numbers only: anything else gives NaN). */
export type Arithmetic = '+' | '-' | '*' | '/' | '%';
/** A parsed script's tree: only reads, literals, comparisons and arithmetic. */
export type Node =
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
    if (t.kind !== 'end') this.fail(t.kind === 'op' && t.value === '(' ? 'a call' : `unexpected ${describeToken(t)}`);
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
      if (t.value === '.' && key.kind !== 'name') this.fail(`${describeToken(key)} after "."`, key);
      if (t.value === '[' && !(key.kind === 'string' || (key.kind === 'number' && Number.isSafeInteger(key.value)))) {
        this.fail(`${describeToken(key)} in brackets (only a string or an integer)`, key);
      }
      const name = (key as Token & { value: string | number }).value;
      if (typeof name === 'string' && FORBIDDEN_NAMES.has(name)) this.fail(`reading "${name}"`, key);
      this.index++;
      if (t.value === '[') {
        if (!this.isOp(']')) this.fail(`${describeToken(this.peek())} in brackets (only a string or an integer)`);
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
          if (!this.isOp(')')) this.fail(`unexpected ${describeToken(this.peek())}`);
          this.index++;
          return inner;
        }
        if (t.value === '/') return this.fail('a regular expression', t);
        return this.fail(`unexpected ${describeToken(t)}`, t);
      case 'end':
        return this.fail('a missing value', t);
      default:
        return assertNever(t, 'token');
    }
  }
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
