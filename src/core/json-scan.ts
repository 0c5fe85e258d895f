// A look at JSON text before JSON.parse builds it, for text a project sends or a target answers
// (request bodies up to ASSAY_MAX_BODY_BYTES, answers and code results up to 10 MB). JSON.parse
// runs on the main thread, and its cost is in the objects it makes, not the bytes: 8 MB of
// plain rows parse in ≈ 50 ms, but 6 MB of `[],[],…` (2 million arrays) took 0.85–1.6 s and
// 8 MB of nested `[[[…` 3.6 s, every other request waiting (a security review's finding). One
// pass over the characters, skipping strings with indexOf, counts the arrays and objects and
// their depth, and stops at the first one too many: the deep body is refused in microseconds,
// the wide one in tens of milliseconds, and what passes is bounded in what it can cost to parse
// and then walk (validation, redaction, storing).
import { yieldIfBusy } from './turns.js';

export interface JsonShapeLimits {
  /** Deepest nesting of arrays and objects. */
  maxDepth: number;
  /** Most arrays and objects in all. */
  maxContainers: number;
  /**
   * Most values in all, counted by their separators: 9 MB of `1,2,3,…` is 4.5 million numbers
   * in two arrays, which JSON.parse takes ≈ 100 ms to build, and every later read as long.
   */
  maxValues?: number;
  /**
   * Most object keys in all, counted by their colons: JSON.parse builds an object of many distinct
   * keys ten times slower than as many numbers (100,000 keys ≈ 100 ms on a busy 2-core machine).
   */
  maxKeys?: number;
  /**
   * Most distinct object keys (outside strings). What JSON.parse pays for is a key it has not
   * seen: each new one is interned and makes new object layouts. 600,000 keys of 60,000 rows
   * of the same ten columns parse in ≈ 40 ms, but 600,000 distinct ones in 7 MB took 0.9 s.
   * Keys are told apart by a 32-bit hash, so a rare collision undercounts by one; a key spelled
   * with escapes counts apart from its plain spelling, which can only overcount.
   */
  maxDistinctKeys?: number;
  /**
   * Most strings that are values (keys not counted). JSON.parse makes each one a heap string,
   * about four times the cost of a number: 990,000 short strings in an agent's answer took
   * 110–140 ms to parse, and as long again to size and store.
   */
  maxStrings?: number;
  /**
   * Count the brackets, commas and colons inside strings too, as an upper bound on JSON text a
   * later step parses out of a string (a model's structured output arrives as a string in its
   * answer, and the AI SDK parses it). Ordinary text holds few of them.
   */
  inStrings?: boolean;
}

/**
 * The breadth bounds of JSON built from text someone else wrote: a request body (app/json.ts),
 * an HTTP agent's answer (targets/http-response.ts), a code result (sandbox/protocol.ts) and an
 * output read by path (core/engine/evaluator-inputs.ts). Each use adds its own depth.
 * - 200,000 arrays and objects: 50,000 dataset rows of four nested values each; they parse in
 *   ≈ 100 ms at worst (empty arrays), and 1,000,000 `[i]` held every other request for seconds.
 * - 1,000,000 values: 60,000 rows of ten fields are ≈ 660,000; 9 MB of small numbers (4.5
 *   million) held the main thread 110–150 ms to scan and parse, and as long again on every read.
 * - 20,000 distinct keys: 600,000 keys of 60,000 rows of the same ten columns parse in ≈ 40 ms,
 *   600,000 distinct ones took 0.9 s, 20,000 ≈ 25 ms; a dataset has at most 10,000 columns.
 */
export const BODY_BOUNDS = { maxContainers: 200_000, maxValues: 1_000_000, maxDistinctKeys: 20_000 } as const satisfies Omit<JsonShapeLimits, 'maxDepth'>;

/**
 * Most string values in JSON a run builds for every cell: an HTTP agent's answer and a code
 * result. 300,000 short strings parse in ≈ 40 ms (990,000 took 110–140 ms, then as long again
 * to size and store); a model's answer has the same bound on all its values (net/lean-fetch.ts).
 * Request bodies have none: a dataset sent as JSON is many strings, once.
 */
export const MAX_ANSWER_STRINGS = 300_000;

/** The text's shape as far as one pass tells. */
export interface JsonShape {
  /** What is wrong with it, or null when it is within the limits (or is not JSON: JSON.parse says why). */
  problem: string | null;
  /**
   * Whether a number literal may read as ±Infinity: an exponent of three digits or more (`1e400`),
   * or 309 digits in a row. A maybe: the caller walks the parsed value to be sure. (A regular
   * expression over the whole text cost ≈ 30 ms on 9 MB of rows; here it rides the scan.)
   */
  hugeNumber: boolean;
}

