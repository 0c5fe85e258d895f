// The cost and token figures: a call whose cost is unknown (a model without a price) is not $0, and a
// sum that leaves such calls out says so; likewise tokens, which HTTP and code targets never report.
import { describe, expect, it } from 'vitest';
import type { ResultCell, ResultEvaluation } from '../api-types.js';
import { RunModel } from './run-model.js';
import { computeStats } from './run-stats.js';
import { statsFromSummary } from './summary-stats.js';

const cell = (index: number, targetId: string, cost: number | null, over: Partial<ResultCell> = {}): ResultCell => ({
  index, targetId, repeat: 0, entry: { q: `q${index}` }, predicted: { output: 'x' }, cost, duration: 10, tokens: { input: 3, output: 4 }, attempts: 1, cached: false, error: null, ...over,
});
const evaluation = (index: number, targetId: string, cost: number | null): ResultEvaluation => ({
  evaluator: 'judge', name: 'Judge', targetId, index, repeat: 0, status: 'processed', passed: true, score: null, label: null, details: null, cost, duration: 1,
});

function run(cells: ResultCell[], evaluations: ResultEvaluation[] = []): ReturnType<typeof computeStats> {
  const m = new RunModel();
  m.setTargets([{ id: 'priced', name: 'Priced', type: 'prompt', model: 'openai/gpt-4o-mini' }, { id: 'unpriced', name: 'Unpriced', type: 'prompt', model: 'openai/custom' }]);
  m.mergeResults(cells, evaluations);
  return computeStats(m);
}

describe('cost', () => {
  it('is unknown, not 0, when no call has a cost', () => {
    const s = run([cell(0, 'unpriced', null), cell(1, 'unpriced', null)]);
    expect(s.cost).toBeUndefined();
    expect(s.costUnknown).toBe(2);
    expect(s.targets.find((t) => t.targetId === 'unpriced')).toMatchObject({ costUnknown: 2 });
    expect(s.targets.find((t) => t.targetId === 'unpriced')!.cost).toBeUndefined();
  });

  it('adds up the known costs and counts the target calls left out', () => {
    const s = run([cell(0, 'priced', 0.0000033), cell(0, 'unpriced', null), cell(1, 'priced', 0.0000033)], [evaluation(0, 'unpriced', 0.001)]);
    expect(s.cost).toBeCloseTo(0.0010066, 12);
    expect(s.costUnknown).toBe(1);
    const [priced, unpriced] = s.targets;
    expect(priced).toMatchObject({ costUnknown: 0 });
    expect(priced!.cost).toBeCloseTo(0.0000066, 12);
    expect(unpriced!.cost).toBeUndefined();
  });

  it("keeps each evaluator's known cost apart, and none known is unknown", () => {
    const s = run([cell(0, 'priced', 0.001), cell(1, 'priced', 0.001)], [evaluation(0, 'priced', 0.0002), evaluation(1, 'priced', 0.0003)]);
    expect(s.evaluators.find((e) => e.evaluatorId === 'judge')!.cost).toBeCloseTo(0.0005, 12);
    const none = run([cell(0, 'priced', 0.001)], [evaluation(0, 'priced', null)]);
    expect(none.evaluators.find((e) => e.evaluatorId === 'judge')!.cost).toBeUndefined();
  });

  it("counts a judge's model calls without a known cost, apart from the targets', per evaluator and in all", () => {
    const s = run([cell(0, 'priced', 0.001), cell(1, 'priced', 0.001)], [{ ...evaluation(0, 'priced', 0.0002), unpricedCalls: 1 }, { ...evaluation(1, 'priced', null), unpricedCalls: 2 }]);
    expect(s.cost).toBeCloseTo(0.0022, 12);
    expect([s.costUnknown, s.evaluatorCostUnknown]).toEqual([0, 3]);
    const judge = s.evaluators.find((e) => e.evaluatorId === 'judge')!;
    expect(judge.cost).toBeCloseTo(0.0002, 12);
    expect(judge.costUnknown).toBe(3);
    // From the summary while the results load: the same counts.
    const fromSummary = statsFromSummary({
      runId: 'r', totalCells: 2, completedCells: 2, failedCells: 0, duration: 1, timestamps: { startedAt: 0, finishedAt: 1 }, runUrl: 'u',
      totalPassed: 2, totalFailed: 0, passRate: 100, totalCost: 0.0022, targetCost: 0.002, evaluatorCost: 0.0002, evaluatorUnpricedCalls: 3,
      targets: [{ targetId: 'priced', name: 'Priced', passed: 2, failed: 0, errors: 0, totalCost: 0.002, tokens: { input: 1, output: 1 } }],
      evaluators: [{ evaluatorId: 'judge', name: 'Judge', passed: 2, failed: 0, errors: 0, skipped: 0, passRate: 100, totalCost: 0.0002, unpricedCalls: 3 }],
    });
    expect([fromSummary.costUnknown, fromSummary.evaluatorCostUnknown, fromSummary.evaluators[0]!.costUnknown]).toEqual([0, 3, 3]);
  });

  it('keeps a real $0 and does not count a failed call or a costless evaluator as unknown', () => {
    const s = run([cell(0, 'priced', 0), cell(1, 'priced', null, { error: 'timed out', predicted: undefined })], [evaluation(0, 'priced', null)]);
    expect(s.cost).toBe(0);
    expect(s.costUnknown).toBe(0);
    expect(s.evaluatorCostUnknown).toBe(0);
  });

  it("waits for the results when a summary says $0, which may be unknown", () => {
    const base = statsFromSummary({
      runId: 'r', totalCells: 1, completedCells: 1, failedCells: 0, duration: 1, timestamps: { startedAt: 0, finishedAt: 1 }, runUrl: 'u',
      totalPassed: 1, totalFailed: 0, passRate: 100, totalCost: 0, targetCost: 0, evaluatorCost: 0,
      targets: [{ targetId: 'unpriced', name: 'Unpriced', passed: 1, failed: 0, errors: 0, totalCost: 0, tokens: { input: 1, output: 1 } }], evaluators: [],
    });
    expect(base.cost).toBeUndefined();
    expect(base.targets[0]!.cost).toBeUndefined();
  });
});

