// YAML request bodies, read without letting the document multiply itself: nesting is bounded
// while the text is parsed (before the recursive composer runs), and the size of the JSON the
// document stands for, every alias counted in full, is computed from the parsed nodes before
// any of it is built. Values JSON cannot hold (sets, timestamps, .inf …) are refused, naming
// their line, rather than stored as something else. See docs/decisions.md ("Bodies").
import { Composer, type CST, type Document, isAlias, isMap, isPair, isScalar, isSeq, Lexer, LineCounter, Parser, type Node, type Pair } from 'yaml';
import { yieldIfBusy } from '../core/turns.js';
import { AssayError, ValidationError } from '../core/errors.js';
import { assertDepth, MAX_JSON_DEPTH, parseUntrustedJson } from '../app/json.js';

/**
 * Parser stack entries allowed on top of MAX_JSON_DEPTH. The stack holds the document, one
 * entry per open collection and the token being read, so a document at the JSON depth limit
 * peaks at MAX_JSON_DEPTH + 2; anything much deeper would be refused after parsing anyway.
 */
const STACK_SLACK = 8;

/** The JSON value of a YAML body, or an AssayError: 400 (invalid or too deep) or 413 (expands past `maxJsonBytes`). */
export async function parseYamlBody(text: string, maxJsonBytes: number): Promise<unknown> {
  const { doc, lines } = await compose(text);
  assertJsonTypes(doc, lines);
  const expanded = expandedJsonBytes(doc);
  if (expanded > maxJsonBytes) {
    throw new AssayError(
      'payload_too_large',
      `The YAML body expands to ${bytesText(expanded)} bytes of JSON (each alias counts as a copy of its anchor), more than the limit of ${maxJsonBytes} bytes`,
      { meta: { limitBytes: maxJsonBytes, expandedBytes: expanded } },
    );
  }
  let value: unknown;
  try {
    // The expansion is bounded above; maxAliasCount stays as yaml's own guard.
    value = doc.toJS({ maxAliasCount: 100 });
  } catch (error) {
    throw invalid(error instanceof Error ? error.message : String(error));
  }
  // Same guards as JSON: depth first (JSON.stringify recurses), then forbidden keys.
  assertDepth(value);
  return parseUntrustedJson(JSON.stringify(value ?? null));
}

function invalid(message: string, line?: number): AssayError {
  return new AssayError('invalid_yaml', `Invalid YAML${line !== undefined ? ` at line ${line}` : ''}: ${message.split('\n')[0]}`);
}

function bytesText(bytes: number): string {
  return Number.isSafeInteger(bytes) ? String(bytes) : bytes.toExponential(2);
}

/**
 * yaml's parseDocument, with the nesting checked after every token. The composer recurses once
 * per level: a 10 KB body of `[` overflowed the stack, and a second such body crashed the
 * process outright (V8 aborts when the overflow lands in its regexp compiler). The parser itself
 * keeps an explicit stack, so checking its height is cheap and happens before any recursion.
 * The lexer and parser, two-thirds of the work (≈ 100 ms for 128 KB of keys), run in turns of
 * the event loop (core/turns.ts); the composer then reads the tokens in one go.
 */
