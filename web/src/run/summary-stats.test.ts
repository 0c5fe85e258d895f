// The figures a finished run's summary gives while its results load, and the evaluators it
// names that no result mentions.
import { describe, expect, it } from 'vitest';
import type { RunSummaryView } from '../api-types.js';
import { RunModel } from './run-model.js';
import { computeStats } from './run-stats.js';
import { pickerRate, statsFromSummary, withSummaryEvaluators } from './summary-stats.js';

const summary = (over: Partial<RunSummaryView> = {}): RunSummaryView => ({
  runId: 'run_1', totalCells: 40, completedCells: 38, failedCells: 2, duration: 1000,
  timestamps: { startedAt: 0, finishedAt: 1000 }, runUrl: 'http://x/default/experiments/e?runId=run_1',
  totalPassed: 30, totalFailed: 10, passRate: 75, totalCost: 0.5, targetCost: 0.4, evaluatorCost: 0.1,
  targets: [
    { targetId: 'a', name: 'A', passed: 15, failed: 5, errors: 1, avgLatency: 120, totalCost: 0.2, tokens: { input: 100, output: 50 } },
    { targetId: 'b', name: 'B', passed: 15, failed: 5, errors: 1, totalCost: 0.2, tokens: { input: 10, output: 5 } },
  ],
  evaluators: [
    { evaluatorId: 'exact', name: 'Exact', passed: 30, failed: 8, errors: 0, skipped: 2, passRate: 78.9 },
    { evaluatorId: 'judge', name: 'Judge', passed: 0, failed: 0, errors: 0, skipped: 0, passRate: 0 },
  ],
  ...over,
});

describe('statsFromSummary', () => {
  it("gives the summary's headline figures, marked provisional", () => {
    const s = statsFromSummary(summary());
    expect(s).toMatchObject({ provisional: true, passed: 30, failed: 10, passRate: 75, cost: 0.5, tokens: { input: 110, output: 55 } });
    expect(s.latencyP50).toBeUndefined();
    expect(s.targets.map((t) => [t.targetId, t.cells, t.errors])).toEqual([['a', 20, 1], ['b', 20, 1]]);
  });

  it('tells an unknown cost from $0 by the count of unpriced calls; an older summary without it waits', () => {
    const unpriced = summary({
      totalCost: 0.2, targetCost: 0.2, evaluatorCost: 0, unpricedCalls: 20,
      targets: [{ ...summary().targets[0]!, unpricedCalls: undefined }, { ...summary().targets[1]!, totalCost: 0, unpricedCalls: 20 }],
    });
    const s = statsFromSummary(unpriced);
    expect(s).toMatchObject({ cost: 0.2, costUnknown: 20 });
    expect(s.targets.map((t) => [t.cost, t.costUnknown])).toEqual([[0.2, 0], [undefined, 20]]);
    const old = statsFromSummary(summary({ totalCost: 0, targets: [{ ...summary().targets[0]!, totalCost: 0 }] }));
    expect([old.cost, old.costUnknown, old.targets[0]!.cost, old.targets[0]!.costUnknown]).toEqual([undefined, 0, undefined, 0]);
  });

  it('names evaluators as the rest of the page does: the id beside a name two share', () => {
    const twins = summary({ evaluators: [{ ...summary().evaluators[0]!, evaluatorId: 'e1', name: 'Custom Code' }, { ...summary().evaluators[0]!, evaluatorId: 'e2', name: 'Custom Code' }] });
    const m = new RunModel();
    m.nameEvaluators(twins.evaluators.map((e) => ({ id: e.evaluatorId, name: e.name })));
    expect(statsFromSummary(twins, (id) => m.evaluators.get(id)).evaluators.map((e) => e.name)).toEqual(['Custom Code (e1)', 'Custom Code (e2)']);
  });

  it('says nothing about a pass rate nothing was counted for (the summary says 0)', () => {
    expect(statsFromSummary(summary()).evaluators.map((e) => e.passRate)).toEqual([78.9, undefined]);
    expect(statsFromSummary(summary({ totalCells: 0, totalPassed: 0, totalFailed: 0, passRate: 0 })).passRate).toBeUndefined();
  });
});

