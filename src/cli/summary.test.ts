// The end-of-run summary's cost, as `assay run` prints it and as its Markdown report writes it:
// calls without a known price make it "at least", or unknown, never a $0 that reads as free;
// and a comparison's per-evaluator cost, in a column only when some evaluator had one.
import { describe, expect, it } from 'vitest';
import type { Comparison, RunSummary } from '../client/index.js';
import { formatComparison, markdownReport } from './compare.js';
import { formatSummary } from './summary.js';

const summary = (over: Partial<RunSummary> = {}): RunSummary => ({
  runId: 'run_1', totalCells: 4, completedCells: 4, failedCells: 0, duration: 2_000,
  timestamps: { startedAt: 0, finishedAt: 2_000 }, runUrl: 'http://x/run_1',
  totalPassed: 4, totalFailed: 0, passRate: 100, totalCost: 0.0123, targetCost: 0.0123, evaluatorCost: 0,
  targets: [
    { targetId: 'gpt', name: 'gpt', passed: 2, failed: 0, errors: 0, avgLatency: 10, totalCost: 0.0123, tokens: { input: 1, output: 1 } },
    { targetId: 'agent', name: 'agent', passed: 2, failed: 0, errors: 0, avgLatency: 20, totalCost: 0, tokens: { input: 0, output: 0 } },
  ],
  evaluators: [],
  ...over,
});

const targetLine = (text: string, name: string) => text.split('\n').find((l) => l.trimStart().startsWith(`${name} `));

describe('the commonest errors', () => {
  it('lists them under the tables, who failed and why, on one line each without control characters', () => {
    const s = summary({
      topErrors: [
        { targetId: 'agent', message: 'HTTP 429 from https://agent.example: \u001b[2Jslow down', count: 12 },
        { evaluatorId: 'judge', message: 'the judge answered no JSON', count: 1 },
      ],
    });
    const text = formatSummary('completed', s, 'http://x/run_1');
    expect(text).toContain('  commonest errors\n      12 × target agent: HTTP 429 from https://agent.example: [2Jslow down\n       1 × evaluator judge: the judge answered no JSON\n');
    expect(markdownReport('run_1', 'completed', s, undefined, 'http://x/run_1')).toContain('| 12 | target agent | HTTP 429 from https://agent.example: [2Jslow down |');
    expect(formatSummary('completed', summary(), 'http://x/run_1')).not.toContain('commonest errors');
  });
});

describe('the cost in the summary', () => {
  it('prints a fully priced run as it is', () => {
    const text = formatSummary('completed', summary(), 'http://x/run_1');
    expect(text).toContain('cost $0.0123');
    // A priced call that cost nothing: $0, in the run page's format.
    expect(targetLine(text, 'agent')).toMatch(/ \$0$/);
    expect(text).not.toContain('leaves out');
  });

  it('prints "≥" and says how many calls it leaves out when some had no price', () => {
    const s = summary({ unpricedCalls: 2, targets: [summary().targets[0]!, { ...summary().targets[1]!, unpricedCalls: 2 }] });
    const text = formatSummary('completed', s, 'http://x/run_1');
    expect(text).toContain('cost ≥ $0.0123');
    expect(targetLine(text, 'gpt')).toMatch(/ \$0\.0123$/);
    expect(targetLine(text, 'agent')).toMatch(/ -$/);
    expect(text).toContain('cost leaves out 2 target calls with no known price');
    expect(markdownReport('run_1', 'completed', s, undefined, 'http://x/run_1')).toContain('| ≥ $0.0123 |');
  });

  it('prints "unknown" when no call had a price', () => {
    const s = summary({ totalCost: 0, targetCost: 0, unpricedCalls: 1, targets: [{ ...summary().targets[1]!, unpricedCalls: 1 }] });
    const text = formatSummary('completed', s, 'http://x/run_1');
    expect(text).toContain('cost unknown');
    expect(text).toContain('cost leaves out 1 target call with no known price');
    expect(markdownReport('run_1', 'completed', s, undefined, 'http://x/run_1')).toContain('| unknown |');
  });
});