describe('tokens', () => {
  // An HTTP or code target reports no tokens: its cells have none, which is unknown, not 0.
  const noTokens = { tokens: null };

  it('are unknown, not 0, for a target whose calls reported none, and left out of the total', () => {
    const s = run([cell(0, 'priced', 0.001), cell(1, 'priced', 0.001), cell(0, 'unpriced', null, noTokens), cell(1, 'unpriced', null, noTokens)]);
    expect(s.targets.find((t) => t.targetId === 'priced')!.tokens).toEqual({ input: 6, output: 8 });
    expect(s.targets.find((t) => t.targetId === 'unpriced')!.tokens).toBeUndefined();
    expect(s.tokens).toEqual({ input: 6, output: 8 });
  });

  it('are unknown for the whole run when no call reported any, and a real 0 stays 0', () => {
    expect(run([cell(0, 'unpriced', null, noTokens)]).tokens).toBeUndefined();
    const zero = run([cell(0, 'priced', 0, { tokens: { input: 0, output: 0 } })]);
    expect(zero.tokens).toEqual({ input: 0, output: 0 });
    expect(zero.targets[0]!.tokens).toEqual({ input: 0, output: 0 });
  });

  it('wait for the results when a summary says 0, which may be unknown', () => {
    const summary = (targets: { targetId: string; tokens: { input: number; output: number } }[]) =>
      statsFromSummary({
        runId: 'r', totalCells: targets.length, completedCells: targets.length, failedCells: 0, duration: 1, timestamps: { startedAt: 0, finishedAt: 1 }, runUrl: 'u',
        totalPassed: targets.length, totalFailed: 0, passRate: 100, totalCost: 0, targetCost: 0, evaluatorCost: 0,
        targets: targets.map((t) => ({ ...t, name: t.targetId, passed: 1, failed: 0, errors: 0, totalCost: 0 })), evaluators: [],
      });
    const mixed = summary([{ targetId: 'bot', tokens: { input: 0, output: 0 } }, { targetId: 'model', tokens: { input: 3, output: 4 } }]);
    expect(mixed.targets.map((t) => t.tokens)).toEqual([undefined, { input: 3, output: 4 }]);
    expect(mixed.tokens).toEqual({ input: 3, output: 4 });
    expect(summary([{ targetId: 'bot', tokens: { input: 0, output: 0 } }]).tokens).toBeUndefined();
  });
});
