import { describe, expect, it } from 'vitest';
import type { EvaluationResult } from '../model/results.js';
import type { CellResult, StoredEvaluation } from '../model/run.js';
import { Aggregator, cellPassed } from './aggregate.js';

type Cell = Pick<CellResult, 'targetId' | 'ok' | 'durationMs' | 'cost' | 'tokens' | 'evaluations'>;

const ev = (evaluatorId: string, result: EvaluationResult): StoredEvaluation => ({ evaluatorId, name: evaluatorId, result, durationMs: 1 });
const pass = (id: string, extra: Partial<Extract<EvaluationResult, { status: 'processed' }>> = {}) => ev(id, { status: 'processed', passed: true, ...extra });
const fail = (id: string, extra: Partial<Extract<EvaluationResult, { status: 'processed' }>> = {}) => ev(id, { status: 'processed', passed: false, ...extra });
const errored = (id: string) => ev(id, { status: 'error', details: 'boom' });
const skipped = (id: string) => ev(id, { status: 'skipped' });
const scoreOnly = (id: string, score: number) => ev(id, { status: 'processed', score });

const ok = (targetId: string, evaluations: StoredEvaluation[], extra: Partial<Cell> = {}): Cell => ({ targetId, ok: true, durationMs: 100, evaluations, ...extra });
const broken = (targetId: string, extra: Partial<Cell> = {}): Cell => ({ targetId, ok: false, durationMs: 50, evaluations: [], ...extra });

const meta = { runId: 'run_1', runUrl: 'http://x/run_1', startedAt: 1_000, finishedAt: 4_500 };

function summarise(cells: Cell[], informational: ReadonlySet<string> = new Set(), extra: Partial<Parameters<Aggregator['summary']>[0]> = {}, weights: Record<string, number> = {}) {
  const agg = new Aggregator(
    [{ id: 'a', name: 'Model A' }, { id: 'b', name: 'Model B' }],
    [{ id: 'exact', name: 'Exact match' }, { id: 'judge', name: 'Judge' }, { id: 'info', name: 'Length' }],
    new Map([...[...informational].map((id) => [id, 0] as const), ...Object.entries(weights)]),
  );
  for (const c of cells) agg.add(c);
  return { agg, summary: agg.summary({ ...meta, ...extra }) };
}

describe('cellPassed', () => {
  it('passes a cell whose target succeeded and whose evaluators did not fail', () => {
    expect(cellPassed(ok('a', []))).toBe(true);
    expect(cellPassed(ok('a', [pass('exact'), scoreOnly('judge', 0.2), skipped('info')]))).toBe(true);
  });

  it('fails a cell whose target failed, or where any evaluator said passed:false or errored', () => {
    expect(cellPassed(broken('a'))).toBe(false);
    expect(cellPassed(ok('a', [pass('exact'), fail('judge')]))).toBe(false);
    expect(cellPassed(ok('a', [pass('exact'), errored('judge')]))).toBe(false);
  });

  it('ignores informational (weight 0) evaluators, but never a failed target', () => {
    const info = new Set(['info']);
    expect(cellPassed(ok('a', [pass('exact'), fail('info')]), info)).toBe(true);
    expect(cellPassed(ok('a', [pass('exact'), errored('info')]), info)).toBe(true);
    expect(cellPassed(ok('a', [fail('exact'), pass('info')]), info)).toBe(false);
    expect(cellPassed(broken('a'), info)).toBe(false);
  });
});

