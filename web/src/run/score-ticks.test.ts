// A score histogram's tick labels: as many decimals as the tick spacing needs to write every
// tick apart, including uPlot's 2.5 steps.
import { describe, expect, it } from 'vitest';
import { scoreTick, tickDecimals } from './score-ticks.js';

describe('tickDecimals', () => {
  it.each([
    [0.0025, 4],
    [0.025, 3],
    [0.25, 2],
    [2.5, 1],
    [25, 0],
    [0.05, 2],
    [0.005, 3],
    [0.0005, 4],
    [0.1, 2],
    [0.2, 2],
    [0.5, 2],
    [0.01, 2],
    [0.02, 2],
    [0.001, 3],
    [0.002, 3],
    [0.0001, 4],
    [0.00025, 5],
    [0.000025, 6],
    [1, 0],
    [2, 0],
    [5, 0],
    [10, 0],
    // float noise is not digits
    [0.1 + 0.2, 2],
    [0.30000000000000004, 2],
    [0.0025000000000000005, 4],
    [0.024999999999999998, 3],
    [3 * 0.1, 2],
    // capped
    [0.0000025, 6],
    [1e-9, 6],
  ])('step %d → %d decimals', (step, decimals) => {
    expect(tickDecimals(step)).toBe(decimals);
  });

  it('falls back to the usual decimals for a step that is not a distance', () => {
    for (const step of [0, -0.1, Number.NaN, Infinity]) expect(tickDecimals(step)).toBe(2);
  });
});

describe('scoreTick', () => {
  const ticks = (from: number, step: number, n: number) => Array.from({ length: n }, (_, i) => scoreTick(from + i * step, step));

  it('writes 2.5-mantissa steps whole, so the ticks read apart', () => {
    expect(ticks(0.5, 0.0025, 4)).toEqual(['0.5000', '0.5025', '0.5050', '0.5075']);
    expect(ticks(0.5, 0.025, 5)).toEqual(['0.500', '0.525', '0.550', '0.575', '0.600']);
    expect(ticks(0, 0.25, 5)).toEqual(['0.00', '0.25', '0.50', '0.75', '1.00']);
    expect(ticks(0, 2.5, 4)).toEqual(['0.0', '2.5', '5.0', '7.5']);
  });

  it('keeps 2 decimals for steps that need fewer, and none for whole steps', () => {
    expect(ticks(0, 0.1, 3)).toEqual(['0.00', '0.10', '0.20']);
    expect(ticks(0, 1, 3)).toEqual(['0', '1', '2']);
  });

  it('writes a tick at zero computed with float noise as zero', () => {
    expect(scoreTick(-1e-17, 0.025)).toBe('0.000');
  });

  it('writes a value without a step as the grid does', () => {
    expect(scoreTick(0.5)).toBe('0.50');
    expect(scoreTick(1)).toBe('1');
  });
});
