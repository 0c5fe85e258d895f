// U+0000 in text, on both databases: PostgreSQL's text type cannot hold it, SQLite's can. A
// review found a NUL in a path parameter or a name answered 500 on PostgreSQL, and a run whose
// target failed with a NUL in its error could never commit that cell: it ended
// `run_crashed_repeatedly` and lost its good cells too (src/storage/pg-text.ts).
import { afterAll, describe, expect, it } from 'vitest';
import { allDatabases } from '../../src/testing/databases.js';
import { startTestAssay, type TestAssay } from '../../src/testing/harness.js';
import { startRun, waitForRun } from '../../src/testing/runs.js';

describe.each(allDatabases())('U+0000 on $name', (db) => {
  let t: TestAssay | undefined;
  afterAll(async () => {
    await t?.close();
    await db.cleanup();
  });

  it('finds nothing under an id holding it, refuses it in names, and stores it in a failed cell', async () => {
    t = await startTestAssay({}, await db.options());
    const doc = {
      slug: 'nul', name: 'nul',
      dataset: { rows: [{ q: 'a' }, { q: 'b' }] },
      targets: [
        { id: 'thrower', type: 'code', code: "throw new Error('bad\\u0000thing')" },
        { id: 'ok', type: 'code', code: 'return row.q' },
      ],
    };
    expect((await t.req('POST', '/api/experiments', { body: doc })).status).toBe(201);
    const runId = await startRun(t, 'nul');
    const run = await waitForRun(t, runId);
    // The run completes: the good cells and the failed ones are all stored.
    expect(run.status).toBe('completed');
    const results = (await (await t.req('GET', `/api/experiments/runs/${runId}/results`)).json()) as { dataset: { targetId: string; error: string | null; predicted?: { output?: unknown } }[] };
    const errors = results.dataset.filter((c) => c.targetId === 'thrower').map((c) => c.error);
    expect(errors).toHaveLength(2);
    for (const e of errors) expect(e).toContain(db.name === 'postgres' ? 'bad\uFFFDthing' : 'bad\u0000thing');
    expect(results.dataset.filter((c) => c.targetId === 'ok').map((c) => c.predicted?.output).sort()).toEqual(['a', 'b']);

    for (const path of ['/api/experiments/%00', '/api/datasets/a%00b', '/api/experiments/runs/run_%00', `/api/experiments/runs?experimentSlug=%00`]) {
      const res = await t.req('GET', path);
      expect([200, 404]).toContain(res.status);
    }
    const named = [
      ['/api/experiments', { ...doc, slug: 'other', name: 'a\u0000b' }],
      ['/api/datasets', { name: 'a\u0000b', rows: [{ a: 1 }] }],
    ] as const;
    for (const [path, body] of named) {
      const res = await t.req('POST', path, { body });
      expect(res.status).toBe(400);
      expect(JSON.stringify(await res.json())).toContain('U+0000');
    }
    const review = await t.req('PUT', `/api/experiments/runs/${runId}/reviews`, { body: { rowIndex: 0, targetId: 'ok', verdict: 'passed', comment: 'a\u0000b' } });
    expect(review.status).toBe(400);
  });
});
