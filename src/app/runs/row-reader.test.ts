// A run's row pages bounded in bytes, on the real stores: sizes first, then only the rows that
// fit (at least one), for a saved dataset, for rows sent with the request and for row_indices
// in any order.
import { afterAll, describe, expect, it } from 'vitest';
import type { Row } from '../../core/model/experiment.js';
import type { RunSpec } from '../../core/model/run.js';
import type { Stores } from '../../core/ports.js';
import { PAGE_BYTES } from '../../core/model/paging.js';
import { allDatabases } from '../../testing/databases.js';
import { openStores } from '../../storage/index.js';
import { type RowSource, rowSourceFor, scopeReader } from './row-reader.js';

/** Row i is about (i % 3 + 1) KB, so pages hold different counts. */
const ROWS: Row[] = Array.from({ length: 30 }, (_, i) => ({ i, text: 'w'.repeat(1000 * ((i % 3) + 1)) }));
const bytes = (row: Row) => Buffer.byteLength(JSON.stringify(row));
const BUDGET = 5_000;
const DATASET = { kind: 'dataset', datasetId: 'd1', version: 1, rowCount: ROWS.length } as const;

async function* batches(rows: Row[]): AsyncIterable<Row[]> {
  yield rows;
}

const spec = (rows: RunSpec['rows'], rowIndices: number[] | null = null): RunSpec =>
  ({ rows, rowIndices, sourceRowCount: ROWS.length, parameters: { p: 1 } }) as unknown as RunSpec;

/** The source, with every row it reads counted. */
function counted(source: RowSource): RowSource & { readBytes: number[] } {
  const readBytes: number[] = [];
  return {
    readBytes,
    sizes: source.sizes,
    read: async (from, to) => {
      const rows = await source.read(from, to);
      readBytes.push(rows.reduce((n, r) => n + bytes(r), 0));
      return rows;
    },
  };
}

/** Reads positions [0, to) page by page as the run loop does: each page from where the last stopped. */
async function pages(read: (from: number, to: number) => Promise<Row[]>, to: number): Promise<Row[][]> {
  const out: Row[][] = [];
  for (let from = 0; from < to; ) {
    const page = await read(from, Math.min(to, from + 500));
    expect(page.length).toBeGreaterThan(0);
    out.push(page);
    from += page.length;
  }
  return out;
}

describe.each(allDatabases())('row pages on $name', (database) => {
  let stores: Stores | undefined;
  afterAll(async () => {
    await stores?.close();
    await database.cleanup();
  });

  async function open(): Promise<Stores> {
    if (stores) return stores;
    stores = await openStores(await database.options());
    await stores.projects.create({ id: 'p1', slug: 'one', name: 'One', createdAt: 1 });
    await stores.datasets.create({ id: 'd1', projectId: 'p1', slug: 'd', name: 'D', at: 1 }, batches(ROWS));
    return stores;
  }

  it('cuts a saved dataset\'s pages at the budget, reading no more than fits, and misses no row', async () => {
    const s = await open();
    const source = counted(rowSourceFor('r', spec(DATASET), s, async () => []));
    const got = await pages(scopeReader(spec(DATASET), source, BUDGET), ROWS.length);
    expect(got.flat()).toEqual(ROWS.map((r) => ({ ...r, p: 1 })));
    expect(got.length).toBeGreaterThan(5);
    for (const read of source.readBytes) expect(read).toBeLessThanOrEqual(BUDGET);
  });

  it('reads one row whole when it alone is over the budget', async () => {
    const s = await open();
    const read = scopeReader(spec(DATASET), rowSourceFor('r', spec(DATASET), s, async () => []), 10);
    expect(await read(2, 30)).toEqual([{ ...ROWS[2], p: 1 }]);
  });

  it('does the same for rows sent with the request', async () => {
    const s = await open();
    await s.runs.create({ id: 'r1', projectId: 'p1', experimentId: 'e', experimentSlug: 'e', status: 'running', total: 30, progress: 0, startedAt: 1, finishedAt: null, spec: { runUrl: 'http://x/r1' } } as never, batches(ROWS));
    const source = counted(rowSourceFor('r1', spec({ kind: 'inline' }), s, async () => []));
    const got = await pages(scopeReader(spec({ kind: 'inline' }), source, BUDGET), ROWS.length);
    expect(got.flat()).toEqual(ROWS.map((r) => ({ ...r, p: 1 })));
    for (const read of source.readBytes) expect(read).toBeLessThanOrEqual(BUDGET);
  });

  it('follows row_indices in any order, counting a repeated row once, and reads only what a page keeps', async () => {
    const s = await open();
    const picked = [29, 3, 3, 17, 0, 29, 8, 4, 12, 25, 1, 1, 22];
    const at = spec(DATASET, picked);
    const source = counted(rowSourceFor('r', at, s, async () => []));
    const read = scopeReader(at, source, BUDGET);
    const got = await pages((from, to) => read(from, Math.min(to, picked.length)), picked.length);
    expect(got.flat().map((r) => r.i)).toEqual(picked);
    expect(got.length).toBeGreaterThan(2);
    for (const page of got) {
      const unique = new Map(page.map((r) => [r.i, r]));
      if (unique.size > 1) expect([...unique.values()].reduce((n, r) => n + bytes({ i: r.i, text: r.text }), 0)).toBeLessThanOrEqual(BUDGET);
    }
    // Only the indices a page keeps are read: nothing over the budget is read and let go.
    for (const readBytes of source.readBytes) expect(readBytes).toBeLessThanOrEqual(BUDGET);
  });
});

describe('row_indices over small rows with large ones between', () => {
  it('spends one gap allowance on the whole page, not one per pair of neighbours', async () => {
    // Found by review: every other row of 60 KB, the wanted ones between them of a few bytes.
    const rows: Row[] = Array.from({ length: 1_000 }, (_, i) => (i % 2 === 0 ? { i } : { i, pad: 'x'.repeat(60_000) }));
    let readBytes = 0;
    const source: RowSource = {
      read: async (from, to) => {
        const got = rows.slice(from, to);
        readBytes += got.reduce((n, r) => n + bytes(r), 0);
        return got;
      },
      sizes: async (from, to) => rows.slice(from, to).map(bytes),
    };
    const picked = Array.from({ length: 500 }, (_, k) => 2 * k);
    const at = { rows: { kind: 'inline' }, rowIndices: picked, sourceRowCount: 1_000, parameters: {} } as unknown as RunSpec;
    const page = await scopeReader(at, source)(0, 500);
    expect(page.map((r) => r.i)).toEqual(picked);
    expect(readBytes).toBeLessThanOrEqual(PAGE_BYTES);
  });
});

describe('rows held in memory already', () => {
  it('are not budgeted: the experiment\'s inline rows come in one page', async () => {
    const at = spec({ kind: 'experiment', experimentId: 'e', version: 1 });
    const read = scopeReader(at, rowSourceFor('r', at, {} as Stores, async () => ROWS), 10);
    expect(await read(0, 30)).toHaveLength(30);
  });
});
