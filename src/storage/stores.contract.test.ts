// One contract, two databases: every store behaves the same on SQLite and PostgreSQL.
import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import { SlugTakenError, TooManyColumnsError } from '../core/errors.js';
import type { ExperimentDocument, Row } from '../core/model/experiment.js';
import { experimentDocumentSchema } from '../core/model/experiment.js';
import type { Stores } from '../core/ports.js';
import { setTurnBudget, TURN_BUDGET_MS } from '../core/turns.js';
import { allDatabases } from '../testing/databases.js';
import { type DbOptions, openDb } from './connect.js';
import { openStores } from './index.js';

const doc = (name: string): ExperimentDocument =>
  experimentDocumentSchema.parse({ name, targets: [{ id: 't', type: 'code', code: 'return 1' }] });

async function* batches(rows: Row[], size = 1000, failAfter?: number): AsyncIterable<Row[]> {
  for (let i = 0; i < rows.length; i += size) {
    if (failAfter !== undefined && i >= failAfter) throw new Error('stream broke');
    yield rows.slice(i, i + size);
  }
}

describe.each(allDatabases())('stores on $name', (database) => {
  let stores: Stores;
  let options: DbOptions;
  afterAll(async () => {
    await stores?.close();
    await database.cleanup();
  });
  beforeEach(async () => {
    await stores?.close();
    options = await database.options();
    stores = await openStores(options);
    await stores.projects.create({ id: 'p1', slug: 'one', name: 'One', createdAt: 1 });
    await stores.projects.create({ id: 'p2', slug: 'two', name: 'Two', createdAt: 2 });
  });

  it('creates projects with unique slugs', async () => {
    await expect(stores.projects.create({ id: 'p3', slug: 'one', name: 'x', createdAt: 3 })).rejects.toBeInstanceOf(SlugTakenError);
    expect((await stores.projects.getBySlug('two'))?.id).toBe('p2');
    expect(await stores.projects.count()).toBe(2);
    expect((await stores.projects.list()).map((p) => p.id)).toEqual(['p1', 'p2']);
  });

  it('finds active keys by hash and stops finding them once revoked', async () => {
    await stores.apiKeys.create({ id: 'k1', projectId: 'p1', hash: 'h1', prefix: 'sk-lw-abc', createdAt: 5, revokedAt: null });
    const found = await stores.apiKeys.findActiveByHash('h1');
    expect(found?.project.slug).toBe('one');
    expect(found?.key.id).toBe('k1');
    expect(await stores.apiKeys.findActiveByHash('nope')).toBeNull();
    expect(await stores.apiKeys.revoke('k1', 10)).toBe(true);
    expect(await stores.apiKeys.revoke('k1', 20)).toBe(true);
    expect((await stores.apiKeys.get('k1'))?.revokedAt).toBe(10);
    expect(await stores.apiKeys.findActiveByHash('h1')).toBeNull();
    expect(await stores.apiKeys.revoke('missing', 10)).toBe(false);
  });

  it('versions experiments, refuses live slug clashes and frees slugs on archive', async () => {
    const created = await stores.experiments.create({ id: 'e1', projectId: 'p1', slug: 'cap', name: 'Cap', document: doc('Cap'), at: 100 });
    expect(created.version).toBe(1);
    await expect(
      stores.experiments.create({ id: 'e2', projectId: 'p1', slug: 'cap', name: 'Cap', document: doc('Cap'), at: 101 }),
    ).rejects.toBeInstanceOf(SlugTakenError);
    // Another project may use the same slug.
    await stores.experiments.create({ id: 'e3', projectId: 'p2', slug: 'cap', name: 'Other', document: doc('Other'), at: 102 });

    const v2 = await stores.experiments.replace('p1', 'cap', { name: 'Cap 2', document: doc('Cap 2'), at: 200 });
    expect(v2?.version).toBe(2);
    expect((await stores.experiments.get('p1', 'cap'))?.document.name).toBe('Cap 2');
    expect((await stores.experiments.get('p1', 'cap', 1))?.document.name).toBe('Cap');
    expect((await stores.experiments.get('p2', 'cap'))?.name).toBe('Other');
    expect(await stores.experiments.replace('p1', 'nope', { name: 'x', document: doc('x'), at: 1 })).toBeNull();

    expect(await stores.experiments.slugsLike('p1', 'cap')).toEqual(['cap']);
    expect(await stores.experiments.archive('p1', 'cap', 300)).toBe(true);
    expect(await stores.experiments.archive('p1', 'cap', 301)).toBe(false);
    expect(await stores.experiments.get('p1', 'cap')).toBeNull();
    expect((await stores.experiments.getById('p1', 'e1'))?.archivedAt).toBe(300);
    expect(await stores.experiments.getById('p2', 'e1')).toBeNull();
    expect(await stores.experiments.slugsLike('p1', 'cap')).toEqual([]);
    await stores.experiments.create({ id: 'e4', projectId: 'p1', slug: 'cap', name: 'Again', document: doc('Again'), at: 400 });
  });

  it("reads a version's definition without its rows, and the whole document where none was stored", async () => {
    const rows = [{ q: 'a' }, { q: 'b' }];
    const withRows = experimentDocumentSchema.parse({
      name: 'Rows', dataset: { rows }, targets: [{ id: 't', name: 'T', type: 'code', code: 'return 1' }],
      evaluators: [{ id: 'x', type: 'langevals/exact_match', weight: 0 }],
    });
    await stores.experiments.create({ id: 'e9', projectId: 'p1', slug: 'rows', name: 'Rows', document: withRows, at: 1 });
    const expected = { ...withRows, dataset: { rows: [] } };
    expect(await stores.experiments.definitionById('p1', 'e9', 1)).toEqual(expected);
    expect(await stores.experiments.definitionById('p2', 'e9', 1)).toBeNull();
    expect(await stores.experiments.definitionById('p1', 'e9', 2)).toBeNull();
    // A saved dataset's reference is the definition as it is.
    const ref = experimentDocumentSchema.parse({ name: 'Ref', dataset: { datasetId: 'ds' }, targets: [{ id: 't', type: 'code', code: 'return 1' }] });
    await stores.experiments.replace('p1', 'rows', { name: 'Ref', document: ref, at: 2 });
    expect(await stores.experiments.definitionById('p1', 'e9', 2)).toEqual(ref);
    // A version saved before migration 012 has no definition: read from its document.
    const { db } = await openDb(options);
    await db.updateTable('experiment_versions').set({ definition: null }).where('experiment_id', '=', 'e9').execute();
    await db.destroy();
    expect(await stores.experiments.definitionById('p1', 'e9', 1)).toEqual(expected);
    // The whole document keeps its rows.
    expect((await stores.experiments.getById('p1', 'e9', 1))?.document.dataset).toEqual({ rows });
  });

  it('lists live experiments newest first with paging', async () => {
    for (let i = 0; i < 5; i++) {
      await stores.experiments.create({ id: `e${i}`, projectId: 'p1', slug: `s${i}`, name: `S${i}`, document: doc(`S${i}`), at: 1000 + i });
    }
    await stores.experiments.archive('p1', 's4', 2000);
    const page1 = await stores.experiments.list('p1', { page: 1, pageSize: 3 });
    expect(page1.total).toBe(4);
    expect(page1.items.map((e) => e.slug)).toEqual(['s3', 's2', 's1']);
    const page2 = await stores.experiments.list('p1', { page: 2, pageSize: 3 });
    expect(page2.items.map((e) => e.slug)).toEqual(['s0']);
    expect((await stores.experiments.list('p2', { page: 1, pageSize: 3 })).total).toBe(0);
    // A list names each experiment at its latest version, without reading its document.
    await stores.experiments.replace('p1', 's0', { name: 'S0 renamed', document: doc('S0 renamed'), at: 3000 });
    const [first] = (await stores.experiments.list('p1', { page: 1, pageSize: 1 })).items;
    expect(first).toEqual({ id: 'e0', projectId: 'p1', slug: 's0', name: 'S0 renamed', version: 2, createdAt: 1000, updatedAt: 3000, archivedAt: null });
    // The same header by slug, only for the live experiment of the project.
    expect(await stores.experiments.header('p1', 's0')).toEqual(first);
    expect(await stores.experiments.header('p2', 's0')).toBeNull();
    expect(await stores.experiments.header('p1', 's4')).toBeNull();
  });

  it('stores streamed dataset rows and pages them back exactly', async () => {
    const rows = Array.from({ length: 2500 }, (_, i) => ({ q: `question ${i}`, n: i, nested: { a: [i] } }));
    const ds = await stores.datasets.create({ id: 'd1', projectId: 'p1', slug: 'qa', name: 'QA', at: 1 }, batches(rows, 700));
    expect(ds).toMatchObject({ version: 1, rowCount: 2500, columns: ['q', 'n', 'nested'] });
    const back: Row[] = [];
    for (let offset = 0; offset < 2500; offset += 1000) back.push(...(await stores.datasets.rows('d1', 1, offset, 1000)));
    expect(back).toEqual(rows);
    expect(await stores.datasets.rows('d1', 1, 2490, 100)).toHaveLength(10);
    // Sizes of the stored JSON in bytes (UTF-8), in order, stopping at the version's last row.
    expect(await stores.datasets.rowSizes('d1', 1, 2498, 2600)).toEqual(rows.slice(2498).map((r) => Buffer.byteLength(JSON.stringify(r))));
    expect(await stores.datasets.rowSizes('d1', 7, 0, 10)).toEqual([]);
    expect((await stores.datasets.get('p1', 'qa'))?.id).toBe('d1');
    expect(await stores.datasets.get('p2', 'd1')).toBeNull();
  });

  it('appends as a new version and keeps old versions readable', async () => {
    await stores.datasets.create({ id: 'd1', projectId: 'p1', slug: 'qa', name: 'QA', at: 1 }, batches([{ a: 1 }, { a: 2 }]));
    const v2 = await stores.datasets.append('p1', 'd1', batches([{ a: 3, b: 'x' }]), 5);
    expect(v2).toMatchObject({ version: 2, rowCount: 3, columns: ['a', 'b'] });
    expect(await stores.datasets.rows('d1', 2, 0, 10)).toEqual([{ a: 1 }, { a: 2 }, { a: 3, b: 'x' }]);
    expect(await stores.datasets.rows('d1', 1, 0, 10)).toEqual([{ a: 1 }, { a: 2 }]);
    expect(await stores.datasets.rowSizes('d1', 1, 0, 10)).toEqual([7, 7]);
    expect(await stores.datasets.rowSizes('d1', 2, 0, 10)).toEqual([7, 7, 15]);
    expect(await stores.datasets.get('p1', 'd1', 1)).toMatchObject({ version: 1, rowCount: 2, columns: ['a'] });
    expect(await stores.datasets.append('p2', 'd1', batches([{ a: 9 }]), 6)).toBeNull();
    expect(await stores.datasets.versions('d1')).toEqual([
      { version: 2, rowCount: 3, columns: ['a', 'b'], createdAt: 5 },
      { version: 1, rowCount: 2, columns: ['a'], createdAt: 1 },
    ]);
    expect(await stores.datasets.versions('none')).toEqual([]);
  });

  it('refuses an append that takes the columns past the bound, keeping the version and rows as they were', async () => {
    await stores.datasets.create({ id: 'd1', projectId: 'p1', slug: 'wide', name: 'Wide', at: 1 }, batches([{ a: 1, b: 2 }]));
    await expect(stores.datasets.append('p1', 'd1', batches([{ c: 3, d: 4 }]), 5, 3)).rejects.toBeInstanceOf(TooManyColumnsError);
    expect(await stores.datasets.get('p1', 'd1')).toMatchObject({ version: 1, rowCount: 1, columns: ['a', 'b'] });
    expect(await stores.datasets.rows('d1', 1, 0, 10)).toEqual([{ a: 1, b: 2 }]);
    // Within the bound (columns already there count once), it appends.
    expect(await stores.datasets.append('p1', 'd1', batches([{ a: 5, c: 6 }]), 6, 3)).toMatchObject({ version: 2, rowCount: 2, columns: ['a', 'b', 'c'] });
  });

  it('keeps the columns a source declares, even with no rows (a CSV header alone)', async () => {
    const declared = (rows: Row[], columns: string[]) => Object.assign(batches(rows), { columns });
    const ds = await stores.datasets.create({ id: 'd1', projectId: 'p1', slug: 'head', name: 'Head', at: 1 }, declared([], ['q', 'expected']));
    expect(ds).toMatchObject({ rowCount: 0, columns: ['q', 'expected'] });
    expect(await stores.datasets.get('p1', 'head')).toMatchObject({ rowCount: 0, columns: ['q', 'expected'] });
    const v2 = await stores.datasets.append('p1', 'd1', declared([{ q: 'a', expected: 'b', note: 'n' }], ['q', 'expected', 'note']), 2);
    expect(v2).toMatchObject({ version: 2, rowCount: 1, columns: ['q', 'expected', 'note'] });
  });

  it('leaves nothing behind when an upload fails half-way', async () => {
    const rows = Array.from({ length: 3000 }, (_, i) => ({ i }));
    await expect(
      stores.datasets.create({ id: 'd1', projectId: 'p1', slug: 'broken', name: 'Broken', at: 1 }, batches(rows, 1000, 2000)),
    ).rejects.toThrow('stream broke');
    expect(await stores.datasets.get('p1', 'broken')).toBeNull();
    expect((await stores.datasets.list('p1', { page: 1, pageSize: 10 })).total).toBe(0);
    await stores.datasets.create({ id: 'd2', projectId: 'p1', slug: 'ok', name: 'OK', at: 1 }, batches([{ i: 0 }]));
    await expect(stores.datasets.append('p1', 'd2', batches(rows, 1000, 1000), 2)).rejects.toThrow('stream broke');
    expect(await stores.datasets.get('p1', 'd2')).toMatchObject({ version: 1, rowCount: 1 });
    expect(await stores.datasets.rows('d2', 1, 0, 10)).toEqual([{ i: 0 }]);
  });

  it('appends to one dataset at once each get their own version and rows, none lost or mixed', async () => {
    await stores.datasets.create({ id: 'd1', projectId: 'p1', slug: 'qa', name: 'QA', at: 1 }, batches([{ n: 0, from: 'create' }]));
    // 25,000 rows each: their copies take two steps (20,000 rows a statement), a turn between.
    const N = 25_000;
    // Every step gives its turn away (a budget of 0), so the four interleave as much as they can.
    setTurnBudget(0);
    let done: Awaited<ReturnType<Stores['datasets']['append']>>[];
    try {
      done = await Promise.all(['a', 'b', 'c', 'd'].map((from) => stores.datasets.append('p1', 'd1', batches(Array.from({ length: N }, (_, n) => ({ n, from })), 5_000), 2)));
    } finally {
      setTurnBudget(TURN_BUDGET_MS);
    }
    expect(done.map((d) => d!.version).sort()).toEqual([2, 3, 4, 5]);
    const all = await stores.datasets.rows('d1', 5, 0, 200_000);
    expect(all).toHaveLength(4 * N + 1);
    // Each append's rows are contiguous and in order, whichever order they committed in.
    for (const d of done) {
      const mine = await stores.datasets.rows('d1', d!.version, d!.rowCount - N, N);
      expect(new Set(mine.map((r) => r.from)).size).toBe(1);
      expect(mine.map((r) => r.n)).toEqual(Array.from({ length: N }, (_, n) => n));
    }
  });

  it('appends nothing to a deleted dataset', async () => {
    await stores.datasets.create({ id: 'd1', projectId: 'p1', slug: 'qa', name: 'QA', at: 1 }, batches([{ n: 0 }]));
    expect(await stores.datasets.remove('p1', 'd1', 2)).toBe(true);
    expect(await stores.datasets.append('p1', 'd1', batches([{ n: 'gone' }]), 3)).toBeNull();
    expect(await stores.datasets.rows('d1', 1, 0, 10)).toEqual([{ n: 0 }]);
  });

  it('refuses a taken dataset slug without storing rows, and soft-deletes', async () => {
    await stores.datasets.create({ id: 'd1', projectId: 'p1', slug: 'qa', name: 'QA', at: 1 }, batches([{ a: 1 }]));
    await expect(
      stores.datasets.create({ id: 'd2', projectId: 'p1', slug: 'qa', name: 'QA', at: 2 }, batches([{ a: 2 }])),
    ).rejects.toBeInstanceOf(SlugTakenError);
    expect(await stores.datasets.rows('d2', 1, 0, 10)).toEqual([]);
    expect(await stores.datasets.remove('p2', 'qa', 3)).toBe(false);
    expect(await stores.datasets.deletedAt('p1', 'd1')).toBeNull();
    expect(await stores.datasets.remove('p1', 'qa', 3)).toBe(true);
    expect(await stores.datasets.get('p1', 'qa')).toBeNull();
    // When, as a number on both databases (PostgreSQL's bigint included); by id, in its project only.
    expect(await stores.datasets.deletedAt('p1', 'd1')).toBe(3);
    expect(await stores.datasets.deletedAt('p2', 'd1')).toBeNull();
    expect(await stores.datasets.deletedAt('p1', 'qa')).toBeNull();
    // Rows stay for runs that recorded the dataset.
    expect(await stores.datasets.rows('d1', 1, 0, 10)).toEqual([{ a: 1 }]);
  });
});
