// Pages bounded in bytes as well as in count: a results page of cells with megabyte outputs,
// an export, a replay of the run's events and a dataset page each read at most PAGE_BYTES of
// stored text past their first item, and say where the next page starts (nextOffset).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PAGE_BYTES } from '../../core/model/paging.js';
import { startTestAssay, type TestAssay } from '../../testing/harness.js';
import { parseSse } from '../../testing/runs.js';

interface Page {
  dataset: { index: number; predicted: { output: unknown } }[];
  pagination: { offset: number; limit: number; total: number; nextOffset: number | null };
}

const ROWS = 20;
/** Each output is about 1 MB, so 20 cells are about five pages. */
const OUTPUT_CHARS = 1_000_000;

let t: TestAssay;
let fullRun: string;
let pickedRun: string;
/** row_indices in an order of their own: results are paged by OFFSET, not by cell number. */
const PICKED = [7, 3, 19, 0, 12, 5, 18, 1, 9, 14, 2, 16, 11, 6, 17, 4, 13, 8, 15, 10];

beforeAll(async () => {
  t = await startTestAssay();
  await t.client.json('POST', '/api/experiments', {
    slug: 'big-outputs', name: 'big outputs',
    dataset: { rows: Array.from({ length: ROWS }, (_, i) => ({ q: `row-${i}` })) },
    targets: [{ id: 'big', type: 'code', code: `return row.q + ':' + 'x'.repeat(${OUTPUT_CHARS})` }],
    // A verdict per cell, so that a comparison has items to list.
    evaluators: [{ id: 'clean', type: 'langevals/basic', settings: { rules: [{ field: 'output', rule: 'not_contains', value: 'error' }] } }],
  });
  fullRun = (await t.client.startRun('big-outputs')).runId;
  expect((await t.client.waitForEnd(fullRun, 60_000)).status).toBe('completed');
  pickedRun = (await t.client.json<{ runId: string }>('POST', '/api/experiments/big-outputs/run', { row_indices: PICKED })).runId;
  expect((await t.client.waitForEnd(pickedRun, 60_000)).status).toBe('completed');
}, 120_000);
afterAll(() => t.close());

/** Follows nextOffset from 0 and answers every page with the size of its body. */
async function allPages(runId: string): Promise<{ pages: (Page & { bytes: number })[]; indices: number[] }> {
  const pages: (Page & { bytes: number })[] = [];
  for (let offset: number | null = 0; offset !== null; ) {
    const text = await (await t.req('GET', `/api/experiments/runs/${runId}/results?offset=${offset}&limit=1000`)).text();
    const page = JSON.parse(text) as Page;
    pages.push({ ...page, bytes: Buffer.byteLength(text) });
    expect(page.pagination.offset).toBe(offset);
    offset = page.pagination.nextOffset;
    expect(pages.length).toBeLessThan(ROWS + 1);
  }
  return { pages, indices: pages.flatMap((p) => p.dataset.map((d) => d.index)) };
}

