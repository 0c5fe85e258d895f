// Repeats as statistics (issue "compare runs"): per row × target × evaluator the repeats'
// verdicts in the results, the summary's spread and flaky rows, and comparisons of runs with
// repeats paired over rows.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Comparison } from '../../src/core/model/compare.js';
import type { ResultsPage } from '../../src/core/model/run-api.js';
import { startTestAssay, type TestAssay } from '../../src/testing/harness.js';
import { startRun, waitForRun } from '../../src/testing/runs.js';

let t: TestAssay;
const kinds = Array.from({ length: 30 }, (_, i) => (i % 3 === 0 ? 'pass' : i % 3 === 1 ? 'fail' : 'random'));

beforeAll(async () => {
  t = await startTestAssay();
  const res = await t.req('POST', '/api/experiments', {
    body: {
      slug: 'flaky', name: 'flaky',
      dataset: { rows: kinds.map((kind, i) => ({ i, kind })) },
      targets: [{ id: 'coin', type: 'code', code: "if (row.kind === 'pass') return 'yes'; if (row.kind === 'fail') return 'no'; return Math.random() < 0.5 ? 'yes' : 'no'" }],
      evaluators: [{ id: 'yes', type: 'langevals/exact_match', inputs: { output: 'output', expected_output: 'row.expected' } }],
      execution: { repeats: 5 },
    },
  });
  expect(res.status).toBe(201);
}, 30_000);
afterAll(() => t.close());

async function results(runId: string, query = ''): Promise<ResultsPage> {
  const res = await t.req('GET', `/api/experiments/runs/${runId}/results${query}`);
  expect(res.status).toBe(200);
  return (await res.json()) as ResultsPage;
}

describe('repeats as statistics', () => {
  let runId: string;

  it("every row's {n, passed} matches its stored cells; flakyRows counts the rows whose repeats disagree", async () => {
    runId = await startRun(t, 'flaky', { parameters: { expected: 'yes' } });
    const run = await waitForRun(t, runId);
    expect(run.status).toBe('completed');
    const page = await results(runId, '?limit=5000');
    expect(page.dataset).toHaveLength(150);
    // The stored verdicts, counted here from the evaluations of the same page.
    const stored = new Map<number, boolean[]>();
    for (const e of page.evaluations) stored.set(e.index, [...(stored.get(e.index) ?? []), e.passed === true]);
    let disagreeing = 0;
    for (const [index, verdicts] of stored) {
      const passed = verdicts.filter(Boolean).length;
      if (passed > 0 && passed < verdicts.length) disagreeing++;
      for (const entry of page.dataset.filter((d) => d.index === index)) {
        expect(entry.repeats?.yes).toEqual({ n: 5, passed, passAtK: passed > 0, passHatK: passed === 5 });
      }
      if (kinds[index] === 'fail') expect(passed).toBe(0);
      if (kinds[index] === 'pass') expect(passed).toBe(5);
    }
    const ev = run.summary!.evaluators[0];
    expect(ev.flakyRows).toBe(disagreeing);
    // 10 random rows × 5 coin flips: all ten agreeing by chance has probability ~2e-11.
    expect(disagreeing).toBeGreaterThan(0);
    expect(ev.stderr.passRate).toBeGreaterThan(0);
    const [lo, hi] = ev.ci95.passRate as [number, number];
    expect(lo).toBeLessThan(ev.passRate);
    expect(hi).toBeGreaterThan(ev.passRate);
  });

  it('a page that cuts a row in the middle still reports all of its repeats', async () => {
    const page = await results(runId, '?offset=2&limit=4');
    expect(page.dataset.map((d) => d.repeat)).toEqual([2, 3, 4, 0]);
    for (const entry of page.dataset) expect(entry.repeats?.yes?.n).toBe(5);
    expect(page.dataset[0]!.repeats).toEqual((await results(runId, '?offset=0&limit=1')).dataset[0]!.repeats);
  });

  it('runs without repeats carry no repeats block and no spread', async () => {
    const single = await startRun(t, 'flaky', { parameters: { expected: 'yes' }, repeats: 1 });
    const run = await waitForRun(t, single);
    expect(run.summary!.evaluators[0].flakyRows).toBeUndefined();
    expect(run.summary!.evaluators[0].stderr).toBeUndefined();
    expect((await results(single)).dataset[0]!.repeats).toBeUndefined();
  });

  it('comparisons of runs with repeats pair per-row means over rows (Wilcoxon)', async () => {
    const worse = await startRun(t, 'flaky', { parameters: { expected: 'no' } });
    await waitForRun(t, worse);
    const res = await t.req('GET', `/api/experiments/runs/${worse}/compare?baseline=${runId}&limit=1000&change=all`);
    const c = (await res.json()) as Comparison;
    expect(c.matched.rows).toBe(30);
    expect(c.evaluators[0]!.test.name).toBe('wilcoxon_signed_rank');
    // Pass shares, not booleans: a row that always passed now always fails (1 → 0).
    const row0 = c.rows.items.find((i) => i.rowIndex === 0)!;
    expect(row0).toMatchObject({ change: 'regressed', baseline: { passed: 1 }, candidate: { passed: 0 } });
  });
});