describe("evaluators' cost in the summary", () => {
  const judged = (unpriced: number, cost: number) => summary({
    totalCost: 0.0123 + cost, evaluatorCost: cost, ...(unpriced ? { evaluatorUnpricedCalls: unpriced } : {}),
    evaluators: [
      { evaluatorId: 'judge', name: 'judge', passed: 4, failed: 0, errors: 0, skipped: 0, passRate: 100, totalCost: cost, ...(unpriced ? { unpricedCalls: unpriced } : {}) },
      { evaluatorId: 'exact', name: 'exact', passed: 4, failed: 0, errors: 0, skipped: 0, passRate: 100, totalCost: 0 },
    ],
  });
  const evaluatorLine = (text: string, name: string) => text.split('\n').find((l) => l.trimStart().startsWith(`${name} `) && l.includes('%'));

  it("prints each evaluator's cost, '-' for one that calls no model", () => {
    const text = formatSummary('completed', judged(0, 0.002), 'http://x/run_1');
    expect(text).toContain('cost $0.0143');
    expect(evaluatorLine(text, 'judge')).toMatch(/ \$0\.0020$/);
    expect(evaluatorLine(text, 'exact')).toMatch(/ -$/);
  });

  it("counts a judge's calls without a price: the cost is 'at least', and says what it leaves out", () => {
    const some = formatSummary('completed', judged(2, 0.002), 'http://x/run_1');
    expect(some).toContain('cost ≥ $0.0143');
    expect(some).toContain('cost leaves out 2 judge model calls with no known price');
    expect(evaluatorLine(some, 'judge')).toMatch(/ ≥ \$0\.0020$/);
    const none = formatSummary('completed', judged(4, 0), 'http://x/run_1');
    expect(evaluatorLine(none, 'judge')).toMatch(/ unknown$/);
    expect(markdownReport('run_1', 'completed', judged(2, 0.002), undefined, 'http://x/run_1')).toContain('| ≥ $0.0143 |');
  });
});

describe("a comparison's evaluator cost", () => {
  const side = (passRate: number, cost?: number) => ({ n: 10, passRate, ...(cost !== undefined ? { cost } : {}) });
  const test = { name: 'mcnemar_exact' as const, on: 'passRate' as const, pValue: 1, pValueAdjusted: 1, significant: false, ci95: null };
  const comparison = (judgeCost: boolean): Comparison => ({
    runId: 'run_2', baselineRunId: 'run_1', alpha: 0.05, verdict: 'no_significant_change', matchedBy: 'index',
    matched: { rows: 10, cells: 10 }, unmatched: { candidate: 0, baseline: 0 },
    evaluators: [
      { evaluatorId: 'judge', name: 'Judge', targetId: 'gpt', baseline: side(80, judgeCost ? 0.0012 : undefined), candidate: side(90, judgeCost ? 0.0048 : undefined), delta: { passRate: 10, ...(judgeCost ? { cost: 0.0036 } : {}) }, test },
      { evaluatorId: 'exact', name: 'Exact', targetId: 'gpt', baseline: side(50), candidate: side(50), delta: { passRate: 0 }, test },
    ],
    targets: [],
    rows: { counts: { regressed: 0, improved: 1, unchanged: 19 }, items: [], pagination: { offset: 0, limit: 100, total: 1 } },
  });

  it('shows each side of a judge that had a cost, and "-" for a check that calls no model', () => {
    const md = markdownReport('run_2', 'completed', undefined, comparison(true), 'http://x/run_2');
    expect(md).toContain('| evaluator | target | baseline | candidate | delta | p (Holm) | cost | |');
    expect(md).toContain('| Judge | gpt | 80.0% | 90.0% | +10.0 pts | 1.0000 | $0.0012 -> $0.0048 |  |');
    expect(md).toContain('| Exact | gpt | 50.0% | 50.0% | 0.0 pts | 1.0000 | - |  |');
    const text = formatComparison(comparison(true));
    expect(text).toContain('cost (baseline -> candidate)');
    expect(text.split('\n').find((l) => l.includes('Judge × gpt'))).toMatch(/ no {11}\$0\.0012 -> \$0\.0048$/);
    expect(text.split('\n').find((l) => l.includes('Exact × gpt'))).toMatch(/ -$/);
  });

  it('writes a side whose judge calls had no price as unknown, or at least its known cost', () => {
    const c = comparison(true);
    c.evaluators[0]!.baseline = { ...c.evaluators[0]!.baseline, cost: 0, unpricedCalls: 10 };
    c.evaluators[0]!.candidate = { ...c.evaluators[0]!.candidate, unpricedCalls: 1 };
    expect(markdownReport('run_2', 'completed', undefined, c, 'http://x/run_2')).toContain('| unknown -> ≥ $0.0048 |');
  });

  it('has no cost column when no evaluator had a cost', () => {
    const md = markdownReport('run_2', 'completed', undefined, comparison(false), 'http://x/run_2');
    expect(md).toContain('| evaluator | target | baseline | candidate | delta | p (Holm) | |');
    expect(md).not.toContain('cost');
    expect(formatComparison(comparison(false))).not.toContain('cost');
  });
});
