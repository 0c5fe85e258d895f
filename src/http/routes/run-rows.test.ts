// GET …/runs/{runId}/rows: a run's rows as its targets saw them, from each place rows come from
// (the request's `data`, the experiment's document, a saved dataset's version, parameters
// alone), with row_indices, paging by row index, the 4 MB page bound, and refusals.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { z } from 'zod';
import type { runRowsPageSchema } from '../../core/model/run-api.js';
import { startTestAssay, type TestAssay } from '../../testing/harness.js';
import { startRun, waitForRun } from '../../testing/runs.js';

type Page = z.infer<typeof runRowsPageSchema>;

let t: TestAssay;

const doc = {
  slug: 'echo', name: 'echo',
  dataset: { rows: Array.from({ length: 5 }, (_, i) => ({ q: `doc ${i}` })) },
  targets: [{ id: 'echo', type: 'code', code: 'return String(row.q)' }],
};

beforeAll(async () => {
  t = await startTestAssay();
  expect((await t.req('POST', '/api/experiments', { body: doc })).status).toBe(201);
});
afterAll(() => t.close());

async function rows(runId: string, query = ''): Promise<Page> {
  const res = await t.req('GET', `/api/experiments/runs/${runId}/rows${query}`);
  expect(res.status, await res.clone().text()).toBe(200);
  return (await res.json()) as Page;
}

async function finished(body?: unknown): Promise<string> {
  const runId = await startRun(t, 'echo', body);
  expect((await waitForRun(t, runId)).status).toBe('completed');
  return runId;
}

describe("a run's rows", () => {
  it('gives back the rows sent as `data`, with the parameters merged, page by page', async () => {
    const data = Array.from({ length: 7 }, (_, i) => ({ q: `sent ${i}`, n: i }));
    const runId = await finished({ data, parameters: { lang: 'fr' } });
    const first = await rows(runId, '?limit=3');
    expect(first).toEqual({
      runId, offset: 0, limit: 3, nextOffset: 3,
      rows: [0, 1, 2].map((i) => ({ index: i, entry: { q: `sent ${i}`, n: i, lang: 'fr' } })),
    });
    const last = await rows(runId, '?offset=6&limit=3');
    expect(last.rows).toEqual([{ index: 6, entry: { q: 'sent 6', n: 6, lang: 'fr' } }]);
    expect(last.nextOffset).toBeNull();
    // Past the end: no rows and nothing next. The default page holds them all.
    expect(await rows(runId, '?offset=50')).toMatchObject({ rows: [], nextOffset: null });
    expect((await rows(runId)).rows.map((r) => r.index)).toEqual([0, 1, 2, 3, 4, 5, 6]);
    // The same entries the results give for the finished cells.
    const results = (await (await t.req('GET', `/api/experiments/runs/${runId}/results`)).json()) as { dataset: { index: number; entry: unknown }[] };
    for (const d of results.dataset) expect((await rows(runId, `?offset=${d.index}&limit=1`)).rows[0]!.entry).toEqual(d.entry);
  });

  it("reads the experiment's document at the run's version, and only the rows row_indices selected", async () => {
    const runId = await finished({ row_indices: [4, 1, 3] });
    // A later version of the document does not change what the run read.
    const edited = { ...doc, dataset: { rows: doc.dataset.rows.map((r) => ({ q: `${r.q} (edited)` })) } };
    expect((await t.req('PUT', '/api/experiments/echo', { body: edited })).status).toBe(200);
    expect(await rows(runId)).toMatchObject({ rows: [{ index: 1, entry: { q: 'doc 1' } }, { index: 3, entry: { q: 'doc 3' } }, { index: 4, entry: { q: 'doc 4' } }], nextOffset: null });
    // Pages are by row index: [0, 2) holds row 1, and the next page starts at 2.
    expect(await rows(runId, '?limit=2')).toMatchObject({ rows: [{ index: 1 }], nextOffset: 2 });
    expect(await rows(runId, '?offset=2&limit=2')).toMatchObject({ rows: [{ index: 3 }], nextOffset: 4 });
    // A page holding none of the selected rows still says where the rest are.
    const none = await finished({ row_indices: [4] });
    expect(await rows(none, '?limit=2')).toMatchObject({ rows: [], nextOffset: 2 });
    expect(await rows(none, '?offset=3&limit=2')).toMatchObject({ rows: [{ index: 4 }], nextOffset: null });
    expect((await t.req('PUT', '/api/experiments/echo', { body: doc })).status).toBe(200);
  });

  it("reads a saved dataset's version the run used, and stops a page of large rows at 4 MB", async () => {
    const big = (i: number) => ({ q: `big ${i}`, text: String(i).repeat(900_000) });
    const created = await t.req('POST', '/api/datasets', { body: { name: 'large rows', rows: [0, 1, 2].map(big) } });
    expect(created.status).toBe(201);
    const { id } = (await created.json()) as { id: string };
    expect((await t.req('POST', `/api/datasets/${id}/records`, { body: { rows: [3, 4, 5].map(big) } })).status).toBe(200);
    const runId = await finished({ dataset_id: id });
    // Rows appended after the run started are not its rows.
    expect((await t.req('POST', `/api/datasets/${id}/records`, { body: { rows: [big(6)] } })).status).toBe(200);
    const seen: number[] = [];
    let offset: number | null = 0;
    let pages = 0;
    while (offset !== null) {
      const page = await rows(runId, `?offset=${offset}&limit=1000`);
      // 900 KB a row: at most four fit in 4 MB, and a page always moves on.
      expect(page.rows.length).toBeGreaterThanOrEqual(1);
      expect(page.rows.length).toBeLessThanOrEqual(4);
      for (const r of page.rows) expect(r.entry).toEqual(big(r.index));
      seen.push(...page.rows.map((r) => r.index));
      offset = page.nextOffset;
      pages++;
    }
    expect(seen).toEqual([0, 1, 2, 3, 4, 5]);
    expect(pages).toBeGreaterThanOrEqual(2);
  });

  it('gives the one row of a run on parameters alone', async () => {
    const { dataset: _, ...bare } = { ...doc, slug: 'bare', name: 'bare' };
    expect((await t.req('POST', '/api/experiments', { body: bare })).status).toBe(201);
    const runId = await startRun(t, 'bare', { parameters: { q: 'from parameters' } });
    expect((await waitForRun(t, runId)).status).toBe('completed');
    const poll = (await (await t.req('GET', `/api/experiments/runs/${runId}`)).json()) as { request: { rows: { kind: string } } };
    expect(poll.request.rows.kind).toBe('parameters');
    expect(await rows(runId)).toMatchObject({ rows: [{ index: 0, entry: { q: 'from parameters' } }], nextOffset: null });
  });

  it('refuses a limit of 0 or one that is not a number, and answers 404 for a run of another project', async () => {
    const runId = await finished({ data: [{ q: 'x' }] });
    for (const query of ['?limit=0', '?limit=-1', '?limit=abc', '?offset=1.5']) {
      const res = await t.req('GET', `/api/experiments/runs/${runId}/rows${query}`);
      expect(res.status, query).toBe(400);
      expect(await res.json(), query).toMatchObject({ error: 'validation_error' });
    }
    // Larger than the most: capped, not refused.
    expect((await rows(runId, '?limit=99999')).limit).toBe(1000);
    const other = await t.otherProject();
    const res = await t.req('GET', `/api/experiments/runs/${runId}/rows`, { key: other.key });
    expect(res.status).toBe(404);
    expect(await res.text()).not.toContain('"x"');
  });
});
