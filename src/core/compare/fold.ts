// Folds two runs' results, paired row by row, into a comparison (core/model/compare.ts). Fed
// in row order by the caller (the app streams both runs from storage); keeps per evaluator ×
// target only the paired per-row values the tests need and per target the latencies for the
// percentiles, never outputs or whole cells. Outputs of the listed items are fetched by the
// caller afterwards, by cell number.
import type { Change, CompareItem, Comparison, EvaluatorComparison, Verdict } from '../model/compare.js';
import type { ComparedCell, EvalValues, RowValues } from './row-values.js';
import { holm, pairedTest, percentile } from './stats.js';

interface PairAcc {
  targetId: string;
  evaluatorId: string;
  basePass: number[];
  candPass: number[];
  baseScore: number[];
  candScore: number[];
}

interface EvaluatorCost {
  cost: number;
  /** Model calls with no known cost. */
  unpriced: number;
}

interface TargetSide {
  cells: number;
  cost: number;
  /** Successful calls with no known cost. */
  unpriced: number;
  input: number;
  output: number;
  errors: number;
  latencies: number[];
}

/** An item of the page, with the cells whose outputs the caller fetches. */
export interface PendingItem extends Omit<CompareItem, 'baseline' | 'candidate'> {
  baseline: { passed: number | boolean | null; score: number | null; cell: number };
  candidate: { passed: number | boolean | null; score: number | null; cell: number };
}

export interface FoldOptions {
  alpha: number;
  change: 'regressed' | 'improved' | 'changed' | 'all';
  offset: number;
  limit: number;
  /** Evaluator names by id (either run's configuration). */
  names: ReadonlyMap<string, string>;
  /** Single verdicts show as booleans (no repeats on either side). */
  singleVerdicts: boolean;
}

const mean = (xs: number[]) => (xs.length === 0 ? undefined : xs.reduce((a, b) => a + b, 0) / xs.length);
const round = (n: number) => Math.round(n * 1e8) / 1e8;

/** The per-row value of an evaluator: its pass share (or score) averaged over repeats. */
const passOf = (v: EvalValues | undefined) => (v && v.passN > 0 ? v.passSum / v.passN : undefined);
const scoreOf = (v: EvalValues | undefined) => (v && v.scoreN > 0 ? v.scoreSum / v.scoreN : undefined);

export class ComparisonFold {
  private readonly pairs = new Map<string, PairAcc>();
  private readonly targets = new Map<string, { baseline: TargetSide; candidate: TargetSide }>();
  /** Per target × evaluator, the USD of its results on each side and its calls without a known cost (only keys with either). */
  private readonly evaluatorCosts = new Map<string, { baseline: EvaluatorCost; candidate: EvaluatorCost }>();
  private matchedRows = 0;
  private matchedCells = 0;
  private unmatchedCandidate = 0;
  private unmatchedBaseline = 0;
  private readonly counts = { regressed: 0, improved: 0, unchanged: 0 };
  private listed = 0;
  readonly items: PendingItem[] = [];

  constructor(private readonly opts: FoldOptions) {}

  /**
   * Every cell of either run (matched or not) counts in its target's cost, tokens, latency and
   * errors, and its evaluations in their evaluator's cost: what each side paid, as the run
   * summaries count it, not only for the rows both runs have.
   */
  cell(side: 'baseline' | 'candidate', c: ComparedCell): void {
    let t = this.targets.get(c.targetId);
    if (!t) {
      const empty = (): TargetSide => ({ cells: 0, cost: 0, unpriced: 0, input: 0, output: 0, errors: 0, latencies: [] });
      this.targets.set(c.targetId, (t = { baseline: empty(), candidate: empty() }));
    }
    const s = t[side];
    s.cells++;
    s.cost += c.cost ?? 0;
    if (c.ok && c.cost === undefined) s.unpriced++;
    s.input += c.tokens?.input ?? 0;
    s.output += c.tokens?.output ?? 0;
    if (c.ok) s.latencies.push(c.durationMs);
    else s.errors++;
    for (const e of c.evaluations) {
      const { cost, unpricedCalls } = e.result;
      if (cost === undefined && unpricedCalls === undefined) continue;
      const key = `${c.targetId}\u0000${e.evaluatorId}`;
      let costs = this.evaluatorCosts.get(key);
      if (!costs) this.evaluatorCosts.set(key, (costs = { baseline: { cost: 0, unpriced: 0 }, candidate: { cost: 0, unpriced: 0 } }));
      costs[side].cost += cost ?? 0;
      costs[side].unpriced += unpricedCalls ?? 0;
    }
  }

