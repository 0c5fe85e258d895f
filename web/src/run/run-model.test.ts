// The run page's model and views, in Node: results pages and events merge into one grid,
// repeats aggregate into passed/n and flaky, and the filters and sorting pick the right cells.
import { describe, expect, it } from 'vitest';
import type { ResultCell, ResultEvaluation, RunEvent } from '../api-types.js';
import { cellOutcome } from './cell-views.js';
import { RunModel } from './run-model.js';
import { computeStats, percentile } from './run-stats.js';
import { type CellChange, cellKey, DEFAULT_VIEW, deriveGrid, failedRowIndexes } from './run-view.js';

const cell = (index: number, targetId: string, over: Partial<ResultCell> = {}): ResultCell => ({
  index, targetId, repeat: 0, entry: { q: `q${index}` }, predicted: { output: `out ${index}` }, cost: 0.001, duration: 100 + index, tokens: { input: 3, output: 4 }, attempts: 1, cached: false, error: null, ...over,
});
const evaluation = (index: number, targetId: string, over: Partial<ResultEvaluation> = {}): ResultEvaluation => ({
  evaluator: 'exact', name: 'Exact', targetId, index, repeat: 0, status: 'processed', passed: true, score: null, label: null, details: null, cost: null, duration: 1, ...over,
});
let seq = 0;
const ev = (e: Record<string, unknown>) => ({ seq: ++seq, ...e }) as unknown as RunEvent;

function model(): RunModel {
  const m = new RunModel();
  m.setTargets([{ id: 'a', name: 'A', type: 'code', model: null }, { id: 'b', name: 'B', type: 'code', model: null }]);
  m.mergeResults(
    [cell(2, 'a'), cell(0, 'a'), cell(0, 'b'), cell(1, 'a', { error: 'boom', predicted: undefined }), cell(1, 'b'), cell(2, 'b')],
    [evaluation(0, 'a'), evaluation(0, 'b', { passed: false }), evaluation(1, 'b', { status: 'error', passed: null }), evaluation(2, 'a', { status: 'skipped', passed: null }), evaluation(2, 'b')],
  );
  return m;
}

