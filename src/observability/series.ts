// Counters and histograms for the per-cell metrics, whose label sets a run resolves once and
// then only adds to. prom-client's own `labels(...).observe()` validates and hashes the labels
// on every call: with ten calls a cell that was ≈ 4 µs of CPU per cell (bench: 0.19 µs with
// these series), a few per cent of a cell at zero latency. prom-client still owns the registry
// and the exposition text; these two classes only hand it their values at scrape time, in the
// shape its own Counter and Histogram do (`get()`), so /metrics reads exactly the same.
import type { Registry } from 'prom-client';

/** What prom-client's registry reads from a metric at scrape time (its Counter and Histogram give the same). */
interface Exported {
  name: string;
  help: string;
  type: 'counter' | 'histogram';
  values: { labels: Record<string, string | number>; sharedLabels?: Record<string, string>; value: number; metricName?: string }[];
  aggregator: 'sum';
}

/** One label set's running total. */
export interface CounterSeries {
  inc(by?: number): void;
}

/** One label set's buckets, sum and count. */
export interface HistogramSeries {
  observe(value: number): void;
}

interface Options<L extends string> {
  name: string;
  help: string;
  labelNames: readonly L[];
  registers: Registry[];
}

/** Label values in `labelNames` order, as the key of a series. */
function keyOf<L extends string>(labelNames: readonly L[], labels: Record<L, string>): string {
  let key = '';
  for (const name of labelNames) key += `${labels[name]}\u0000`;
  return key;
}

abstract class SeriesMetric<L extends string, S> {
  readonly name: string;
  readonly help: string;
  readonly aggregator = 'sum' as const;
  protected readonly series = new Map<string, { labels: Record<L, string>; s: S }>();

  constructor(protected readonly options: Options<L>) {
    this.name = options.name;
    this.help = options.help;
    // The registry only calls get() and reset(); it stores any object with a name.
    for (const registry of options.registers) registry.registerMetric(this as never);
  }

  protected seriesFor(labels: Record<L, string>, make: () => S): S {
    const key = keyOf(this.options.labelNames, labels);
    let entry = this.series.get(key);
    if (!entry) this.series.set(key, (entry = { labels: { ...labels }, s: make() }));
    return entry.s;
  }

  reset(): void {
    this.series.clear();
  }
}

class CounterCell implements CounterSeries {
  value = 0;
  inc(by = 1): void {
    this.value += by;
  }
}

export class SeriesCounter<L extends string> extends SeriesMetric<L, CounterCell> {
  readonly type = 'counter' as const;

  /** The series of one label set; keep it and call `inc` on it. */
  labels(labels: Record<L, string>): CounterSeries {
    return this.seriesFor(labels, () => new CounterCell());
  }

  get(): Promise<Exported> {
    const values = [...this.series.values()].map(({ labels, s }) => ({ labels, value: s.value }));
    return Promise.resolve({ name: this.name, help: this.help, type: this.type, values, aggregator: this.aggregator });
  }
}

class HistogramCell implements HistogramSeries {
  readonly counts: Float64Array;
  sum = 0;
  count = 0;
  constructor(private readonly bounds: readonly number[]) {
    this.counts = new Float64Array(bounds.length);
  }
  observe(value: number): void {
    if (!Number.isFinite(value)) return;
    this.sum += value;
    this.count++;
    const { bounds } = this;
    for (let i = 0; i < bounds.length; i++) {
      if (value <= bounds[i]!) {
        this.counts[i]!++;
        return;
      }
    }
  }
}

export class SeriesHistogram<L extends string> extends SeriesMetric<L, HistogramCell> {
  readonly type = 'histogram' as const;
  private readonly bounds: readonly number[];

  constructor(options: Options<L> & { buckets: readonly number[] }) {
    super(options);
    this.bounds = [...options.buckets].sort((a, b) => a - b);
  }

  /** The series of one label set; keep it and call `observe` on it. */
  labels(labels: Record<L, string>): HistogramSeries {
    return this.seriesFor(labels, () => new HistogramCell(this.bounds));
  }

  get(): Promise<Exported> {
    const values: Exported['values'] = [];
    const bucket = `${this.name}_bucket`;
    for (const { labels, s } of this.series.values()) {
      // Buckets are cumulative in the exposition format; `le` first, as prom-client writes it.
      let below = 0;
      this.bounds.forEach((le, i) => {
        below += s.counts[i]!;
        values.push({ labels: { le }, sharedLabels: labels, value: below, metricName: bucket });
      });
      values.push({ labels: { le: '+Inf' }, sharedLabels: labels, value: s.count, metricName: bucket });
      values.push({ labels, value: s.sum, metricName: `${this.name}_sum` });
      values.push({ labels, value: s.count, metricName: `${this.name}_count` });
    }
    return Promise.resolve({ name: this.name, help: this.help, type: this.type, values, aggregator: this.aggregator });
  }
}

/**
 * A value made once per key: the metric series of a target, an evaluator or a provider/model
 * pair, so a hot path's metric updates are map look-ups and additions (labels resolved once).
 */
export function perKey<T>(make: (key: string) => T): (key: string) => T {
  const made = new Map<string, T>();
  return (key) => {
    let value = made.get(key);
    if (value === undefined) made.set(key, (value = make(key)));
    return value;
  };
}
