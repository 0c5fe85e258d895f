// What a run would cost, asked before starting it: POST /api/experiments/{slug}/estimate takes a
// run body and answers from the experiment's earlier finished runs, or for a first run from the
// models' prices. Real server in process, a fake OpenAI server and a fake agent on loopback; the
// figures are checked against the summaries of the runs that really ran, and against prompts'
// lengths and prices worked out here.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunEstimate } from '../src/core/model/estimate.js';
import type { RunSummary } from '../src/core/model/summary.js';
import type { FakeAgent } from '../src/testing/fake-agent.js';
import type { TestAssay } from '../src/testing/harness.js';
import { type PricedAssay, startPricedAssay } from '../src/testing/priced-assay.js';
import { startRun, waitForRun } from '../src/testing/runs.js';

const KEY = 'sk-estimate-test-key-0123456789';
let priced: PricedAssay;
let agent: FakeAgent;
let t: TestAssay;

beforeAll(async () => {
  priced = await startPricedAssay(KEY);
  ({ t, agent } = priced);
});
afterAll(() => priced?.close());

const experiment = (model: string) => ({
  slug: 'priced', name: 'Priced',
  dataset: { rows: Array.from({ length: 10 }, (_, i) => ({ question: `What is ${i} + ${i}?` })) },
  targets: [
    { id: 'p', type: 'prompt', model, messages: [{ role: 'user', content: '{{question}}' }] },
    { id: 'a', type: 'http', url: `${agent.url}/chat`, method: 'POST', body: { message: '{{question}}' }, outputPath: '$.reply' },
  ],
  evaluators: [{ id: 'judge', type: 'langevals/llm_boolean', settings: { model: 'openai/gpt-4o-mini' } }],
  execution: { maxRetries: 0 },
});

async function estimate(body?: unknown, key?: string): Promise<Response> {
  return t.req('POST', '/api/experiments/priced/estimate', { ...(body !== undefined ? { body } : {}), ...(key ? { key } : {}) });
}

async function runToEnd(body: unknown = {}): Promise<{ runId: string; summary: RunSummary }> {
  const runId = await startRun(t, 'priced', body);
  return { runId, summary: (await waitForRun(t, runId)).summary as RunSummary };
}

async function runCount(): Promise<number> {
  const list = (await (await t.req('GET', '/api/experiments/runs?experimentSlug=priced')).json()) as { runs: unknown[] };
  return list.runs.length;
}

