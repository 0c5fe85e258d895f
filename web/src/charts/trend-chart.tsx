// The experiment's history: pass rate (left axis) and cost (right axis) per run, over time.
import { useMemo } from 'react';
import type { RunListItem } from '../api-types.js';
import { pct, usd } from '../lib/format.js';
import { type ChartProps, UChart } from './uplot-chart.js';

export function TrendChart({ runs }: { runs: RunListItem[] }) {
  const chart = useMemo(() => {
    // A running run's list item has the summary so far (issue 15): only ended runs are history.
    const ended = runs.filter((r) => r.status !== 'running' && r.summary).sort((a, b) => a.timestamps.createdAt - b.timestamps.createdAt);
    const data: ChartProps['data'] = [
      ended.map((r) => r.timestamps.createdAt / 1000),
      ended.map((r) => r.summary!.passRate),
      ended.map((r) => r.summary!.totalCost),
    ];
    const options: ChartProps['options'] = {
      legend: { show: true, live: false },
      scales: {
        // One run alone would get a range of years around it: show an hour either side.
        x: ended.length === 1 ? { time: true, auto: false, min: data[0][0]! - 3600, max: data[0][0]! + 3600 } : { time: true },
        pct: { range: [0, 100] },
        usd: { range: (_u, _min, max) => [0, max > 0 ? max * 1.2 : 0.01] as [number, number] },
      },
      axes: [{}, { scale: 'pct', values: (_u, t) => t.map((v) => `${v}%`) }, { scale: 'usd', side: 1, size: 72, grid: { show: false }, values: (_u, t) => t.map((v) => usd(v)) }],
      series: [
        {},
        { label: 'Pass rate', scale: 'pct', stroke: '#1a7f37', width: 2, points: { show: true, size: 6 } },
        { label: 'Cost', scale: 'usd', stroke: '#9a6700', width: 2, dash: [6, 4], points: { show: true, size: 6 } },
      ],
    };
    const last = ended[ended.length - 1];
    const summary = last ? `${ended.length} finished runs; the latest passed ${pct(last.summary!.passRate)} at ${usd(last.summary!.totalCost)}` : 'no finished runs';
    return { data, options, summary };
  }, [runs]);
  return <UChart title="Pass rate and cost per run" summary={chart.summary} options={chart.options} data={chart.data} height={200} />;
}
