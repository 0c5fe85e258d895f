// Per-field comparison of a JSON output with the expected JSON (autoevals' JSONDiff idea, with
// a flat count instead of nested averages, so every expected field weighs the same).
//
// Leaves: the expected value is walked down to its leaves, which are the primitives (string,
// number, boolean, null) and the empty containers ({} and [], which match any container of the
// same kind). The score is matched leaves ÷ expected leaves. A key or element missing from the
// output counts every leaf under it as unmatched; a container where a primitive is expected (or
// the reverse) likewise. Extra keys and elements in the output are listed in details and, with
// extra_fields "penalize", add their leaves to the denominator. Paths in ignore_keys are left
// out on both sides.
import type { linearSumAssignment as LinearSumAssignment } from 'linear-sum-assignment';
import { z } from 'zod';
import type { EvaluatorDefinition } from '../core/model/adapters.js';
import type { EvaluationResult } from '../core/model/results.js';
import { missingInput } from './inputs.js';
import { linearSumAssignment } from './lazy.js';

const settings = z.object({
  numeric_tolerance: z.number().min(0).default(0).describe('Numbers match when they differ by at most this much (absolute)'),
  ignore_keys: z
    .array(
      z
        .string()
        .min(1)
        .max(1000)
        .refine((p) => p.split('.').every((segment) => segment !== ''), 'paths are keys joined by dots, with no empty key'),
    )
    .max(1000)
    .default([])
    .describe('Dotted paths left out on both sides, e.g. "meta.id" or "items.*.id" (* is any key or list index)'),
  list_matching: z
    .enum(['ordered', 'unordered'])
    .default('ordered')
    .describe('ordered: element i with element i; unordered: the pairing of elements that matches the most fields'),
  strings: z.enum(['exact', 'case_insensitive']).default('exact').describe('How string leaves compare'),
  extra_fields: z
    .enum(['ignore', 'penalize'])
    .default('ignore')
    .describe('Whether keys and list elements only the output has lower the score (their leaves count as unmatched)'),
});
type Settings = z.output<typeof settings>;

/** Unordered matching compares every pair; beyond this many pairs lists are compared in order. */
const MAX_PAIRS = 10_000;
const SHOWN = 5;

/**
 * Inline caps. Unordered matching compares every pair of items, recursively: lists of lists
 * grow faster than cubically (9 KB took 125 ms, 30 KB 1.5 s). In order the walk is linear, but
 * each key is checked against every ignore_keys pattern (1,000 patterns: ≈ 100 ns a character
 * instead of ≈ 10). At the unordered cap: 0.8 ms (median, bench/evaluator-caps.ts).
 */
const UNORDERED_INLINE_CHARS = 600;
const ORDERED_INLINE_CHARS = 100_000;

/** Counts of one comparison, with the first few problems kept for details. */
interface Tally {
  matched: number;
  total: number;
  mismatches: string[];
  mismatchCount: number;
  extras: string[];
  extraCount: number;
  /** Set when a list was too long to match unordered. */
  fellBackToOrder?: boolean;
}

const newTally = (): Tally => ({ matched: 0, total: 0, mismatches: [], mismatchCount: 0, extras: [], extraCount: 0 });

function merge(into: Tally, from: Tally): void {
  into.matched += from.matched;
  into.total += from.total;
  into.mismatches.push(...from.mismatches.slice(0, SHOWN - into.mismatches.length));
  into.mismatchCount += from.mismatchCount;
  into.extras.push(...from.extras.slice(0, SHOWN - into.extras.length));
  into.extraCount += from.extraCount;
  into.fellBackToOrder ||= from.fellBackToOrder;
}

type JsonObject = Record<string, unknown>;
const isObject = (v: unknown): v is JsonObject => typeof v === 'object' && v !== null && !Array.isArray(v);
const pathText = (path: string[]): string => (path.length === 0 ? '(root)' : path.join('.'));

function show(value: unknown): string {
  if (value === undefined) return 'nothing';
  if (Array.isArray(value)) return 'a list';
  if (isObject(value)) return 'an object';
  const text = JSON.stringify(value);
  return text.length > 40 ? `${text.slice(0, 40)}…` : text;
}

/** The comparison, with settings and ignore patterns fixed once per create(). */
class Comparer {
  private readonly ignore: string[][];

  constructor(
    private readonly s: Settings,
    /** linear-sum-assignment; loaded only for list_matching "unordered", the one mode that uses it. */
    private readonly solve: typeof LinearSumAssignment | undefined,
  ) {
    this.ignore = s.ignore_keys.map((p) => p.split('.'));
  }

  private ignored(path: string[]): boolean {
    return this.ignore.some((p) => p.length === path.length && p.every((segment, i) => segment === '*' || segment === path[i]));
  }