describe('results pages bounded in bytes', () => {
  it('cuts a page of large outputs short and says where the next starts, for a whole run', async () => {
    const { pages, indices } = await allPages(fullRun);
    expect(indices).toEqual(Array.from({ length: ROWS }, (_, i) => i));
    expect(pages.length).toBeGreaterThanOrEqual(3);
    // Each page holds at most the budget plus the one cell that crossed it.
    for (const p of pages) expect(p.bytes).toBeLessThan(PAGE_BYTES + 1.2 * OUTPUT_CHARS);
    for (const p of pages.slice(0, -1)) {
      expect(p.dataset.length).toBeLessThan(1000);
      expect(p.pagination.nextOffset).toBe(p.pagination.offset + p.dataset.length);
    }
    expect(pages.at(-1)!.pagination.nextOffset).toBeNull();
    // The outputs arrive whole.
    expect(String(pages[0]!.dataset[0]!.predicted.output)).toHaveLength('row-0:'.length + OUTPUT_CHARS);
  });

  it('does the same for a run of picked rows (paged by offset)', async () => {
    const { pages, indices } = await allPages(pickedRun);
    expect(indices).toEqual([...PICKED].sort((a, b) => a - b));
    expect(pages.length).toBeGreaterThanOrEqual(3);
  });

  it('gives the client every cell, and the export every line', async () => {
    expect((await t.client.allResults(fullRun)).dataset.map((d) => d.index)).toEqual(Array.from({ length: ROWS }, (_, i) => i));
    const lines = (await t.client.exportRun(fullRun, 'jsonl')).trim().split('\n');
    expect(lines.map((l) => (JSON.parse(l) as { index: number }).index)).toEqual(Array.from({ length: ROWS }, (_, i) => i));
  });

  it('lists comparison items with their outputs cut, read from the head of each', async () => {
    const res = await t.req('GET', `/api/experiments/runs/${pickedRun}/compare?baseline=${fullRun}&change=all&limit=1000`);
    expect(res.status).toBe(200);
    const body = (await res.json()) as { rows: { items: { rowIndex: number; candidate: { output: unknown }; baseline: { output: unknown } }[] } };
    expect(body.rows.items).toHaveLength(ROWS);
    for (const item of body.rows.items) {
      const shown = `row-${item.rowIndex}:${'x'.repeat(4_000)}`.slice(0, 4_000) + '…';
      expect(item.candidate.output).toBe(shown);
      expect(item.baseline.output).toBe(shown);
    }
  });

  it('replays every cell of the run on its event stream', async () => {
    const res = await t.req('GET', `/api/experiments/runs/${fullRun}/events`, { headers: { accept: 'text/event-stream' } });
    const { events } = parseSse(await res.text());
    const done = events.filter((e) => e.type === 'target_result').map((e) => (e as { rowIndex: number }).rowIndex);
    expect(done.sort((a, b) => a - b)).toEqual(Array.from({ length: ROWS }, (_, i) => i));
    expect(events.at(-1)!.type).toBe('done');
  });
});

describe('row-scoped results on pages that split rows', () => {
  it("lists each row position's comparison once, on the page of its first cell", async () => {
    // Three targets of 1.5 MB each: a 4 MB page holds two cells, so pages split rows.
    await t.client.json('POST', '/api/experiments', {
      slug: 'split-rows', name: 'split rows',
      dataset: { rows: Array.from({ length: 6 }, (_, i) => ({ q: `row-${i}` })) },
      targets: ['a', 'b', 'c'].map((id) => ({ id, type: 'code', code: `return row.q + '${id}'.repeat(1500000)` })),
      evaluators: [{ id: 'cmp', type: 'langevals/select_best_compare' }],
    });
    const { runId } = await t.client.startRun('split-rows');
    expect((await t.client.waitForEnd(runId, 60_000)).status).toBe('completed');
    const rowScoped = (evaluations: { index: number; inputs?: unknown }[]) => evaluations.filter((e) => e.inputs !== undefined && e.inputs !== null).map((e) => e.index);
    const all = await t.client.allResults(runId);
    expect(all.dataset).toHaveLength(18);
    expect(rowScoped(all.evaluations as { index: number; inputs?: unknown }[])).toEqual([0, 1, 2, 3, 4, 5]);
    // The page that starts with row 0's third cell does not list row 0's comparison again.
    const page = (await (await t.req('GET', `/api/experiments/runs/${runId}/results?offset=2&limit=1000`)).json()) as { dataset: { index: number; targetId: string }[]; evaluations: { index: number; inputs?: unknown }[] };
    expect(page.dataset[0]).toMatchObject({ index: 0, targetId: 'c' });
    expect(rowScoped(page.evaluations)).not.toContain(0);
  });
});