describe('withSummaryEvaluators', () => {
  it("lists the summary's evaluators when no result mentions them (a run that failed early)", () => {
    const stats = withSummaryEvaluators(computeStats(new RunModel()), summary({ evaluators: summary().evaluators.slice(1) }));
    expect(stats.evaluators.map((e) => [e.evaluatorId, e.name, e.passRate])).toEqual([['judge', 'Judge', undefined]]);
    expect(stats.provisional).toBeUndefined();
  });

  it('keeps the model figures of evaluators that have results', () => {
    const m = new RunModel();
    m.mergeResults(
      [{ index: 0, targetId: 'a', repeat: 0, entry: {}, predicted: { output: 'x' }, cost: null, duration: 1, tokens: null, attempts: 1, cached: false, error: null }],
      [{ evaluator: 'exact', name: 'Exact', targetId: 'a', index: 0, repeat: 0, status: 'processed', passed: true, score: null, label: null, details: null, cost: null, duration: 1 }],
    );
    const stats = withSummaryEvaluators(computeStats(m), summary());
    expect(stats.evaluators.map((e) => [e.evaluatorId, e.passed])).toEqual([['exact', 1], ['judge', 0]]);
  });
});

describe('the pass rate of a run no evaluator judged', () => {
  const cell = (index: number, error: string | null = null) => ({
    index, targetId: 'a', repeat: 0, entry: { q: `q${index}` }, predicted: { output: 'x' }, cost: null, duration: 10, tokens: { input: 0, output: 0 }, attempts: 1, cached: false, error,
  });
  const evaluation = (index: number, status: 'processed' | 'skipped' | 'error', passed: boolean | null) => ({
    evaluator: 'exact', name: 'Exact', targetId: 'a', index, repeat: 0, status, passed, score: null, label: null, details: null, cost: null, duration: 1,
  });
  const model = (cells: ReturnType<typeof cell>[], evaluations: ReturnType<typeof evaluation>[]) => {
    const m = new RunModel();
    m.setTargets([{ id: 'a', name: 'A', type: 'code', model: null }]);
    m.mergeResults(cells, evaluations);
    return computeStats(m);
  };

  it('is "—" (absent) for a run with no evaluators, from the summary and from the results', () => {
    // The summary's 100 % counts cells whose target answered: no cell was judged.
    const s = statsFromSummary(summary({ evaluators: [], totalPassed: 40, totalFailed: 0, passRate: 100 }));
    expect(s.passRate).toBeUndefined();
    expect(s.evaluators).toEqual([]);
    const m = model([cell(0), cell(1), cell(2, 'HTTP 500')], []);
    expect(m).toMatchObject({ done: 3, passed: 2, failed: 1, evaluators: [] });
    expect(m.passRate).toBeUndefined();
  });

  it("is left out of the compare picker's label for a run that judged nothing, and shown for one that did", () => {
    expect(pickerRate(summary({ evaluators: [], passRate: 100 }))).toBe('');
    expect(pickerRate(summary())).toBe(' · 75.0%');
  });

  it('is "—" when every evaluator skipped every cell, and a figure once one judged a cell', () => {
    const silent = { evaluatorId: 'exact', name: 'Exact', passed: 0, failed: 0, errors: 0, skipped: 40, passRate: 100, results: 40 };
    expect(statsFromSummary(summary({ evaluators: [silent], passRate: 100 })).passRate).toBeUndefined();
    expect(model([cell(0), cell(1)], [evaluation(0, 'skipped', null), evaluation(1, 'skipped', null)]).passRate).toBeUndefined();

    expect(model([cell(0), cell(1)], [evaluation(0, 'skipped', null), evaluation(1, 'processed', false)]).passRate).toBeCloseTo(50);
    expect(model([cell(0), cell(1)], [evaluation(0, 'error', null), evaluation(1, 'skipped', null)]).passRate).toBeCloseTo(50);
    expect(statsFromSummary(summary()).passRate).toBe(75);
  });

  it('stays 0 % for a run whose every target failed before its evaluators ran: nothing passed', () => {
    const never = { evaluatorId: 'exact', name: 'Exact', passed: 0, failed: 0, errors: 0, skipped: 0, passRate: 0, results: 0 };
    expect(statsFromSummary(summary({ evaluators: [never], totalPassed: 0, totalFailed: 40, passRate: 0 })).passRate).toBe(0);
    const m = new RunModel();
    m.setTargets([{ id: 'a', name: 'A', type: 'code', model: null }]);
    m.setNames([], [{ id: 'exact', name: 'Exact' }]);
    m.mergeResults([cell(0, 'down'), cell(1, 'down')], []);
    expect(computeStats(m).passRate).toBe(0);
  });
});
