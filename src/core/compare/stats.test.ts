// Reference values are scipy 1.17's outputs for the same inputs (scipy.stats.wilcoxon,
// binomtest, t.interval), which are published, independent implementations.
import { describe, expect, it } from 'vitest';
import { holm, mcnemarExact, meanCI95, newcombePairedCI95, pairedTest, percentile, wilcoxonSignedRank, wilsonCI95 } from './stats.js';

const close = (actual: number, expected: number) => expect(Math.abs(actual - expected)).toBeLessThan(1e-6);

describe('comparison statistics against scipy', () => {
  const d = [6, 8, 14, 16, 23, 24, 28, 29, 41, -48, 49, 56, 60, -67, 75];

  it('Wilcoxon signed-rank, exact (15 pairs, no ties)', () => {
    close(wilcoxonSignedRank(d), 0.041259765625);
  });

  it('Wilcoxon signed-rank with ties and a zero: normal approximation with corrections', () => {
    close(wilcoxonSignedRank([0.5, 0.5, -0.25, 0.25, 0.75, 1, 0.5, -0.5, 0.25, 0.5, 0, 0.75]), 0.027402856176010536);
  });

  it('Wilcoxon signed-rank on 120 pairs (approximation)', () => {
    const big = Array.from({ length: 120 }, (_, i) => (((i * 37) % 101) - 45) / 10);
    close(wilcoxonSignedRank(big), 0.11860171511197992);
  });

  it('Wilcoxon signed-rank on 10k and 100k pairs (the O(n log n) approximation)', () => {
    // Reference p-values: scipy 1.17.1, wilcoxon(d, method='approx', correction=True,
    // zero_method='wilcox'), on the same formulas in a scratch Python script (2026-12-05).
    // 10k pairs with 1,547 distinct |d| (ties, also across signs) and 5 zeros.
    const ties = Array.from({ length: 10_000 }, (_, i) => (((i * 7919) % 2003) - 1000) / 100 + 0.3);
    close(wilcoxonSignedRank(ties), 9.350838367885498e-8);
    // 100k distinct differences (a multiplicative hash of i: a bijection mod 2³²), no zeros.
    const spread = (off: number) => Array.from({ length: 100_000 }, (_, i) => ((i * 2654435761) % 4294967296) / 4294967296 - off);
    close(wilcoxonSignedRank(spread(0.4985)), 0.10022936851917684);
    close(wilcoxonSignedRank(spread(0.498)), 0.028684161735665067);
    // Far in the tail the p-value keeps its relative precision (2·Φ(−|z|), not 2·(1 − Φ(|z|))).
    const tiny = wilcoxonSignedRank(spread(0.49));
    expect(Math.abs(tiny / 2.120882344836698e-27 - 1)).toBeLessThan(1e-6);
    // (@stdlib/stats-wilcoxon took ≈ 6.6 s per 100k pairs, the sort ≈ 30 ms: docs/comparisons.md.)
  });

  it('Wilcoxon signed-rank with one non-zero difference: p = 1 (scipy too), no throw', () => {
    expect(wilcoxonSignedRank([0.5])).toBe(1);
    expect(wilcoxonSignedRank([0, -0.5])).toBe(1);
    expect(wilcoxonSignedRank([0, 0])).toBe(1);
    expect(pairedTest([0.2], [0.7]).pValue).toBe(1);
  });

  it('exact McNemar is the two-sided binomial test on the discordant pairs', () => {
    close(mcnemarExact(30, 2), 2.4633482098579407e-7);
    close(mcnemarExact(2, 30), 2.4633482098579407e-7);
    close(mcnemarExact(5, 7), 0.7744140625);
    expect(mcnemarExact(1, 0)).toBe(1);
    expect(mcnemarExact(0, 0)).toBe(1);
  });

  it('t-based 95% interval of the mean', () => {
    const r = meanCI95(d);
    close(r.mean, 20.933333333333334);
    close(r.ci95![0], 0.031193318392979563);
    close(r.ci95![1], 41.83547334827369);
    const t = meanCI95([0.5, 0.5, -0.25, 0.25, 0.75, 1, 0.5, -0.5, 0.25, 0.5, 0, 0.75]);
    close(t.ci95![0], 0.07939111894500539);
    close(t.ci95![1], 0.628942214388328);
    expect(meanCI95([3]).ci95).toBeNull();
  });

  it('an interval is clipped to what the mean can be', () => {
    // Two rows' differences, −100 and 0: the t-interval is −50 ± 12.706 × 50 points, far past ±100.
    expect(meanCI95([-100, 0], [-100, 100]).ci95).toEqual([-100, 100]);
    // Without a range, the raw t-interval (scipy: −685.31 … 585.31).
    close(meanCI95([-100, 0]).ci95![0], -685.3102368);
    // Fractions of repeats (not single pass/fail) take the t-interval, clipped.
    expect(pairedTest([1, 0.5], [0, 0.5], 100, [-100, 100]).ci95).toEqual([-100, 100]);
    // A pass rate stays within 0–100; a side within the range is unchanged.
    const rate = meanCI95([100, 100, 100, 0, 100, 100, 100, 100], [0, 100]);
    expect(rate.ci95![0]).toBeGreaterThan(0);
    expect(rate.ci95![1]).toBe(100);
    close(rate.ci95![0], meanCI95([100, 100, 100, 0, 100, 100, 100, 100]).ci95![0]);
  });

  it("Wilson's interval of a proportion (scipy: binomtest(x, n).proportion_ci(method='wilson'))", () => {
    const [lo, hi] = wilsonCI95(25, 50);
    close(lo, 0.3664451431682858);
    close(hi, 0.6335548568317142);
    const [lo2, hi2] = wilsonCI95(10, 10);
    close(lo2, 0.7224672001371109);
    expect(hi2).toBe(1);
  });

  it("Newcombe's interval of a paired difference of proportions (method 10, Wilson limits from scipy)", () => {
    // (both pass, regressed, improved, both fail) → candidate − baseline; expected values
    // composed by the paper's formula from scipy's Wilson limits (scratch Python, 2026-12-05).
    const cases: [[number, number, number, number], [number, number]][] = [
      [[10, 15, 5, 20], [-0.35693657165919257, -0.025838416549251036]],
      [[168, 30, 2, 0], [-0.1968260109483027, -0.08908796283786358]],
      [[1, 1, 0, 0], [-0.9054687942657693, 0.2725727851131816]],
      [[5, 3, 7, 5], [-0.10181933608333354, 0.45624625933177243]],
      [[40, 2, 9, 49], [0.003825901797611997, 0.13451373844736886]],
    ];
    for (const [counts, [lo, hi]] of cases) {
      const ci = newcombePairedCI95(...counts)!;
      close(ci[0], lo);
      close(ci[1], hi);
    }
    // No row changed: not a point, as a t-interval of ten zero differences is.
    const none = newcombePairedCI95(10, 0, 0, 0)!;
    close(none[1], 0.27753279986288915);
    close(none[0], -none[1]);
    expect(newcombePairedCI95(0, 0, 0, 0)).toBeNull();
  });

  it('95% intervals of a paired pass-rate change cover the true change at least 94% of the time (simulated evaluations)', () => {
    // mulberry32, seeded: the same draws on every machine.
    let seed = 7;
    const random = () => {
      seed = (seed + 0x6d2b79f5) >>> 0;
      let t = seed;
      t = Math.imul(t ^ (t >>> 15), t | 1);
      t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
      return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
    };
    // Chances of (both pass, regressed, improved, both fail) per row. Most rows agree in a real
    // comparison: there a t-interval of the differences covered the truth 63–64% of the time.
    const worlds: [number[], number][] = [
      [[0.5, 0.1, 0.2, 0.2], 8],
      [[0.5, 0.1, 0.2, 0.2], 20],
      [[0.5, 0.1, 0.2, 0.2], 50],
      [[0.85, 0.02, 0.08, 0.05], 10],
      [[0.85, 0.02, 0.08, 0.05], 30],
      [[0.9, 0, 0.05, 0.05], 20],
    ];
    for (const [chances, rows] of worlds) {
      const truth = chances[2]! - chances[1]!;
      let covered = 0;
      const trials = 4_000;
      for (let k = 0; k < trials; k++) {
        const base: number[] = [];
        const cand: number[] = [];
        for (let i = 0; i < rows; i++) {
          const r = random();
          const kind = r < chances[0]! ? 0 : r < chances[0]! + chances[1]! ? 1 : r < chances[0]! + chances[1]! + chances[2]! ? 2 : 3;
          base.push(kind === 0 || kind === 1 ? 1 : 0);
          cand.push(kind === 0 || kind === 2 ? 1 : 0);
        }
        const ci = pairedTest(base, cand, 100, [-100, 100]).ci95!;
        if (ci[0] <= truth * 100 && truth * 100 <= ci[1]) covered++;
      }
      expect(covered / trials, `${chances.join(' ')} over ${rows} rows`).toBeGreaterThanOrEqual(0.94);
    }
  });

  it("Holm's step-down adjustment", () => {
    // sorted 0.005, 0.01, 0.03, 0.04 → ×4, ×3, ×2, ×1 = 0.02, 0.03, 0.06, 0.04 → running max
    expect(holm([0.01, 0.04, 0.03, 0.005]).map((p) => Math.round(p * 1e9) / 1e9)).toEqual([0.03, 0.06, 0.06, 0.02]);
    expect(holm([0.9, 0.8])).toEqual([1, 1]);
  });

  it('pairs of single pass/fail values use McNemar; fractions or scores use Wilcoxon', () => {
    const base = [...Array(30).fill(1), ...Array(2).fill(0), ...Array(168).fill(1)];
    const cand = [...Array(30).fill(0), ...Array(2).fill(1), ...Array(168).fill(1)];
    const t = pairedTest(base, cand, 100);
    expect(t.name).toBe('mcnemar_exact');
    close(t.pValue, 2.4633482098579407e-7);
    expect(t.ci95![1]).toBeLessThan(0);
    expect(pairedTest([0.2, 0.4], [0.6, 0.4]).name).toBe('wilcoxon_signed_rank');
    expect(pairedTest([], []).name).toBe('none');
  });

  it('percentiles interpolate like numpy', () => {
    // numpy.percentile([1, 2, 3, 4, 10], [50, 95]) = 3.0, 8.8
    expect(percentile([1, 2, 3, 4, 10], 50)).toBe(3);
    close(percentile([1, 2, 3, 4, 10], 95)!, 8.8);
    expect(percentile([], 50)).toBeUndefined();
  });
});
