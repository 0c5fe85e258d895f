// One row's values for a comparison or the repeats' statistics: per target its first cell and
// per evaluator the verdicts and scores summed over repeats. Kept apart from the fold and the
// spread (fold.ts, repeats.ts), which need the statistics packages: the results pages count
// repeats with these alone, and those packages are loaded only when a comparison or the end of
// a run with repeats needs them (issue 17, docs/benchmarks.md "Memory").
import type { CellResult } from '../model/run.js';

/** One evaluator's results on one row × target, summed over repeats. */
export interface EvalValues {
  passSum: number;
  passN: number;
  scoreSum: number;
  scoreN: number;
}

/** One row (one occurrence of it) of one run: per target, its first cell and per-evaluator values. */
export interface RowValues {
  rowIndex: number;
  targets: Map<string, { cell: number; evals: Map<string, EvalValues> }>;
}

/** The cell fields a comparison reads (outputs excluded). */
export type ComparedCell = Pick<CellResult, 'cell' | 'rowIndex' | 'targetId' | 'repeat' | 'ok' | 'durationMs' | 'cost' | 'tokens' | 'evaluations'>;

/**
 * Adds one cell to its row's values. A cell whose target failed counts as a failing verdict
 * for each evaluator that applies to its target (as the run summary counts it).
 */
export function addCell(row: RowValues, c: ComparedCell, applicable: (targetId: string) => readonly string[]): void {
  let t = row.targets.get(c.targetId);
  if (!t) row.targets.set(c.targetId, (t = { cell: c.cell, evals: new Map() }));
  const values = (id: string) => {
    let v = t.evals.get(id);
    if (!v) t.evals.set(id, (v = { passSum: 0, passN: 0, scoreSum: 0, scoreN: 0 }));
    return v;
  };
  if (!c.ok) {
    for (const id of applicable(c.targetId)) values(id).passN++;
    return;
  }
  for (const e of c.evaluations) {
    const r = e.result;
    if (r.status === 'skipped') continue;
    const v = values(e.evaluatorId);
    if (r.status === 'error') v.passN++;
    else {
      if (r.passed !== undefined) {
        v.passN++;
        if (r.passed) v.passSum++;
      }
      if (r.score !== undefined && Number.isFinite(r.score)) {
        v.scoreSum += r.score;
        v.scoreN++;
      }
    }
  }
}

/** The repeats of one row × target for one evaluator. */
export interface RepeatCounts {
  /** Repeats that gave a verdict (an error or a failed target counts as failing). */
  n: number;
  passed: number;
  /** pass@k: at least one repeat passed. */
  passAtK: boolean;
  /** pass^k: every repeat passed. */
  passHatK: boolean;
}

/** The repeat counts of one row × target × evaluator from its summed values. */
export function repeatCounts(v: EvalValues): RepeatCounts {
  return { n: v.passN, passed: v.passSum, passAtK: v.passSum > 0, passHatK: v.passN > 0 && v.passSum === v.passN };
}