  // `path` is one array per comparison, pushed and popped on the way down, so unordered matching
  // (every pair compared) allocates no path per node.
  private ignoredChild(path: string[], key: string): boolean {
    path.push(key);
    const ignored = this.ignored(path);
    path.pop();
    return ignored;
  }

  /** Keys (or indexes) of a container that are not ignored. */
  private children(value: JsonObject | unknown[], path: string[]): string[] {
    const keys = Array.isArray(value) ? value.map((_, i) => String(i)) : Object.keys(value);
    return this.ignore.length === 0 ? keys : keys.filter((k) => !this.ignoredChild(path, k));
  }

  private leaves(value: unknown, path: string[]): number {
    if (!Array.isArray(value) && !isObject(value)) return 1;
    let n = 0;
    for (const k of this.children(value, path)) {
      path.push(k);
      n += this.leaves((value as JsonObject)[k], path);
      path.pop();
    }
    return Math.max(n, 1);
  }

  /** Records the unmatched leaves under `path` (+ `key`), with why. */
  private mismatch(t: Tally, path: string[], key: string | undefined, value: unknown, reason: string): void {
    if (key !== undefined) path.push(key);
    t.total += this.leaves(value, path);
    t.mismatchCount++;
    if (t.mismatches.length < SHOWN) t.mismatches.push(`${pathText(path)}: ${reason}`);
    if (key !== undefined) path.pop();
  }

  private extra(t: Tally, path: string[], key: string, value: unknown): void {
    path.push(key);
    if (this.s.extra_fields === 'penalize') t.total += this.leaves(value, path);
    t.extraCount++;
    if (t.extras.length < SHOWN) t.extras.push(pathText(path));
    path.pop();
  }

  private leafEquals(e: unknown, o: unknown): boolean {
    if (typeof e === 'number' && typeof o === 'number') return Math.abs(e - o) <= this.s.numeric_tolerance;
    if (typeof e === 'string' && typeof o === 'string' && this.s.strings === 'case_insensitive') return e.toLowerCase() === o.toLowerCase();
    return e === o;
  }

  private child(e: unknown, o: JsonObject | unknown[], path: string[], key: string, t: Tally): void {
    if (!Object.hasOwn(o, key)) return this.mismatch(t, path, key, e, 'missing');
    path.push(key);
    this.compare(e, (o as JsonObject)[key], path, t);
    path.pop();
  }

  compare(e: unknown, o: unknown, path: string[], t: Tally): void {
    const eList = Array.isArray(e);
    if (!eList && !isObject(e)) {
      if (!this.leafEquals(e, o)) return this.mismatch(t, path, undefined, e, `expected ${show(e)}, got ${show(o)}`);
      t.total++;
      t.matched++;
      return;
    }
    if (eList !== Array.isArray(o) || (!eList && !isObject(o))) return this.mismatch(t, path, undefined, e, `expected ${show(e)}, got ${show(o)}`);
    const eObj = e as JsonObject;
    const oObj = o as JsonObject;
    const eKeys = this.children(eObj, path);
    const oKeys = this.children(oObj, path);
    if (eKeys.length === 0) {
      // An empty (or wholly ignored) container is one leaf: the output has the same kind there.
      t.total++;
      t.matched++;
      for (const k of oKeys) this.extra(t, path, k, oObj[k]);
      return;
    }
    if (eList && this.s.list_matching === 'unordered' && oKeys.length > 0 && eKeys.length * oKeys.length <= MAX_PAIRS) {
      return this.unordered(e as unknown[], o as unknown[], eKeys, oKeys, path, t);
    }
    if (eList && this.s.list_matching === 'unordered' && oKeys.length > 0) t.fellBackToOrder = true;
    for (const k of eKeys) this.child(eObj[k], oObj, path, k, t);
    for (const k of oKeys) if (!Object.hasOwn(eObj, k)) this.extra(t, path, k, oObj[k]);
  }

  /** Pairs expected and output elements so the most leaves match in total. */
  private unordered(e: unknown[], o: unknown[], eKeys: string[], oKeys: string[], path: string[], t: Tally): void {
    const pairs = eKeys.map((ek) => {
      path.push(ek);
      const row = oKeys.map((ok) => {
        const pair = newTally();
        this.compare(e[Number(ek)], o[Number(ok)], path, pair);
        return pair;
      });
      path.pop();
      return row;
    });
    const columns = assign(pairs.map((row) => row.map((pair) => pair.matched)), this.solve!);
    const taken = new Set<number>();
    eKeys.forEach((ek, i) => {
      const j = columns[i]!;
      if (j < 0) return this.mismatch(t, path, ek, e[Number(ek)], 'no matching element in the output');
      taken.add(j);
      merge(t, pairs[i]![j]!);
    });
    oKeys.forEach((ok, j) => {
      if (!taken.has(j)) this.extra(t, path, ok, o[Number(ok)]);
    });
  }
}