describe('RunModel', () => {
  it('keeps rows in row-index order whatever order they arrive in', () => {
    expect(model().rowIndexes()).toEqual([0, 1, 2]);
  });

  it('lets events, which may be newer, win over a later results page', () => {
    const m = new RunModel();
    m.applyEvent(ev({ type: 'target_result', rowIndex: 0, targetId: 'a', repeat: 0, output: 'from event', attempts: 1 }));
    m.mergeResults([cell(0, 'a', { predicted: { output: 'from page' } })], []);
    const r = m.rows.get(0)!.cells.get('a')!.repeats[0]!;
    expect(r.output).toBe('from event');
    expect(m.rows.get(0)!.entry).toEqual({ q: 'q0' });
    expect(m.missingEntries()).toBe(0);
  });

  it('shows a cell running again when a resumed run retries it', () => {
    const m = model();
    expect(cellOutcome(m.rows.get(1)!.cells.get('a')).verdict).toBe('error');
    m.applyEvent(ev({ type: 'resumed', retryErrors: true }));
    m.applyEvent(ev({ type: 'cell_started', rowIndex: 1, targetId: 'a', repeat: 0 }));
    expect(cellOutcome(m.rows.get(1)!.cells.get('a')).verdict).toBe('running');
    m.applyEvent(ev({ type: 'target_result', rowIndex: 1, targetId: 'a', repeat: 0, output: 'ok now', attempts: 1 }));
    expect(cellOutcome(m.rows.get(1)!.cells.get('a')).verdict).toBe('passed');
  });

  it('keeps a failed cell failed when its cell_started comes after its result and no resume came between', () => {
    // In a cluster a page joining mid-run asks the running processes for their cells in flight;
    // an answer sent just before a cell's commit can arrive after the page read the commit.
    const m = new RunModel();
    m.applyEvent(ev({ type: 'target_result', rowIndex: 0, targetId: 'a', repeat: 0, error: 'timeout', attempts: 3 }));
    m.applyEvent({ type: 'cell_started', rowIndex: 0, targetId: 'a', repeat: 0 } as never);
    expect(cellOutcome(m.rows.get(0)!.cells.get('a')).verdict).toBe('error');
    expect(m.rows.get(0)!.cells.get('a')!.repeats[0]!.error).toBe('timeout');
    // The same from a results page.
    m.mergeResults([cell(1, 'a', { error: 'boom', predicted: undefined })], []);
    m.applyEvent({ type: 'cell_started', rowIndex: 1, targetId: 'a', repeat: 0 } as never);
    expect(cellOutcome(m.rows.get(1)!.cells.get('a')).verdict).toBe('error');
    // After a resume that retries errors, both run again; a cell that finishes after the resume
    // keeps its result against a later stale start.
    m.applyEvent(ev({ type: 'resumed', retryErrors: true }));
    m.applyEvent({ type: 'cell_started', rowIndex: 0, targetId: 'a', repeat: 0 } as never);
    expect(cellOutcome(m.rows.get(0)!.cells.get('a')).verdict).toBe('running');
    m.applyEvent(ev({ type: 'target_result', rowIndex: 1, targetId: 'a', repeat: 0, error: 'boom again', attempts: 1 }));
    m.applyEvent({ type: 'cell_started', rowIndex: 1, targetId: 'a', repeat: 0 } as never);
    expect(cellOutcome(m.rows.get(1)!.cells.get('a')).verdict).toBe('error');
  });

  it('shows a retried cell running when its live cell_started overtakes the resumed event', () => {
    // A stream sends live events before committed ones waiting with them.
    const m = model();
    m.applyEvent({ type: 'cell_started', rowIndex: 1, targetId: 'a', repeat: 0 } as never);
    expect(cellOutcome(m.rows.get(1)!.cells.get('a')).verdict).toBe('error');
    expect(m.applyEvent(ev({ type: 'resumed', retryErrors: true }))).toBe(true);
    expect(cellOutcome(m.rows.get(1)!.cells.get('a')).verdict).toBe('running');
    // A page following a finished run from its first event, after a resume: the replay of the
    // run's older events (the first execution's start and error) comes between.
    const replayed = new RunModel();
    replayed.mergeResults([cell(0, 'a', { error: 'boom', predicted: undefined })], []);
    replayed.applyEvent({ type: 'cell_started', rowIndex: 0, targetId: 'a', repeat: 0 } as never);
    replayed.applyEvent(ev({ type: 'cell_started', rowIndex: 0, targetId: 'a', repeat: 0 }));
    replayed.applyEvent(ev({ type: 'target_result', rowIndex: 0, targetId: 'a', repeat: 0, error: 'boom', attempts: 1 }));
    replayed.applyEvent(ev({ type: 'done', summary: {} }));
    expect(cellOutcome(replayed.rows.get(0)!.cells.get('a')).verdict).toBe('error');
    replayed.applyEvent(ev({ type: 'resumed', retryErrors: true }));
    expect(cellOutcome(replayed.rows.get(0)!.cells.get('a')).verdict).toBe('running');
    // A resume that does not retry errors leaves a failed cell as it is.
    const plain = model();
    plain.applyEvent({ type: 'cell_started', rowIndex: 1, targetId: 'a', repeat: 0 } as never);
    plain.applyEvent(ev({ type: 'resumed', retryErrors: false }));
    expect(cellOutcome(plain.rows.get(1)!.cells.get('a')).verdict).toBe('error');
  });

  it('counts passed/n over repeats and marks disagreeing repeats flaky', () => {
    const m = new RunModel();
    for (const [repeat, passed] of [[0, true], [1, false], [2, true]] as const) {
      m.applyEvent(ev({ type: 'target_result', rowIndex: 0, targetId: 'a', repeat, output: 'x', attempts: 1 }));
      m.applyEvent(ev({ type: 'evaluator_result', rowIndex: 0, targetId: 'a', repeat, evaluatorId: 'exact', result: { status: 'processed', passed }, duration: 1 }));
    }
    expect(cellOutcome(m.rows.get(0)!.cells.get('a'))).toMatchObject({ n: 3, passed: 2, flaky: true, verdict: 'failed' });
  });

  it('names an evaluator first seen in events once a results page names it', () => {
    const m = new RunModel();
    m.applyEvent(ev({ type: 'target_result', rowIndex: 0, targetId: 'a', repeat: 0, output: 'x', attempts: 1 }));
    m.applyEvent(ev({ type: 'evaluator_result', rowIndex: 0, targetId: 'a', repeat: 0, evaluatorId: 'exact', result: { status: 'processed', passed: false }, duration: 1 }));
    expect(m.evaluators.get('exact')).toBe('exact');
    // The page arrives after the events: its verdict is older and stays unused, its name is taken.
    m.mergeResults([cell(0, 'a')], [evaluation(0, 'a', { passed: true })]);
    expect(m.evaluators.get('exact')).toBe('Exact');
    expect(computeStats(m).evaluators[0]).toMatchObject({ name: 'Exact', failed: 1 });
    // Later events (no names) do not turn it back into the id.
    m.applyEvent(ev({ type: 'evaluator_result', rowIndex: 0, targetId: 'a', repeat: 0, evaluatorId: 'exact', result: { status: 'processed', passed: true }, duration: 1 }));
    expect(m.evaluators.get('exact')).toBe('Exact');
  });

  it('shows the id beside a name two evaluators share, and only then', () => {
    const m = new RunModel();
    m.mergeResults([cell(0, 'a')], [
      evaluation(0, 'a', { evaluator: 'exact-1', name: 'Exact Match' }),
      evaluation(0, 'a', { evaluator: 'exact-2', name: 'Exact Match' }),
      evaluation(0, 'a', { evaluator: 'judge', name: 'Judge' }),
    ]);
    expect([...m.evaluators]).toEqual([['exact-1', 'Exact Match (exact-1)'], ['exact-2', 'Exact Match (exact-2)'], ['judge', 'Judge']]);
  });

  it("names a live run's evaluators, known only from events, by the summary's names and the same rule", () => {
    const m = new RunModel();
    m.applyEvent(ev({ type: 'target_result', rowIndex: 0, targetId: 'a', repeat: 0, output: 'x', attempts: 1 }));
    for (const id of ['e1', 'e2']) m.applyEvent(ev({ type: 'evaluator_result', rowIndex: 0, targetId: 'a', repeat: 0, evaluatorId: id, result: { status: 'processed', passed: true }, duration: 1 }));
    expect(['e1', 'e2', 'judge'].map((id) => m.evaluatorName(id))).toEqual(['e1', 'e2', 'judge']);
    const version = m.version;
    // The `done` event's summary: two unnamed evaluators of one type, and one no result mentions.
    expect(m.nameEvaluators([{ id: 'e1', name: 'Custom Code' }, { id: 'e2', name: 'Custom Code' }, { id: 'judge', name: 'LLM-as-a-Judge Score' }])).toBe(true);
    expect(m.version).toBeGreaterThan(version);
    expect(['e1', 'e2', 'judge'].map((id) => m.evaluatorName(id))).toEqual(['Custom Code (e1)', 'Custom Code (e2)', 'LLM-as-a-Judge Score']);
    // The same names again change nothing.
    expect(m.nameEvaluators([{ id: 'e1', name: 'Custom Code' }])).toBe(false);
  });

  it('names evaluators from the experiment document (catalogue names for the unnamed) before any result', () => {
    const m = new RunModel();
    m.setNames([], [{ id: 'mentions', name: 'Custom Code' }, { id: 'judge', name: 'LLM-as-a-Judge Score' }, { id: 'other', name: undefined }]);
    expect(['mentions', 'judge', 'other'].map((id) => m.evaluatorName(id))).toEqual(['Custom Code', 'LLM-as-a-Judge Score', 'other']);
    // Results name them alike: nothing changes.
    m.mergeResults([cell(0, 'a')], [evaluation(0, 'a', { evaluator: 'mentions', name: 'Custom Code' })]);
    expect(m.evaluatorName('mentions')).toBe('Custom Code');
  });
});

