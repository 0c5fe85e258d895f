// countWithin: how many items of a page fit its byte budget.
import { describe, expect, it } from 'vitest';
import { countWithin } from './paging.js';

describe('countWithin', () => {
  it('counts the items whose running total stays within the budget', () => {
    expect(countWithin([3, 3, 3], 6)).toBe(2);
    expect(countWithin([3, 3, 3], 9)).toBe(3);
    expect(countWithin([3, 3, 3], 8)).toBe(2);
    expect(countWithin([], 8)).toBe(0);
  });

  it('keeps a first item larger than the budget unless none is allowed', () => {
    expect(countWithin([10, 1], 5)).toBe(1);
    expect(countWithin([10, 1], 5, 0)).toBe(0);
    expect(countWithin([1, 10], 5, 0)).toBe(1);
    expect(countWithin([10], -3, 1)).toBe(1);
    expect(countWithin([10], -3, 0)).toBe(0);
  });
});
