// uPlot in React: created in an effect, destroyed on change; sized to its container's width.
// uPlot draws on a canvas, so each chart carries a text alternative (figcaption + summary).
import { useEffect, useMemo, useRef } from 'react';
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';
import { countRange, histogram } from './histogram.js';

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

/** uPlot's axis font, in CSS pixels. */
const AXIS_FONT = '12px system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, "Noto Sans", sans-serif';
let measure: CanvasRenderingContext2D | null | undefined;

/**
 * The plot's right padding: half the last x label, centred on a tick that can stand at the
 * plot's right edge. uPlot's own (25 px) cut a latency's "156.0 ms" to "156.0 m". Measured on
 * a canvas of its own: setting the chart's font would defeat uPlot's cache of it.
 */
function rightPadding(labels: string[]): number {
  const last = labels[labels.length - 1];
  if (!last) return 25;
  measure ??= document.createElement('canvas').getContext('2d');
  if (!measure) return 25;
  measure.font = AXIS_FONT;
  return Math.max(25, Math.ceil(measure.measureText(last).width / 2) + 4);
}

/** Steps of a count axis: whole numbers only (uPlot's own steps wrote a count of 2.5). */
const COUNT_STEPS = Array.from({ length: 10 }, (_, e) => [1, 2, 5].map((m) => m * 10 ** e)).flat();

/**
 * A histogram's bars. `format` writes an axis tick; `step` is the distance between ticks, so
 * values that differ only past the usual decimals (scores 0.012 and 0.014) still read apart,
 * and so do uPlot's 2.5 steps (0.025: 0.525, not 0.53; web/src/run/score-ticks.ts). `domain`:
 * the range the values usually take, for values that are all equal (see histogram()).
 */
export function Histogram({ title, values, unit, format, domain }: { title: string; values: number[]; unit: string; format(v: number, step?: number): string; domain?: [number, number] }) {
  const chart = useMemo(() => {
    const { edges, counts, hi, lo, max } = histogram(values, 10, domain);
    // The x labels last written: the right padding leaves room for half the last one.
    let labels: string[] = [];
    const options: ChartProps['options'] = {
      legend: { show: false },
      cursor: { show: false },
      // The count axis starts at 0, as bars' heights are read from it (countRange()).
      scales: { x: { time: false }, y: { range: (_u, _min, max) => countRange(max) } },
      // 70 px a tick: labels with the decimals a narrow range needs ("1.516 s") stay apart.
      axes: [
        { space: 70, values: (_u, ticks, _axis, _space, step) => (labels = ticks.map((t) => format(t, step))) },
        { label: 'count', incrs: COUNT_STEPS },
      ],
      padding: [null, () => rightPadding(labels), null, null],
      series: [{}, { label: unit, fill: 'rgba(31, 79, 209, 0.35)', stroke: '#1f4fd1', paths: uPlot.paths.bars!({ size: [0.9, 60], align: 1 }) }],
    };
    const largest = counts.reduce((m, c) => Math.max(m, c), 0);
    const summary =
      counts.length === 0 ? 'no values' : lo === max ? `${values.length} values, all ${format(lo)}` : `${values.length} values from ${format(lo)} to ${format(max)}; the largest bin holds ${largest}`;
    // A last x at the top of the range, with no bar, so the last bin is drawn whole.
    return { options, data: [[...edges, hi], [...counts, null]] as uPlot.AlignedData, summary };
  }, [values, unit, format, domain]);
  return <UChart title={title} summary={chart.summary} options={chart.options} data={chart.data} height={150} />;
}
