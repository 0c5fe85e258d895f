import { describe, expect, it } from 'vitest';
import type { RunSummary, TargetSummary } from '../model/summary.js';
import { ESTIMATE_RUNS, estimateRun, type PastRun } from './estimate.js';

const target = (targetId: string, ok: number, cost: number, unpriced = 0, errors = 0): TargetSummary => ({
  targetId, name: targetId, passed: ok, failed: errors, errors, totalCost: cost, tokens: { input: 0, output: 0 }, ...(unpriced ? { unpricedCalls: unpriced } : {}),
});

/**
 * An evaluator's cost in a past run: a number, none (an older summary), or a cost with its
 * unpriced calls and the cells on which it was skipped (their target call failed).
 */
type EvaluatorCost = number | undefined | { cost: number; unpriced?: number; skipped?: number; errors?: number };

function past(id: string, version: number, targets: TargetSummary[], evaluatorCosts: Record<string, EvaluatorCost> = {}): PastRun {
  const cells = targets.reduce((n, t) => n + t.passed + t.failed, 0);
  const evaluators = Object.entries(evaluatorCosts).map(([evaluatorId, c]) => {
    const skipped = typeof c === 'object' ? (c.skipped ?? 0) : 0;
    const errors = typeof c === 'object' ? (c.errors ?? 0) : 0;
    const counts = { evaluatorId, passed: cells - skipped - errors, failed: 0, errors, skipped, results: cells };
    if (typeof c === 'object') return Object.assign(counts, { totalCost: c.cost }, c.unpriced ? { unpricedCalls: c.unpriced } : {});
    return c !== undefined ? Object.assign(counts, { totalCost: c }) : counts;
  });
  return { id, experimentVersion: version, summary: { targets, evaluators, totalCells: cells } as unknown as RunSummary };
}

const spec = { experimentSlug: 'x', experimentVersion: 3, rowIndices: null, sourceRowCount: 100, targetIds: ['p'], evaluatorIds: [] as string[], repeats: 1, budgetUsd: null };