describe('views', () => {
  it('"Failures" keeps exactly the cells that did not pass (target error, failed or errored evaluator)', () => {
    const g = deriveGrid(model(), { ...DEFAULT_VIEW, failures: true });
    expect(g.rows.map((r) => [r.row.index, [...r.shown].sort()])).toEqual([[0, ['b']], [1, ['a', 'b']]]);
  });

  it('"changed against baseline" keeps only changed cells, and only while compare mode gives changes', () => {
    const changes = new Map<string, CellChange>([[cellKey(0, 'b'), 'regressed'], [cellKey(2, 'a'), 'improved']]);
    const g = deriveGrid(model(), { ...DEFAULT_VIEW, changed: true }, changes);
    expect(g.rows.map((r) => [r.row.index, [...r.shown]])).toEqual([[0, ['b']], [2, ['a']]]);
    // Combined with Failures: a cell must be both changed and failed.
    expect(deriveGrid(model(), { ...DEFAULT_VIEW, changed: true, failures: true }, changes).rows.map((r) => [r.row.index, [...r.shown]])).toEqual([[0, ['b']]]);
    // Compare mode off (no changes): the option filters nothing.
    expect(deriveGrid(model(), { ...DEFAULT_VIEW, changed: true }).rows).toHaveLength(3);
  });

  it('"Errors" keeps target and evaluator errors only', () => {
    const g = deriveGrid(model(), { ...DEFAULT_VIEW, errors: true });
    expect(g.rows.map((r) => [r.row.index, [...r.shown].sort()])).toEqual([[1, ['a', 'b']]]);
  });

  it('judges failures on one evaluator when one is chosen, and hides other targets', () => {
    const m = model();
    m.applyEvent(ev({ type: 'evaluator_result', rowIndex: 2, targetId: 'b', repeat: 0, evaluatorId: 'other', result: { status: 'processed', passed: false }, duration: 1 }));
    // Row 1's target error counts whatever the evaluator; its 'exact' error does not.
    expect(deriveGrid(m, { ...DEFAULT_VIEW, failures: true, evaluatorId: 'other' }).rows.map((r) => [r.row.index, [...r.shown]])).toEqual([[1, ['a']], [2, ['b']]]);
    const byTarget = deriveGrid(m, { ...DEFAULT_VIEW, targetId: 'a' });
    expect(byTarget.targetIds).toEqual(['a']);
  });

  it('searches inputs and outputs; a bad regular expression filters nothing and says why', () => {
    expect(deriveGrid(model(), { ...DEFAULT_VIEW, search: 'OUT 2' }).rows.map((r) => r.row.index)).toEqual([2]);
    expect(deriveGrid(model(), { ...DEFAULT_VIEW, search: '^q[01]"', regex: true }).rows.map((r) => r.row.index)).toEqual([]);
    expect(deriveGrid(model(), { ...DEFAULT_VIEW, search: 'boom|out 0', regex: true }).rows.map((r) => r.row.index)).toEqual([0, 1]);
    const bad = deriveGrid(model(), { ...DEFAULT_VIEW, search: '(', regex: true });
    expect(bad.searchError).toBeDefined();
    expect(bad.rows).toHaveLength(3);
  });

  it('sorts by latency either way, rows without a value last, ties in row order', () => {
    const m = model();
    m.applyEvent(ev({ type: 'cell_started', rowIndex: 3, targetId: 'a', repeat: 0 }));
    expect(deriveGrid(m, { ...DEFAULT_VIEW, sort: 'latency' }).rows.map((r) => r.row.index)).toEqual([0, 1, 2, 3]);
    expect(deriveGrid(m, { ...DEFAULT_VIEW, sort: 'latency', descending: true }).rows.map((r) => r.row.index)).toEqual([2, 1, 0, 3]);
  });

  it('computes the figures the header shows', () => {
    const s = computeStats(model());
    expect(s).toMatchObject({ done: 6, passed: 3, failed: 3, errored: 2 });
    expect(s.passRate).toBeCloseTo(50);
    expect(s.cost).toBeCloseTo(0.006);
    expect(s.tokens).toEqual({ input: 18, output: 24 });
    // SPEC §5: skipped results are not counted; an error counts as failing.
    expect(s.evaluators[0]).toMatchObject({ passed: 2, failed: 1, errors: 1, skipped: 1 });
    expect(s.evaluators[0]!.passRate).toBeCloseTo(50);
    expect(failedRowIndexes(model())).toEqual([0, 1]);
  });

  it('leaves errored calls out of the header latencies, as the per-target ones do', () => {
    const m = new RunModel();
    m.setTargets([{ id: 'a', name: 'A', type: 'code', model: null }]);
    // A timeout's 30 s says nothing about how fast the target answers.
    m.mergeResults([cell(0, 'a', { duration: 100 }), cell(1, 'a', { duration: 200 }), cell(2, 'a', { error: 'timed out', predicted: undefined, duration: 30_000 })], []);
    const s = computeStats(m);
    expect([s.latencyP50, s.latencyP95]).toEqual([100, 200]);
    expect([s.targets[0]!.latencyP50, s.targets[0]!.latencyP95]).toEqual([100, 200]);
    expect(s.latencies).toEqual([100, 200]);
  });

  it('takes nearest-rank percentiles', () => {
    expect(percentile([], 50)).toBeUndefined();
    expect(percentile([1, 2, 3, 4], 50)).toBe(2);
    expect(percentile([...Array(100).keys()].map((i) => i + 1), 95)).toBe(95);
  });
});