describe('Aggregator.summary', () => {
  const cells: Cell[] = [
    ok('a', [pass('exact', { score: 1 }), pass('judge', { score: 0.8, cost: 0.01 }), fail('info')], { cost: 0.1, tokens: { input: 10, output: 5 }, durationMs: 100 }),
    ok('a', [fail('exact', { score: 0 }), pass('judge', { score: 0.6, cost: 0.01 })], { cost: 0.1, tokens: { input: 20, output: 5 }, durationMs: 300 }),
    ok('b', [pass('exact'), errored('judge')], { cost: 0.05 }),
    ok('b', [skipped('exact'), scoreOnly('judge', 0.2)], { cost: 0.05 }),
    broken('b', { cost: 0.02 }),
  ];

  it('counts passed and failed cells so that they add up to the total', () => {
    const { summary } = summarise(cells, new Set(['info']));
    expect(summary).toMatchObject({ totalCells: 5, completedCells: 4, failedCells: 1, totalPassed: 2, totalFailed: 3, passRate: 40 });
    expect(summary.totalPassed + summary.totalFailed).toBe(summary.totalCells);
  });

  it('lets a failing informational evaluator fail the cell only when it is not informational', () => {
    expect(summarise(cells, new Set(['info'])).summary.totalPassed).toBe(2);
    expect(summarise(cells).summary.totalPassed).toBe(1);
  });

  it('counts per target: pass/fail, target errors, mean latency of successful calls, cost and tokens', () => {
    const { summary } = summarise(cells, new Set(['info']));
    expect(summary.targets).toEqual([
      { targetId: 'a', name: 'Model A', passed: 1, failed: 1, errors: 0, avgLatency: 200, totalCost: 0.2, tokens: { input: 30, output: 10 } },
      { targetId: 'b', name: 'Model B', passed: 1, failed: 2, errors: 1, avgLatency: 100, totalCost: 0.12, tokens: { input: 0, output: 0 } },
    ]);
  });

  it('omits avgLatency for a target that never succeeded', () => {
    const { summary } = summarise([broken('a'), broken('a')]);
    expect(summary.targets[0]).not.toHaveProperty('avgLatency');
    expect(summary.targets[0]).toMatchObject({ passed: 0, failed: 2, errors: 2 });
  });

  it('counts per evaluator, with passRate over processed and errored results (skipped excluded)', () => {
    const { summary } = summarise(cells, new Set(['info']));
    const [exact, judge, info] = summary.evaluators;
    // exact: pass, fail, pass, skipped → 2 of 3 counted did not fail.
    expect(exact).toMatchObject({ evaluatorId: 'exact', name: 'Exact match', passed: 2, failed: 1, errors: 0, skipped: 1 });
    expect(exact!.passRate).toBeCloseTo(66.66666667, 6);
    // judge: pass, pass, error, score-only → 3 of 4 did not fail.
    expect(judge).toMatchObject({ passed: 2, failed: 0, errors: 1, skipped: 0, passRate: 75 });
    expect(info).toMatchObject({ passed: 0, failed: 1, passRate: 0 });
  });

  it('gives passed ÷ (passed + failed) for a plain pass/fail evaluator, and 0 when nothing counted', () => {
    const { summary } = summarise([ok('a', [pass('exact')]), ok('a', [pass('exact')]), ok('a', [pass('exact')]), ok('a', [fail('exact')]), ok('a', [skipped('judge')])]);
    expect(summary.evaluators[0]).toMatchObject({ passed: 3, failed: 1, passRate: 75 });
    expect(summary.evaluators[1]).toMatchObject({ skipped: 1, passRate: 0 });
    expect(summary.evaluators[2]).toMatchObject({ passed: 0, failed: 0, errors: 0, skipped: 0, passRate: 0 });
  });

  it('averages scores only over results that had one, and omits avgScore otherwise (never 0)', () => {
    const { summary } = summarise(cells, new Set(['info']));
    expect(summary.evaluators[0]!.avgScore).toBe(0.5);
    expect(summary.evaluators[1]!.avgScore).toBeCloseTo(0.53333333, 6);
    expect(summary.evaluators[2]).not.toHaveProperty('avgScore');
  });

  it('keeps target and evaluator costs apart and adds them up', () => {
    const { summary, agg } = summarise(cells);
    expect(summary.targetCost).toBe(0.32);
    expect(summary.evaluatorCost).toBe(0.02);
    expect(summary.totalCost).toBe(0.34);
    expect(agg.spent).toBeCloseTo(0.34, 10);
    // Per evaluator too, with the results each gave (a skipped one counts; the broken cell gave none).
    expect(summary.evaluators.map((e) => [e.evaluatorId, e.totalCost, e.results])).toEqual([['exact', 0, 4], ['judge', 0.02, 4], ['info', 0, 1]]);
  });

  it('counts successful calls without a known cost apart (a failed call has none to know)', () => {
    const { summary } = summarise([ok('a', [], { cost: 0.1 }), ok('a', []), ok('b', []), ok('b', [], { cost: 0 }), broken('b')]);
    expect(summary).toMatchObject({ targetCost: 0.1, totalCost: 0.1, unpricedCalls: 2 });
    expect(summary.targets.map((t) => [t.totalCost, t.unpricedCalls])).toEqual([[0.1, 1], [0, 1]]);
    // Every call priced (cached answers cost 0): no count at all.
    expect(summarise(cells).summary).not.toHaveProperty('unpricedCalls');
    expect(summarise(cells).summary.targets.every((t) => !('unpricedCalls' in t))).toBe(true);
  });

  it("counts evaluators' model calls without a known cost apart from the targets', per evaluator and in all", () => {
    const { summary } = summarise([
      ok('a', [pass('judge', { cost: 0.01 }), pass('exact')], { cost: 0.1 }),
      ok('a', [pass('judge', { unpricedCalls: 2 }), pass('exact')], { cost: 0.1 }),
      ok('b', [ev('judge', { status: 'error', details: 'bad verdict', unpricedCalls: 1 })], { cost: 0.1 }),
    ]);
    expect(summary).toMatchObject({ targetCost: 0.3, evaluatorCost: 0.01, evaluatorUnpricedCalls: 3 });
    // The targets' count is theirs alone: every target call was priced.
    expect(summary).not.toHaveProperty('unpricedCalls');
    const judge = summary.evaluators.find((e) => e.evaluatorId === 'judge')!;
    expect([judge.totalCost, judge.unpricedCalls]).toEqual([0.01, 3]);
    expect(summary.evaluators.find((e) => e.evaluatorId === 'exact')).not.toHaveProperty('unpricedCalls');
    expect(summarise(cells).summary).not.toHaveProperty('evaluatorUnpricedCalls');
  });

  it('lists the commonest errors: failed target calls and evaluator errors, alike ones counted together', () => {
    const { summary } = summarise([
      broken('a', { error: 'HTTP 503 from http://agent:8080' } as Partial<Cell>),
      broken('a', { error: 'HTTP 503 from http://agent:8081' } as Partial<Cell>),
      ok('b', [errored('judge')]),
      ok('b', [pass('exact')]),
    ]);
    expect(summary.topErrors).toEqual([
      { targetId: 'a', message: 'HTTP 503 from http://agent:8080', count: 2 },
      { evaluatorId: 'judge', message: 'boom', count: 1 },
    ]);
    expect(summarise([ok('a', [pass('exact')])]).summary).not.toHaveProperty('topErrors');
  });

  it('reports duration, timestamps, identity and a stop reason when given', () => {
    const { summary, agg } = summarise(cells, new Set(), { stopReason: 'budget' });
    expect(summary).toMatchObject({ runId: 'run_1', runUrl: 'http://x/run_1', duration: 3_500, timestamps: { startedAt: 1_000, finishedAt: 4_500 }, stopReason: 'budget' });
    expect(agg.committed).toBe(5);
    expect(summarise(cells).summary).not.toHaveProperty('stopReason');
  });

  it('says whether the pass-rate threshold was met', () => {
    const info = new Set(['info']);
    expect(summarise(cells, info, { thresholdPassRate: 40 }).summary.threshold).toEqual({ passRate: 40, met: true });
    expect(summarise(cells, info, { thresholdPassRate: 40.1 }).summary.threshold).toEqual({ passRate: 40.1, met: false });
    expect(summarise(cells, info).summary).not.toHaveProperty('threshold');
  });

  it('summarises an empty run as zeros, not NaN', () => {
    const { summary } = summarise([]);
    expect(summary).toMatchObject({ totalCells: 0, totalPassed: 0, totalFailed: 0, passRate: 0, totalCost: 0 });
    expect(summary.targets[0]).not.toHaveProperty('avgLatency');
  });
});

