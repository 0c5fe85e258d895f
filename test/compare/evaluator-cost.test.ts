// What each evaluator cost on either side of a comparison: a judge moved to a pricier model
// shows its cost per target on both sides and the change, and the sides add up to what each
// run's summary says the judge cost. An evaluator that calls no model has no cost at all. A
// judge on a model without a price is counted as unpriced everywhere (results, summary,
// estimate, comparison), never as free. Real server in process, a fake OpenAI server and a
// fake agent on loopback.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Comparison } from '../../src/core/model/compare.js';
import type { RunEstimate } from '../../src/core/model/estimate.js';
import type { RunSummary } from '../../src/core/model/summary.js';
import type { FakeAgent } from '../../src/testing/fake-agent.js';
import type { TestAssay } from '../../src/testing/harness.js';
import { type PricedAssay, startPricedAssay } from '../../src/testing/priced-assay.js';
import { startRun, waitForRun } from '../../src/testing/runs.js';

const KEY = 'sk-compare-cost-test-key-0123456789';
let priced: PricedAssay;
let agent: FakeAgent;
let t: TestAssay;

beforeAll(async () => {
  priced = await startPricedAssay(KEY);
  ({ t, agent } = priced);
});
afterAll(() => priced?.close());

const experiment = (judgeModel: string) => ({
  slug: 'judged', name: 'Judged',
  dataset: { rows: Array.from({ length: 8 }, (_, i) => ({ question: `What is ${i} + ${i}?`, expected: String(i + i) })) },
  targets: [
    { id: 'p', type: 'prompt', model: 'openai/gpt-4o-mini', messages: [{ role: 'user', content: '{{question}}' }] },
    { id: 'a', type: 'http', url: `${agent.url}/chat`, method: 'POST', body: { message: '{{question}}' }, outputPath: '$.reply' },
  ],
  evaluators: [
    { id: 'judge', type: 'langevals/llm_boolean', settings: { model: judgeModel } },
    { id: 'exact', type: 'langevals/exact_match', inputs: { output: 'output', expected_output: 'row.expected' } },
  ],
  execution: { maxRetries: 0 },
});

async function runToEnd(slug = 'judged'): Promise<{ runId: string; summary: RunSummary }> {
  const runId = await startRun(t, slug, {});
  const r = await waitForRun(t, runId);
  expect(r.status).toBe('completed');
  return { runId, summary: r.summary as RunSummary };
}

describe('a comparison shows what each evaluator cost', () => {
  it('a judge on a pricier model: its cost per target on both sides, and the change', async () => {
    expect((await t.req('POST', '/api/experiments', { body: experiment('openai/gpt-4o-mini') })).status).toBe(201);
    const base = await runToEnd();
    expect((await t.req('PUT', '/api/experiments/judged', { body: experiment('openai/gpt-4o') })).status).toBe(200);
    const cand = await runToEnd();

    const res = await t.req('GET', `/api/experiments/runs/${cand.runId}/compare?baseline=${base.runId}`);
    expect(res.status).toBe(200);
    const c = (await res.json()) as Comparison;
    const judge = c.evaluators.filter((e) => e.evaluatorId === 'judge');
    expect(judge.map((e) => e.targetId).sort()).toEqual(['a', 'p']);
    for (const e of judge) {
      expect(e.baseline.cost).toBeGreaterThan(0);
      // gpt-4o costs more per token than gpt-4o-mini, for the same prompts.
      expect(e.candidate.cost).toBeGreaterThan(e.baseline.cost!);
      expect(e.delta.cost).toBeCloseTo(e.candidate.cost! - e.baseline.cost!, 8);
    }
    // Per target, the sides add up to the judge's cost in each run's own summary.
    const judgeCost = (s: RunSummary) => s.evaluators.find((x) => x.evaluatorId === 'judge')!.totalCost!;
    expect(judge.reduce((n, e) => n + e.baseline.cost!, 0)).toBeCloseTo(judgeCost(base.summary), 8);
    expect(judge.reduce((n, e) => n + e.candidate.cost!, 0)).toBeCloseTo(judgeCost(cand.summary), 8);

    // Exact match calls no model: no cost on either side, and no cost change.
    const exact = c.evaluators.filter((e) => e.evaluatorId === 'exact');
    expect(exact).toHaveLength(2);
    for (const e of exact) {
      expect(e.baseline).not.toHaveProperty('cost');
      expect(e.candidate).not.toHaveProperty('cost');
      expect(e.delta).not.toHaveProperty('cost');
    }
  });

  it('a judge on a model without a price: its calls are counted as unpriced, never as $0', async () => {
    const doc = { ...experiment('openai/my-unpriced-finetune'), slug: 'unpriced-judge', name: 'Unpriced judge' };
    expect((await t.req('POST', '/api/experiments', { body: doc })).status).toBe(201);
    const base = await runToEnd('unpriced-judge');
    // 8 rows × 2 targets, one judge call each.
    expect(base.summary.evaluatorUnpricedCalls).toBe(16);
    expect(base.summary.evaluatorCost).toBe(0);
    expect(base.summary.evaluators.find((e) => e.evaluatorId === 'judge')).toMatchObject({ totalCost: 0, unpricedCalls: 16 });
    expect(base.summary.evaluators.find((e) => e.evaluatorId === 'exact')).not.toHaveProperty('unpricedCalls');
    // Each result says so too.
    const results = (await (await t.req('GET', `/api/experiments/runs/${base.runId}/results`)).json()) as { evaluations: { evaluator: string; cost: number | null; unpricedCalls?: number }[] };
    const judged = results.evaluations.filter((e) => e.evaluator === 'judge');
    expect(judged).toHaveLength(16);
    for (const e of judged) expect([e.cost, e.unpricedCalls]).toEqual([null, 1]);
    expect(results.evaluations.filter((e) => e.evaluator === 'exact').every((e) => !('unpricedCalls' in e))).toBe(true);

    // The estimate does not call it free.
    const estimate = (await (await t.req('POST', '/api/experiments/unpriced-judge/estimate', { body: {} })).json()) as RunEstimate;
    expect(estimate.evaluators.find((e) => e.evaluatorId === 'judge')).toMatchObject({ basis: 'unpriced', fromRuns: [base.runId] });
    expect(estimate.evaluators.find((e) => e.evaluatorId === 'exact')).toMatchObject({ basis: 'history', estimatedCost: 0 });
    expect(estimate.complete).toBe(false);

    // Nor does the comparison: a cost of 0 that leaves out every call.
    const cand = await runToEnd('unpriced-judge');
    const c = (await (await t.req('GET', `/api/experiments/runs/${cand.runId}/compare?baseline=${base.runId}`)).json()) as Comparison;
    for (const e of c.evaluators.filter((x) => x.evaluatorId === 'judge')) {
      expect(e.baseline).toMatchObject({ cost: 0, unpricedCalls: 8 });
      expect(e.candidate).toMatchObject({ cost: 0, unpricedCalls: 8 });
    }
  });
});
