// `--markdown FILE` (and the GitHub step summary) holds the tables the terminal prints: the
// totals, each target, each evaluator — it held only the one-line totals table.
import { describe, expect, it } from 'vitest';
import type { RunSummary } from '../client/index.js';
import { markdownReport } from './markdown-report.js';

const summary: RunSummary = {
  runId: 'run_1', totalCells: 6, completedCells: 5, failedCells: 1, duration: 2_500, timestamps: { startedAt: 0, finishedAt: 2_500 }, runUrl: 'http://x/run_1',
  totalPassed: 4, totalFailed: 2, passRate: 66.7, totalCost: 0.0042, targetCost: 0.004, evaluatorCost: 0.0002,
  targets: [
    { targetId: 'mini', name: 'gpt-4o-mini | short', passed: 2, failed: 1, errors: 1, avgLatency: 640, totalCost: 0.004, tokens: { input: 10, output: 10 } },
    { targetId: 'kw', name: 'Keyword baseline', passed: 2, failed: 1, errors: 0, avgLatency: 2, totalCost: 0, unpricedCalls: 3, tokens: { input: 0, output: 0 } },
  ],
  evaluators: [
    { evaluatorId: 'judge', name: 'Judge', passed: 3, failed: 2, errors: 0, skipped: 1, passRate: 60, avgScore: 0.61234, totalCost: 0.0002 },
    { evaluatorId: 'dist', name: 'String Distance', passed: 0, failed: 0, errors: 0, skipped: 0, passRate: 100, avgScore: 0.5, totalCost: 0 },
  ],
  unpricedCalls: 3,
};

describe('the Markdown report', () => {
  it('has a table of targets and one of evaluators, as the terminal summary', () => {
    const md = markdownReport('run_1', 'completed', summary, undefined, 'http://x/run_1', new Set(['kw']));
    expect(md).toContain('| cells | passed | failed | pass rate | cost | duration since start |\n|---:|---:|---:|---:|---:|---:|\n| 6 | 4 | 2 | 66.7% | $0.0042 | 2.5 s |');
    expect(md).toContain('| target | passed | failed | errors | avg latency | cost |\n|---|---:|---:|---:|---:|---:|\n' +
      '| gpt-4o-mini \\| short | 2 | 1 | 1 | 640 ms | $0.0040 |\n| Keyword baseline | 2 | 1 | 0 | 2 ms | $0 |\n');
    expect(md).toContain('| evaluator | passed | failed | errors | skipped | pass rate | avg score | cost |\n|---|---:|---:|---:|---:|---:|---:|---:|\n' +
      '| Judge | 3 | 2 | 0 | 1 | 60.0% | 0.612 | $0.00020 |\n| String Distance | 0 | 0 | 0 | 0 | - | 0.500 | - |\n');
    expect(md).toContain('[Open the run](http://x/run_1)');
  });
});
