// What the summary says of an evaluator over repeats (repeats > 1, once the run has ended): the
// 95% interval of its pass rate and mean score, their standard errors, and the rows × targets
// whose repeats disagree. In the words the Evaluators table shows; absent parts stay absent.
import type { EvaluatorSummaryView } from '../api-types.js';
import { fmtScore } from './badges.js';

export interface RepeatFigures {
  /** "95% CI 41–92" (points of the pass rate). */
  passRateCi?: string;
  /** "95% CI 0.61–0.93" (the mean score). */
  scoreCi?: string;
  /** "±12.3 pts", "±0.05", or both with " · " between. */
  stderr?: string;
  /** Rows × targets whose repeats disagree. */
  flakyRows?: number;
}

/** A pass rate's bound in points, whole, inside 0–100 (a t-interval over few rows overshoots). */
const points = (v: number) => String(Math.round(Math.min(100, Math.max(0, v))));

export function repeatFigures(e: EvaluatorSummaryView | undefined): RepeatFigures {
  const out: RepeatFigures = {};
  if (!e) return out;
  const rate = e.ci95?.passRate;
  if (rate) out.passRateCi = `95% CI ${points(rate[0])}–${points(rate[1])}`;
  const score = e.ci95?.avgScore;
  if (score) out.scoreCi = `95% CI ${fmtScore(score[0])}–${fmtScore(score[1])}`;
  const errs = [e.stderr?.passRate !== undefined ? `±${e.stderr.passRate.toFixed(1)} pts` : '', e.stderr?.avgScore !== undefined ? `±${fmtScore(e.stderr.avgScore)}` : ''].filter(Boolean);
  if (errs.length > 0) out.stderr = errs.join(' · ');
  if (e.flakyRows !== undefined) out.flakyRows = e.flakyRows;
  return out;
}
