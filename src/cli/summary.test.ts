// The end-of-run summary's cost, as `assay run` prints it and as its Markdown report writes it:
// calls without a known price make it "at least", or unknown, never a $0 that reads as free;
// and a comparison's per-evaluator cost, in a column only when some evaluator had one.
import { describe, expect, it } from 'vitest';
import type { Comparison, RunSummary } from '../client/index.js';
import { formatComparison, markdownReport } from './compare.js';
import { verdict } from './run-report.js';
import { formatSummary, gateLines } from './summary.js';

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

describe('a run that judged nothing', () => {
  const silent = { evaluatorId: 'silent', name: 'Silent', passed: 0, failed: 0, errors: 0, skipped: 4, passRate: 100, results: 4 };

  it('prints no pass rate for a run with no evaluators, and gates it on its failed cells', () => {
    const text = formatSummary('completed', summary(), 'http://x/run_1', undefined, { gate: gateLines('completed', summary(), undefined, false), warnings: [] });
    expect(text).toContain('pass rate — (no evaluators)');
    expect(text).not.toContain('100.0%');
    expect(text).toContain('gate: no failed cell (no evaluators: a cell fails when its target call failed) met');
    expect(verdict('completed', summary(), undefined)).toBe(0);
    expect(markdownReport('run_1', 'completed', summary(), undefined, 'http://x/run_1')).toContain('| 4 | 4 | 0 | — (no evaluators) |');

    const broken = summary({ totalPassed: 3, totalFailed: 1, passRate: 75, failedCells: 1, completedCells: 3 });
    expect(gateLines('completed', broken, undefined, false)).toEqual(['gate: 1 failed cell (no evaluators: a cell fails when its target call failed) NOT met']);
    expect(verdict('completed', broken, undefined)).toBe(1);
  });

  it('does not meet a pass-rate gate (--fail-under, the threshold) with no evaluators', () => {
    expect(verdict('completed', summary(), 50)).toBe(1);
    expect(gateLines('completed', summary(), 50, false)).toEqual(['gate: NOT met — the run has no evaluators — nothing was judged, so it has no pass rate to hold to --fail-under 50%']);
    const threshold = summary({ threshold: { passRate: 90, met: true } });
    expect(verdict('completed', threshold, undefined)).toBe(1);
    expect(gateLines('completed', threshold, undefined, false)[0]).toContain("no pass rate to hold to the experiment's threshold (pass rate ≥ 90%)");
  });

  it('prints no pass rate when every evaluator skipped every cell (and the gate stays "no verdict")', () => {
    const s = summary({ evaluators: [silent] });
    expect(formatSummary('completed', s, 'http://x/run_1')).toContain('pass rate — (nothing judged)');
    expect(gateLines('completed', s, undefined, false)[0]).toContain('no verdict: every evaluator skipped every cell');
    expect(verdict('completed', s, undefined)).toBe(1);
  });

  it('prints the pass rate when an evaluator judged', () => {
    const exact = { ...silent, evaluatorId: 'exact', name: 'Exact', passed: 3, failed: 1, skipped: 0, passRate: 75 };
    const s = summary({ evaluators: [exact], totalPassed: 3, totalFailed: 1, passRate: 75 });
    expect(formatSummary('completed', s, 'http://x/run_1')).toContain('pass rate 75.0%');
    expect(gateLines('completed', s, 50, false)).toEqual(['gate: pass rate 75.0% ≥ 50% (--fail-under) met']);
  });
});

describe('the duration of a resumed run', () => {
  const line = (s: RunSummary) => formatSummary('completed', s, 'http://x/run_1').split('\n').find((l) => l.includes('duration'))!;

  it('says how long it ran when the pauses were material (over 1 s and 10%)', () => {
    const resumed = summary({ duration: 167_000, runningTime: 2_000, timestamps: { startedAt: 0, finishedAt: 167_000 } });
    expect(line(resumed)).toContain('duration 167.0 s since start (2.0 s running)  cost $0.0123');
    expect(markdownReport('run_1', 'completed', resumed, undefined, 'http://x/run_1')).toContain('| $0.0123 | 167.0 s (2.0 s running) |');
  });

  it('says the duration alone otherwise: never resumed, a short pause, or a summary without runningTime', () => {
    // 0.9 s stopped of 2 s: not over 1 s. 1.5 s stopped of 60 s: not over 10%. Resumed all the same: "since start".
    expect(line(summary({ runningTime: 1_100 }))).toContain('duration 2.0 s since start  cost');
    expect(line(summary({ duration: 60_000, runningTime: 58_500 }))).toContain('duration 60.0 s since start  cost');
    // A server before runningTime: whether it was resumed is unknown, so the duration says what it counts.
    expect(line(summary())).toContain('duration 2.0 s since start  cost');
    expect(markdownReport('run_1', 'completed', summary({ runningTime: 2_000 }), undefined, 'http://x/run_1')).toContain('| $0.0123 | 2.0 s |');
  });

  it('says "since start" only for a run that was resumed: one never resumed ran all its duration', () => {
    expect(line(summary({ runningTime: 2_000 }))).toContain('duration 2.0 s  cost');
    expect(markdownReport('run_1', 'completed', summary({ runningTime: 2_000 }), undefined, 'http://x/run_1')).toContain('| cells | passed | failed | pass rate | cost | duration |\n');
    expect(markdownReport('run_1', 'completed', summary({ runningTime: 1_100 }), undefined, 'http://x/run_1')).toContain('| cost | duration since start |\n');
  });
});