  unmatched(side: 'baseline' | 'candidate'): void {
    if (side === 'baseline') this.unmatchedBaseline++;
    else this.unmatchedCandidate++;
  }

  /** A pair of rows matched across the runs. */
  pair(base: RowValues, cand: RowValues): void {
    this.matchedRows++;
    for (const [targetId, ct] of cand.targets) {
      const bt = base.targets.get(targetId);
      if (!bt) continue;
      this.matchedCells++;
      const ids = new Set([...bt.evals.keys(), ...ct.evals.keys()]);
      for (const evaluatorId of ids) {
        const bv = bt.evals.get(evaluatorId);
        const cv = ct.evals.get(evaluatorId);
        const key = `${targetId}\u0000${evaluatorId}`;
        let acc = this.pairs.get(key);
        if (!acc) this.pairs.set(key, (acc = { targetId, evaluatorId, basePass: [], candPass: [], baseScore: [], candScore: [] }));
        const bp = passOf(bv), cp = passOf(cv), bs = scoreOf(bv), cs = scoreOf(cv);
        if (bp !== undefined && cp !== undefined) {
          acc.basePass.push(bp);
          acc.candPass.push(cp);
        }
        if (bs !== undefined && cs !== undefined) {
          acc.baseScore.push(bs);
          acc.candScore.push(cs);
        }
        const change: Change =
          bp !== undefined && cp !== undefined ? (cp < bp ? 'regressed' : cp > bp ? 'improved' : 'unchanged')
          : bs !== undefined && cs !== undefined ? (cs < bs ? 'regressed' : cs > bs ? 'improved' : 'unchanged')
          : 'unchanged';
        this.counts[change]++;
        if (!this.wanted(change)) continue;
        if (this.listed++ < this.opts.offset || this.items.length >= this.opts.limit) continue;
        const verdict = (p: number | undefined) => (p === undefined ? null : this.opts.singleVerdicts ? p === 1 : round(p));
        this.items.push({
          rowIndex: cand.rowIndex, baselineRowIndex: base.rowIndex, targetId, evaluatorId, change,
          baseline: { passed: verdict(bp), score: bs ?? null, cell: bt.cell },
          candidate: { passed: verdict(cp), score: cs ?? null, cell: ct.cell },
        });
      }
    }
  }

  private wanted(change: Change): boolean {
    const f = this.opts.change;
    return f === 'all' || (f === 'changed' ? change !== 'unchanged' : f === change);
  }