describe('estimateRun', () => {
  it('prices a call from the newest runs at the current version, ignoring failed and unpriced calls', () => {
    const history = [
      past('r4', 3, [target('p', 8, 0.08, 0, 2)]), // 8 calls succeeded, 2 failed: 0.01 a call
      past('r3', 3, [target('p', 10, 0.06, 4)]), // 6 priced calls: 0.01 a call
      past('r2', 2, [target('p', 10, 5)]), // an earlier version: not used while the current one has runs
    ];
    const e = estimateRun(spec, history);
    expect(e.targets[0]).toEqual({ targetId: 'p', cells: 100, basis: 'history', costPerCell: expect.closeTo(0.01, 12), estimatedCost: expect.closeTo(1, 10), fromRuns: ['r4', 'r3'] });
    expect(e).toMatchObject({ total: 100, estimatedCost: expect.closeTo(1, 10), complete: true, evaluators: [] });
  });

  it('falls back to earlier versions and says so; takes at most ESTIMATE_RUNS runs', () => {
    const history = Array.from({ length: ESTIMATE_RUNS + 3 }, (_, i) => past(`r${i}`, 1, [target('p', 1, i < ESTIMATE_RUNS ? 0.5 : 100)]));
    const e = estimateRun(spec, history);
    expect(e.targets[0]).toMatchObject({ basis: 'older_versions', costPerCell: 0.5, fromRuns: history.slice(0, ESTIMATE_RUNS).map((r) => r.id) });
  });

  it('skips runs where the target made no successful call, and says unpriced or none', () => {
    const withAgent = { ...spec, targetIds: ['p', 'agent', 'new'] };
    const history = [past('r2', 3, [target('p', 0, 0, 0, 5), target('agent', 5, 0, 5)]), past('r1', 3, [target('p', 2, 0.2)])];
    const e = estimateRun(withAgent, history);
    expect(e.targets.map((t) => [t.targetId, t.basis, t.fromRuns])).toEqual([['p', 'history', ['r1']], ['agent', 'unpriced', ['r2']], ['new', 'none', []]]);
    expect(e.estimatedCost).toBeCloseTo(10, 10);
    expect(e.complete).toBe(false);
  });

  it('evaluators: each its cost per cell of the runs it ran in, whatever ran beside it', () => {
    const judged = { ...spec, evaluatorIds: ['judge', 'exact', 'new'], budgetUsd: 1 };
    const history = [
      past('r3', 3, [target('p', 10, 0.1)], { judge: 0.3 }),
      past('r2', 3, [target('p', 10, 0.1)], { exact: 0, judge: 0.1 }),
      // Written before evaluators' costs were kept apart: not used for them.
      past('r1', 3, [target('p', 10, 0.1)], { judge: undefined, exact: undefined }),
    ];
    const e = estimateRun(judged, history);
    expect(e.evaluators).toEqual([
      { evaluatorId: 'judge', cells: 100, basis: 'history', costPerCell: expect.closeTo(0.02, 12), estimatedCost: expect.closeTo(2, 10), fromRuns: ['r3', 'r2'] },
      { evaluatorId: 'exact', cells: 100, basis: 'history', costPerCell: 0, estimatedCost: 0, fromRuns: ['r2'] },
      { evaluatorId: 'new', cells: 100, basis: 'none', fromRuns: [] },
    ]);
    expect(e.estimatedCost).toBeCloseTo(1 + 2, 10);
    expect(e.complete).toBe(false);
    expect(e.overBudget).toBe(true);
  });

  it('evaluators: a judge whose calls had no price is unpriced, not free; one with some priced calls is a lower bound', () => {
    const judged = { ...spec, evaluatorIds: ['judge', 'exact'] };
    const unpriced = estimateRun(judged, [past('r2', 3, [target('p', 10, 0.1)], { judge: { cost: 0, unpriced: 10 }, exact: 0 })]);
    expect(unpriced.evaluators).toEqual([
      { evaluatorId: 'judge', cells: 100, basis: 'unpriced', fromRuns: ['r2'] },
      // A free check has cost 0 and no unpriced call: it costs nothing, and says so.
      { evaluatorId: 'exact', cells: 100, basis: 'history', costPerCell: 0, estimatedCost: 0, fromRuns: ['r2'] },
    ]);
    expect(unpriced.complete).toBe(false);
    const mixed = estimateRun(judged, [past('r2', 3, [target('p', 10, 0.1)], { judge: { cost: 0.05, unpriced: 5 }, exact: 0 })]);
    expect(mixed.evaluators[0]).toEqual({ evaluatorId: 'judge', cells: 100, basis: 'history', costPerCell: expect.closeTo(0.005, 12), estimatedCost: expect.closeTo(0.5, 10), fromRuns: ['r2'] });
    expect(mixed.complete).toBe(false);
    const priced = estimateRun(judged, [past('r2', 3, [target('p', 10, 0.1)], { judge: 0.05, exact: 0 })]);
    expect(priced.complete).toBe(true);
  });

  it('evaluators: runs where a judge was skipped on every cell say nothing of its cost; skipped cells do not dilute it', () => {
    // Every target call failed: the judge made no call, and its $0 is not a price.
    const judged = { ...spec, evaluatorIds: ['judge'] };
    const neverRan = estimateRun(judged, [past('r1', 3, [target('p', 0, 0, 0, 10)], { judge: { cost: 0, skipped: 10 } })]);
    expect(neverRan.evaluators).toEqual([{ evaluatorId: 'judge', cells: 100, basis: 'none', fromRuns: [] }]);
    expect(neverRan.complete).toBe(false);
    // Half the target calls failed: $0.05 over the 5 cells it judged is $0.01 a cell.
    const half = estimateRun(judged, [past('r2', 3, [target('p', 5, 0.05, 0, 5)], { judge: { cost: 0.05, skipped: 5 } })]);
    expect(half.evaluators[0]).toEqual({ evaluatorId: 'judge', cells: 100, basis: 'history', costPerCell: expect.closeTo(0.01, 12), estimatedCost: expect.closeTo(1, 10), fromRuns: ['r2'] });
  });

  it('evaluators: a judge whose every call errored (no key for its model) says nothing of its cost either', () => {
    const judged = { ...spec, evaluatorIds: ['judge'] };
    const noKey = estimateRun(judged, [past('r1', 3, [target('p', 10, 0.1)], { judge: { cost: 0, errors: 10 } })]);
    expect(noKey.evaluators).toEqual([{ evaluatorId: 'judge', cells: 100, basis: 'none', fromRuns: [] }]);
    expect(noKey.complete).toBe(false);
    // Errors on half its cells: the other half's cost, per cell they judged.
    const half = estimateRun(judged, [past('r2', 3, [target('p', 10, 0.1)], { judge: { cost: 0.05, errors: 5 } })]);
    expect(half.evaluators[0]).toMatchObject({ basis: 'history', costPerCell: expect.closeTo(0.01, 12) });
  });

  it("without history: a priced prompt target's figure (at most with maxTokens, at least without), checks that call no model at $0", () => {
    const both = { ...spec, targetIds: ['capped', 'open', 'unknown', 'p'], evaluatorIds: ['exact', 'judge'] };
    const prices = new Map([
      ['capped', { rowsSampled: 100, inputTokensPerCell: 20, outputTokensPerCell: 50, costPerCell: 0.00003 }],
      ['open', { rowsSampled: 100, inputTokensPerCell: 20, costPerCell: 0.000003 }],
      // Rendered, but the model has no price: no figure.
      ['unknown', { rowsSampled: 100, inputTokensPerCell: 20 }],
      // History wins over prices: what was paid includes what prices cannot know.
      ['p', { rowsSampled: 100, inputTokensPerCell: 20, outputTokensPerCell: 50, costPerCell: 1 }],
    ]);
    const e = estimateRun(both, [past('r1', 3, [target('p', 10, 0.1)])], { prices, noModel: new Set(['exact']) });
    expect(e.targets).toEqual([
      { targetId: 'capped', cells: 100, basis: 'prices', costPerCell: 0.00003, estimatedCost: expect.closeTo(0.003, 12), fromRuns: [], inputTokensPerCell: 20, outputTokensPerCell: 50, rowsSampled: 100 },
      { targetId: 'open', cells: 100, basis: 'prices_input', costPerCell: 0.000003, estimatedCost: expect.closeTo(0.0003, 12), fromRuns: [], inputTokensPerCell: 20, rowsSampled: 100 },
      { targetId: 'unknown', cells: 100, basis: 'none', fromRuns: [] },
      { targetId: 'p', cells: 100, basis: 'history', costPerCell: 0.01, estimatedCost: 1, fromRuns: ['r1'] },
    ]);
    expect(e.evaluators).toEqual([
      { evaluatorId: 'exact', cells: 400, basis: 'no_model', costPerCell: 0, estimatedCost: 0, fromRuns: [] },
      { evaluatorId: 'judge', cells: 400, basis: 'none', fromRuns: [] },
    ]);
    expect(e.complete).toBe(false);
    // Only parts with a figure, none of them a lower bound: complete.
    const capped = estimateRun({ ...spec, targetIds: ['capped'], evaluatorIds: ['exact'] }, [], { prices, noModel: new Set(['exact']) });
    expect(capped.complete).toBe(true);
    expect(estimateRun({ ...spec, targetIds: ['open'] }, [], { prices }).complete).toBe(false);
  });
});
