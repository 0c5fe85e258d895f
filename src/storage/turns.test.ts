// Embedded mode runs every SQLite statement synchronously on the main thread: large writes must
// give the event loop turns between their statements (core/turns.ts), or one upload holds
// every other request, timer and SSE frame until it is done.
import path from 'node:path';
import SQLite from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ExperimentDocument, experimentDocumentSchema, type Row } from '../core/model/experiment.js';
import type { RunRecord } from '../core/model/run.js';
import type { Stores } from '../core/ports.js';
import { sqliteDatabase } from '../testing/databases.js';
import { turnsDuring } from '../testing/turns.js';
import { setTurnBudget, TURN_BUDGET_MS } from '../core/turns.js';
import { openStores } from './index.js';

const rows = (n: number): Row[] => Array.from({ length: n }, (_, i) => ({ question: `What is the capital of country number ${i}?`, expected: `Capital ${i}`, i }));

/** Batches generated in memory: without turns from the writes, none would be counted. */
async function* batches(all: Row[], size = 10_000): AsyncIterable<Row[]> {
  for (let i = 0; i < all.length; i += size) yield all.slice(i, i + size);
}

describe('large writes on SQLite', () => {
  const database = sqliteDatabase();
  let stores: Stores;
  let dataDir: string;
  beforeAll(async () => {
    const options = await database.options();
    dataDir = options.dataDir;
    stores = await openStores(options);
    await stores.projects.create({ id: 'p1', slug: 'one', name: 'One', createdAt: 1 });
  });
  afterAll(async () => {
    await stores.close();
    await database.cleanup();
  });

  it('a dataset of 100,000 rows is written over several turns, and reads back whole', async () => {
    const all = rows(100_000);
    const turns = await turnsDuring(() => stores.datasets.create({ id: 'd1', projectId: 'p1', slug: 'big', name: 'Big', at: 1 }, batches(all)));
    expect(turns).toBeGreaterThanOrEqual(3);
    expect(await stores.datasets.rows('d1', 1, 99_998, 2)).toEqual(all.slice(99_998));
  });

  it("a run's 100,000 inline rows are written over several turns", async () => {
    const all = rows(100_000);
    const run: RunRecord = {
      id: 'r1', projectId: 'p1', experimentId: 'e1', experimentSlug: 'exp', status: 'running', total: 100_000, progress: 0,
      startedAt: 1_000, finishedAt: null, summary: null, error: null, errorMessage: null, stopReason: null, nextSeq: 2, abortRequested: false,
      spec: {
        experimentId: 'e1', experimentSlug: 'exp', experimentVersion: 1, rows: { kind: 'inline' }, sourceRowCount: all.length, rowIndices: null, parameters: {},
        targetIds: ['a'], evaluatorIds: [], repeats: 1, concurrency: 2, timeoutMs: 1_000, maxRetries: 0, budgetUsd: null, cache: false,
        baselineRunId: null, webhookUrl: null, metadata: {}, runUrl: 'http://x/r1',
      },
    };
    const turns = await turnsDuring(() => stores.runs.create(run, batches(all)));
    expect(turns).toBeGreaterThanOrEqual(3);
    expect(await stores.runs.inlineRows('r1', 99_999, 100_000)).toEqual(all.slice(99_999));
  });

  it("a run's page of rows (dataset or inline) is parsed a row at a time, the loop turning between them", async () => {
    // A page is up to 4 MB: 4 rows of 480,000 numbers parsed in one go held the main thread
    // 0.4 s (security review of 2026-12-07). With a budget of 0 each row after the first waits a turn.
    setTurnBudget(0);
    try {
      let read: Row[] = [];
      expect(await turnsDuring(async () => (read = await stores.datasets.rows('d1', 1, 0, 40)))).toBeGreaterThanOrEqual(39);
      expect(read).toEqual(rows(40));
      expect(await turnsDuring(async () => (read = await stores.runs.inlineRows('r1', 0, 40)))).toBeGreaterThanOrEqual(39);
      expect(read).toEqual(rows(40));
    } finally {
      setTurnBudget(TURN_BUDGET_MS);
    }
  });

  it("a page of runs whose specs hold 100,000 row indices each is parsed over several turns", async () => {
    const indices = Array.from({ length: 100_000 }, (_, i) => i);
    for (let i = 0; i < 50; i++) {
      const run: RunRecord = {
        id: `rl${i}`, projectId: 'p1', experimentId: 'e-list', experimentSlug: 'exp', status: 'completed', total: 100_000, progress: 100_000,
        startedAt: 1_000 + i, finishedAt: 2_000 + i, summary: null, error: null, errorMessage: null, stopReason: null, nextSeq: 2, abortRequested: false,
        spec: {
          experimentId: 'e-list', experimentSlug: 'exp', experimentVersion: 1, rows: { kind: 'inline' }, sourceRowCount: 100_000, rowIndices: indices, parameters: {},
          targetIds: ['a'], evaluatorIds: [], repeats: 1, concurrency: 2, timeoutMs: 1_000, maxRetries: 0, budgetUsd: null, cache: false,
          baselineRunId: null, webhookUrl: null, metadata: { i }, runUrl: `http://x/rl${i}`,
        },
      };
      await stores.runs.create(run);
    }
    let page: Awaited<ReturnType<Stores['runs']['list']>> | undefined;
    const turns = await turnsDuring(async () => {
      page = await stores.runs.list('p1', 'e-list', { page: 1, pageSize: 50 });
    });
    expect(page!.items.map((r) => r.id)).toEqual(Array.from({ length: 50 }, (_, i) => `rl${49 - i}`));
    expect(page!.items[0]!.spec.rowIndices).toHaveLength(100_000);
    expect(turns).toBeGreaterThanOrEqual(2);
  });

  it('an experiment with 30 MB of inline rows is serialized, inserted and committed in separate turns', async () => {
    const document = { ...experimentDocumentSchema.parse({ name: 'big', targets: [{ id: 't', type: 'code', code: 'return 1' }] }), dataset: { rows: rows(400_000) } } as ExperimentDocument;
    const turns = await turnsDuring(() => stores.experiments.create({ id: 'e1', projectId: 'p1', slug: 'big', name: 'big', document, at: 1 }));
    expect(turns).toBeGreaterThanOrEqual(2);
    const back = await stores.experiments.get('p1', 'big');
    expect(back?.document.dataset).toEqual({ rows: document.dataset && 'rows' in document.dataset ? document.dataset.rows : [] });
  });

  it("a comparison's output heads are read a few megabytes a statement, the loop turning between them", async () => {
    const run: RunRecord = {
      id: 'rh', projectId: 'p1', experimentId: 'e1', experimentSlug: 'exp', status: 'running', total: 12, progress: 0,
      startedAt: 1_000, finishedAt: null, summary: null, error: null, errorMessage: null, stopReason: null, nextSeq: 2, abortRequested: false,
      spec: {
        experimentId: 'e1', experimentSlug: 'exp', experimentVersion: 1, rows: { kind: 'inline' }, sourceRowCount: 12, rowIndices: null, parameters: {},
        targetIds: ['a'], evaluatorIds: [], repeats: 1, concurrency: 2, timeoutMs: 1_000, maxRetries: 0, budgetUsd: null, cache: false,
        baselineRunId: null, webhookUrl: null, metadata: {}, runUrl: 'http://x/rh',
      },
    };
    await stores.runs.create(run, batches(rows(12)));
    await stores.runs.claim('rh', 'A', 60_000, 1);
    const big = 'z'.repeat(3_000_000);
    const drafts = Array.from({ length: 12 }, (_, n) => ({ cell: n, rowIndex: n, targetId: 'a', repeat: 0, entry: {}, durationMs: 1, attempts: 1, retries: [], cached: false, ok: true as const, output: big, evaluations: [] }));
    await stores.runs.commitCells('rh', 'A', drafts, 2);
    // With no budget, every chance to give the turn away is taken: one per statement.
    setTurnBudget(0);
    try {
      let heads: Awaited<ReturnType<Stores['runs']['outputHeads']>> = [];
      const turns = await turnsDuring(async () => {
        heads = await stores.runs.outputHeads('rh', drafts.map((d) => d.cell), 10);
      });
      // 3 MB each and 4 MB a statement: twelve statements.
      expect(turns).toBeGreaterThanOrEqual(12);
      expect(heads.map((h) => (h.ok ? h.text : h.error))).toEqual(Array.from({ length: 12 }, () => '"zzzzzzzzz'));
    } finally {
      setTurnBudget(TURN_BUDGET_MS);
    }
  });

  it('a commit of megabyte outputs serializes, inserts and commits them in separate turns, and stores them whole', async () => {
    const run: RunRecord = {
      id: 'rc', projectId: 'p1', experimentId: 'e1', experimentSlug: 'exp', status: 'running', total: 2, progress: 0,
      startedAt: 1_000, finishedAt: null, summary: null, error: null, errorMessage: null, stopReason: null, nextSeq: 2, abortRequested: false,
      spec: {
        experimentId: 'e1', experimentSlug: 'exp', experimentVersion: 1, rows: { kind: 'inline' }, sourceRowCount: 2, rowIndices: null, parameters: {},
        targetIds: ['a'], evaluatorIds: [], repeats: 1, concurrency: 2, timeoutMs: 1_000, maxRetries: 0, budgetUsd: null, cache: false,
        baselineRunId: null, webhookUrl: null, metadata: {}, runUrl: 'http://x/rc',
      },
    };
    await stores.runs.create(run, batches(rows(2)));
    await stores.runs.claim('rc', 'A', 60_000, 1);
    const outputs = ['a'.repeat(4_000_000), 'b'.repeat(4_000_000)];
    const drafts = outputs.map((output, n) => ({ cell: n, rowIndex: n, targetId: 'a', repeat: 0, entry: {}, durationMs: 1, attempts: 1, retries: [], cached: false, ok: true as const, output, evaluations: [] }));
    setTurnBudget(0);
    try {
      // Without turns the commit is one macrotask (better-sqlite3 behind Kysely's promises): 0.
      const turns = await turnsDuring(() => stores.runs.commitCells('rc', 'A', drafts, 2));
      // Serialized | inserted | committed.
      expect(turns).toBeGreaterThanOrEqual(2);
    } finally {
      setTurnBudget(TURN_BUDGET_MS);
    }
    const cells = await stores.runs.results('rc', 0, 10);
    expect(cells.map((c) => (c.ok ? c.output : c.error))).toEqual(outputs);
  });

  it('an append of large rows is copied (and its staging removed) in steps of a few megabytes, each row once', async () => {
    const wide = (i: number) => ({ question: `wide ${i}`, text: 'w'.repeat(600_000), i });
    await stores.datasets.create({ id: 'dw', projectId: 'p1', slug: 'wide', name: 'Wide', at: 1 }, batches([wide(0), wide(1)]));
    const more = Array.from({ length: 40 }, (_, i) => wide(i + 2));
    // Only the steps of the copy and of the staging's removal give turns away (each waits for
    // the next turn); writes within the budget do not. 24 MB in steps of 8 MB: 3 + 3 steps.
    setTurnBudget(60_000);
    try {
      const turns = await turnsDuring(() => stores.datasets.append('p1', 'dw', batches(more, 7), 2));
      // One step each (before: 20,000 rows a step): no turn at all.
      expect(turns).toBeGreaterThanOrEqual(4);
    } finally {
      setTurnBudget(TURN_BUDGET_MS);
    }
    const back = await stores.datasets.rows('dw', 2, 0, 100);
    expect(back.map((r) => r.i)).toEqual(Array.from({ length: 42 }, (_, i) => i));
    expect(back.every((r) => (r.text as string).length === 600_000)).toBe(true);
  });

  it('an append copies in place: rows a crashed append left past the row count are replaced, old versions unchanged', async () => {
    await stores.datasets.create({ id: 'dl', projectId: 'p1', slug: 'left', name: 'Left', at: 1 }, batches([{ n: 0 }]));
    // What a copy interrupted by a crash leaves behind: rows past the count, read by no version.
    const raw = new SQLite(path.join(dataDir, 'assay.db'));
    try {
      raw.prepare('insert into dataset_rows (dataset_id, idx, data) values (?, ?, ?), (?, ?, ?)').run('dl', 1, '{"n":"stale"}', 'dl', 5, '{"n":"stale"}');
    } finally {
      raw.close();
    }
    expect(await stores.datasets.rows('dl', 1, 0, 10)).toEqual([{ n: 0 }]);
    const v2 = await stores.datasets.append('p1', 'dl', batches([{ n: 1 }, { n: 2 }]), 2);
    expect(v2).toMatchObject({ version: 2, rowCount: 3 });
    expect(await stores.datasets.rows('dl', 2, 0, 10)).toEqual([{ n: 0 }, { n: 1 }, { n: 2 }]);
    expect(await stores.datasets.rows('dl', 1, 0, 10)).toEqual([{ n: 0 }]);
    const v3 = await stores.datasets.append('p1', 'dl', batches([{ n: 3 }, { n: 4 }, { n: 5 }]), 3);
    expect(await stores.datasets.rows('dl', v3!.version, 0, 10)).toEqual([0, 1, 2, 3, 4, 5].map((n) => ({ n })));
  });
});
