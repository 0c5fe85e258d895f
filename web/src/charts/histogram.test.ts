// A histogram's bins: values that are all equal are drawn around their value (scores all 1 had
// an axis of 1–2), inside the usual range when it holds them.
import { describe, expect, it } from 'vitest';
import { countRange, histogram } from './histogram.js';

describe('histogram', () => {
  it('bins values over their own range', () => {
    const h = histogram([0, 0.5, 1, 1], 4);
    expect(h.edges).toEqual([0, 0.25, 0.5, 0.75]);
    expect(h.counts).toEqual([1, 0, 1, 2]);
    expect(h).toMatchObject({ hi: 1, lo: 0, max: 1 });
  });

  it('draws scores that are all 1 inside 0–1, the value in the last bin', () => {
    const h = histogram([1, 1, 1], 10, [0, 1]);
    expect(h.edges[0]).toBe(0);
    expect(h.hi).toBe(1);
    expect(h.counts).toEqual([0, 0, 0, 0, 0, 0, 0, 0, 0, 3]);
    expect(h).toMatchObject({ lo: 1, max: 1 });
  });

  it('draws one score of 0 in the first bin of 0–1', () => {
    const h = histogram([0], 10, [0, 1]);
    expect([h.edges[0], h.hi, h.counts[0]]).toEqual([0, 1, 1]);
  });

  it('centres equal values outside the usual range on their value', () => {
    for (const [v, domain] of [[1520, [0, 1]], [7, [0, 1]], [-3, [0, 1]], [0, undefined], [0.5, undefined]] as const) {
      const h = histogram([v, v], 10, domain && [...domain]);
      expect(h.edges[0]!).toBeLessThan(v);
      expect(h.hi).toBeGreaterThan(v);
      expect((h.edges[0]! + h.hi) / 2).toBeCloseTo(v, 9);
      expect(h.counts).toEqual([0, 2, 0]);
      // The bar holding the value is the middle one.
      expect(h.edges[1]!).toBeLessThan(v);
      expect(h.edges[2]!).toBeGreaterThan(v);
    }
  });

  it('has no bins for no values', () => {
    expect(histogram([]).counts).toEqual([]);
  });
});

describe('countRange', () => {
  it('starts a count axis at 0 whatever the smallest count, a little above the largest', () => {
    expect(countRange(42)).toEqual([0, 47]);
    expect(countRange(1)).toEqual([0, 2]);
    expect(countRange(0)).toEqual([0, 1]);
    expect(countRange(null)).toEqual([0, 1]);
  });
});
