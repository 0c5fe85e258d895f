// A latency histogram's tick labels: ticks a few ms apart read apart (they all read "1.52 s").
import { describe, expect, it } from 'vitest';
import { latencyTick } from './latency-ticks.js';

const ticks = (from: number, step: number, n: number) => Array.from({ length: n }, (_, i) => latencyTick(from + i * step, step));

describe('latencyTick', () => {
  it('writes ticks a few ms apart past a second with the ms they differ by', () => {
    expect(ticks(1516, 2, 5)).toEqual(['1.516 s', '1.518 s', '1.520 s', '1.522 s', '1.524 s']);
    expect(ticks(1515, 5, 3)).toEqual(['1.515 s', '1.520 s', '1.525 s']);
    expect(ticks(2500, 0.5, 3)).toEqual(['2.5000 s', '2.5005 s', '2.5010 s']);
  });

  it('keeps ms() precision when the ticks are far apart', () => {
    expect(ticks(1000, 500, 3)).toEqual(['1.00 s', '1.50 s', '2.00 s']);
    expect(ticks(10_000, 5000, 3)).toEqual(['10.0 s', '15.0 s', '20.0 s']);
    expect(ticks(120_000, 30_000, 3)).toEqual(['2 min 0 s', '2 min 30 s', '3 min 0 s']);
  });

  it('writes ticks under a second in ms, with decimals when they are under a ms apart', () => {
    expect(ticks(300, 0.5, 3)).toEqual(['300.0 ms', '300.5 ms', '301.0 ms']);
    expect(ticks(0, 100, 3)).toEqual(['0 ms', '100 ms', '200 ms']);
    expect(ticks(0.2, 0.1, 3)).toEqual(['0.2 ms', '0.3 ms', '0.4 ms']);
  });

  it('writes seconds when minutes would hide the step', () => {
    expect(ticks(61_000, 500, 2)).toEqual(['61.0 s', '61.5 s']);
  });

  it('writes a tick at zero computed with float noise as zero', () => {
    expect(latencyTick(-1e-13, 0.1)).toBe('0.0 ms');
  });

  it('writes a value without a step as the header does', () => {
    expect(latencyTick(1520)).toBe('1.52 s');
  });

  it('labels ticks a ms or more apart distinctly at any size', () => {
    for (const from of [3, 999, 1000, 1518, 9998, 59_990, 61_000]) {
      for (const step of [1, 2, 2.5, 5, 10, 25]) {
        const labels = ticks(from, step, 6);
        expect(new Set(labels).size, `${from} + ${step}: ${labels.join(' ')}`).toBe(6);
      }
    }
  });
});
