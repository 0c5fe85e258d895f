import { describe, expect, it } from 'vitest';
import { cellAt, inRangeIndices, planTotal, withParameters } from './plan.js';

const keys = (spec: Parameters<typeof cellAt>[0], total: number) =>
  Array.from({ length: total }, (_, c) => {
    const ref = cellAt(spec, c);
    return `${ref.rowIndex}/${ref.targetId}/${ref.repeat}`;
  });

describe('cellAt', () => {
  it('orders cells by row, then target, then repeat', () => {
    const spec = { rowIndices: null, targetIds: ['a', 'b'], repeats: 2 };
    expect(keys(spec, 8)).toEqual(['0/a/0', '0/a/1', '0/b/0', '0/b/1', '1/a/0', '1/a/1', '1/b/0', '1/b/1']);
  });

  it('handles one target and one repeat (cell number = row)', () => {
    const spec = { rowIndices: null, targetIds: ['t'], repeats: 1 };
    expect(keys(spec, 3)).toEqual(['0/t/0', '1/t/0', '2/t/0']);
  });

  it('handles three targets with one repeat and one target with three repeats', () => {
    expect(keys({ rowIndices: null, targetIds: ['x', 'y', 'z'], repeats: 1 }, 4)).toEqual(['0/x/0', '0/y/0', '0/z/0', '1/x/0']);
    expect(keys({ rowIndices: null, targetIds: ['x'], repeats: 3 }, 4)).toEqual(['0/x/0', '0/x/1', '0/x/2', '1/x/0']);
  });

  it('reports the cell number and the position among rows in scope', () => {
    const ref = cellAt({ rowIndices: [7, 3], targetIds: ['a', 'b'], repeats: 3 }, 10);
    expect(ref).toEqual({ cell: 10, rowPos: 1, rowIndex: 3, targetId: 'b', repeat: 1 });
  });

  it('maps positions through rowIndices, running duplicated rows twice', () => {
    const spec = { rowIndices: [4, 1, 4], targetIds: ['a'], repeats: 1 };
    expect(keys(spec, 3)).toEqual(['4/a/0', '1/a/0', '4/a/0']);
    expect([0, 1, 2].map((c) => cellAt(spec, c).rowPos)).toEqual([0, 1, 2]);
  });
});

describe('planTotal', () => {
  it('is rows in scope × targets × repeats', () => {
    expect(planTotal({ rowIndices: null, sourceRowCount: 5, targetIds: ['a', 'b'], repeats: 3 })).toBe(30);
    expect(planTotal({ rowIndices: [0, 0, 2], sourceRowCount: 100, targetIds: ['a'], repeats: 2 })).toBe(6);
    expect(planTotal({ rowIndices: [], sourceRowCount: 100, targetIds: ['a'], repeats: 2 })).toBe(0);
    expect(planTotal({ rowIndices: null, sourceRowCount: 0, targetIds: ['a'], repeats: 1 })).toBe(0);
  });
});

describe('inRangeIndices', () => {
  it('drops indices past the last row and keeps duplicates in order', () => {
    expect(inRangeIndices([2, 5, 0, 2, 3, 99], 3)).toEqual([2, 0, 2]);
  });

  it('keeps everything in range and returns nothing for an empty source', () => {
    expect(inRangeIndices([0, 1, 2], 3)).toEqual([0, 1, 2]);
    expect(inRangeIndices([0, 1], 0)).toEqual([]);
  });
});

describe('withParameters', () => {
  it('adds parameters as columns and overrides same-named columns', () => {
    const row = { question: 'q', model: 'old', n: 1 };
    expect(withParameters(row, { model: 'new', temperature: 0.5, verbose: true })).toEqual({ question: 'q', model: 'new', n: 1, temperature: 0.5, verbose: true });
    expect(row).toEqual({ question: 'q', model: 'old', n: 1 });
  });

  it('leaves the row unchanged without parameters', () => {
    const row = { a: 1 };
    expect(withParameters(row, {})).toEqual({ a: 1 });
  });

  it('keeps a parameter named __proto__ as a plain column, as a spread would, and the row prototype alone', () => {
    const params = JSON.parse('{"__proto__": "x", "b": 2}') as Record<string, string | number>;
    const merged = withParameters({ a: 1 }, params) as Record<string, unknown>;
    expect(Object.getPrototypeOf(merged)).toBe(Object.prototype);
    expect(Object.keys(merged)).toEqual(['a', '__proto__', 'b']);
    expect(Object.getOwnPropertyDescriptor(merged, '__proto__')?.value).toBe('x');
  });
});
