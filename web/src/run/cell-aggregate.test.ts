// Repeats in a grid cell: each evaluator's badge counts passed of the repeats it judged, a
// skipped evaluator reads skipped (not "0/3"), and "Flaky only" keeps the cells whose repeats disagree.
import { describe, expect, it } from 'vitest';
import type { ResultCell, ResultEvaluation } from '../api-types.js';
import { aggregate } from './cell-aggregate.js';
import { RunModel } from './run-model.js';
import { DEFAULT_VIEW, deriveGrid } from './run-view.js';

const cell = (index: number, repeat: number): ResultCell => ({
  index, targetId: 'a', repeat, entry: { q: `q${index}` }, predicted: { output: 'out' }, cost: 0, duration: 5, tokens: { input: 1, output: 1 }, attempts: 1, cached: false, error: null,
});
const evaluation = (index: number, repeat: number, evaluator: string, over: Partial<ResultEvaluation>): ResultEvaluation => ({
  evaluator, name: evaluator, targetId: 'a', index, repeat, status: 'processed', passed: true, score: null, label: null, details: null, cost: null, duration: 1, ...over,
});

/** Row 0: every repeat passes, `opt` skips all three. Row 1: the second repeat fails (flaky), `opt` skips one. */
function model(): RunModel {
  const m = new RunModel();
  m.setTargets([{ id: 'a', name: 'A', type: 'code', model: null }]);
  const cells = [0, 1].flatMap((i) => [0, 1, 2].map((r) => cell(i, r)));
  const evals = [0, 1].flatMap((i) =>
    [0, 1, 2].flatMap((r) => [
      evaluation(i, r, 'exact', { passed: !(i === 1 && r === 1) }),
      evaluation(i, r, 'opt', i === 0 || r === 0 ? { status: 'skipped', passed: null } : { passed: true }),
    ]),
  );
  m.mergeResults(cells, evals);
  return m;
}

describe('aggregate over repeats', () => {
  it('counts passed of the judged repeats; an evaluator that skipped all reads skipped with no count', () => {
    const m = model();
    const row0 = m.rows.get(0)!.cells.get('a')!.repeats;
    expect(aggregate(row0, null)).toEqual([
      { id: 'exact', status: 'passed', passed: 3, n: 3, skipped: 0 },
      { id: 'opt', status: 'skipped', passed: 0, n: 0, skipped: 3 },
    ]);
    const row1 = m.rows.get(1)!.cells.get('a')!.repeats;
    expect(aggregate(row1, 'opt')).toEqual([{ id: 'opt', status: 'passed', passed: 2, n: 2, skipped: 1 }]);
    expect(aggregate(row1, 'exact')).toEqual([{ id: 'exact', status: 'failed', passed: 2, n: 3, skipped: 0 }]);
  });
});

describe('"Flaky only"', () => {
  it('keeps the cells whose repeats disagree', () => {
    expect(deriveGrid(model(), DEFAULT_VIEW).rows.map((r) => r.row.index)).toEqual([0, 1]);
    expect(deriveGrid(model(), Object.assign({}, DEFAULT_VIEW, { flaky: true })).rows.map((r) => r.row.index)).toEqual([1]);
  });
});
