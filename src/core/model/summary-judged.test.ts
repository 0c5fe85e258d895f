// Whether a summary judged anything: a run with no evaluator, or whose evaluators all skipped
// every cell, reads 100% in LangWatch's figures and has no pass rate to show.
import { describe, expect, it } from 'vitest';
import type { EvaluatorSummary } from './summary.js';
import { judgedPassRate, nothingJudged, skippedAll } from './summary-judged.js';

const evaluator = (over: Partial<EvaluatorSummary> = {}): EvaluatorSummary => ({
  evaluatorId: 'exact', name: 'Exact', passed: 0, failed: 0, errors: 0, skipped: 0, passRate: 100, results: 0, ...over,
});

describe('a summary that judged nothing', () => {
  it('has no pass rate when the run has no evaluators', () => {
    expect(nothingJudged({ evaluators: [] })).toBe(true);
    expect(judgedPassRate({ evaluators: [], passRate: 100 })).toBeUndefined();
  });

  it('has none when every evaluator skipped every cell', () => {
    const silent = evaluator({ skipped: 4, results: 4 });
    expect(skippedAll(silent)).toBe(true);
    expect(judgedPassRate({ evaluators: [silent, { ...silent, evaluatorId: 'other' }], passRate: 100 })).toBeUndefined();
  });

  it('has one when some evaluator judged: a verdict, an error, or a score', () => {
    const silent = evaluator({ skipped: 4, results: 4 });
    expect(judgedPassRate({ evaluators: [silent, evaluator({ passed: 2, failed: 2, results: 4, passRate: 50 })], passRate: 50 })).toBe(50);
    expect(judgedPassRate({ evaluators: [evaluator({ errors: 1, skipped: 3, results: 4 })], passRate: 75 })).toBe(75);
    // A score-only evaluator gives no verdict but judged: its cells passed for want of a failure.
    expect(judgedPassRate({ evaluators: [evaluator({ avgScore: 0.4, skipped: 1, results: 4 })], passRate: 100 })).toBe(100);
    // A summary before 2026-12-06 (no `results`): a score shows something was processed.
    expect(skippedAll(evaluator({ skipped: 4, results: undefined, avgScore: 0.5 }))).toBe(false);
    expect(skippedAll(evaluator({ skipped: 4, results: undefined }))).toBe(true);
  });
});
