// A judge's cost in a comparison of runs of different sizes is shown per cell: totals over 2 rows
// and over 20 read as a tenfold rise that is only more rows.
import { describe, expect, it } from 'vitest';
import type { Comparison } from '../client/index.js';
import { perCellBasis } from '../core/compare/cost-basis.js';
import { cost } from './comparison-figures.js';

const side = (cells: number) => ({ cells, cost: 0, tokens: { input: 0, output: 0 }, errors: 0, latencyP50: 1, latencyP95: 1 });
const entry = (baseline: number, candidate: number, unpriced?: number) =>
  ({ targetId: 'bot', baseline: { n: 2, cost: baseline }, candidate: { n: 2, cost: candidate, ...(unpriced ? { unpricedCalls: unpriced } : {}) } }) as unknown as Comparison['evaluators'][number];

describe('comparison costs', () => {
  it('are totals when both runs ran as many cells of the target, per cell when not', () => {
    const same = { targets: [{ targetId: 'bot', baseline: side(20), candidate: side(20) }] } as unknown as Comparison;
    expect(cost(entry(0.0002, 0.0004), same)).toBe('$0.00020 -> $0.00040');
    const smaller = { targets: [{ targetId: 'bot', baseline: side(2), candidate: side(20) }] } as unknown as Comparison;
    expect(perCellBasis(smaller.targets, 'bot')).toEqual({ baseline: 2, candidate: 20 });
    // $0.00002 over 2 cells and $0.0002 over 20: the same $0.00001 a cell, not a tenfold rise.
    expect(cost(entry(0.00002, 0.0002), smaller)).toBe('$0.000010 -> $0.000010 a cell');
    expect(cost(entry(0.00002, 0.0002, 3), smaller)).toBe('$0.000010 -> ≥ $0.000010 a cell');
    expect(perCellBasis(smaller.targets, 'other')).toBeNull();
  });
});