async function compose(text: string): Promise<{ doc: Document.Parsed; lines: LineCounter }> {
  const lines = new LineCounter();
  const parser = new Parser(lines.addNewLine);
  const tokens: CST.Token[] = [];
  lines.addNewLine(0);
  let lexemes = 0;
  for (const lexeme of new Lexer().lex(text)) {
    for (const token of parser.next(lexeme)) tokens.push(token);
    if (parser.stack.length > MAX_JSON_DEPTH + STACK_SLACK) {
      throw new ValidationError(`The body is nested more than ${MAX_JSON_DEPTH} levels deep`, [{ path: [], message: `nested more than ${MAX_JSON_DEPTH} levels` }]);
    }
    if ((++lexemes & 1023) === 0) await yieldIfBusy();
  }
  for (const token of parser.end()) tokens.push(token);
  const docs: Document.Parsed[] = [];
  try {
    // Keys are checked for uniqueness in assertJsonTypes: yaml's own check compares each key with
    // every earlier one, and a 128 KB mapping of 12,000 keys held the main thread 0.86 s.
    for (const doc of new Composer({ uniqueKeys: false }).compose(tokens, true, text.length)) {
      docs.push(doc);
      if (docs.length > 1) throw invalid('the body holds more than one document', lines.linePos(doc.range[0]).line);
    }
  } catch (error) {
    if (error instanceof AssayError) throw error;
    throw invalid(error instanceof Error ? error.message : String(error));
  }
  const doc = docs[0]!;
  const first = doc.errors[0];
  if (first) throw invalid(first.message, lines.linePos(first.pos[0]).line);
  return { doc, lines };
}

/**
 * YAML 1.1 collection tags (yaml resolves them even under the 1.2 core schema) whose values
 * JSON has no form for: a Set and a Map came out as `{}`, `!!pairs` as a list of one-key maps.
 */
const NON_JSON_COLLECTIONS: Record<string, string> = {
  'tag:yaml.org,2002:set': '!!set has no JSON form; write a list instead',
  'tag:yaml.org,2002:omap': '!!omap has no JSON form; write a mapping instead',
  'tag:yaml.org,2002:pairs': '!!pairs has no JSON form; write a list of mappings instead',
};

/** Why a scalar's value has no JSON form, or undefined when it has one. */
function nonJsonScalar(value: unknown, source: string | undefined, asKey: boolean): string | undefined {
  if (value === null || typeof value === 'string' || typeof value === 'boolean') return undefined;
  if (typeof value === 'number') return Number.isFinite(value) ? undefined : `${source ?? String(value)} has no JSON form (JSON numbers are finite)`;
  if (value instanceof Date) return 'a timestamp (!!timestamp) has no JSON form; quote it to send it as a string';
  if (value instanceof Uint8Array) return '!!binary has no JSON form; send the data as a string';
  // A YAML 1.1 merge key (`<<`) merges its value into the mapping, which JSON can express.
  if (typeof value === 'symbol') return asKey ? undefined : 'a merge key (<<) may only be a mapping key';
  return `a value of type ${typeof value} has no JSON form`;
}

/**
 * The object key a scalar mapping key becomes in JSON, or undefined for a key not checked here (a
 * merge key `<<`, which may repeat; a collection, which comes out as its YAML text). Keys that
 * become the same JSON key are duplicates: `1:` and `"1":` were both taken, and the second
 * silently replaced the first.
 */
function jsonKeyOf(key: unknown): string | undefined {
  if (!isScalar(key)) return undefined;
  const value = key.value;
  if (typeof value === 'symbol') return undefined;
  return value === null || value === undefined ? '' : String(value);
}

/**
 * Refuses values the body's JSON could not hold (JSON.stringify turned a Set or Map into `{}`,
 * .inf into null, a timestamp into an ISO string), and a mapping key repeated, naming the first
 * one's line. Aliases are skipped: the node they refer to is checked where it stands.
 */
function assertJsonTypes(doc: Document.Parsed, lines: LineCounter): void {
  const refuse = (node: Node, reason: string): never => {
    throw invalid(reason, node.range ? lines.linePos(node.range[0]).line : undefined);
  };
  const check = (node: unknown, asKey = false): void => {
    if (isScalar(node)) {
      const reason = nonJsonScalar(node.value, node.source, asKey);
      if (reason !== undefined) refuse(node, reason);
    } else if (isMap(node) || isSeq(node)) {
      const reason = node.tag === undefined ? undefined : NON_JSON_COLLECTIONS[node.tag];
      if (reason !== undefined) refuse(node, reason);
      const keys = isMap(node) ? new Set<string>() : undefined;
      for (const item of node.items) {
        const key = keys && isPair(item) ? jsonKeyOf(item.key) : undefined;
        if (key !== undefined) {
          if (keys!.has(key)) refuse((item as Pair<Node>).key, 'Map keys must be unique');
          keys!.add(key);
        }
        if (isPair(item)) {
          check(item.key, true);
          check(item.value);
        } else check(item);
      }
    }
  };
  check(doc.contents);
}

