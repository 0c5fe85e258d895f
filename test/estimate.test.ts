// What a run would cost, asked before starting it: POST /api/experiments/{slug}/estimate takes a
// run body and answers from the experiment's earlier finished runs. Real server in process, a
// fake OpenAI server and a fake agent on loopback; the figures are checked against the
// summaries of the runs that really ran.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunEstimate } from '../src/core/model/estimate.js';
import type { RunSummary } from '../src/core/model/summary.js';
import { startFakeAgent, type FakeAgent } from '../src/testing/fake-agent.js';
import { startFakeOpenAI } from '../src/testing/fake-openai.js';
import type { FakeLlmProvider } from '../src/testing/fake-provider-core.js';
import { startTestAssay, type TestAssay } from '../src/testing/harness.js';

const KEY = 'sk-estimate-test-key-0123456789';
let provider: FakeLlmProvider;
let agent: FakeAgent;
let t: TestAssay;

beforeAll(async () => {
  provider = await startFakeOpenAI({ apiKey: KEY });
  agent = await startFakeAgent({ latencyMs: 0 });
  t = await startTestAssay({ providers: { openai: { apiKey: KEY, baseUrl: provider.baseURL } } });
});
afterAll(async () => {
  await t?.close();
  await provider?.close();
  await agent?.close();
});

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
  const { runId } = (await (await t.req('POST', '/api/experiments/priced/run', { body })).json()) as { runId: string };
  for (;;) {
    const r = (await (await t.req('GET', `/api/experiments/runs/${runId}`)).json()) as { status: string; summary: RunSummary };
    if (r.status !== 'running') return { runId, summary: r.summary };
    await new Promise((res) => setTimeout(res, 20));
  }
}

async function runCount(): Promise<number> {
  const list = (await (await t.req('GET', '/api/experiments/runs?experimentSlug=priced')).json()) as { runs: unknown[] };
  return list.runs.length;
}

describe('estimating a run before it starts', () => {
  let first: { runId: string; summary: RunSummary };

  it('with no earlier run: the cells, and no figure for any part', async () => {
    expect((await t.req('POST', '/api/experiments', { body: experiment('openai/gpt-4o-mini') })).status).toBe(201);
    const res = await estimate();
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({
      experimentSlug: 'priced', experimentVersion: 1, total: 20,
      targets: [
        { targetId: 'p', cells: 10, basis: 'none', fromRuns: [] },
        { targetId: 'a', cells: 10, basis: 'none', fromRuns: [] },
      ],
      evaluators: [{ evaluatorId: 'judge', cells: 20, basis: 'none', fromRuns: [] }],
      estimatedCost: 0, complete: false, budgetUsd: null,
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
