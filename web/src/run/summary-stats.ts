// The run's figures taken from its summary (the poll body's or the `done` event's), for what the
// results pages have not brought (yet): the whole header and tables while a finished run's
// results are still loading, and evaluators the summary lists but no result mentions.
import { judgedPassRate } from '../../../src/core/model/summary-judged.js';
import type { EvaluatorSummaryView, RunSummaryView } from '../api-types.js';
import { pct } from '../lib/format.js';
import { addTokens, type EvaluatorStats, type RunStats, type TokenCounts } from './run-stats.js';

/** The name the page shows for an evaluator (RunModel.evaluatorName); the summary's own name without one. */
export type EvaluatorNamer = (id: string) => string | undefined;

function evaluatorStats(e: EvaluatorSummaryView, name?: EvaluatorNamer): EvaluatorStats {
  // The summary says 0 % when nothing was counted; the page says "—" (no verdict, not all failing).
  const counted = e.passed + e.failed + e.errors;
  return {
    evaluatorId: e.evaluatorId, name: name?.(e.evaluatorId) ?? e.name, passed: e.passed, failed: e.failed, errors: e.errors, skipped: e.skipped,
    ...(counted > 0 ? { passRate: e.passRate } : {}),
    ...(e.avgScore !== undefined ? { avgScore: e.avgScore } : {}),
    // 0 is what the summary says of an evaluator whose results had no cost: unknown on the page, as from results.
    ...(e.totalCost ? { cost: e.totalCost } : {}),
    costUnknown: e.unpricedCalls ?? 0,
    scores: [],
  };
}

/**
 * The summary's figures in the shape the page shows. Provisional: the summary has no
 * latency percentiles, no score distributions and no count of errored cells.
 */
export function statsFromSummary(s: RunSummaryView, name?: EvaluatorNamer): RunStats {
  // The summary writes no tokens as 0 (an HTTP or code target reports none): 0 may be unknown,
  // so, as for cost, it waits for the results ("…"), which tell the two apart.
  const known = (t: TokenCounts) => (t.input > 0 || t.output > 0 ? t : undefined);
  let tokens: TokenCounts | undefined;
  for (const t of s.targets) if (known(t.tokens)) tokens = addTokens(tokens, t.tokens);
  return {
    provisional: true,
    done: s.totalPassed + s.totalFailed,
    passed: s.totalPassed,
    failed: s.totalFailed,
    errored: 0,
    // No evaluator judged a cell (none, or all skipped): its 100 % is targets that answered; "—".
    ...(s.totalCells > 0 && judgedPassRate(s) !== undefined ? { passRate: s.passRate } : {}),
    // The summary's cost is a plain number that leaves out unpriced calls, which it counts
    // (unpricedCalls). A summary stored before that count existed writes an unknown cost as 0,
    // so a 0 with no count waits for the results ("…"), which tell the two apart.
    ...(s.totalCost > 0 ? { cost: s.totalCost } : {}),
    costUnknown: s.unpricedCalls ?? 0,
    evaluatorCostUnknown: s.evaluatorUnpricedCalls ?? 0,
    ...(tokens ? { tokens } : {}),
    latencies: [],
    targets: s.targets.map((t) => ({
      targetId: t.targetId, name: t.name, cells: t.passed + t.failed, passed: t.passed, failed: t.failed, errors: t.errors, ...(t.totalCost > 0 ? { cost: t.totalCost } : {}), costUnknown: t.unpricedCalls ?? 0, ...(known(t.tokens) ? { tokens: t.tokens } : {}),
    })),
    evaluators: s.evaluators.map((e) => evaluatorStats(e, name)),
  };
}

/**
 * The model's figures plus the evaluators the summary lists that no result mentions (a run
 * that failed before any evaluation still names its evaluators).
 */
export function withSummaryEvaluators(stats: RunStats, summary: RunSummaryView | undefined, name?: EvaluatorNamer): RunStats {
  const missing = summary?.evaluators.filter((e) => !stats.evaluators.some((x) => x.evaluatorId === e.evaluatorId)) ?? [];
  return missing.length === 0 ? stats : { ...stats, evaluators: [...stats.evaluators, ...missing.map((e) => evaluatorStats(e, name))] };
}

/** A baseline candidate's pass rate in the compare picker (" · 87.5%"), nothing when it judged nothing. */
export function pickerRate(summary: Pick<RunSummaryView, 'evaluators' | 'passRate'>): string {
  const rate = judgedPassRate(summary);
  return rate === undefined ? '' : ` · ${pct(rate)}`;
}