/**
 * Bytes of `JSON.stringify(doc.toJS())`, computed from the nodes: an alias adds the size of the
 * node it resolves to (the last node with that anchor before it, as yaml resolves it), whose
 * size was computed once when the walk passed it, nested aliases included. Time and memory are
 * those of one walk over the parsed document, whatever the expansion ("billion laughs" included).
 * Exact for JSON-shaped documents. Merge keys are counted at least as large as they come out
 * (sets, ordered maps and other non-JSON values are refused before this runs); a collection used as a key comes out as its YAML text (aliases in it
 * printed as `*name`) and is counted as its JSON, which may differ by a small factor but cannot
 * multiply: that text is a copy of the body's own.
 */
export function expandedJsonBytes(doc: Document.Parsed): number {
  /** Anchor name → the node it names at this point of the walk (document order). */
  const anchors = new Map<string, Node>();
  /** Sizes of anchored nodes, once their walk is done; `null` while it is under way. */
  const sizes = new Map<Node, number | null>();

  const pairBytes = (pair: Pair<unknown, unknown>): number => keyBytes(pair.key) + 1 + size(pair.value);
  const keyBytes = (key: unknown): number => {
    // JSON object keys are strings: a scalar key's text, quoted; a collection key, its JSON, quoted.
    if (isScalar(key) || key === null || key === undefined) return scalarBytes(String((isScalar(key) ? key.value : null) ?? ''));
    return size(key) + 2;
  };

  function size(node: unknown): number {
    if (isAlias(node)) {
      const target = anchors.get(node.source);
      if (target === undefined) throw invalid(`Unresolved alias (the anchor must be set before the alias): ${node.source}`);
      // The anchored node came earlier in the walk, so its size is known, unless the alias is
      // inside it (a cycle, which JSON cannot hold).
      const known = sizes.get(target);
      if (known === null || known === undefined) throw invalid(`the alias *${node.source} is inside the node it refers to`);
      return known;
    }
    const anchor = isScalar(node) || isMap(node) || isSeq(node) ? node.anchor : undefined;
    if (anchor !== undefined) {
      anchors.set(anchor, node as Node);
      sizes.set(node as Node, null);
    }
    let bytes: number;
    if (isScalar(node)) bytes = scalarBytes(node.value);
    else if (isMap(node)) bytes = collectionBytes(node.items.map(pairBytes));
    else if (isSeq(node)) bytes = collectionBytes(node.items.map((item) => (isPair(item) ? collectionBytes([pairBytes(item)]) : size(item))));
    else bytes = 4; // null (an empty document or value)
    if (anchor !== undefined) sizes.set(node as Node, bytes);
    return bytes;
  }

  return size(doc.contents);
}

/** Brackets and commas around items of the given sizes. */
function collectionBytes(items: number[]): number {
  let bytes = 2 + Math.max(0, items.length - 1);
  for (const item of items) bytes += item;
  return bytes;
}

/** Bytes of one scalar value as JSON. */
function scalarBytes(value: unknown): number {
  if (typeof value === 'string') return Buffer.byteLength(JSON.stringify(value));
  if (value instanceof Uint8Array) {
    // !!binary: a Buffer, which comes out as {"type":"Buffer","data":[…]} — counted, not built.
    let bytes = 27 + Math.max(0, value.length - 1);
    for (const byte of value) bytes += byte < 10 ? 1 : byte < 100 ? 2 : 3;
    return bytes;
  }
  try {
    const text = JSON.stringify(value);
    return text === undefined ? 4 : Buffer.byteLength(text);
  } catch {
    return 4;
  }
}
