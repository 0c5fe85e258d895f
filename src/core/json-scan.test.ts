import { describe, expect, it } from 'vitest';
import { turnsDuring } from '../testing/turns.js';
import { BODY_BOUNDS, jsonShape, jsonShapeInTurns, jsonShapeProblem } from './json-scan.js';
import { setTurnBudget, TURN_BUDGET_MS } from './turns.js';

const limits = { maxDepth: 4, maxContainers: 10 };

describe('jsonShapeProblem', () => {
  it('passes JSON within the limits, whatever its strings hold', () => {
    expect(jsonShapeProblem('{"a":[1,{"b":[2]}]}', limits)).toBeNull();
    // Brackets, braces, quotes and backslashes inside strings are not structure.
    expect(jsonShapeProblem(JSON.stringify({ s: '[[[[[[{{{{{{', t: 'say "[[[["', u: 'end\\', v: '\\"[[[[[[' }), limits)).toBeNull();
    expect(jsonShapeProblem('"just a string"', limits)).toBeNull();
  });

  it('names the depth past the limit, and stops there', () => {
    expect(jsonShapeProblem('[[[[1]]]]', limits)).toBeNull();
    expect(jsonShapeProblem('[[[[[1]]]]]', limits)).toBe('nested more than 4 levels deep');
    // Four million levels: refused at the fifth, the rest of the text never read.
    expect(jsonShapeProblem('['.repeat(4_000_000) + ']'.repeat(4_000_000), limits)).toBe('nested more than 4 levels deep');
  });

  it('counts every array and object, siblings included', () => {
    expect(jsonShapeProblem(`[${Array(9).fill('[]').join(',')}]`, limits)).toBeNull();
    expect(jsonShapeProblem(`[${Array(10).fill('{}').join(',')}]`, limits)).toBe('more than 10 arrays and objects');
  });

  it('leaves text that is not JSON to JSON.parse', () => {
    expect(jsonShapeProblem('{"unterminated', limits)).toBeNull();
    expect(jsonShapeProblem('not json', limits)).toBeNull();
  });
});

describe('jsonShape: numbers a double cannot hold', () => {
  const huge = (text: string) => jsonShape(text, { maxDepth: 64, maxContainers: 1000 }).hugeNumber;

  it('flags exponents of three digits and runs of 309 digits', () => {
    expect(huge('[1e400]')).toBe(true);
    expect(huge('{"a": -2.5E+308}')).toBe(true);
    expect(huge(`{"n": ${'9'.repeat(309)}}`)).toBe(true);
    // Every literal JSON.parse reads as ±Infinity is flagged.
    for (const literal of ['1e309', '-1e309', '1E+999', `1${'0'.repeat(309)}`, `${'9'.repeat(400)}.5`]) {
      expect(Number.isFinite(JSON.parse(literal))).toBe(false);
      expect(huge(`[${literal}]`), literal).toBe(true);
    }
  });

  it('leaves strings, keys, literals and ordinary numbers alone', () => {
    expect(huge('{"1e400": "1e400 and 999999"}')).toBe(false);
    expect(huge('[true, false, null, 1.5e10, 1e-400, 12345678901234567890]')).toBe(false);
    expect(huge(`["${'9'.repeat(400)}"]`)).toBe(false);
    expect(huge(`[${'9'.repeat(308)}]`)).toBe(false);
  });
});

describe('jsonShape: strings that are values', () => {
  const strings = (n: number) => JSON.stringify({ reply: Array.from({ length: n }, (_, i) => `s${i}`) });

  it('counts string values, not keys, and stops one past the limit', () => {
    expect(jsonShapeProblem(strings(1_000), { maxDepth: 10, maxContainers: 10, maxStrings: 1_000 })).toBeNull();
    expect(jsonShapeProblem(strings(1_001), { maxDepth: 10, maxContainers: 10, maxStrings: 1_000 })).toBe('more than 1,000 strings');
    // A thousand keys with number values: no string values at all.
    const keyed = JSON.stringify(Object.fromEntries(Array.from({ length: 1_000 }, (_, i) => [`k${i}`, i])));
    expect(jsonShapeProblem(keyed, { maxDepth: 10, maxContainers: 10, maxStrings: 1 })).toBeNull();
    // Keys and values together, with spaces and escapes: only the values count.
    const rows = JSON.stringify(Array.from({ length: 10 }, (_, i) => ({ name: `a "${i}"`, n: i, tag: 'x' })), null, 2);
    expect(jsonShapeProblem(rows, { maxDepth: 10, maxContainers: 100, maxStrings: 20 })).toBeNull();
    expect(jsonShapeProblem(rows, { maxDepth: 10, maxContainers: 100, maxStrings: 19 })).toBe('more than 19 strings');
  });
});

describe('jsonShapeInTurns', () => {
  const limits = { maxDepth: 64, ...BODY_BOUNDS };
  /** ≈ 3.4 MB: 1,500 rows of 12 distinct keys each, a number with a long exponent at the very end. */
  const rows = (prefix: string, tail: string) =>
    `{"rows":[${Array.from({ length: 1_500 }, (_, r) => `{${Array.from({ length: 12 }, (_, k) => `"${prefix}${r * 12 + k}":"${'x'.repeat(180)}"`).join(',')}}`).join(',')}],"tail":${tail}}`;

  it('tells what jsonShape tells, across the steps it stops between', async () => {
    for (const text of [rows('a', '1'), rows('b', '1e400'), rows('c', '[[1]]'), `[${'"\\",'.repeat(400_000)}1]`]) {
      expect(await jsonShapeInTurns(text, limits)).toEqual(jsonShape(text, limits));
      // A limit first passed in a later step.
      const tight = { ...limits, maxDistinctKeys: 17_000 };
      expect(await jsonShapeInTurns(text, tight)).toEqual(jsonShape(text, tight));
    }
    expect((await jsonShapeInTurns(rows('d', '1e400'), limits)).hugeNumber).toBe(true);
    expect((await jsonShapeInTurns(rows('d', '1'), { ...limits, maxDistinctKeys: 17_000 })).problem).toBe('more than 17,000 distinct keys');
  });

  it('gives the event loop turns on a large text, and scans that overlap count their keys apart', async () => {
    // 15,000 distinct keys each, every one written twice, a MB or more apart: a scan that lost
    // its keys to another between its steps would count 30,000 and refuse the text.
    const twice = (prefix: string) => {
      const half = Array.from({ length: 1_250 }, (_, r) => `{${Array.from({ length: 12 }, (_, k) => `"${prefix}${r * 12 + k}":"${'x'.repeat(100)}"`).join(',')}}`).join(',');
      return `[${half},${half}]`;
    };
    const a = twice('p');
    const b = twice('q');
    setTurnBudget(0);
    try {
      let shapes: unknown[] = [];
      const turns = await turnsDuring(async () => {
        shapes = await Promise.all([jsonShapeInTurns(a, limits), jsonShapeInTurns(b, limits), Promise.resolve(jsonShape(a, limits))]);
      });
      expect(shapes).toEqual([{ problem: null, hugeNumber: false }, { problem: null, hugeNumber: false }, { problem: null, hugeNumber: false }]);
      expect(turns).toBeGreaterThanOrEqual(3);
    } finally {
      setTurnBudget(TURN_BUDGET_MS);
    }
  });
});
