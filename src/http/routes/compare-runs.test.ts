// N-way comparison (phase 2) and evaluator sets, end to end on the fake OpenAI server.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFakeOpenAI } from '../../testing/fake-openai.js';
import type { FakeChatRequest, FakeLlmProvider } from '../../testing/fake-provider-core.js';
import { startTestAssay, type TestAssay } from '../../testing/harness.js';
import { parseSse, startRun, waitForRun } from '../../testing/runs.js';

let t: TestAssay;
let openai: FakeLlmProvider;
/** How the fake judge picks: the slot whose text contains "best", or a fixed slot. */
let judge: (r: FakeChatRequest) => unknown = () => undefined;

beforeAll(async () => {
  t = await startTestAssay();
  openai = await startFakeOpenAI({ apiKey: 'sk-compare-00000000000000000000', respond: (r) => judge(r) });
  await t.req('PUT', '/api/providers/openai', { body: { apiKey: 'sk-compare-00000000000000000000', baseUrl: openai.baseURL } });
});
afterAll(async () => {
  await t.close();
  await openai.close();
});

/** The slot label (A, B, …) whose candidate text contains `needle`, read from the judge prompt. */
function slotOf(prompt: string, needle: string): string | undefined {
  for (const m of prompt.matchAll(/Candidate ([A-Z]):[^\n]*\n([^\n]*)/g)) if (m[2]!.includes(needle)) return m[1];
  return undefined;
}

const experiment = (slug: string, extra: Record<string, unknown> = {}) => ({
  slug, name: slug,
  dataset: { rows: [{ question: 'q1', expected: 'x' }, { question: 'q2', expected: 'x' }, { question: 'q3', expected: 'x' }] },
  targets: [
    { id: 'plain', type: 'code', code: 'return "plain answer to " + row.question' },
    { id: 'good', type: 'code', code: 'return "best answer to " + row.question' },
    { id: 'weak', type: 'code', code: 'return "weak answer"' },
  ],
  evaluators: [{ id: 'pick', type: 'langevals/select_best_compare', settings: { model: 'openai/gpt-4o-mini' } }],
  ...extra,
});

