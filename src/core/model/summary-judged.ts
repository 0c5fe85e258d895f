// Whether a run's summary judged anything: the summary keeps LangWatch's figures (a cell with no
// failing evaluator "passed", so a run with no evaluator, or whose evaluators all skipped, reads
// 100%), and what people read — the CLI's summary and gate, the run and experiment pages — asks
// here before it shows a pass rate (docs/decisions.md, "A run that judged nothing").
import type { EvaluatorSummary, RunSummary } from './summary.js';

/**
 * An evaluator that skipped every result it had: no verdict, no score, no label (an input mapped
 * to a column the rows lack, custom code that returned nothing). Its cells count as passed.
 */
export function skippedAll(e: EvaluatorSummary): boolean {
  if (e.skipped === 0 || e.passed + e.failed + e.errors > 0) return false;
  // Summaries before 2026-12-06 have no `results`: a score or a label then shows something was processed.
  return e.results !== undefined ? e.skipped === e.results : e.avgScore === undefined && e.labels === undefined;
}

/**
 * True when no evaluator judged any cell: the run has none, or every one skipped every cell. Its
 * `passRate` then counts only the cells whose target answered, and is no pass rate to show.
 */
export const nothingJudged = (summary: Pick<RunSummary, 'evaluators'>): boolean => summary.evaluators.every(skippedAll);

/** The summary's pass rate when some evaluator judged a cell; undefined ("—") when none did. */
export const judgedPassRate = (summary: Pick<RunSummary, 'evaluators' | 'passRate'>): number | undefined => (nothingJudged(summary) ? undefined : summary.passRate);