describe('weighted figures', () => {
  it('weighs verdicts and scores by each evaluator\'s weight; weight 0 counts nothing; errors fail; skips do not count', () => {
    // exact (weight 3): passed, failed; judge (weight 1): passed with 0.5, error; info (weight 0): failed with score 0.
    const { summary } = summarise(
      [ok('a', [pass('exact', { score: 1 }), pass('judge', { score: 0.5 }), fail('info', { score: 0 })]), ok('a', [fail('exact', { score: 0 }), errored('judge'), skipped('info')])],
      new Set(['info']),
      {},
      { exact: 3, judge: 1 },
    );
    // Verdict weights: exact 3 + 3, judge 1 + 1 (the error counts as failing) → passed 3 + 1 of 8.
    expect(summary.weightedPassRate).toBe(50);
    // Scores: exact 1·3 + 0·3, judge 0.5·1 → 3.5 / 7.
    expect(summary.weightedAvgScore).toBe(0.5);
    // Equal weights give the plain figures.
    const plain = summarise([ok('a', [pass('exact', { score: 1 }), fail('judge', { score: 0 })])]).summary;
    expect(plain.weightedPassRate).toBe(50);
    expect(plain.weightedAvgScore).toBe(0.5);
    // Nothing judged: absent, never 0.
    const none = summarise([ok('a', [skipped('exact')])]).summary;
    expect(none.weightedPassRate).toBeUndefined();
    expect(none.weightedAvgScore).toBeUndefined();
  });
});