describe('N-way comparison', () => {
  it('runs once per row after the cells, naming the winning target, under LangWatch\'s id', async () => {
    judge = (r) => (r.schema ? { reasoning: 'it says best', winner: slotOf(r.prompt, 'best') } : undefined);
    expect((await t.req('POST', '/api/experiments', { body: experiment('pick-best') })).status).toBe(201);
    const res = await t.req('POST', '/api/experiments/pick-best/run', { headers: { accept: 'text/event-stream' } });
    const { events } = parseSse(await res.text());
    const runId = (events[0] as { runId: string }).runId;
    const done = await waitForRun(t, runId);
    expect(done.status).toBe('completed');
    // Phase 2 comes after every cell's progress, then done.
    const lastProgress = events.map((e) => e.type).lastIndexOf('progress');
    const comparisons = events.filter((e) => e.type === 'evaluator_result' && (e as { evaluatorId: string }).evaluatorId === 'pick');
    expect(comparisons).toHaveLength(3);
    expect(events.indexOf(comparisons[0]!)).toBeGreaterThan(lastProgress);
    expect(events.at(-1)!.type).toBe('done');
    for (const c of comparisons as any[]) {
      expect(c.result).toMatchObject({ status: 'processed', label: 'good' });
      expect(c.inputs.candidates.map((x: { id: string }) => x.id).sort()).toEqual(['good', 'plain', 'weak']);
      expect(c.targetId).toBe('plain');
    }
    // Swap and reconcile: two judge calls per row.
    expect(openai.calls).toBe(6);
    expect(done.summary!.evaluators[0]).toMatchObject({ evaluatorId: 'pick', labels: { good: 3 } });
    const results = (await (await t.req('GET', `/api/experiments/runs/${runId}/results`)).json()) as any;
    expect(results.evaluations.filter((e: any) => e.evaluator === 'pick').map((e: any) => e.label)).toEqual(['good', 'good', 'good']);
    // Comparisons do not decide whether a cell passed.
    expect(done.summary).toMatchObject({ totalCells: 9, totalPassed: 9 });
  });

  it('gives no winner when the verdict flips with the order reversed', async () => {
    judge = (r) => (r.schema ? { reasoning: 'first one', winner: 'A' } : undefined);
    await t.req('POST', '/api/experiments', { body: experiment('position-bias') });
    const done = await waitForRun(t, await startRun(t, 'position-bias'));
    const results = (await (await t.req('GET', `/api/experiments/runs/${done.runId}/results`)).json()) as any;
    const picks = results.evaluations.filter((e: any) => e.evaluator === 'pick');
    expect(picks.every((e: any) => e.status === 'skipped' && /changed when the order was reversed/.test(e.details))).toBe(true);
  });

  it('skips a row where a target failed, and refuses a comparison of one target at save time', async () => {
    judge = (r) => (r.schema ? { reasoning: 'b', winner: slotOf(r.prompt, 'best') } : undefined);
    const doc = experiment('one-down');
    doc.targets[2] = { id: 'weak', type: 'code', code: 'if (row.question === "q2") throw new Error("down"); return "weak"' };
    await t.req('POST', '/api/experiments', { body: { ...doc, evaluators: [{ id: 'pick', type: 'compare', targets: ['good', 'weak'], settings: { model: 'openai/gpt-4o-mini' } }] } });
    const done = await waitForRun(t, await startRun(t, 'one-down'));
    const results = (await (await t.req('GET', `/api/experiments/runs/${done.runId}/results`)).json()) as any;
    const picks = results.evaluations.filter((e: any) => e.evaluator === 'pick');
    expect(picks.map((e: any) => e.status)).toEqual(['processed', 'skipped', 'processed']);
    expect(picks[1].details).toContain('weak');
    const bad = await t.req('POST', '/api/experiments', { body: { ...doc, slug: 'one-target', evaluators: [{ id: 'pick', type: 'compare', targets: ['good'] }] } });
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as any).issues[0].path).toEqual(['evaluators', 0, 'targets']);
  });
});

describe('evaluator sets', () => {
  it('passes when the weighted share of passing members reaches the threshold', async () => {
    const set = (threshold: number) => ({
      id: 'set', type: 'evaluator_set',
      settings: {
        threshold,
        evaluators: [
          { id: 'mentions', type: 'langevals/basic', settings: { rules: [{ field: 'output', rule: 'contains', value: 'answer' }] }, weight: 2 },
          { id: 'exact', type: 'exact_match', inputs: { output: 'output', expected_output: 'row.expected' }, weight: 1 },
          { id: 'not-best', type: 'langevals/basic', settings: { rules: [{ field: 'output', rule: 'contains', value: 'best' }] }, negate: true },
        ],
      },
    });
    for (const [threshold, expected] of [[0.5, 6], [0.75, 3], [1, 0]] as const) {
      const slug = `set-${String(threshold).replace('.', '-')}`;
      await t.req('POST', '/api/experiments', { body: { ...experiment(slug), targets: experiment('x').targets.slice(0, 2), evaluators: [set(threshold)] } });
      const done = await waitForRun(t, await startRun(t, slug));
      // plain: mentions ✓(2) exact ✗(1) not-best ✓(1) → 3/4; good: mentions ✓(2) exact ✗ not-best ✗ → 2/4.
      expect(done.summary!.totalPassed, `threshold ${threshold}`).toBe(expected);
    }
    const bad = await t.req('POST', '/api/experiments', { body: { ...experiment('bad-set'), evaluators: [{ id: 's', type: 'evaluator_set', settings: { evaluators: [{ id: 'x', type: 'nope' }] } }] } });
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as any).issues[0].path).toEqual(['evaluators', 0, 'settings', 'evaluators', 0, 'type']);
  });
});
