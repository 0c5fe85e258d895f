// The header's figures and the per-target and per-evaluator aggregates, worked out from the
// model (the summary gives only part of them: no latencies, no errored cells). Pure functions.
import { type RepeatView, repeatVerdict } from './cell-views.js';
import type { RunModel } from './run-model.js';

export interface TargetStats {
  targetId: string;
  name: string;
  cells: number;
  passed: number;
  failed: number;
  errors: number;
  /** USD of this target's calls whose cost is known; absent when none is (a model without a price, an HTTP or code target). */
  cost?: number;
  /** Calls of this target that answered with no known cost: `cost` leaves them out. */
  costUnknown: number;
  /** Tokens its calls reported; absent when none did (HTTP and code targets report none), which is not 0. */
  tokens?: TokenCounts;
  latencyP50?: number;
  latencyP95?: number;
}

/** Input and output tokens, as a cell reports them. */
export interface TokenCounts {
  input: number;
  output: number;
}

/** `sum` plus `more`: a sum of known counts stays unknown until one is known. */
export function addTokens(sum: TokenCounts | undefined, more: TokenCounts): TokenCounts {
  return { input: (sum?.input ?? 0) + more.input, output: (sum?.output ?? 0) + more.output };
}

export interface EvaluatorStats {
  evaluatorId: string;
  name: string;
  passed: number;
  failed: number;
  errors: number;
  skipped: number;
  /** SPEC §5: counted (processed or error) results that did not fail, in percent. */
  passRate?: number;
  avgScore?: number;
  scores: number[];
  /** USD of its results whose cost is known (a judge's calls); absent when none is. */
  cost?: number;
  /** Its model calls with no known cost (a judge on a model without a price): `cost` leaves them out. */
  costUnknown: number;
}

export interface RunStats {
  /** Taken from the run's summary while its results load: errored cells and latencies are not known. */
  provisional?: boolean;
  /** Cells (repeats) with a target result. */
  done: number;
  passed: number;
  /** Cells that did not pass: a target error, a failed or an errored evaluator. */
  failed: number;
  /** Cells with a target error or an evaluator error. */
  errored: number;
  /**
   * Cells that passed over cells done, in percent; absent while none is done and when no
   * evaluator judged a cell (the run has none, or every one skipped every result): a cell then
   * "passes" because its target answered, and the page shows "—" (core/model/summary-judged.ts).
   */
  passRate?: number;
  /**
   * USD of the calls (targets and evaluators) whose cost is known; absent when none is, which
   * is not $0. An evaluator without a cost is not counted as unknown (most never call a model);
   * its model calls without one are (evaluatorCostUnknown).
   */
  cost?: number;
  /** Target calls that answered with no known cost: `cost` leaves them out. */
  costUnknown: number;
  /** Evaluators' model calls with no known cost: `cost` leaves them out too. */
  evaluatorCostUnknown: number;
  /** Tokens of the target calls that reported any; absent when none did, which is not 0. */
  tokens?: TokenCounts;
  latencyP50?: number;
  latencyP95?: number;
  /** Durations of the target calls that succeeded, ms (as per target: an error's time says little about the target). */
  latencies: number[];
  targets: TargetStats[];
  evaluators: EvaluatorStats[];
}

/** Nearest-rank percentile of ascending values. */
export function percentile(sorted: number[], p: number): number | undefined {
  if (sorted.length === 0) return undefined;
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length - 1, Math.max(0, rank - 1))];
}

const hasError = (r: RepeatView) => r.error !== undefined || r.evaluations.some((e) => e.status === 'error');