  /** The comparison, without the items' outputs (see `items`). */
  result(ids: { runId: string; baselineRunId: string; matchedBy: 'index' | 'content' }): Omit<Comparison, 'rows'> & { rows: Omit<Comparison['rows'], 'items'> } {
    const tested = [...this.pairs.values()].map((acc) => {
      const onPass = acc.basePass.length > 0;
      const test = onPass ? pairedTest(acc.basePass, acc.candPass, 100, [-100, 100]) : pairedTest(acc.baseScore, acc.candScore);
      return { acc, onPass, test };
    });
    const adjusted = holm(tested.map((t) => t.test.pValue));
    let worse = false;
    let better = false;
    const evaluators: EvaluatorComparison[] = tested.map(({ acc, onPass, test }, i) => {
      const side = (pass: number[], score: number[]) => {
        const p = mean(pass), s = mean(score);
        return { n: Math.max(pass.length, score.length), ...(p !== undefined ? { passRate: round(p * 100) } : {}), ...(s !== undefined ? { avgScore: round(s) } : {}) };
      };
      const baseline: EvaluatorComparison['baseline'] = side(acc.basePass, acc.baseScore);
      const candidate: EvaluatorComparison['candidate'] = side(acc.candPass, acc.candScore);
      const delta: EvaluatorComparison['delta'] = {
        ...(baseline.passRate !== undefined && candidate.passRate !== undefined ? { passRate: round(candidate.passRate - baseline.passRate) } : {}),
        ...(baseline.avgScore !== undefined && candidate.avgScore !== undefined ? { avgScore: round(candidate.avgScore - baseline.avgScore) } : {}),
      };
      // Present on both sides when either side's results had a cost or a call without one (an
      // evaluator that calls no model has neither); the delta compares known costs only.
      const costs = this.evaluatorCosts.get(`${acc.targetId}\u0000${acc.evaluatorId}`);
      if (costs) {
        baseline.cost = round(costs.baseline.cost);
        candidate.cost = round(costs.candidate.cost);
        if (costs.baseline.unpriced > 0) baseline.unpricedCalls = costs.baseline.unpriced;
        if (costs.candidate.unpriced > 0) candidate.unpricedCalls = costs.candidate.unpriced;
        delta.cost = round(costs.candidate.cost - costs.baseline.cost);
      }
      const significant = test.name !== 'none' && adjusted[i]! < this.opts.alpha;
      const moved = onPass ? delta.passRate : delta.avgScore;
      if (significant && moved !== undefined && moved < 0) worse = true;
      if (significant && moved !== undefined && moved > 0) better = true;
      return {
        evaluatorId: acc.evaluatorId, name: this.opts.names.get(acc.evaluatorId) ?? acc.evaluatorId, targetId: acc.targetId,
        baseline, candidate, delta,
        test: {
          name: test.name, on: onPass ? 'passRate' : 'score', pValue: test.pValue, pValueAdjusted: adjusted[i]!, significant,
          ci95: test.ci95 ? [round(test.ci95[0]), round(test.ci95[1])] : null,
        },
      };
    });
    const verdict: Verdict = worse ? 'regressed' : better ? 'improved' : 'no_significant_change';
    const targets = [...this.targets].map(([targetId, t]) => {
      const side = (s: TargetSide) => {
        const sorted = Float64Array.from(s.latencies).sort();
        const p50 = percentile(sorted, 50), p95 = percentile(sorted, 95);
        return {
          cells: s.cells, cost: round(s.cost), ...(s.unpriced > 0 ? { unpricedCalls: s.unpriced } : {}), tokens: { input: s.input, output: s.output }, errors: s.errors,
          ...(p50 !== undefined ? { latencyP50: round(p50) } : {}), ...(p95 !== undefined ? { latencyP95: round(p95) } : {}),
        };
      };
      const baseline = side(t.baseline), candidate = side(t.candidate);
      return {
        targetId, baseline, candidate,
        delta: {
          cost: round(candidate.cost - baseline.cost),
          tokens: { input: candidate.tokens.input - baseline.tokens.input, output: candidate.tokens.output - baseline.tokens.output },
          ...(baseline.latencyP50 !== undefined && candidate.latencyP50 !== undefined ? { latencyP50: round(candidate.latencyP50 - baseline.latencyP50) } : {}),
          ...(baseline.latencyP95 !== undefined && candidate.latencyP95 !== undefined ? { latencyP95: round(candidate.latencyP95 - baseline.latencyP95) } : {}),
          errors: candidate.errors - baseline.errors,
        },
      };
    });
    return {
      runId: ids.runId, baselineRunId: ids.baselineRunId, alpha: this.opts.alpha, verdict, matchedBy: ids.matchedBy,
      matched: { rows: this.matchedRows, cells: this.matchedCells },
      unmatched: { candidate: this.unmatchedCandidate, baseline: this.unmatchedBaseline },
      evaluators, targets,
      rows: { counts: { ...this.counts }, pagination: { offset: this.opts.offset, limit: this.opts.limit, total: this.listed } },
    };
  }
}
