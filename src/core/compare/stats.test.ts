// Reference values are scipy 1.17's outputs for the same inputs (scipy.stats.wilcoxon,
// binomtest, t.interval), which are published, independent implementations.
import { describe, expect, it } from 'vitest';
import { holm, mcnemarExact, meanCI95, pairedTest, percentile, wilcoxonSignedRank } from './stats.js';

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
    // Two rows, one regressed: the t-interval is −50 ± 12.706 × 50 points, far past ±100.
    const paired = pairedTest([1, 1], [0, 1], 100, [-100, 100]);
    expect(paired.ci95).toEqual([-100, 100]);
    // The same data without a range gives the raw t-interval (scipy: −685.31 … 585.31).
    close(pairedTest([1, 1], [0, 1], 100).ci95![0], -685.3102368);
    // A pass rate stays within 0–100; a side within the range is unchanged.
    const rate = meanCI95([100, 100, 100, 0, 100, 100, 100, 100], [0, 100]);
    expect(rate.ci95![0]).toBeGreaterThan(0);
    expect(rate.ci95![1]).toBe(100);
    close(rate.ci95![0], meanCI95([100, 100, 100, 0, 100, 100, 100, 100]).ci95![0]);
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
