// The fast series must read on /metrics exactly as prom-client's own Counter and Histogram do:
// the same observations go into both, and the exposition texts are compared line by line.
import { Counter, Histogram, Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { SeriesCounter, SeriesHistogram } from './series.js';

const BUCKETS = [0.001, 0.01, 0.1, 1, 10];
const OBSERVED = [0.0005, 0.001, 0.002, 0.05, 0.05, 0.7, 3, 42, 0];

async function text(registry: Registry): Promise<string[]> {
  return (await registry.metrics()).split('\n').filter(Boolean);
}

describe('series metrics', () => {
  it('a histogram exposes the same buckets, sum and count as prom-client for the same observations', async () => {
    const ours = new Registry(), theirs = new Registry();
    const fast = new SeriesHistogram({ name: 'h_seconds', help: 'h', labelNames: ['kind'] as const, buckets: BUCKETS, registers: [ours] });
    const reference = new Histogram({ name: 'h_seconds', help: 'h', labelNames: ['kind'] as const, buckets: BUCKETS, registers: [theirs] });
    for (const [i, v] of OBSERVED.entries()) {
      // Series appear in the order they are first used, in both.
      fast.labels({ kind: i % 3 === 0 ? 'b' : 'a' }).observe(v);
      reference.observe({ kind: i % 3 === 0 ? 'b' : 'a' }, v);
    }
    const lines = await text(ours);
    expect(lines).toEqual(await text(theirs));
    // Cumulative: the +Inf bucket of "a" counts all six of its observations.
    expect(lines).toContain('h_seconds_bucket{le="+Inf",kind="a"} 6');
  });

  it('a counter exposes the same totals as prom-client, and the same series object is returned for the same labels', async () => {
    const ours = new Registry(), theirs = new Registry();
    const fast = new SeriesCounter({ name: 'c_total', help: 'c', labelNames: ['evaluator', 'outcome'] as const, registers: [ours] });
    const reference = new Counter({ name: 'c_total', help: 'c', labelNames: ['evaluator', 'outcome'] as const, registers: [theirs] });
    for (let i = 0; i < 10; i++) {
      const labels = { evaluator: i % 2 ? 'exact' : 'regex', outcome: i % 3 ? 'passed' : 'failed' };
      fast.labels(labels).inc();
      reference.inc(labels);
    }
    fast.labels({ evaluator: 'exact', outcome: 'passed' }).inc(5);
    reference.inc({ evaluator: 'exact', outcome: 'passed' }, 5);
    expect(await text(ours)).toEqual(await text(theirs));
    expect(fast.labels({ evaluator: 'x', outcome: 'y' })).toBe(fast.labels({ evaluator: 'x', outcome: 'y' }));
  });

  it('reset empties every series, as the registry expects', async () => {
    const registry = new Registry();
    const fast = new SeriesCounter({ name: 'r_total', help: 'r', labelNames: ['k'] as const, registers: [registry] });
    fast.labels({ k: 'v' }).inc();
    registry.resetMetrics();
    expect((await text(registry)).filter((l) => !l.startsWith('#'))).toEqual([]);
  });
});
