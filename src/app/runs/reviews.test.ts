// How a review overrides verdicts in reviewedPassRate: the cell's own review decides it, an
// evaluator's review replaces that evaluator's verdict, informational evaluators never decide.
import { describe, expect, it } from 'vitest';
import type { StoredEvaluation } from '../../core/model/run.js';
import type { StoredReview } from '../../core/review-store.js';
import { reviewedCellPassed, reviewsByCell } from './reviews.js';

const evaluation = (evaluatorId: string, result: StoredEvaluation['result']): StoredEvaluation => ({ evaluatorId, name: evaluatorId, result, durationMs: 1 });
const review = (over: Partial<StoredReview>): StoredReview => ({
  runId: 'r', rowIndex: 0, targetId: 't', repeat: 0, evaluatorId: null, verdict: 'passed', comment: null, reviewer: 'k…', reviewerKeyId: 'k', reviewedAt: 1, cells: [0], ...over,
});
const none = new Set<string>();

describe('reviewedCellPassed', () => {
  const failing = { ok: true as const, evaluations: [evaluation('a', { status: 'processed', passed: true }), evaluation('b', { status: 'processed', passed: false })] };

  it('replaces only the reviewed evaluator verdict', () => {
    expect(reviewedCellPassed(failing, reviewsByCell([]).get(0) ?? { cell: undefined, evaluators: new Map() }, none)).toBe(false);
    expect(reviewedCellPassed(failing, reviewsByCell([review({ evaluatorId: 'b' })]).get(0)!, none)).toBe(true);
    // Passing the evaluator that already passed changes nothing.
    expect(reviewedCellPassed(failing, reviewsByCell([review({ evaluatorId: 'a' })]).get(0)!, none)).toBe(false);
    // An errored evaluator reviewed as passed no longer fails the cell.
    const errored = { ok: true as const, evaluations: [evaluation('a', { status: 'error', details: 'timeout' })] };
    expect(reviewedCellPassed(errored, reviewsByCell([review({ evaluatorId: 'a' })]).get(0)!, none)).toBe(true);
  });

  it("lets the cell's own review decide, over a failed target and over evaluator reviews", () => {
    const targetFailed = { ok: false as const, evaluations: [] };
    expect(reviewedCellPassed(targetFailed, reviewsByCell([review({})]).get(0)!, none)).toBe(true);
    const both = reviewsByCell([review({ evaluatorId: 'b', verdict: 'passed' }), review({ verdict: 'failed' })]).get(0)!;
    expect(reviewedCellPassed(failing, both, none)).toBe(false);
  });

  it('keeps informational evaluators out of the decision, reviewed or not', () => {
    const informational = new Set(['b']);
    expect(reviewedCellPassed(failing, reviewsByCell([review({ evaluatorId: 'a', verdict: 'failed' })]).get(0)!, informational)).toBe(false);
    expect(reviewedCellPassed(failing, reviewsByCell([review({ evaluatorId: 'b', verdict: 'failed' })]).get(0)!, informational)).toBe(true);
  });

  it('applies a key that names a row run twice to both of its cells', () => {
    const byCell = reviewsByCell([review({ cells: [0, 6] })]);
    expect([...byCell.keys()]).toEqual([0, 6]);
  });
});