/**
 * The column of each row (−1 for none) in a maximum-weight assignment. When every row can take
 * a distinct column holding its own row maximum, that is optimal (no assignment beats the sum
 * of the row maxima) and the usual case (a permutation, lists of plain values) needs no solver;
 * otherwise Jonker-Volgenant via linear-sum-assignment.
 */
function assign(weights: number[][], solve: typeof LinearSumAssignment): number[] {
  const cols = weights[0]?.length ?? 0;
  if (weights.length <= cols) {
    const used = new Set<number>();
    const picked: number[] = [];
    for (const row of weights) {
      const best = Math.max(...row);
      const j = row.findIndex((w, k) => w === best && !used.has(k));
      if (j === -1) break;
      used.add(j);
      picked.push(j);
    }
    if (picked.length === weights.length) return picked;
  }
  return Array.from(solve(weights, { maximaze: true }).rowAssignments);
}

function describe(t: Tally, s: Settings): string {
  const parts = [`fields matched: ${t.matched} of ${t.total}`];
  const more = (count: number) => (count > SHOWN ? `, …and ${count - SHOWN} more` : '');
  if (t.mismatchCount > 0) parts.push(`mismatches: ${t.mismatches.join('; ')}${more(t.mismatchCount)}`);
  if (t.extraCount > 0) parts.push(`extra in the output${s.extra_fields === 'ignore' ? ' (not scored)' : ''}: ${t.extras.join(', ')}${more(t.extraCount)}`);
  if (t.fellBackToOrder) parts.push(`lists too long for unordered matching (over ${MAX_PAIRS} pairs) were compared in order`);
  return parts.join('; ');
}

type Parsed = { ok: true; value: unknown } | { ok: false; reason: string };

/** A string input is JSON text; anything else already is a JSON value. */
function parseJson(value: unknown): Parsed {
  if (typeof value !== 'string') return { ok: true, value };
  try {
    return { ok: true, value: JSON.parse(value) };
  } catch (error) {
    return { ok: false, reason: (error as Error).message };
  }
}

/** `json_compare`: score = matched expected fields ÷ expected fields; passed when all match. */
export const jsonCompare: EvaluatorDefinition<typeof settings> = {
  id: 'json_compare',
  aliases: ['json_diff'],
  name: 'JSON Compare',
  category: 'similarity',
  description:
    'Compares the output JSON with expected_output field by field: the score is the share of expected leaf values ' +
    'the output matches (numbers within numeric_tolerance, strings exactly or ignoring case, lists in order or ' +
    'best-paired). Passes when every field matches; details list the first mismatching paths.',
  requiredInputs: ['output', 'expected_output'],
  optionalInputs: [],
  stringInputs: [],
  settings,
  result: ['score', 'passed'],
  needsModel: false,
  inlineChars: (s) => (s.list_matching === 'unordered' ? UNORDERED_INLINE_CHARS : Math.floor(ORDERED_INLINE_CHARS / (1 + s.ignore_keys.length / 100))),
  create(s) {
    // Built on the first comparison, once linear-sum-assignment (loaded on first use) is in.
    let comparer: Comparer | undefined;
    const unordered = s.list_matching === 'unordered';
    return {
      async evaluate(inputs): Promise<EvaluationResult> {
        if (inputs.output === null || inputs.output === undefined) return missingInput('output');
        if (inputs.expected_output === null || inputs.expected_output === undefined) return missingInput('expected_output');
        if (typeof inputs.expected_output === 'string' && inputs.expected_output.trim() === '') {
          return { status: 'skipped', details: 'expected_output is empty: map a column that holds the expected JSON' };
        }
        const expected = parseJson(inputs.expected_output);
        if (!expected.ok) {
          return { status: 'skipped', details: `expected_output is not valid JSON (${expected.reason}): fix the dataset column or map a JSON value` };
        }
        // The output is what is judged: output that is not JSON fails rather than skips.
        if (typeof inputs.output === 'string' && inputs.output.trim() === '') return { status: 'processed', passed: false, score: 0, details: 'empty output' };
        const output = parseJson(inputs.output);
        if (!output.ok) {
          const fence = (inputs.output as string).trimStart().startsWith('```') ? ' (the output is wrapped in a Markdown code fence)' : '';
          return { status: 'processed', passed: false, score: 0, details: `output is not valid JSON: ${output.reason}${fence}` };
        }
        comparer ??= new Comparer(s, unordered ? await linearSumAssignment() : undefined);
        const tally = newTally();
        comparer.compare(expected.value, output.value, [], tally);
        const score = tally.total === 0 ? 1 : tally.matched / tally.total;
        return { status: 'processed', score, passed: score === 1, details: describe(tally, s) };
      },
    };
  },
};
