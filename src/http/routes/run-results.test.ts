// Paging of GET /runs/{runId}/results: limit=0 answered one cell (it was clamped to at least 1)
// while datasets answer none. Now 0 is an empty page whose pagination still gives the total.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestAssay, type TestAssay } from '../../testing/harness.js';

interface Page {
  dataset: { index: number }[];
  evaluations: unknown[];
  pagination: { offset: number; limit: number; total: number; nextOffset: number | null };
}

let t: TestAssay;
let runId: string;

beforeAll(async () => {
  t = await startTestAssay();
  await t.client.json('POST', '/api/experiments', {
    slug: 'paged', name: 'paged',
    dataset: { rows: [{ q: 'a' }, { q: 'b' }, { q: 'c' }] },
    targets: [{ id: 'echo', type: 'code', code: 'return row.q' }],
    evaluators: [{ id: 'exact', type: 'langevals/exact_match', inputs: { output: 'output', expected_output: 'row.q' } }],
  });
  runId = (await t.client.startRun('paged')).runId;
  expect((await t.client.waitForEnd(runId, 30_000)).status).toBe('completed');
});
afterAll(() => t.close());

const page = async (query: string) => (await (await t.req('GET', `/api/experiments/runs/${runId}/results?${query}`)).json()) as Page;

describe('GET /runs/{runId}/results paging', () => {
  it('answers no cells for limit=0, with the total, on both prefixes', async () => {
    for (const prefix of ['/api/experiments', '/api/evaluations/v3']) {
      const res = await t.req('GET', `${prefix}/runs/${runId}/results?limit=0`);
      expect(res.status).toBe(200);
      const body = (await res.json()) as Page;
      expect(body.dataset).toEqual([]);
      expect(body.evaluations).toEqual([]);
      expect(body.pagination).toEqual({ offset: 0, limit: 0, total: 3, nextOffset: null });
    }
    expect((await page('offset=1&limit=0')).pagination).toEqual({ offset: 1, limit: 0, total: 3, nextOffset: null });
  });

  it('answers limit cells from offset, and all of them by default', async () => {
    const two = await page('offset=1&limit=2');
    expect(two.dataset.map((d) => d.index)).toEqual([1, 2]);
    expect(two.evaluations).toHaveLength(2);
    // The last committed cell is on this page: nothing follows.
    expect(two.pagination.nextOffset).toBeNull();
    expect((await page('offset=0&limit=2')).pagination.nextOffset).toBe(2);
    expect((await page('')).dataset.map((d) => d.index)).toEqual([0, 1, 2]);
    expect((await page('limit=999999')).pagination.limit).toBe(5000);
  });

  it('matches datasets, where limit=0 is no rows too', async () => {
    await t.client.json('POST', '/api/datasets', { name: 'three', rows: [{ q: 'a' }, { q: 'b' }, { q: 'c' }] });
    const ds = (await (await t.req('GET', '/api/datasets/three?limit=0')).json()) as { rows: unknown[]; limit: number; rowCount: number };
    expect(ds).toMatchObject({ rows: [], limit: 0, rowCount: 3 });
  });

  it('answers an offset or limit past any run with an empty page or a 400, never a 500', async () => {
    await t.client.json('POST', '/api/datasets', { name: 'rows of three', slug: 'rows-of-three', rows: [{ q: 'a' }, { q: 'b' }, { q: 'c' }] });
    const huge = ['9223372036854775808', '99999999999999999999', '9'.repeat(400)];
    const paths = (n: string) => [
      `/api/experiments/runs/${runId}/results?offset=${n}`,
      `/api/experiments/runs/${runId}/results?limit=${n}`,
      `/api/experiments/runs/${runId}/compare?baseline=${runId}&offset=${n}`,
      `/api/experiments/runs/${runId}/reviews?offset=${n}`,
      `/api/datasets/rows-of-three?offset=${n}`,
      `/api/datasets?page=${n}`,
      `/api/experiments/runs?experimentSlug=paged&page=${n}`,
      `/api/experiments/runs/${runId}/events?lastEventId=${n}`,
    ];
    for (const n of huge) {
      for (const path of paths(n)) {
        const res = await t.req('GET', path);
        const text = await res.text();
        expect([200, 400, 404], `${path} → ${res.status} ${text.slice(0, 200)}`).toContain(res.status);
        if (res.status === 200 && path.includes('/results?offset')) expect((JSON.parse(text) as Page).dataset).toEqual([]);
      }
    }
  });
});