/** What is wrong with the text's shape, or null when it is within the limits (or is not JSON: JSON.parse says why). */
export function jsonShapeProblem(text: string, limits: JsonShapeLimits): string | null {
  return jsonShape(text, limits).problem;
}

const isDigit = (c: number) => c >= 0x30 && c <= 0x39;
const tooMany = (limit: number, what: string, hugeNumber: boolean): JsonShape => ({ problem: `more than ${limit.toLocaleString('en-US')} ${what}`, hugeNumber });

/** One pass over the text: its shape's problem, and whether it may hold a number too large for a double. */
export function jsonShape(text: string, limits: JsonShapeLimits): JsonShape {
  // Scanned to the end, the scan always has its answer.
  return new ShapeScan(text, limits, DistinctKeys.shared()).run(text.length) as JsonShape;
}

/** Characters scanned between turns by jsonShapeInTurns (≈ 2–10 ms, cold to warm). */
const CHARS_PER_STEP = 1 << 20;

/**
 * jsonShape for a large text, in steps with turns of the event loop between them: the scan of
 * 10 MB held the main thread 40–110 ms at once (2026-12-07). It has its own table of distinct
 * keys, since another scan may run in between.
 */
export async function jsonShapeInTurns(text: string, limits: JsonShapeLimits): Promise<JsonShape> {
  const scan = new ShapeScan(text, limits, DistinctKeys.own());
  for (let stop = CHARS_PER_STEP; ; stop += CHARS_PER_STEP) {
    const shape = scan.run(stop);
    if (shape) return shape;
    await yieldIfBusy();
  }
}

/**
 * The scan's state, so that it can stop and go on (jsonShapeInTurns). `run` copies it into locals
 * and back: the loop runs on locals at the speed of the single-pass function it replaced.
 */
class ShapeScan {
  private i = 0;
  private depth = 0;
  private containers = 0;
  private separators = 0;
  private colons = 0;
  private strings = 0;
  /** A string just closed, and what follows tells whether it was a key (a colon) or a value. */
  private pending = false;
  /** Where the last string's characters start and end (the key, when a colon follows). */
  private keyStart = 0;
  private keyEnd = 0;
  private digits = 0;
  private hugeNumber = false;
  private readonly distinct: DistinctKeys | null;

  constructor(private readonly text: string, private readonly limits: JsonShapeLimits, keys: DistinctKeys) {
    this.distinct = (limits.maxDistinctKeys ?? Infinity) === Infinity ? null : keys;
  }

  /** Scans up to character `until`: the shape when the text ends (or a limit is passed) before, else null. */
  run(until: number): JsonShape | null {
    const { text, limits, distinct } = this;
    let { i, depth, containers, separators, colons, strings, pending, keyStart, keyEnd, digits, hugeNumber } = this;
    const maxSeparators = limits.maxValues ?? Infinity;
    const maxKeys = limits.maxKeys ?? Infinity;
    const inStrings = limits.inStrings === true;
    const maxDistinct = limits.maxDistinctKeys ?? Infinity;
    const maxStrings = limits.maxStrings ?? Infinity;
    const n = text.length;
    const stop = Math.min(n, until);
    for (; i < stop; i++) {
      const c = text.charCodeAt(i);
      if (isDigit(c)) {
        if (++digits >= 309) hugeNumber = true;
        continue;
      }
      // An exponent follows a digit (`true` and `false` have their e after a letter).
      if ((c === 0x65 || c === 0x45) && digits > 0) {
        let j = i + 1;
        if (text.charCodeAt(j) === 0x2b) j++;
        let k = j;
        while (k < n && isDigit(text.charCodeAt(k))) k++;
        if (k - j >= 3) hugeNumber = true;
      }
      digits = 0;
      if (c === 0x22 && inStrings) {
        // Character by character to the closing quote, counting what JSON inside it would build.
        keyStart = i + 1;
        for (i++; i < n; i++) {
          const d = text.charCodeAt(i);
          if (d === 0x5c) i++;
          else if (d === 0x22) break;
          else if (d === 0x5b || d === 0x7b) {
            if (++containers > limits.maxContainers) return tooMany(limits.maxContainers, 'arrays and objects', hugeNumber);
          } else if (d === 0x2c) {
            if (++separators >= maxSeparators) return tooMany(maxSeparators, 'values', hugeNumber);
          } else if (d === 0x3a && ++colons > maxKeys) return tooMany(maxKeys, 'keys', hugeNumber);
        }
        keyEnd = i;
        pending = true;
      } else if (c === 0x22) {
        // To the closing quote: one not preceded by an odd run of backslashes.
        keyStart = i + 1;
        for (;;) {
          const q = text.indexOf('"', i + 1);
          if (q < 0) return { problem: null, hugeNumber };
          let b = q - 1;
          while (text.charCodeAt(b) === 0x5c) b--;
          i = q;
          if ((q - 1 - b) % 2 === 0) break;
        }
        keyEnd = i;
        pending = true;
      } else if (c === 0x5b || c === 0x7b) {
        if (++depth > limits.maxDepth) return { problem: `nested more than ${limits.maxDepth} levels deep`, hugeNumber };
        if (++containers > limits.maxContainers) return tooMany(limits.maxContainers, 'arrays and objects', hugeNumber);
      } else if (c === 0x5d || c === 0x7d) {
        depth--;
        if (pending) {
          pending = false;
          if (++strings > maxStrings) return tooMany(maxStrings, 'strings', hugeNumber);
        }
      } else if (c === 0x2c) {
        if (++separators >= maxSeparators) return tooMany(maxSeparators, 'values', hugeNumber);
        if (pending) {
          pending = false;
          if (++strings > maxStrings) return tooMany(maxStrings, 'strings', hugeNumber);
        }
      } else if (c === 0x3a) {
        pending = false;
        if (++colons > maxKeys) return tooMany(maxKeys, 'keys', hugeNumber);
        if (distinct && distinct.add(hashOf(text, keyStart, keyEnd)) && distinct.size > maxDistinct) return tooMany(maxDistinct, 'distinct keys', hugeNumber);
      }
    }
    if (i >= n) return { problem: null, hugeNumber };
    Object.assign(this, { i, depth, containers, separators, colons, strings, pending, keyStart, keyEnd, digits, hugeNumber });
    return null;
  }
}

