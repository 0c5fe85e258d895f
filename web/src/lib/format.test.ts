// How the page writes money (small real costs with their significant digits) and tokens; unknown ones as "—".
import { describe, expect, it } from 'vitest';
import { inOut, knownUsd, sideUsd, summaryCost, summaryUsd, unknownCostNote, usd } from './format.js';

describe('usd', () => {
  it.each([
    [0, '$0'],
    [0.0000033, '$0.0000033'],
    [0.0000013499999999999998, '$0.0000013'],
    [3.3e-7, '$0.00000033'],
    [0.005, '$0.0050'],
    [0.0123, '$0.012'],
    [1.5, '$1.500'],
    [12.345, '$12.35'],
  ])('%d → %s', (v, text) => {
    expect(usd(v)).toBe(text);
  });

  it('writes an unknown cost as the drawer does', () => {
    expect(usd(undefined)).toBe('—');
    expect(usd(null)).toBe('—');
  });
});

describe('knownUsd', () => {
  it('is "—" when nothing is known, the sum when all is, and a lower bound when some calls had no cost', () => {
    expect(knownUsd(undefined, 3)).toBe('—');
    expect(knownUsd(0.0000033, 0)).toBe('$0.0000033');
    expect(knownUsd(0.0000033, 2)).toBe('≥ $0.0000033');
    expect(unknownCostNote(0)).toBeUndefined();
    expect(unknownCostNote(2)).toMatch(/^2 target calls with no known cost/);
    expect(unknownCostNote(1, 3)).toMatch(/^1 target call with no known cost .*; 3 judge model calls with no known cost \(a model without a price\) not counted$/);
    expect(unknownCostNote(0, 1)).toBe('1 judge model call with no known cost (a model without a price) not counted');
  });
});

describe('summaryUsd and summaryCost (a run in the history)', () => {
  it('writes a run no call of which was priced as unknown, and one with some as "at least"', () => {
    expect(summaryUsd({ totalCost: 0.5 })).toBe('$0.500');
    expect(summaryUsd({ totalCost: 0 })).toBe('$0');
    expect(summaryUsd({ totalCost: 0, unpricedCalls: 4 })).toBe('—');
    expect(summaryUsd({ totalCost: 0.5, unpricedCalls: 4 })).toBe('≥ $0.500');
    expect(summaryUsd(null)).toBe('—');
    // A judge's calls without a price count as the targets' do.
    expect(summaryUsd({ totalCost: 0.5, evaluatorUnpricedCalls: 2 })).toBe('≥ $0.500');
    expect(summaryUsd({ totalCost: 0, evaluatorUnpricedCalls: 2 })).toBe('—');
    expect(summaryCost({ totalCost: 0, evaluatorUnpricedCalls: 2 })).toBeNull();
    expect([sideUsd({ cost: 0, unpricedCalls: 2 }), sideUsd({ cost: 0.25 })]).toEqual(['—', '$0.250']);
    expect([summaryCost({ totalCost: 0, unpricedCalls: 4 }), summaryCost({ totalCost: 0 }), summaryCost({ totalCost: 0.5, unpricedCalls: 1 })]).toEqual([null, 0, 0.5]);
  });
});

describe('inOut', () => {
  it('writes tokens in and out, and unknown ones (an HTTP or code target) as "—", never "0 in / 0 out"', () => {
    expect(inOut({ input: 1234, output: 5 })).toBe('1,234 in / 5 out');
    expect(inOut({ input: 0, output: 0 })).toBe('0 in / 0 out');
    expect(inOut(undefined)).toBe('—');
  });
});