describe('dataset pages bounded in bytes', () => {
  it('cuts a page of large rows short and says where the next starts', async () => {
    const rows = Array.from({ length: 12 }, (_, i) => ({ i, text: 'y'.repeat(OUTPUT_CHARS) }));
    for (const chunk of [rows.slice(0, 6), rows.slice(6)]) {
      const first = chunk[0]!.i === 0;
      const res = await t.req('POST', first ? '/api/datasets' : '/api/datasets/wide/records', { body: first ? { name: 'wide', rows: chunk } : { rows: chunk } });
      expect(res.status).toBeLessThan(300);
    }
    const seen: number[] = [];
    const sizes: number[] = [];
    for (let offset: number | null = 0; offset !== null; ) {
      const text = await (await t.req('GET', `/api/datasets/wide?offset=${offset}&limit=1000`)).text();
      const page = JSON.parse(text) as { rows: { i: number }[]; nextOffset: number | null; rowCount: number };
      expect(page.rowCount).toBe(12);
      seen.push(...page.rows.map((r) => r.i));
      sizes.push(page.rows.length);
      offset = page.nextOffset;
      expect(Buffer.byteLength(text)).toBeLessThan(PAGE_BYTES + 1.2 * OUTPUT_CHARS);
    }
    expect(seen).toEqual(Array.from({ length: 12 }, (_, i) => i));
    expect(sizes.length).toBeGreaterThan(1);
  });
});

describe('runs over large rows', () => {
  // Rows of about 1 MB: the executor reads them a few at a time (PAGE_BYTES), not 500 at once.
  const bigRows = (n: number, from = 0) => Array.from({ length: n }, (_, i) => ({ i: from + i, text: 'z'.repeat(OUTPUT_CHARS + from + i) }));
  const outputs = async (runId: string) => {
    expect((await t.client.waitForEnd(runId, 60_000)).status).toBe('completed');
    return (await t.client.allResults(runId)).dataset.map((d) => `${d.index}=${String(d.predicted?.output)}`);
  };

  beforeAll(async () => {
    await t.client.json('POST', '/api/experiments', {
      slug: 'big-rows', name: 'big rows',
      dataset: { rows: [{ i: -1, text: '' }] },
      targets: [{ id: 'len', type: 'code', code: 'return row.i + ":" + row.text.length' }],
    });
    for (const [k, chunk] of [bigRows(6), bigRows(6, 6)].entries()) {
      const res = await t.req('POST', k === 0 ? '/api/datasets' : '/api/datasets/big-run-rows/records', { body: k === 0 ? { name: 'big run rows', slug: 'big-run-rows', rows: chunk } : { rows: chunk } });
      expect(res.status).toBeLessThan(300);
    }
  }, 60_000);

  it('runs every row of a saved dataset once, with its own row', async () => {
    const { id } = await t.client.json<{ id: string }>('GET', '/api/datasets/big-run-rows?limit=1');
    const { runId } = await t.client.json<{ runId: string }>('POST', '/api/experiments/big-rows/run', { dataset_id: id });
    expect(await outputs(runId)).toEqual(bigRows(12).map((r) => `${r.i}=${r.i}:${r.text.length}`));
  });

  it('follows row_indices out of order and repeated over such rows', async () => {
    const { id } = await t.client.json<{ id: string }>('GET', '/api/datasets/big-run-rows?limit=1');
    const picked = [9, 2, 9, 11, 0, 5, 4, 3, 10, 1, 2];
    const { runId } = await t.client.json<{ runId: string }>('POST', '/api/experiments/big-rows/run', { dataset_id: id, row_indices: picked });
    // Results list a run's cells by row index.
    expect(await outputs(runId)).toEqual([...picked].sort((a, b) => a - b).map((i) => `${i}=${i}:${OUTPUT_CHARS + i}`));
  });

  it('runs rows sent with the request the same way', async () => {
    const { runId } = await t.client.json<{ runId: string }>('POST', '/api/experiments/big-rows/run', { data: bigRows(7) });
    expect(await outputs(runId)).toEqual(bigRows(7).map((r) => `${r.i}=${r.i}:${r.text.length}`));
  });
});