/** FNV-1a over the UTF-16 code units of text[start, end). */
function hashOf(text: string, start: number, end: number): number {
  let h = 0x811c9dc5;
  for (let i = start; i < end; i++) h = Math.imul(h ^ text.charCodeAt(i), 0x01000193);
  return h | 0;
}

/**
 * A set of 32-bit key hashes that only counts (open addressing, grown at half full). One table
 * serves every scan that runs to its end synchronously: such a scan starts a new generation
 * instead of clearing it or allocating its own (4 KB a scan had doubled the cost of scanning a
 * chat completion, ≈ 1 → 3 µs). A scan in turns has a table of its own (`own`).
 */
class DistinctKeys {
  size = 0;
  private static table = { hashes: new Int32Array(256), generations: new Uint32Array(256), generation: 0 };

  private constructor(
    private readonly table: { hashes: Int32Array; generations: Uint32Array; generation: number },
    private readonly gen: number,
  ) {}

  /** A set in the shared table, for a scan that ends before anything else runs. */
  static shared(): DistinctKeys {
    const table = DistinctKeys.table;
    table.generation = (table.generation + 1) >>> 0;
    if (table.generation === 0) {
      // Wrapped after 4 billion scans: no slot may look current.
      table.generations.fill(0);
      table.generation = 1;
    }
    return new DistinctKeys(table, table.generation);
  }

  /** A set with a table of its own. */
  static own(): DistinctKeys {
    return new DistinctKeys({ hashes: new Int32Array(256), generations: new Uint32Array(256), generation: 1 }, 1);
  }

  /** Adds the hash; true when it was new. */
  add(hash: number): boolean {
    const { hashes, generations } = this.table;
    const mask = hashes.length - 1;
    for (let i = hash & mask; ; i = (i + 1) & mask) {
      if (generations[i] !== this.gen) {
        generations[i] = this.gen;
        hashes[i] = hash;
        if (++this.size * 2 > hashes.length) this.grow();
        return true;
      }
      if (hashes[i] === hash) return false;
    }
  }

  /** Doubles the table, keeping this scan's entries (the others are stale). */
  private grow(): void {
    const { hashes, generations } = this.table;
    const bigger = new Int32Array(hashes.length * 2);
    const biggerGens = new Uint32Array(hashes.length * 2);
    const mask = bigger.length - 1;
    for (let j = 0; j < hashes.length; j++) {
      if (generations[j] !== this.gen) continue;
      let i = hashes[j]! & mask;
      while (biggerGens[i] === this.gen) i = (i + 1) & mask;
      biggerGens[i] = this.gen;
      bigger[i] = hashes[j]!;
    }
    this.table.hashes = bigger;
    this.table.generations = biggerGens;
  }
}
