// The statistics of a comparison and of repeats. Distributions and tests come from the
// @stdlib packages (maintained, tested against R); what is written here is only the plumbing:
// which test for which data, the edge cases the library refuses (no pairs, all differences
// zero, one pair), Holm's step-down correction, a t-based interval and Newcombe's score
// interval for paired pass/fail, each a few lines of arithmetic, and the Wilcoxon normal
// approximation (stdlib's takes seconds on 100k pairs; see wilcoxonSignedRank).
import binomialTest from '@stdlib/stats-binomial-test';
import normalCdf from '@stdlib/stats-base-dists-normal-cdf';
import tQuantile from '@stdlib/stats-base-dists-t-quantile';
import wilcoxon from '@stdlib/stats-wilcoxon';

/** A test's outcome: its name, the p-value and the 95% interval of the mean paired difference. */
export interface TestResult {
  name: 'mcnemar_exact' | 'wilcoxon_signed_rank' | 'none';
  pValue: number;
  ci95: [number, number] | null;
}

/**
 * Exact McNemar test: under no change, each discordant pair is equally likely to go either
 * way, so the regressions among the discordant pairs are Binomial(b + c, ½). Two-sided.
 * `b` = pairs that passed before and fail now, `c` = the reverse.
 */
export function mcnemarExact(b: number, c: number): number {
  if (b + c === 0) return 1;
  return Math.min(1, binomialTest(b, b + c, { p: 0.5, alternative: 'two-sided' }).pValue);
}

/**
 * Wilcoxon signed-rank test on paired differences (candidate − baseline), two-sided. Zero
 * differences are dropped (Wilcox's method); exact distribution up to 50 pairs without ties or
 * zeros, else the normal approximation with tie and continuity corrections (as R and scipy's
 * `method="approx", correction=True` compute it). No non-zero difference: p = 1.
 */
export function wilcoxonSignedRank(diffs: readonly number[]): number {
  // |d| of the positive and of the negative differences, each sorted ascending (zeros dropped).
  let positives = 0;
  let negatives = 0;
  for (const d of diffs) {
    if (d > 0) positives++;
    else if (d < 0) negatives++;
  }
  const n = positives + negatives;
  // No non-zero difference; or one, whose exact two-sided p is 1 (W+ is 0 or 1, each at ½).
  if (n <= 1) return 1;
  const pos = new Float64Array(positives);
  const neg = new Float64Array(negatives);
  let i = 0;
  let j = 0;
  for (const d of diffs) {
    if (d > 0) pos[i++] = d;
    else if (d < 0) neg[j++] = -d;
  }
  pos.sort();
  neg.sort();
  // Walk both in order of |d|: each run of equal |d| (a tie group of t, a from the positives)
  // takes the average rank of its places; W+ sums the positives' ranks.
  let wPlus = 0;
  let ties = 0;
  let below = 0;
  i = 0;
  j = 0;
  while (i < positives || j < negatives) {
    const v = j >= negatives || (i < positives && pos[i]! <= neg[j]!) ? pos[i]! : neg[j]!;
    const from = i;
    while (i < positives && pos[i] === v) i++;
    const a = i - from;
    const fromNeg = j;
    while (j < negatives && neg[j] === v) j++;
    const t = a + j - fromNeg;
    wPlus += a * (below + (t + 1) / 2);
    if (t > 1) ties += t * t * t - t;
    below += t;
  }
  // The exact distribution (stdlib's, as before) for few pairs without zeros or ties.
  if (n <= 50 && n === diffs.length && ties === 0) {
    return Math.min(1, wilcoxon(Float64Array.from(diffs), { alternative: 'two-sided' }).pValue);
  }
  // Normal approximation, tie-corrected variance, continuity correction of ½ toward the mean:
  // O(n log n), where @stdlib/stats-wilcoxon's takes ~6.6 s on 100k distinct differences.
  const mean = (n * (n + 1)) / 4;
  const sd = Math.sqrt((n * (n + 1) * (2 * n + 1)) / 24 - ties / 48);
  const z = (wPlus - mean - 0.5 * Math.sign(wPlus - mean)) / sd;
  // 2·Φ(−|z|) is 2·(1 − Φ(|z|)) without its cancellation: far in the tail (p < 1e-16) it
  // stays exact, as scipy's is, where 1 − Φ rounds to 0.
  return Math.min(1, 2 * normalCdf(-Math.abs(z), 0, 1));
}

/**
 * Mean of `values` and its t-based 95% interval; null interval with fewer than two values.
 * `range` is what the mean can possibly be (0–100 for a pass rate, ±100 for a difference of
 * two): the interval is clipped to it, since with few rows the t-interval reaches far past it
 * (two rows: ±12.7 standard errors) and an interval of −685 … +585 points reads as a bug.
 */
export function meanCI95(values: readonly number[], range?: readonly [number, number]): { mean: number; stderr: number | null; ci95: [number, number] | null } {
  const n = values.length;
  if (n === 0) return { mean: Number.NaN, stderr: null, ci95: null };
  let sum = 0;
  for (const v of values) sum += v;
  const mean = sum / n;
  if (n < 2) return { mean, stderr: null, ci95: null };
  let ss = 0;
  for (const v of values) ss += (v - mean) ** 2;
  const stderr = Math.sqrt(ss / (n - 1) / n);
  const half = tQuantile(0.975, n - 1) * stderr;
  if (!range) return { mean, stderr, ci95: [mean - half, mean + half] };
  return { mean, stderr, ci95: [Math.max(range[0], mean - half), Math.min(range[1], mean + half)] };
}

