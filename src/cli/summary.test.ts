// The end-of-run summary's cost, as `assay run` prints it and as its Markdown report writes it:
// calls without a known price make it "at least", or unknown, never a $0 that reads as free.
import { describe, expect, it } from 'vitest';
import type { RunSummary } from '../client/index.js';
import { markdownReport } from './compare.js';
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
    expect(targetLine(text, 'agent')).toMatch(/\$0\.0000$/);
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
