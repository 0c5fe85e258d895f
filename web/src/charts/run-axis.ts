// The trend chart's x axis: runs by their order (run 1, 2, 3 …), not their start time. On a
// time axis runs minutes apart drew on top of each other (a knot of points, or a vertical
// zigzag of lines); by order each run is its own point, as LangWatch's and Braintrust's
// experiment charts draw them. A tick says the run's number and when it started.
import { timeTicks, when } from '../lib/format.js';

/** Steps between labelled runs: whole runs only (never run 2.5). */
export const RUN_STEPS = [1, 2, 5, 10, 20, 50, 100, 200, 500, 1000];

/** The x range for `n` runs: half a run either side, so the first and last points are not on the frame. */
export function runRange(n: number): [number, number] {
  return [0.5, Math.max(1, n) + 0.5];
}

/**
 * Labels for ticks at run numbers (1-based; `startedAt[i]` is run i + 1's start, ms): "Run 3"
 * over its clock, and the day under it on the first tick and wherever the day changes, as
 * timeTicks writes a time axis (one way of writing dates: lib/format.ts).
 */
export function runTicks(ticks: number[], startedAt: number[]): string[] {
  const runs = ticks.filter((t) => Number.isInteger(t) && startedAt[t - 1] !== undefined);
  // Clocks with seconds always: runs a minute apart are the ones this axis tells apart.
  const clocks = new Map(timeTicks(runs.map((t) => startedAt[t - 1]!), 1000).map((label, i) => [runs[i]!, label]));
  return ticks.map((t) => (clocks.has(t) ? `Run ${t}\n${clocks.get(t)!}` : ''));
}

/** The hovered run, for the chart's legend (beside its "Run" label): "3 · 4 Dec 2026, 21:15:24". */
export function runLabel(n: number | null | undefined, startedAt: number[]): string {
  if (n === null || n === undefined || !Number.isInteger(n) || startedAt[n - 1] === undefined) return '—';
  return `${n} · ${when(startedAt[n - 1])}`;
}
