// Evaluator inputs mapped to columns the run's rows lack are refused at the start, before any
// cell: such an evaluator skips every cell and the run passes its gate with nothing checked.
// The rows are the experiment's own, the request's `data`, or a saved dataset's version; the
// run's parameters count as columns (they are merged into every row).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestAssay, type TestAssay } from '../../testing/harness.js';
import { startRun, waitForRun } from '../../testing/runs.js';

let t: TestAssay;

const doc = (slug: string, mapping: string, dataset: object = { rows: [{ country: 'France', expected: 'Paris' }] }) => ({
  slug, name: slug, dataset,
  targets: [{ id: 'echo', type: 'code', code: 'return row.expected ?? row.answer ?? row.lang' }],
  evaluators: [{ id: 'exact', type: 'langevals/exact_match', inputs: { expected_output: mapping } }],
});

beforeAll(async () => {
  t = await startTestAssay();
});
afterAll(() => t.close());

const message = async (res: Response) => ((await res.json()) as { message: string }).message;

describe('mapped columns at the start of a run', () => {
  it("refuses a mapping to a column the experiment's rows lack, with the column meant, and starts nothing", async () => {
    expect((await t.req('POST', '/api/experiments', { body: doc('typo', 'row.expectd') })).status).toBe(201);
    const res = await t.req('POST', '/api/experiments/typo/run');
    expect(res.status).toBe(400);
    expect(await message(res)).toBe('Invalid run: evaluator "exact" maps expected_output to row.expectd, but the rows have no column "expectd" (did you mean "expected"?); every cell would skip it. The rows\' columns: country, expected');
    const estimate = await t.req('POST', '/api/experiments/typo/estimate');
    expect(estimate.status).toBe(400);
    const runs = (await (await t.req('GET', '/api/experiments/runs?experimentSlug=typo')).json()) as { runs: unknown[] };
    expect(runs.runs).toEqual([]);
  });

  it("checks the request's data and a saved dataset's version instead, and counts parameters as columns", async () => {
    expect((await t.req('POST', '/api/experiments', { body: doc('by-answer', 'row.answer') })).status).toBe(201);
    // The experiment's rows have no `answer`: refused; data that has it runs.
    expect((await t.req('POST', '/api/experiments/by-answer/run')).status).toBe(400);
    const ok = await startRun(t, 'by-answer', { data: [{ country: 'Peru', answer: 'Lima' }] });
    expect((await waitForRun(t, ok)).status).toBe('completed');
    const results = (await (await t.req('GET', `/api/experiments/runs/${ok}/results`)).json()) as { evaluations: { status: string; passed: boolean }[] };
    expect(results.evaluations[0]).toMatchObject({ status: 'processed', passed: true });

    // A saved dataset without it: refused naming its columns; after an append that adds it, runs.
    expect((await t.req('POST', '/api/datasets', { body: { name: 'caps', slug: 'caps', rows: [{ country: 'Chad', expected: "N'Djamena" }] } })).status).toBe(201);
    const refused = await t.req('POST', '/api/experiments/by-answer/run', { body: { dataset_id: 'caps' } });
    expect(await message(refused)).toContain('the rows have no column "answer"');
    expect((await t.req('POST', '/api/datasets/caps/records', { body: { rows: [{ country: 'Mali', answer: 'Bamako' }] } })).status).toBe(200);
    expect((await t.req('POST', '/api/experiments/by-answer/run', { body: { dataset_id: 'caps' } })).status).toBe(200);

    // A parameter is merged into every row: mapping to it is reading a column.
    expect((await t.req('POST', '/api/experiments', { body: doc('by-param', 'row.lang') })).status).toBe(201);
    expect((await t.req('POST', '/api/experiments/by-param/run')).status).toBe(400);
    expect((await t.req('POST', '/api/experiments/by-param/run', { body: { parameters: { lang: 'fr' } } })).status).toBe(200);
  });

  it('lets a column with dots be read by its first part, and leaves evaluators the run does not select alone', async () => {
    expect((await t.req('POST', '/api/experiments', { body: doc('nested', 'row.meta.gold', { rows: [{ meta: { gold: 'x' }, expected: 'x' }] }) })).status).toBe(201);
    expect((await t.req('POST', '/api/experiments/nested/run')).status).toBe(200);
    expect((await t.req('POST', '/api/experiments', { body: { ...doc('unselected', 'row.nope'), evaluators: [...doc('x', 'row.nope').evaluators, { id: 'ok', type: 'langevals/exact_match' }] } })).status).toBe(201);
    expect((await t.req('POST', '/api/experiments/unselected/run', { body: { evaluators: ['ok'] } })).status).toBe(200);
  });
});
