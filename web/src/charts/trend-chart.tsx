// The experiment's history: pass rate (left axis) and cost (right axis) per run, runs in the
// order they started (run-axis.ts: a time axis drew runs minutes apart on top of each other).
import { useMemo } from 'react';
import { judgedPassRate } from '../../../src/core/model/summary-judged.js';
import type { RunListItem } from '../api-types.js';
import { pct, summaryCost, summaryUsd, usd } from '../lib/format.js';
import { isPartial, rowShare } from '../run/row-share.js';
import { RUN_STEPS, runLabel, runRange, runTicks } from './run-axis.js';
import { type ChartProps, UChart } from './uplot-chart.js';

/**
 * The cost axis's width from its labels: a tiny cost is written with its digits ("$0.0000033"),
 * which a fixed 72 px cut to "$0.00000" (every tick alike). ≈ 7 px a character at the axis font.
 */
function costAxisWidth(_u: unknown, values: string[] | null): number {
  return Math.max(48, ...(values ?? []).map((v) => String(v).length * 7 + 18));
}

/** A series' value at the legend's index; with none (nothing hovered), the latest run's. */
function latest(data: ChartProps['data'], series: number, idx: number | null, v: number | null): number | null {
  if (idx !== null) return v;
  const values = data[series] as (number | null | undefined)[];
  return values[values.length - 1] ?? null;
}

const rate = (v: number | null): string => (v === null ? '—' : pct(v));

export function TrendChart({ runs }: { runs: RunListItem[] }) {
  const chart = useMemo(() => {
    // A running run's list item has the summary so far (issue 15): only ended runs are history.
    const ended = runs.filter((r) => r.status !== 'running' && r.summary).sort((a, b) => a.timestamps.createdAt - b.timestamps.createdAt);
    const startedAt = ended.map((r) => r.timestamps.createdAt);
    // A run of part of the rows ("Re-run failed rows", `--rows`) has a pass rate and a cost that
    // are not the whole suite's: its point is named so in the legend ("· 1 of 3 rows").
    const share = ended.map((r) => (isPartial(r) ? rowShare(r) : undefined));
    const named = (n: number | null | undefined): string => {
      const label = runLabel(n, startedAt);
      const part = typeof n === 'number' ? share[n - 1] : undefined;
      return part ? `${label} · ${part}` : label;
    };
    const [min, max] = runRange(ended.length);
    const data: ChartProps['data'] = [
      ended.map((_, i) => i + 1),
      // A run no evaluator judged has no pass rate: a gap, not a 100 % point.
      ended.map((r) => judgedPassRate(r.summary!) ?? null),
      ended.map((r) => summaryCost(r.summary!)),
    ];
    const options: ChartProps['options'] = {
      // Live: the legend names the run under the pointer, with when it started.
      legend: { show: true, live: true },
      scales: {
        x: { time: false, auto: false, min, max },
        pct: { range: [0, 100] },
        usd: { range: (_u, _min, top) => [0, top > 0 ? top * 1.2 : 0.01] as [number, number] },
      },
      axes: [
        // Two lines a tick (the run, its clock) and the day under the first: room for three.
        { space: 90, size: 64, incrs: RUN_STEPS, values: (_u, ticks) => runTicks(ticks, startedAt) },
        { scale: 'pct', values: (_u, t) => t.map((v) => `${v}%`) },
        { scale: 'usd', side: 1, size: costAxisWidth, grid: { show: false }, values: (_u, t) => t.map((v) => usd(v)) },
      ],
      // With no run under the pointer (idx null) the legend shows the latest run's figures, not
      // a row of "—" placeholders.
      series: [
        { label: 'Run', value: (_u, v, _s, idx) => (idx === null ? `${named(ended.length)} (latest)` : named(v)) },
        { label: 'Pass rate', scale: 'pct', stroke: '#1a7f37', width: 2, points: { show: true, size: 6 }, value: (_u, v, s, idx) => rate(latest(data, s, idx, v)) },
        { label: 'Cost', scale: 'usd', stroke: '#9a6700', width: 2, dash: [6, 4], points: { show: true, size: 6 }, value: (_u, v, s, idx) => usd(latest(data, s, idx, v)) },
      ],
    };
    const last = ended[ended.length - 1];
    const lastRate = last && judgedPassRate(last.summary!);
    const lastPart = last && isPartial(last) ? ` (a run of ${rowShare(last) ?? 'part of its rows'})` : '';
    const lastPassed = lastRate === undefined ? 'had no pass rate (no evaluator judged a cell)' : `passed ${pct(lastRate)}${lastPart}`;
    const summary = last ? `${ended.length} finished runs, in the order they started; the latest, run ${ended.length}, ${lastPassed} at ${summaryUsd(last.summary)}` : 'no finished runs';
    return { data, options, summary };
  }, [runs]);
  return <UChart title="Pass rate and cost per run" summary={chart.summary} options={chart.options} data={chart.data} height={220} />;
}
