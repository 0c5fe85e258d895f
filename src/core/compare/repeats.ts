// Repeats as statistics (execution.repeats > 1): per evaluator the spread over rows (the counts
// of one row × target's repeats are in row-values.ts) — the
// standard error and 95% interval of the pass rate and mean score, with repeats averaged per
// row first (rows, not repeats, are the independent samples), and the rows whose repeats
// disagree (flaky).
import type { EvaluatorSummary } from '../model/summary.js';
import type { EvalValues } from './row-values.js';
import { meanCI95 } from './stats.js';

type Spread = Pick<EvaluatorSummary, 'stderr' | 'ci95' | 'flakyRows'>;

const round = (n: number) => Math.round(n * 1e8) / 1e8;

export class RepeatSpread {
  private readonly byEvaluator = new Map<string, { pass: number[]; score: number[]; flaky: number }>();

  /** One row × target: its evaluators' values summed over repeats. */
  add(evals: ReadonlyMap<string, EvalValues>): void {
    for (const [id, v] of evals) {
      let acc = this.byEvaluator.get(id);
      if (!acc) this.byEvaluator.set(id, (acc = { pass: [], score: [], flaky: 0 }));
      if (v.passN > 0) {
        acc.pass.push((v.passSum / v.passN) * 100);
        if (v.passSum > 0 && v.passSum < v.passN) acc.flaky++;
      }
      if (v.scoreN > 0) acc.score.push(v.scoreSum / v.scoreN);
    }
  }

  /** The spread of `evaluatorId`; flakyRows 0 when it never gave a verdict. */
  of(evaluatorId: string): Spread {
    const acc = this.byEvaluator.get(evaluatorId);
    if (!acc) return { flakyRows: 0 };
    const pass = meanCI95(acc.pass, [0, 100]), score = meanCI95(acc.score);
    const pair = (ci: [number, number] | null) => (ci ? ([round(ci[0]), round(ci[1])] as [number, number]) : undefined);
    const stderr = { ...(pass.stderr !== null ? { passRate: round(pass.stderr) } : {}), ...(score.stderr !== null ? { avgScore: round(score.stderr) } : {}) };
    const ci95 = { ...(pair(pass.ci95) ? { passRate: pair(pass.ci95)! } : {}), ...(pair(score.ci95) ? { avgScore: pair(score.ci95)! } : {}) };
    return {
      flakyRows: acc.flaky,
      ...(Object.keys(stderr).length > 0 ? { stderr } : {}),
      ...(Object.keys(ci95).length > 0 ? { ci95 } : {}),
    };
  }
}