describe('estimating a run before it starts', () => {
  let first: { runId: string; summary: RunSummary };

  it("with no earlier run: the prompt target's prompts at its model's price, and no figure for the others", async () => {
    expect((await t.req('POST', '/api/experiments', { body: experiment('openai/gpt-4o-mini') })).status).toBe(201);
    const res = await estimate();
    expect(res.status).toBe(200);
    // "What is 0 + 0?": 14 characters, about 4 tokens, at gpt-4o-mini's $0.15 per million input
    // tokens; the target sets no maxTokens, so the answers are not counted (at least).
    expect(await res.json()).toEqual({
      experimentSlug: 'priced', experimentVersion: 1, total: 20,
      targets: [
        { targetId: 'p', cells: 10, basis: 'prices_input', costPerCell: expect.closeTo(4 * 0.15e-6, 12), estimatedCost: expect.closeTo(40 * 0.15e-6, 12), fromRuns: [], inputTokensPerCell: 4, rowsSampled: 10 },
        { targetId: 'a', cells: 10, basis: 'none', fromRuns: [] },
      ],
      evaluators: [{ evaluatorId: 'judge', cells: 20, basis: 'none', fromRuns: [] }],
      estimatedCost: expect.closeTo(40 * 0.15e-6, 12), complete: false, budgetUsd: null,
    });
    expect(await runCount()).toBe(0);
  });

  it('after a run: what it paid per call, for the cells this body would run', async () => {
    first = await runToEnd();
    expect(first.summary.targetCost).toBeGreaterThan(0);
    const p = first.summary.targets.find((x) => x.targetId === 'p')!;
    const perCall = p.totalCost / 10;
    // The judge's cost per cell of the run (it judged every cell: both targets succeeded).
    const judge = first.summary.evaluators.find((x) => x.evaluatorId === 'judge')!;
    expect(judge.totalCost).toBe(first.summary.evaluatorCost);
    expect(judge.results).toBe(20);
    const judgePerCell = judge.totalCost! / first.summary.totalCells;
    expect(judgePerCell).toBeGreaterThan(0);

    // Half the rows, twice each, and only the prompt target.
    const body = { row_indices: [0, 1, 2, 3, 4], repeats: 2, targets: ['p'] };
    const e = (await (await estimate(body)).json()) as RunEstimate;
    expect(e.total).toBe(10);
    expect(e.targets).toEqual([{ targetId: 'p', cells: 10, basis: 'history', costPerCell: expect.closeTo(perCall, 12), estimatedCost: expect.closeTo(perCall * 10, 12), fromRuns: [first.runId] }]);
    expect(e.evaluators).toEqual([{ evaluatorId: 'judge', cells: 10, basis: 'history', costPerCell: expect.closeTo(judgePerCell, 12), estimatedCost: expect.closeTo(judgePerCell * 10, 12), fromRuns: [first.runId] }]);
    expect(e.estimatedCost).toBeCloseTo(perCall * 10 + judgePerCell * 10, 12);
    expect(e.complete).toBe(true);

    // The agent reports no cost: the estimate says so, and is a lower bound.
    const all = (await (await estimate()).json()) as RunEstimate;
    expect(all.targets.find((x) => x.targetId === 'a')).toEqual({ targetId: 'a', cells: 10, basis: 'unpriced', fromRuns: [first.runId] });
    expect(all.complete).toBe(false);
    expect(all.estimatedCost).toBeCloseTo(perCall * 10 + judgePerCell * 20, 12);
    expect(await runCount()).toBe(1);
  });

  it('the next run costs what the estimate said', async () => {
    const said = (await (await estimate({ targets: ['p'] })).json()) as RunEstimate;
    const second = await runToEnd({ targets: ['p'] });
    // The same rows through the same fake model: the same tokens, so the same cost.
    expect(second.summary.targetCost).toBeCloseTo(said.targets[0]!.estimatedCost!, 12);
    // The judge's figure is its mean per cell over both targets' answers, so the whole run's is close, not exact.
    expect(Math.abs(second.summary.totalCost - said.estimatedCost) / second.summary.totalCost).toBeLessThan(0.05);
  });

  it('counts the cells of the rows the body sends, and leaves the evaluators out when it runs none', async () => {
    const e = (await (await estimate({ data: [{ question: 'a' }, { question: 'b' }, { question: 'c' }], evaluators: [] })).json()) as RunEstimate;
    expect(e.total).toBe(6);
    expect(e.targets.map((x) => [x.targetId, x.cells, x.basis])).toEqual([['p', 3, 'history'], ['a', 3, 'unpriced']]);
    expect(e.evaluators).toEqual([]);
    const p = e.targets.find((x) => x.targetId === 'p')!;
    expect(e.estimatedCost).toBeCloseTo(p.estimatedCost!, 12);
  });

  it('with a budget, says whether the run would go over it', async () => {
    const over = (await (await estimate({ targets: ['p'], budgetUsd: 1e-9 })).json()) as RunEstimate;
    expect(over).toMatchObject({ budgetUsd: 1e-9, overBudget: true });
    const under = (await (await estimate({ targets: ['p'], budgetUsd: 100 })).json()) as RunEstimate;
    expect(under).toMatchObject({ budgetUsd: 100, overBudget: false });
  });

  it('after the experiment changed, says the figures come from an earlier version', async () => {
    expect((await t.req('PUT', '/api/experiments/priced', { body: experiment('openai/gpt-4o') })).status).toBe(200);
    const e = (await (await estimate({ targets: ['p'] })).json()) as RunEstimate;
    expect(e.experimentVersion).toBe(2);
    expect(e.targets[0]).toMatchObject({ basis: 'older_versions' });
    expect(e.targets[0]!.fromRuns).toHaveLength(2);
  });

  it('refuses what a start refuses, and starts nothing', async () => {
    const before = await runCount();
    const unknown = await t.req('POST', '/api/experiments/nope/estimate');
    expect(unknown.status).toBe(404);
    expect(((await unknown.json()) as { error: string }).error).toBe('experiment_not_found');
    const bad = await estimate({ targets: ['zzz'] });
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as { message: string }).message).toContain('unknown target "zzz"');
    expect((await estimate({ repeats: 0 })).status).toBe(400);
    expect((await t.req('POST', '/api/experiments/priced/estimate', { raw: '{"targets":', headers: { 'content-type': 'application/json' } })).status).toBe(400);
    // Another project sees no such experiment, and none of this project's runs.
    const other = await t.otherProject();
    expect((await estimate(undefined, other.key)).status).toBe(404);
    expect(await runCount()).toBe(before);
  });
});

