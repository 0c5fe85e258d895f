// Comparing runs end to end (issue "compare runs"): a 200-row experiment whose code target is
// switched by a run parameter, compared by index; content matching over reordered inline
// data; the baseline's defaults and refusals; the export.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Comparison } from '../../src/core/model/compare.js';
import { startTestAssay, type TestAssay } from '../../src/testing/harness.js';
import { startRun, waitForRun } from '../../src/testing/runs.js';

let t: TestAssay;

// Row i passes under a variant when that variant's column says "yes".
// base: rows 0–9 fail. cand: rows 2–39 fail (so 10–39 regress and 0–1 improve). one: only row 50 fails besides 0–9.
const rows = Array.from({ length: 200 }, (_, i) => ({
  i,
  expected: 'yes',
  base: i < 10 ? 'no' : 'yes',
  cand: i >= 2 && i < 40 ? 'no' : 'yes',
  one: i < 10 || i === 50 ? 'no' : 'yes',
}));

async function finished(body: Record<string, unknown>): Promise<string> {
  const runId = await startRun(t, 'switch', body);
  const r = await waitForRun(t, runId);
  expect(r.status).toBe('completed');
  return runId;
}

async function compare(runId: string, query = ''): Promise<Comparison> {
  const res = await t.req('GET', `/api/experiments/runs/${runId}/compare${query}`);
  expect(res.status).toBe(200);
  return (await res.json()) as Comparison;
}

let baseline: string;
let candidate: string;

beforeAll(async () => {
  t = await startTestAssay();
  const res = await t.req('POST', '/api/experiments', {
    body: {
      slug: 'switch', name: 'switch',
      dataset: { rows },
      targets: [{ id: 'code', type: 'code', code: 'return row[row.variant]' }],
      evaluators: [{ id: 'exact', name: 'Exact', type: 'langevals/exact_match', inputs: { output: 'output', expected_output: 'row.expected' } }],
    },
  });
  expect(res.status).toBe(201);
  baseline = await finished({ parameters: { variant: 'base' } });
  candidate = await finished({ parameters: { variant: 'cand' } });
}, 60_000);
afterAll(() => t.close());

