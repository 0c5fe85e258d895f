// uPlot in React: created in an effect, destroyed on change; sized to its container's width.
// uPlot draws on a canvas, so each chart carries a text alternative (figcaption + summary).
import { useEffect, useMemo, useRef } from 'react';
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';

export interface ChartProps {
  title: string;
  /** One sentence for screen readers: what the chart shows, in numbers. */
  summary: string;
  options: Omit<uPlot.Options, 'width' | 'height'>;
  data: uPlot.AlignedData;
  height?: number;
}

export function UChart({ title, summary, options, data, height = 180 }: ChartProps) {
  const box = useRef<HTMLDivElement>(null);
  useEffect(() => {
    const el = box.current;
    if (!el) return;
    const width = Math.max(240, el.clientWidth);
    const chart = new uPlot({ ...options, width, height }, data, el);
    const resize = new ResizeObserver(() => chart.setSize({ width: Math.max(240, el.clientWidth), height }));
    resize.observe(el);
    return () => {
      resize.disconnect();
      chart.destroy();
    };
  }, [options, data, height]);
  return (
    <figure className="chart">
      <figcaption>{title}</figcaption>
      <div ref={box} role="img" aria-label={`${title}: ${summary}`} />
    </figure>
  );
}

/** Equal-width bins over the values' range. */
export function histogram(values: number[], bins = 10): { edges: number[]; counts: number[]; hi: number } {
  if (values.length === 0) return { edges: [], counts: [], hi: 0 };
  let lo = Infinity;
  let hi = -Infinity;
  for (const v of values) {
    if (v < lo) lo = v;
    if (v > hi) hi = v;
  }
  if (lo === hi) return { edges: [lo], counts: [values.length], hi: lo + 1 };
  const width = (hi - lo) / bins;
  const counts = new Array<number>(bins).fill(0);
  for (const v of values) counts[Math.min(bins - 1, Math.floor((v - lo) / width))]!++;
  return { edges: counts.map((_, i) => lo + i * width), counts, hi };
}

/**
 * A histogram's bars. `format` writes an axis tick; `step` is the distance between ticks, so
 * values that differ only past the usual decimals (scores 0.012 and 0.014) still read apart,
 * and so do uPlot's 2.5 steps (0.025: 0.525, not 0.53; web/src/run/score-ticks.ts).
 */
export function Histogram({ title, values, unit, format }: { title: string; values: number[]; unit: string; format(v: number, step?: number): string }) {
  const chart = useMemo(() => {
    const { edges, counts, hi } = histogram(values);
    const options: ChartProps['options'] = {
      legend: { show: false },
      cursor: { show: false },
      scales: { x: { time: false } },
      axes: [{ values: (_u, ticks, _axis, _space, step) => ticks.map((t) => format(t, step)) }, { label: 'count' }],
      series: [{}, { label: unit, fill: 'rgba(31, 79, 209, 0.35)', stroke: '#1f4fd1', paths: uPlot.paths.bars!({ size: [0.9, 60], align: 1 }) }],
    };
    const largest = counts.reduce((m, c) => Math.max(m, c), 0);
    const summary = counts.length === 0 ? 'no values' : `${values.length} values from ${format(edges[0]!)}; the largest bin holds ${largest}`;
    // A last x at the top of the range, with no bar, so the last bin is drawn whole.
    return { options, data: [[...edges, hi], [...counts, null]] as uPlot.AlignedData, summary };
  }, [values, unit, format]);
  return <UChart title={title} summary={chart.summary} options={chart.options} data={chart.data} height={150} />;
}
