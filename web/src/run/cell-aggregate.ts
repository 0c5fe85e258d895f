// Each evaluator's verdict over a cell's repeats, as a grid cell's badge shows it: passed of the
// repeats it judged. Skipped repeats are not judged: they count in neither figure, and an
// evaluator that skipped every repeat reads "skipped", never "0/3" (which reads as none passed).
import { type BadgeStatus, evalStatus } from './badges.js';
import type { RepeatView } from './cell-views.js';

export interface Aggregate {
  id: string;
  status: BadgeStatus;
  /** Judged repeats that passed (or were scored without a verdict). */
  passed: number;
  /** Judged repeats: processed or errored, not skipped. */
  n: number;
  /** Repeats the evaluator skipped. */
  skipped: number;
  /** Mean score over the repeats that have one. */
  score?: number;
  label?: string;
}

/** Each evaluator's aggregate over `repeats` (only `only`'s when set), in first-seen order. */
export function aggregate(repeats: RepeatView[], only: string | null): Aggregate[] {
  const by = new Map<string, { statuses: BadgeStatus[]; scores: number[]; label?: string }>();
  for (const r of repeats) {
    for (const e of r.evaluations) {
      if (only !== null && e.evaluatorId !== only) continue;
      let a = by.get(e.evaluatorId);
      if (!a) by.set(e.evaluatorId, (a = { statuses: [], scores: [] }));
      a.statuses.push(evalStatus(e));
      if (e.score !== undefined) a.scores.push(e.score);
      if (e.label !== undefined) a.label = e.label;
    }
  }
  return [...by].map(([id, a]) => {
    const has = (s: BadgeStatus) => a.statuses.includes(s);
    const status: BadgeStatus = has('error') ? 'error' : has('failed') ? 'failed' : has('passed') ? 'passed' : has('scored') ? 'scored' : 'skipped';
    const skipped = a.statuses.filter((s) => s === 'skipped').length;
    const out: Aggregate = { id, status, passed: a.statuses.filter((s) => s === 'passed' || s === 'scored').length, n: a.statuses.length - skipped, skipped };
    if (a.scores.length > 0) out.score = a.scores.reduce((x, y) => x + y, 0) / a.scores.length;
    if (a.label !== undefined) out.label = a.label;
    return out;
  });
}
