// `?baseline=previous` picks the newest earlier finished run whose rows cover the candidate's:
// a "Re-run failed rows" (a run of one row) is not the baseline of the next full run, which
// would then be gated on a third of its rows. Real SQLite through the test harness.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { covers } from '../../app/runs/compare.js';
import type { RunRecord, RunSpec } from '../../core/model/run.js';
import { startTestAssay, type TestAssay } from '../../testing/harness.js';
import { startRun, waitForRun } from '../../testing/runs.js';

let t: TestAssay;

beforeAll(async () => {
  t = await startTestAssay();
});
afterAll(async () => {
  await t.close();
});

// Three rows; the target answers row 2 wrongly, so a full run passes 2 of 3 and a re-run of the failed row 0 of 1.
const rows = [{ q: 'a', expected: 'a' }, { q: 'b', expected: 'b' }, { q: 'c', expected: 'not c' }];
const experiment = (slug: string) => ({
  slug, name: slug, dataset: { rows },
  targets: [{ id: 'echo', type: 'code', code: 'return row.q' }],
  evaluators: [{ id: 'exact', type: 'langevals/exact_match' }],
  execution: { maxRetries: 0 },
});

/** Starts a run, waits for it to finish, and returns its id (start times distinct to the ms). */
async function ran(slug: string, body: Record<string, unknown> = {}): Promise<string> {
  await new Promise((r) => setTimeout(r, 5));
  const runId = await startRun(t, slug, body);
  expect((await waitForRun(t, runId)).status).toBe('completed');
  return runId;
}

async function previousOf(runId: string): Promise<{ baselineRunId: string; matched: { rows: number }; unmatched: { candidate: number; baseline: number } }> {
  const res = await t.req('GET', `/api/experiments/runs/${runId}/compare?baseline=previous`);
  expect(res.status).toBe(200);
  return (await res.json()) as never;
}

describe('?baseline=previous', () => {
  it('passes over a partial re-run for the earlier run of every row, and a partial run takes a run covering its rows', async () => {
    expect((await t.req('POST', '/api/experiments', { body: experiment('support-bot') })).status).toBe(201);
    const full1 = await ran('support-bot');
    const rerun = await ran('support-bot', { row_indices: [2] });
    const full2 = await ran('support-bot');

    // The full run is compared with the first full run, on all three rows; not with the 1-row re-run.
    const cmp = await previousOf(full2);
    expect(cmp.baselineRunId).toBe(full1);
    expect(cmp.matched.rows).toBe(3);
    expect(cmp.unmatched).toEqual({ candidate: 0, baseline: 0 });

    // A partial run: the newest earlier run that covers it (the full one just before).
    const row2 = await ran('support-bot', { row_indices: [2] });
    expect((await previousOf(row2)).baselineRunId).toBe(full2);
    // Row 1: the re-run of row 2 just before does not cover it; the full run does.
    const row1 = await ran('support-bot', { row_indices: [1] });
    expect((await previousOf(row1)).baselineRunId).toBe(full2);
    // Row 2 again: a partial run of that row covers it (the newest, not the full run).
    const again = await ran('support-bot', { row_indices: [2] });
    expect((await previousOf(again)).baselineRunId).toBe(row2);
    expect(rerun).not.toBe(row2);

    // The runs list says how many rows each run ran, for pages to tell a partial run apart.
    const list = (await (await t.req('GET', '/api/experiments/runs?experimentSlug=support-bot')).json()) as { runs: { runId: string; rowCount?: number; rowIndices?: number | null }[] };
    const byId = new Map(list.runs.map((r) => [r.runId, r]));
    expect(byId.get(full1)).toMatchObject({ rowCount: 3, rowIndices: null });
    expect(byId.get(rerun)).toMatchObject({ rowCount: 3, rowIndices: 1 });
  });

  it('falls back to the newest earlier run when none covers the candidate: the comparison says what matched', async () => {
    expect((await t.req('POST', '/api/experiments', { body: experiment('partial-first') })).status).toBe(201);
    const first = await ran('partial-first', { row_indices: [0] });
    const full = await ran('partial-first');
    const cmp = await previousOf(full);
    expect(cmp.baselineRunId).toBe(first);
    // What the CLI's warning reads: 1 of this run's 3 rows matched.
    expect(cmp.matched.rows).toBe(1);
    expect(cmp.unmatched).toEqual({ candidate: 2, baseline: 0 });
  });

  it('of runs of inline data (rows matched by content), passes over a run of fewer rows', async () => {
    expect((await t.req('POST', '/api/experiments', { body: experiment('inline-rows') })).status).toBe(201);
    const data = [{ q: 'x', expected: 'x' }, { q: 'y', expected: 'y' }, { q: 'z', expected: 'not z' }];
    const full1 = await ran('inline-rows', { data });
    // The page's "Re-run failed rows" of an inline run sends the failed row's data: a run of one row of its own.
    await ran('inline-rows', { data: [data[2]] });
    const full2 = await ran('inline-rows', { data });
    const cmp = await previousOf(full2);
    expect(cmp.baselineRunId).toBe(full1);
    expect(cmp.matched.rows).toBe(3);
  });
});

describe('covers', () => {
  const spec = (s: Partial<RunSpec>): RunSpec => ({ rows: { kind: 'experiment', experimentId: 'e', version: 1 }, sourceRowCount: 3, rowIndices: null, ...s }) as RunSpec;
  const run = (s: Partial<RunSpec>, progress = 3, total = 3) => ({ progress, total, spec: spec(s) }) as Pick<RunRecord, 'progress' | 'total' | 'spec'>;

  it('decides by index over the same rows, by a run of every row (as many or more) over others', () => {
    expect(covers(run({}), spec({}))).toBe(true);
    expect(covers(run({ rowIndices: [2] }, 1, 1), spec({}))).toBe(false);
    expect(covers(run({ rowIndices: [0, 1, 2] }), spec({}))).toBe(true);
    expect(covers(run({ rowIndices: [1, 2] }, 2, 2), spec({ rowIndices: [2] }))).toBe(true);
    // A run stopped part-way did not run every row it selected.
    expect(covers(run({}, 1, 3), spec({ rowIndices: [0] }))).toBe(false);
    // Another version: indices name other rows; a run of every row of at least as many covers.
    const v2 = { rows: { kind: 'experiment', experimentId: 'e', version: 2 } } as const;
    expect(covers(run({}), spec({ ...v2 }))).toBe(true);
    expect(covers(run({}), spec({ ...v2, sourceRowCount: 4 }))).toBe(false);
    expect(covers(run({ rowIndices: [0, 1, 2] }), spec({ ...v2, rowIndices: [0] }))).toBe(false);
    const dataset = { rows: { kind: 'dataset', datasetId: 'd', version: 1, rowCount: 3 } } as const;
    expect(covers(run({ ...dataset }), spec({ ...dataset, rowIndices: [2] }))).toBe(true);
    expect(covers(run({ ...dataset, rowIndices: [1] }, 1, 1), spec({ ...dataset, rowIndices: [2] }))).toBe(false);
  });
});
