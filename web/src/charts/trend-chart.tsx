// The experiment's history: pass rate (left axis) and cost (right axis) per run, over time.
import { useMemo } from 'react';
import type { RunListItem } from '../api-types.js';
import { pct, summaryCost, summaryUsd, timeTicks, usd } from '../lib/format.js';
import { type ChartProps, UChart } from './uplot-chart.js';

const MINUTE = 60;
const HOUR = 3600;
const DAY = 86_400;
/** Tick steps (seconds) the axis may choose from; uPlot steps by calendar month from 30 days on. */
const TIME_STEPS = [1, 5, 15, 30, MINUTE, 5 * MINUTE, 15 * MINUTE, 30 * MINUTE, HOUR, 3 * HOUR, 6 * HOUR, 12 * HOUR, DAY, 2 * DAY, 7 * DAY, 14 * DAY, 30 * DAY, 90 * DAY, 180 * DAY, 365 * DAY];

/**
 * The cost axis's width from its labels: a tiny cost is written with its digits ("$0.0000033"),
 * which a fixed 72 px cut to "$0.00000" (every tick alike). ≈ 7 px a character at the axis font.
 */
function costAxisWidth(_u: unknown, values: string[] | null): number {
  return Math.max(48, ...(values ?? []).map((v) => String(v).length * 7 + 18));
}

export function TrendChart({ runs }: { runs: RunListItem[] }) {
  const chart = useMemo(() => {
    // A running run's list item has the summary so far (issue 15): only ended runs are history.
    const ended = runs.filter((r) => r.status !== 'running' && r.summary).sort((a, b) => a.timestamps.createdAt - b.timestamps.createdAt);
    const times = ended.map((r) => r.timestamps.createdAt / 1000);
    const span = times.length > 0 ? times[times.length - 1]! - times[0]! : 0;
    const middle = times.length > 0 ? (times[0]! + times[times.length - 1]!) / 2 : 0;
    const data: ChartProps['data'] = [
      times,
      ended.map((r) => r.summary!.passRate),
      ended.map((r) => summaryCost(r.summary!)),
    ];
    const options: ChartProps['options'] = {
      legend: { show: true, live: false },
      scales: {
        // Runs close together (one alone, or a burst) would get an axis of milliseconds or of
        // years around them: show at least an hour either side of their middle.
        x: span < 2 * HOUR ? { time: true, auto: false, min: middle - HOUR, max: middle + HOUR } : { time: true },
        pct: { range: [0, 100] },
        usd: { range: (_u, _min, max) => [0, max > 0 ? max * 1.2 : 0.01] as [number, number] },
      },
      // Ticks in whole seconds at least, labelled as every date on the page is (lib/format.ts).
      axes: [{ space: 80, incrs: TIME_STEPS, values: (_u, ticks, _axis, _space, step) => timeTicks(ticks.map((t) => t * 1000), step * 1000) }, { scale: 'pct', values: (_u, t) => t.map((v) => `${v}%`) }, { scale: 'usd', side: 1, size: costAxisWidth, grid: { show: false }, values: (_u, t) => t.map((v) => usd(v)) }],
      series: [
        {},
        { label: 'Pass rate', scale: 'pct', stroke: '#1a7f37', width: 2, points: { show: true, size: 6 } },
        { label: 'Cost', scale: 'usd', stroke: '#9a6700', width: 2, dash: [6, 4], points: { show: true, size: 6 } },
      ],
    };
    const last = ended[ended.length - 1];
    const summary = last ? `${ended.length} finished runs; the latest passed ${pct(last.summary!.passRate)} at ${summaryUsd(last.summary)}` : 'no finished runs';
    return { data, options, summary };
  }, [runs]);
  return <UChart title="Pass rate and cost per run" summary={chart.summary} options={chart.options} data={chart.data} height={200} />;
}
