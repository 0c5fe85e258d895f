// A dataset's versions (GET /api/datasets/{idOrSlug}/versions) and the experiments that run it
// (…/experiments), on a real SQLite store: newest first, by id or slug, and a dataset of another
// project answered exactly as one that does not exist.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestAssay, type TestAssay } from '../../testing/harness.js';

let t: TestAssay;
beforeAll(async () => {
  t = await startTestAssay();
});
afterAll(() => t.close());

async function json(res: Response): Promise<any> {
  return res.json();
}

describe('dataset versions', () => {
  it('lists every version, newest first, with its row count and columns', async () => {
    const created = await json(await t.req('POST', '/api/datasets', { body: { name: 'Versions', slug: 'versions', rows: [{ q: 'a' }, { q: 'b' }] } }));
    expect((await t.req('POST', '/api/datasets/versions/records?newColumns=allow', { raw: 'q,expected\nc,C\n', headers: { 'content-type': 'text/csv' } })).status).toBe(200);
    expect((await t.req('POST', '/api/datasets/versions/records', { body: { rows: [{ q: 'd', expected: 'D' }, { q: 'e' }] } })).status).toBe(200);

    const res = await t.req('GET', '/api/datasets/versions/versions');
    expect(res.status).toBe(200);
    const { versions } = await json(res);
    expect(versions.map((v: { version: number; rowCount: number; columns: string[] }) => [v.version, v.rowCount, v.columns])).toEqual([
      [3, 5, ['q', 'expected']],
      [2, 3, ['q', 'expected']],
      [1, 2, ['q']],
    ]);
    for (const v of versions) expect(Object.keys(v).sort()).toEqual(['columns', 'createdAt', 'rowCount', 'version']);
    expect(versions[0].createdAt).toBeGreaterThanOrEqual(versions[2].createdAt);
    expect(versions[2].createdAt).toBe(created.createdAt);
    // By id too; and each version's rows are what it counted.
    expect(await json(await t.req('GET', `/api/datasets/${created.id}/versions`))).toEqual({ versions });
    expect((await json(await t.req('GET', '/api/datasets/versions?version=2'))).rows).toEqual([{ q: 'a' }, { q: 'b' }, { q: 'c', expected: 'C' }]);
    // A version past the latest is said as such, not as a missing dataset.
    const past = await t.req('GET', '/api/datasets/versions?version=9');
    expect(past.status).toBe(404);
    expect((await json(past)).message).toBe('Dataset versions has no version 9: its versions are 1–3 (GET /api/datasets/versions/versions)');
  });

  it('answers 404 for an unknown dataset and another project\'s alike; a deleted one, asked by id, says so', async () => {
    const unknown = await t.req('GET', '/api/datasets/no-such-dataset/versions');
    expect(unknown.status).toBe(404);
    expect(await json(unknown)).toEqual({ error: 'dataset_not_found', message: 'Dataset not found: no-such-dataset', id: 'no-such-dataset' });

    const mine = await json(await t.req('POST', '/api/datasets', { body: { name: 'Private', slug: 'private', rows: [{ secret: 'of A' }] } }));
    const other = await t.otherProject();
    for (const ref of ['private', mine.id]) {
      for (const path of [`/api/datasets/${ref}/versions`, `/api/datasets/${ref}/experiments`]) {
        const res = await t.req('GET', path, { key: other.key });
        expect(res.status, path).toBe(404);
        const body = await json(res);
        expect(body).toEqual({ error: 'dataset_not_found', message: `Dataset not found: ${ref}`, id: ref });
        expect(JSON.stringify(body)).not.toContain('of A');
      }
    }
    // The other project's own dataset of that slug is its own.
    expect((await t.req('POST', '/api/datasets', { key: other.key, body: { name: 'Private', slug: 'private', rows: [{ b: 1 }, { b: 2 }] } })).status).toBe(201);
    expect((await json(await t.req('GET', '/api/datasets/private/versions', { key: other.key }))).versions).toMatchObject([{ version: 1, rowCount: 2, columns: ['b'] }]);
    expect((await json(await t.req('GET', '/api/datasets/private/versions'))).versions).toMatchObject([{ version: 1, rowCount: 1, columns: ['secret'] }]);

    const gone = await json(await t.req('POST', '/api/datasets', { body: { name: 'Gone', slug: 'gone', rows: [{ a: 1 }] } }));
    expect((await t.req('DELETE', '/api/datasets/gone')).status).toBe(204);
    // By slug: the slug is free again, so it may have named anything; no more is said.
    expect(await json(await t.req('GET', '/api/datasets/gone/versions'))).toEqual({ error: 'dataset_not_found', message: 'Dataset not found: gone', id: 'gone' });
    // By id (how a run page links its dataset): when it was deleted, and that its runs keep their rows.
    for (const path of [`/api/datasets/${gone.id}`, `/api/datasets/${gone.id}/versions`]) {
      const res = await t.req('GET', path);
      expect(res.status, path).toBe(404);
      const body = await json(res);
      expect(body).toEqual({ error: 'dataset_not_found', message: `Dataset not found: ${gone.id} was deleted at ${body.deletedAt}; the runs that read it keep their rows and results`, id: gone.id, deletedAt: expect.stringMatching(/^\d{4}-\d\d-\d\dT/) });
      expect(Date.parse(body.deletedAt)).toBeGreaterThanOrEqual(gone.createdAt);
    }
    // Another project learns nothing of it.
    expect(await json(await t.req('GET', `/api/datasets/${gone.id}/versions`, { key: other.key }))).toEqual({ error: 'dataset_not_found', message: `Dataset not found: ${gone.id}`, id: gone.id });
  });
});

describe('experiments that run a dataset', () => {
  it('names the live experiments whose latest version runs it, by id or slug', async () => {
    const ds = await json(await t.req('POST', '/api/datasets', { body: { name: 'Run me', slug: 'run-me', rows: [{ q: 'a' }] } }));
    const doc = (slug: string, datasetId: string) => ({ slug, name: `Experiment ${slug}`, dataset: { datasetId }, targets: [{ id: 't', type: 'code', code: 'return row.q' }] });
    expect(await json(await t.req('GET', '/api/datasets/run-me/experiments'))).toEqual({ experiments: [] });
    expect((await t.req('POST', '/api/experiments', { body: doc('uses-slug', 'run-me') })).status).toBe(201);
    expect((await t.req('POST', '/api/experiments', { body: doc('uses-id', ds.id) })).status).toBe(201);
    expect((await t.req('POST', '/api/experiments', { body: doc('archived', 'run-me') })).status).toBe(201);
    expect((await t.req('DELETE', '/api/experiments/archived')).status).toBe(204);
    const { experiments } = await json(await t.req('GET', `/api/datasets/${ds.id}/experiments`));
    expect(experiments.sort((a: { slug: string }, b: { slug: string }) => a.slug.localeCompare(b.slug))).toEqual([
      { slug: 'uses-id', name: 'Experiment uses-id' },
      { slug: 'uses-slug', name: 'Experiment uses-slug' },
    ]);
  });
});
