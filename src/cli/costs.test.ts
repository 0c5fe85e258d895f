// Costs as `assay run` prints them, seen by a new user: a gpt-4o-mini run's fraction of a cent
// with its digits (not $0.0000), a failed run's cost as unknown (not $0.0000), and code targets
// as free (not "cost unknown … leaves out N target calls" on every run of one).
import { describe, expect, it } from 'vitest';
import type { RunSummary } from '../client/index.js';
import { usd } from './costs.js';
import { markdownReport } from './markdown-report.js';
import { formatSummary } from './summary.js';

type Target = RunSummary['targets'][number];
const target = (id: string, over: Partial<Target> = {}): Target => Object.assign({ targetId: id, name: id, passed: 3, failed: 0, errors: 0, avgLatency: 10, totalCost: 0, tokens: { input: 0, output: 0 } }, over);
const summary = (targets: Target[], over: Partial<RunSummary> = {}): RunSummary => Object.assign({
  runId: 'run_1', totalCells: 3, completedCells: 3, failedCells: 0, duration: 1_000, timestamps: { startedAt: 0, finishedAt: 1_000 }, runUrl: 'http://x/run_1',
  totalPassed: 3, totalFailed: 0, passRate: 100, totalCost: 0, targetCost: 0, evaluatorCost: 0, targets, evaluators: [],
}, over);
const lineOf = (text: string, name: string) => text.split('\n').find((l) => l.trimStart().startsWith(`${name} `));

describe('dollars', () => {
  it('writes a fraction of a cent with two significant digits, as the run page does', () => {
    expect(usd(0.00071)).toBe('$0.00071');
    expect(usd(0.0000033)).toBe('$0.0000033');
    expect(usd(0.002)).toBe('$0.0020');
    expect(usd(0.0123)).toBe('$0.0123');
    expect(usd(12.345)).toBe('$12.35');
    expect(usd(0)).toBe('$0');
  });

  it('never prints $0.0000 for a gpt-4o-mini run that cost $0.00071', () => {
    const s = summary([target('mini', { name: 'gpt-4o-mini', totalCost: 0.00071 })], { totalCost: 0.00071, targetCost: 0.00071 });
    const text = formatSummary('completed', s, 'http://x/run_1');
    expect(text).toContain('cost $0.00071');
    expect(lineOf(text, 'gpt-4o-mini')).toMatch(/ \$0\.00071$/);
    expect(text).not.toContain('$0.0000');
    expect(markdownReport('run_1', 'completed', s, undefined, 'http://x/run_1')).toContain('| 3 | 3 | 0 | — (no evaluators) | $0.00071 | 1.0 s |');
  });
});

describe('a run whose target calls all failed', () => {
  it('has an unknown cost, as a successful run of the same target has, never $0', () => {
    const failed = summary([target('agent', { passed: 0, failed: 3, errors: 3 })], { totalPassed: 0, totalFailed: 3, passRate: 0, completedCells: 0, failedCells: 3 });
    const text = formatSummary('failed', failed, 'http://x/run_1');
    expect(text).toContain('cost unknown');
    expect(lineOf(text, 'agent')).toMatch(/ -$/);
    expect(text).not.toMatch(/\$0(\.0+)?\b/);
    expect(markdownReport('run_1', 'failed', failed, undefined, 'http://x/run_1')).toContain('| unknown |');
    // The same target when its calls succeed (an HTTP target reports no cost).
    const ok = formatSummary('completed', summary([target('agent', { unpricedCalls: 3 })], { unpricedCalls: 3 }), 'http://x/run_1');
    expect(ok).toContain('cost unknown');
    expect(lineOf(ok, 'agent')).toMatch(/ -$/);
  });
});

describe('code targets', () => {
  const code = target('baseline', { name: 'Keyword baseline', unpricedCalls: 3 });
  const http = target('bot', { name: 'FAQ bot', unpricedCalls: 3 });

  it('are free: $0, and not counted among the calls with no known price', () => {
    const text = formatSummary('completed', summary([code], { unpricedCalls: 3 }), 'http://x/run_1', new Set(['baseline']));
    expect(text).toContain('cost $0');
    expect(text).not.toContain('unknown');
    expect(text).not.toContain('leaves out');
    expect(lineOf(text, 'Keyword baseline')).toMatch(/ \$0$/);
    // Even when their calls failed: they cost nothing either way.
    const failed = formatSummary('failed', summary([target('baseline', { passed: 0, failed: 3, errors: 3 })]), 'http://x/run_1', new Set(['baseline']));
    expect(failed).toContain('cost $0');
  });

  it('leave out only the other targets\' unpriced calls, named without "code"', () => {
    const s = summary([http, code], { totalCells: 6, unpricedCalls: 6 });
    const text = formatSummary('completed', s, 'http://x/run_1', new Set(['baseline']));
    expect(text).toContain('cost unknown');
    expect(text).toContain('cost leaves out 3 target calls with no known price (a model without one, or an HTTP target)');
    expect(lineOf(text, 'FAQ bot')).toMatch(/ -$/);
    expect(lineOf(text, 'Keyword baseline')).toMatch(/ \$0$/);
    expect(markdownReport('run_1', 'completed', s, undefined, 'http://x/run_1', new Set(['baseline']))).toContain('Cost leaves out 3 target calls');
  });

  it('are counted as before when the server did not say which targets are code', () => {
    const text = formatSummary('completed', summary([code], { unpricedCalls: 3 }), 'http://x/run_1');
    expect(text).toContain('cost unknown');
    expect(text).toContain('cost leaves out 3 target calls with no known price (a model without one, an HTTP or code target)');
  });
});
