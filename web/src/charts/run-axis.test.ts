// The trend chart's run axis: runs a minute apart (or started at the same second) each get a
// place of their own, labelled with their number and when they started.
import { describe, expect, it } from 'vitest';
import { when } from '../lib/format.js';
import { runLabel, runRange, runTicks } from './run-axis.js';

const T0 = new Date(2026, 11, 4, 21, 15, 24).getTime();

describe('run axis', () => {
  it('spaces runs by their order, half a run of margin either side', () => {
    expect(runRange(3)).toEqual([0.5, 3.5]);
    expect(runRange(1)).toEqual([0.5, 1.5]);
    expect(runRange(0)).toEqual([0.5, 1.5]);
  });

  it('labels each tick with its run and its clock, the day under the first', () => {
    // Three runs in one minute: a time axis drew them as one knot.
    const started = [T0, T0 + 20_000, T0 + 40_000];
    expect(runTicks([1, 2, 3], started)).toEqual(['Run 1\n21:15:24\n4 Dec 2026', 'Run 2\n21:15:44', 'Run 3\n21:16:04']);
  });

  it('writes the day again where it changes, and nothing for a tick that is no run', () => {
    const started = [T0, T0 + 86_400_000];
    expect(runTicks([1, 2, 2.5, 3], started)).toEqual(['Run 1\n21:15:24\n4 Dec 2026', 'Run 2\n21:15:24\n5 Dec 2026', '', '']);
  });

  it('names the hovered run with its start, as the history table writes it', () => {
    expect(runLabel(2, [T0, T0 + 1000])).toBe(`2 · ${when(T0 + 1000)}`);
    expect(runLabel(null, [T0])).toBe('—');
    expect(runLabel(5, [T0])).toBe('—');
  });
});