/** z for a two-sided 95% interval: the 0.975 quantile of the standard normal. */
const Z95 = 1.959963984540054;

/** Wilson's score interval of a proportion, `x` successes of `n` (n > 0). */
export function wilsonCI95(x: number, n: number): [number, number] {
  const z2 = Z95 * Z95;
  const centre = (x + z2 / 2) / (n + z2);
  const half = (Z95 * Math.sqrt((x * (n - x)) / n + z2 / 4)) / (n + z2);
  return [Math.max(0, centre - half), Math.min(1, centre + half)];
}

/**
 * 95% interval of the difference of two paired proportions, candidate − baseline, by
 * Newcombe's hybrid score method (method 10 of Newcombe 1998, "Improved confidence intervals
 * for the difference between binomial proportions based on paired data"): each side's Wilson
 * interval, combined with the correlation of the pairs. Unlike a t-interval of the paired
 * differences it never leaves −1…1, and it does not shrink to a point when no row changed
 * (ten rows passing on both sides say little about the eleventh). `bothPass`, `regressed`
 * (passed before, fails now), `improved` and `bothFail` count the rows.
 */
export function newcombePairedCI95(bothPass: number, regressed: number, improved: number, bothFail: number): [number, number] | null {
  const n = bothPass + regressed + improved + bothFail;
  if (n === 0) return null;
  const base = (bothPass + regressed) / n;
  const cand = (bothPass + improved) / n;
  const [lb, ub] = wilsonCI95(bothPass + regressed, n);
  const [lc, uc] = wilsonCI95(bothPass + improved, n);
  // The correlation of the pairs; a positive one is first reduced by n/2, as the method has it
  // (a continuity correction on the cross product: it widens the interval a little).
  const margins = (bothPass + regressed) * (improved + bothFail) * (bothPass + improved) * (regressed + bothFail);
  const cross = bothPass * bothFail - regressed * improved;
  const phi = margins === 0 ? 0 : (cross > 0 ? Math.max(cross - n / 2, 0) : cross) / Math.sqrt(margins);
  const diff = cand - base;
  const down = Math.sqrt(Math.max(0, (cand - lc) ** 2 - 2 * phi * (cand - lc) * (ub - base) + (ub - base) ** 2));
  const up = Math.sqrt(Math.max(0, (uc - cand) ** 2 - 2 * phi * (uc - cand) * (base - lb) + (base - lb) ** 2));
  return [Math.max(-1, diff - down), Math.min(1, diff + up)];
}

/** Holm's step-down adjustment: controls the family-wise error over all tests of a comparison. */
export function holm(pValues: readonly number[]): number[] {
  const order = pValues.map((p, i) => ({ p, i })).sort((a, b) => a.p - b.p);
  const adjusted = new Array<number>(pValues.length);
  let running = 0;
  order.forEach(({ p, i }, rank) => {
    running = Math.max(running, Math.min(1, (pValues.length - rank) * p));
    adjusted[i] = running;
  });
  return adjusted;
}

/**
 * The paired test for one evaluator × target: exact McNemar with Newcombe's interval when every
 * paired value is a single pass/fail (0 or 1), else Wilcoxon on the differences of per-row means
 * (repeats averaged, or scores) with the t-interval of their mean. `scale` turns the interval
 * into the delta's unit (100 for pass rates in points); `range` is the span the delta can take,
 * the t-interval's clip (meanCI95).
 */
export function pairedTest(baseline: readonly number[], candidate: readonly number[], scale = 1, range?: readonly [number, number]): TestResult {
  const diffs = candidate.map((c, i) => (c - baseline[i]!) * scale);
  if (diffs.length === 0) return { name: 'none', pValue: 1, ci95: null };
  const binary = baseline.every((v) => v === 0 || v === 1) && candidate.every((v) => v === 0 || v === 1);
  if (binary) {
    let both = 0;
    let b = 0;
    let c = 0;
    for (let i = 0; i < baseline.length; i++) {
      if (baseline[i] === 1 && candidate[i] === 0) b++;
      else if (baseline[i] === 0 && candidate[i] === 1) c++;
      else if (baseline[i] === 1) both++;
    }
    const interval = newcombePairedCI95(both, b, c, baseline.length - both - b - c);
    const ci95: [number, number] | null = interval && [interval[0] * scale, interval[1] * scale];
    return { name: 'mcnemar_exact', pValue: mcnemarExact(b, c), ci95 };
  }
  return { name: 'wilcoxon_signed_rank', pValue: wilcoxonSignedRank(diffs), ci95: meanCI95(diffs, range).ci95 };
}

/** p-th percentile (0–100) of `sorted` (ascending), by linear interpolation; undefined when empty. */
export function percentile(sorted: ArrayLike<number>, p: number): number | undefined {
  if (sorted.length === 0) return undefined;
  const at = (p / 100) * (sorted.length - 1);
  const lo = Math.floor(at);
  const hi = Math.min(sorted.length - 1, lo + 1);
  return sorted[lo]! + (sorted[hi]! - sorted[lo]!) * (at - lo);
}