describe('compare runs', () => {
  it('finds the 30 regressed and 2 improved rows, significant by exact McNemar: verdict regressed', async () => {
    const c = await compare(candidate, `?baseline=${baseline}&limit=1000`);
    expect(c).toMatchObject({ runId: candidate, baselineRunId: baseline, alpha: 0.05, verdict: 'regressed', matchedBy: 'index' });
    expect(c.matched).toEqual({ rows: 200, cells: 200 });
    expect(c.unmatched).toEqual({ candidate: 0, baseline: 0 });
    expect(c.rows.counts).toEqual({ regressed: 30, improved: 2, unchanged: 168 });
    const regressed = c.rows.items.filter((i) => i.change === 'regressed').map((i) => i.rowIndex);
    const improved = c.rows.items.filter((i) => i.change === 'improved').map((i) => i.rowIndex);
    expect(regressed).toEqual(Array.from({ length: 30 }, (_, k) => k + 10));
    expect(improved).toEqual([0, 1]);
    expect(c.rows.items.find((i) => i.rowIndex === 10)).toMatchObject({
      targetId: 'code', evaluatorId: 'exact', baseline: { passed: true, score: null, output: 'yes' }, candidate: { passed: false, score: null, output: 'no' },
    });
    const [ev] = c.evaluators;
    expect(ev).toMatchObject({ evaluatorId: 'exact', name: 'Exact', targetId: 'code', baseline: { n: 200, passRate: 95 }, candidate: { n: 200, passRate: 81 }, delta: { passRate: -14 } });
    expect(ev!.test.name).toBe('mcnemar_exact');
    expect(ev!.test.pValue).toBeLessThan(0.001);
    expect(ev!.test.significant).toBe(true);
    // The interval of the paired difference (points) lies below zero.
    expect(ev!.test.ci95![1]).toBeLessThan(0);
    // A code target runs in the sandbox, which reaches no provider: its calls are free, and priced at $0.
    expect(c.targets[0]).toMatchObject({ targetId: 'code', baseline: { cells: 200, errors: 0, cost: 0 }, candidate: { cells: 200, errors: 0, cost: 0 }, delta: { errors: 0, cost: 0 } });
    expect(c.targets[0]!.baseline).not.toHaveProperty('unpricedCalls');
  });

  it('without ?baseline= compares with the previous finished run of the experiment', async () => {
    const c = await compare(candidate);
    expect(c.baselineRunId).toBe(baseline);
    expect(c.verdict).toBe('regressed');
  });

  it('lists only what was asked (regressed, improved, all) and pages', async () => {
    const improved = await compare(candidate, `?baseline=${baseline}&change=improved`);
    expect(improved.rows.items.map((i) => i.rowIndex)).toEqual([0, 1]);
    const page = await compare(candidate, `?baseline=${baseline}&change=regressed&offset=5&limit=3`);
    expect(page.rows.items.map((i) => i.rowIndex)).toEqual([15, 16, 17]);
    expect(page.rows.pagination).toEqual({ offset: 5, limit: 3, total: 30 });
    const all = await compare(candidate, `?baseline=${baseline}&change=all&limit=1000`);
    expect(all.rows.items).toHaveLength(200);
  });

  it('one changed row is not significant: verdict no_significant_change', async () => {
    const one = await finished({ parameters: { variant: 'one' }, baselineRunId: baseline });
    // The run body's baselineRunId is the default baseline.
    const c = await compare(one);
    expect(c.baselineRunId).toBe(baseline);
    expect(c.rows.counts).toMatchObject({ regressed: 1, improved: 0 });
    expect(c.evaluators[0]!.test.significant).toBe(false);
    expect(c.verdict).toBe('no_significant_change');
  });

  it('a baseline that is missing or another project’s is refused with 404 at start and at compare', async () => {
    const missing = await t.req('POST', '/api/experiments/switch/run', { body: { baselineRunId: 'run_missing' } });
    expect(missing.status).toBe(404);
    expect(await missing.json()).toMatchObject({ error: 'run_not_found' });
    const other = await t.otherProject();
    const foreign = await t.req('POST', '/api/experiments/switch/run', { key: other.key, body: {} });
    expect(foreign.status).toBe(404);
    // Another project cannot compare this project's runs, nor name them as its baseline.
    const res = await t.req('GET', `/api/experiments/runs/${candidate}/compare?baseline=${baseline}`, { key: other.key });
    expect(res.status).toBe(404);
    expect(await res.json()).toMatchObject({ error: 'run_not_found' });
    const absent = await t.req('GET', `/api/experiments/runs/${candidate}/compare?baseline=run_nope`);
    expect(absent.status).toBe(404);
  });

  it('refuses a bad alpha, a bad change filter, a limit over 1000 and comparing a run with itself', async () => {
    for (const q of ['?alpha=2', '?alpha=x', '?change=worse', '?limit=1001', `?baseline=${candidate}`]) {
      const res = await t.req('GET', `/api/experiments/runs/${candidate}/compare${q}`);
      expect(res.status, q).toBe(400);
      expect(typeof ((await res.json()) as { error: unknown }).error).toBe('string');
    }
  });

  it('the first run of an experiment has no previous run: a clear 404', async () => {
    const res = await t.req('GET', `/api/experiments/runs/${baseline}/compare`);
    expect(res.status).toBe(404);
    expect(((await res.json()) as { message: string }).message).toMatch(/no previous finished run/);
  });

  it('rows of different data pair by content, whatever their order, and the unmatched are counted', async () => {
    const shuffled = [...rows].reverse().slice(0, 150).map((r) => ({ ...r }));
    shuffled.push({ i: 999, expected: 'yes', base: 'yes', cand: 'yes', one: 'yes' });
    const inline = await finished({ data: shuffled, parameters: { variant: 'cand' } });
    const c = await compare(inline, `?baseline=${baseline}&limit=1000`);
    expect(c.matchedBy).toBe('content');
    // Rows 50–199 of the dataset are in the inline data (reversed), plus one new row.
    expect(c.matched.rows).toBe(150);
    expect(c.unmatched).toEqual({ candidate: 1, baseline: 50 });
    // Of the regressions (rows 10–39) none is in the inline data; nothing changed.
    expect(c.rows.counts).toMatchObject({ regressed: 0, improved: 0, unchanged: 150 });
    const against = await compare(candidate, `?baseline=${inline}&change=all&limit=1000`);
    const item = against.rows.items.find((i) => i.rowIndex === 60)!;
    // Row 60 of the dataset is row 139 of the reversed inline data.
    expect(item.baselineRowIndex).toBe(139);
  });

  it('exports every compared row as JSON Lines and as CSV', async () => {
    const jsonl = await t.req('GET', `/api/experiments/runs/${candidate}/compare/export?baseline=${baseline}&format=jsonl`);
    expect(jsonl.status).toBe(200);
    const lines = (await jsonl.text()).trim().split('\n').map((l) => JSON.parse(l) as { rowIndex: number; change: string });
    expect(lines).toHaveLength(200);
    expect(lines.filter((l) => l.change === 'regressed')).toHaveLength(30);
    const csv = await t.req('GET', `/api/experiments/runs/${candidate}/compare/export?baseline=${baseline}&format=csv`);
    expect(csv.headers.get('content-type')).toMatch(/text\/csv/);
    const text = (await csv.text()).trim().split('\n');
    expect(text[0]).toMatch(/^rowIndex,baselineRowIndex,targetId,evaluatorId,change/);
    expect(text).toHaveLength(201);
  });

  it('is served under the legacy prefix too', async () => {
    const res = await t.req('GET', `/api/evaluations/v3/runs/${candidate}/compare?baseline=${baseline}`);
    expect(res.status).toBe(200);
  });
});