describe("a first run's estimate, from the models' prices", () => {
  // 1,000 rows whose questions are 0–39 characters long; the prompt reads a run parameter too.
  const rows = Array.from({ length: 1_000 }, (_, i) => ({ question: 'x'.repeat(i % 40) }));
  const fresh = (model: string) => ({
    slug: 'fresh', name: 'Fresh', dataset: { rows },
    targets: [{ id: 'p', type: 'prompt', model, params: { maxTokens: 50 }, messages: [{ role: 'user', content: 'Answer in {{lang}}: {{question}}' }] }],
    evaluators: [
      { id: 'exact', type: 'langevals/exact_match', inputs: { output: 'output', expected_output: 'row.question' } },
      { id: 'code', type: 'custom_code', settings: { code: 'return { passed: true }' } },
    ],
  });
  /** About 4 characters a token, per rendered prompt, over rows 0, 10, 20 … 990 (a sample of 100 spread evenly). */
  const tokensOf = (lang: string) => {
    let sum = 0;
    for (let i = 0; i < 100; i++) sum += Math.ceil(`Answer in ${lang}: ${'x'.repeat((i * 10) % 40)}`.length / 4);
    return sum / 100;
  };

  it('prices a prompt target at most (answers at maxTokens), and evaluators that call no model at $0: complete', async () => {
    expect((await t.req('POST', '/api/experiments', { body: fresh('openai/gpt-4o-mini') })).status).toBe(201);
    const res = await t.req('POST', '/api/experiments/fresh/estimate', { body: { parameters: { lang: 'French' } } });
    expect(res.status).toBe(200);
    const e = (await res.json()) as RunEstimate;
    const input = tokensOf('French');
    // gpt-4o-mini: $0.15 per million input tokens, $0.60 per million output tokens.
    const perCell = (input * 0.15 + 50 * 0.6) / 1e6;
    expect(e.targets).toEqual([
      { targetId: 'p', cells: 1_000, basis: 'prices', costPerCell: expect.closeTo(perCell, 12), estimatedCost: expect.closeTo(perCell * 1_000, 10), fromRuns: [], inputTokensPerCell: expect.closeTo(input, 10), outputTokensPerCell: 50, rowsSampled: 100 },
    ]);
    expect(e.evaluators).toEqual([
      { evaluatorId: 'exact', cells: 1_000, basis: 'no_model', costPerCell: 0, estimatedCost: 0, fromRuns: [] },
      { evaluatorId: 'code', cells: 1_000, basis: 'no_model', costPerCell: 0, estimatedCost: 0, fromRuns: [] },
    ]);
    expect(e.complete).toBe(true);
    expect(e.estimatedCost).toBeCloseTo(perCell * 1_000, 10);
    // The parameter is part of the prompt: a longer one costs more.
    const longer = (await (await t.req('POST', '/api/experiments/fresh/estimate', { body: { parameters: { lang: 'Portuguese (Brazil)' } } })).json()) as RunEstimate;
    expect(longer.targets[0]!.inputTokensPerCell).toBeCloseTo(tokensOf('Portuguese (Brazil)'), 10);
  });

  it('reads rows sent in the body, and the rows asked for', async () => {
    const data = [{ question: 'x'.repeat(400) }, { question: 'y'.repeat(800) }];
    const e = (await (await t.req('POST', '/api/experiments/fresh/estimate', { body: { data, parameters: { lang: 'en' } } })).json()) as RunEstimate;
    expect(e.targets[0]).toMatchObject({ basis: 'prices', cells: 2, rowsSampled: 2, inputTokensPerCell: (Math.ceil(414 / 4) + Math.ceil(814 / 4)) / 2 });
    const picked = (await (await t.req('POST', '/api/experiments/fresh/estimate', { body: { row_indices: [39, 79], parameters: { lang: 'en' } } })).json()) as RunEstimate;
    // Rows 39 and 79: 39 characters each.
    expect(picked.targets[0]).toMatchObject({ basis: 'prices', cells: 2, rowsSampled: 2, inputTokensPerCell: Math.ceil(53 / 4) });
  });

  it('holds at most about 4 MB of rows for the sample, however large the rows', async () => {
    // 20 rows of 300 KB: the sample stops once it holds 4 MB (the row that passes it included).
    const data = Array.from({ length: 20 }, (_, i) => ({ question: String(i % 10).repeat(300 * 1024) }));
    const res = await t.req('POST', '/api/experiments/fresh/estimate', { body: { data, parameters: { lang: 'en' } } });
    expect(res.status).toBe(200);
    const e = (await res.json()) as RunEstimate;
    expect(e.targets[0]).toMatchObject({ basis: 'prices', cells: 20, rowsSampled: 14 });
    expect(e.targets[0]!.inputTokensPerCell).toBeCloseTo(Math.ceil((14 + 300 * 1024) / 4), 6);
  });

  it('a model without a price gets no figure, and after a run the history is used instead', async () => {
    expect((await t.req('PUT', '/api/experiments/fresh', { body: fresh('openai/my-unpriced-finetune') })).status).toBe(200);
    const unpriced = (await (await t.req('POST', '/api/experiments/fresh/estimate', { body: { parameters: { lang: 'en' } } })).json()) as RunEstimate;
    expect(unpriced.targets[0]).toEqual({ targetId: 'p', cells: 1_000, basis: 'none', fromRuns: [] });
    expect(unpriced.complete).toBe(false);
    expect((await t.req('PUT', '/api/experiments/fresh', { body: fresh('openai/gpt-4o-mini') })).status).toBe(200);
    const runId = await startRun(t, 'fresh', { row_indices: [0, 1, 2], parameters: { lang: 'en' } });
    await waitForRun(t, runId);
    const after = (await (await t.req('POST', '/api/experiments/fresh/estimate', { body: { parameters: { lang: 'en' } } })).json()) as RunEstimate;
    expect(after.targets[0]).toMatchObject({ basis: 'history', fromRuns: [runId] });
    // What the checks cost in that run: nothing, from history now.
    expect(after.evaluators.map((x) => [x.basis, x.estimatedCost])).toEqual([['history', 0], ['history', 0]]);
  });
});