export function computeStats(model: RunModel): RunStats {
  const byTarget = new Map<string, TargetStats & { latencies: number[] }>();
  for (const t of model.targets) {
    byTarget.set(t.id, { targetId: t.id, name: t.name, cells: 0, passed: 0, failed: 0, errors: 0, costUnknown: 0, latencies: [] });
  }
  const byEvaluator = new Map<string, EvaluatorStats & { counted: number; notFailing: number; scoreSum: number }>();
  for (const [id, name] of model.evaluators) {
    byEvaluator.set(id, { evaluatorId: id, name, passed: 0, failed: 0, errors: 0, skipped: 0, scores: [], costUnknown: 0, counted: 0, notFailing: 0, scoreSum: 0 });
  }
  const stats: RunStats = { done: 0, passed: 0, failed: 0, errored: 0, costUnknown: 0, evaluatorCostUnknown: 0, latencies: [], targets: [], evaluators: [] };
  for (const row of model.rows.values()) {
    for (const cell of row.cells.values()) {
      const t = byTarget.get(cell.targetId);
      for (const r of cell.repeats) {
        if (!r?.done) continue;
        const verdict = repeatVerdict(r);
        stats.done++;
        if (verdict === 'passed') stats.passed++;
        else stats.failed++;
        if (hasError(r)) stats.errored++;
        // Only what is known adds up: a missing cost is unknown (the drawer's "—"), not $0.
        if (r.cost !== undefined) stats.cost = (stats.cost ?? 0) + r.cost;
        for (const e of r.evaluations) {
          if (e.cost !== undefined) stats.cost = (stats.cost ?? 0) + e.cost;
          stats.evaluatorCostUnknown += e.unpricedCalls ?? 0;
        }
        const unpriced = r.cost === undefined && r.error === undefined;
        if (unpriced) stats.costUnknown++;
        // Likewise tokens: a call that reported none (an HTTP or code target) adds nothing, not 0.
        if (r.tokens) stats.tokens = addTokens(stats.tokens, r.tokens);
        if (r.duration !== undefined && r.error === undefined) stats.latencies.push(r.duration);
        if (t) {
          t.cells++;
          if (verdict === 'passed') t.passed++;
          else t.failed++;
          if (r.error !== undefined) t.errors++;
          if (r.cost !== undefined) t.cost = (t.cost ?? 0) + r.cost;
          if (unpriced) t.costUnknown++;
          if (r.tokens) t.tokens = addTokens(t.tokens, r.tokens);
          if (r.duration !== undefined && r.error === undefined) t.latencies.push(r.duration);
        }
        for (const e of r.evaluations) {
          const s = byEvaluator.get(e.evaluatorId);
          if (!s) continue;
          if (e.cost !== undefined) s.cost = (s.cost ?? 0) + e.cost;
          s.costUnknown += e.unpricedCalls ?? 0;
          if (e.status === 'skipped') {
            s.skipped++;
            continue;
          }
          s.counted++;
          if (e.status === 'error') s.errors++;
          else if (e.passed === false) s.failed++;
          else {
            if (e.passed === true) s.passed++;
            s.notFailing++;
          }
          if (e.status === 'processed' && e.score !== undefined) {
            s.scores.push(e.score);
            s.scoreSum += e.score;
          }
        }
      }
    }
  }
  // As the summary's nothingJudged (core/model/summary-judged.ts): no evaluator, or each skipped
  // all it had, judged no cell; an evaluator with no result yet (its cells' targets failed) did not skip.
  const judged = [...byEvaluator.values()].some((e) => !(e.skipped > 0 && e.counted === 0));
  stats.passRate = stats.done > 0 && judged ? (stats.passed / stats.done) * 100 : undefined;
  const sorted = [...stats.latencies].sort((a, b) => a - b);
  stats.latencyP50 = percentile(sorted, 50);
  stats.latencyP95 = percentile(sorted, 95);
  stats.targets = [...byTarget.values()].map(({ latencies, ...t }) => {
    latencies.sort((a, b) => a - b);
    return { ...t, latencyP50: percentile(latencies, 50), latencyP95: percentile(latencies, 95) };
  });
  stats.evaluators = [...byEvaluator.values()].map(({ counted, notFailing, scoreSum, ...e }) => ({
    ...e,
    // No verdict at all (a score-only evaluator, or every result skipped): "—", as from the summary.
    passRate: counted > 0 && e.passed + e.failed + e.errors > 0 ? (notFailing / counted) * 100 : undefined,
    avgScore: e.scores.length > 0 ? scoreSum / e.scores.length : undefined,
  }));
  return stats;
}
