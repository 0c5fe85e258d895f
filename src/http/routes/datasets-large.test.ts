// Large datasets (issue 14, "a million rows"; docs/large-datasets.md): CSV and JSON Lines uploads
// are streams bounded by ASSAY_MAX_UPLOAD_BYTES, not by the JSON body limit; a failure part-way
// stores nothing (not even staged rows); the row limit refuses the first row over it; and a run
// of a saved dataset pages and exports every cell exactly once, in row order. The memory and
// speed at a million rows are measured by `npm run bench -- --only=million`, not here.
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SqlDatasetStore } from '../../storage/dataset-store.js';
import { startTestAssay, type TestAssay } from '../../testing/harness.js';
import { waitForRun } from '../../testing/runs.js';

const JSON_LIMIT = 64 * 1024;
const UPLOAD_LIMIT = 4 * 1024 * 1024;
const MAX_ROWS = 20_000;

let t: TestAssay;
beforeAll(async () => {
  t = await startTestAssay({ maxBodyBytes: JSON_LIMIT, maxUploadBytes: UPLOAD_LIMIT, maxRows: MAX_ROWS });
});
afterAll(() => t.close());

const csvOf = (n: number, from = 0) => Array.from({ length: n }, (_, i) => `question ${from + i},QUESTION ${from + i}`).join('\n');

/** A body sent as a stream of chunks (as a client streaming a file would), not one buffer. */
function streamed(text: string, chunkBytes = 16 * 1024): ReadableStream<Uint8Array> {
  const bytes = new TextEncoder().encode(text);
  let at = 0;
  return new ReadableStream({
    pull(controller) {
      if (at >= bytes.length) return controller.close();
      controller.enqueue(bytes.subarray(at, at + chunkBytes));
      at += chunkBytes;
    },
  });
}

function upload(p: string, body: string | ReadableStream<Uint8Array>, type = 'text/csv'): Promise<Response> {
  return Promise.resolve(t.assay.http.app.request(p, { method: 'POST', body, headers: { 'x-auth-token': t.key, 'content-type': type }, duplex: 'half' } as RequestInit));
}

/** A statement on the server's SQLite file, through a connection of the test's own. */
function onFile<T>(f: (db: Database.Database) => T): T {
  const db = new Database(path.join(t.config.dataDir, 'assay.db'), { fileMustExist: true });
  try {
    return f(db);
  } finally {
    db.close();
  }
}

const count = (table: string) => onFile((db) => (db.prepare(`SELECT count(*) AS n FROM ${table}`).get() as { n: number }).n);
/** Rows of the staging table (appends in progress or abandoned, and markers of creates). */
const stagedRows = () => count('dataset_staging');
/** Rows stored for any dataset, visible or not: a refused upload must leave none behind. */
const storedRows = () => count('dataset_rows');

async function datasetCount(): Promise<number> {
  return ((await (await t.req('GET', '/api/datasets')).json()) as { pagination: { totalHits: number } }).pagination.totalHits;
}

describe('large dataset uploads', () => {
  it('accepts a streamed CSV body far larger than the JSON body limit, and refuses that much JSON', async () => {
    const csv = `question,expected\n${csvOf(15_000)}\n`;
    expect(csv.length).toBeGreaterThan(5 * JSON_LIMIT);
    const res = await upload('/api/datasets?name=Streamed', streamed(csv));
    expect(res.status).toBe(201);
    expect(await res.json()).toMatchObject({ slug: 'streamed', rowCount: 15_000, columns: ['question', 'expected'] });
    const last = (await (await t.req('GET', '/api/datasets/streamed?offset=14999&limit=5')).json()) as { rows: unknown[] };
    expect(last.rows).toEqual([{ question: 'question 14999', expected: 'QUESTION 14999' }]);

    const rows = Array.from({ length: 15_000 }, (_, i) => ({ question: `question ${i}`, expected: `QUESTION ${i}` }));
    const json = await t.req('POST', '/api/datasets', { body: { name: 'As JSON', rows } });
    expect(json.status).toBe(413);
    expect(await json.json()).toMatchObject({ error: 'payload_too_large', message: expect.stringContaining(String(JSON_LIMIT)) });
    // Appends stream the same way.
    const appended = await upload('/api/datasets/streamed/records', streamed(`question,expected\n${csvOf(2_000, 15_000)}\n`));
    expect(appended.status).toBe(200);
    expect(await appended.json()).toMatchObject({ version: 2, rowCount: 17_000 });
    expect(stagedRows()).toBe(0);
  });

  it('refuses a streamed upload above ASSAY_MAX_UPLOAD_BYTES with 413 and keeps nothing', async () => {
    const before = await datasetCount();
    const rowsBefore = storedRows();
    const wide = Array.from({ length: 9_000 }, (_, i) => `${i},${'x'.repeat(500)}`).join('\n');
    expect(wide.length).toBeGreaterThan(UPLOAD_LIMIT);
    const res = await upload('/api/datasets?name=Too%20big', streamed(`a,b\n${wide}\n`));
    expect(res.status).toBe(413);
    expect(await res.json()).toMatchObject({ error: 'payload_too_large', message: expect.stringContaining(String(UPLOAD_LIMIT)) });
    expect((await t.req('GET', '/api/datasets/too-big')).status).toBe(404);
    expect(await datasetCount()).toBe(before);
    expect(stagedRows()).toBe(0);
    expect(storedRows()).toBe(rowsBefore);
  });

  it('answers a CSV malformed after several stored batches with 400 naming the line, and stores nothing', async () => {
    const before = await datasetCount();
    const rowsBefore = storedRows();
    // 12,000 good rows (12 batches already staged) and then a row with a third field.
    const csv = `question,expected\n${csvOf(12_000)}\nq,e,extra\n${csvOf(100)}\n`;
    const res = await upload('/api/datasets?name=Broken%20late', streamed(csv));
    expect(res.status).toBe(400);
    const body = (await res.json()) as { error: string; message: string; issues: { path: unknown[] }[] };
    expect(body.error).toBe('validation_error');
    expect(body.message).toContain('line 12002');
    expect(body.issues[0]!.path).toEqual(['line', 12002]);
    expect((await t.req('GET', '/api/datasets/broken-late')).status).toBe(404);
    expect(await datasetCount()).toBe(before);
    expect(stagedRows()).toBe(0);
    expect(storedRows()).toBe(rowsBefore);
  });

  it('a later start removes the rows of a create whose process died, and only those', async () => {
    const ds = (await (await upload('/api/datasets?name=Survivor', streamed('a\n1\n2\n'))).json()) as { id: string };
    const rowsBefore = storedRows();
    // As left by a process killed mid-upload (rows written, no dataset), and by one killed
    // between making a dataset visible and removing its marker.
    onFile((db) => {
      db.prepare("INSERT INTO dataset_staging (upload_id, seq, data, created_at) VALUES ('new:ds_dead', -1, '', 1), (?, -1, '', 1)").run(`new:${ds.id}`);
      const row = db.prepare("INSERT INTO dataset_rows (dataset_id, idx, data) VALUES ('ds_dead', ?, '{}')");
      for (let i = 0; i < 3; i++) row.run(i);
    });
    expect(storedRows()).toBe(rowsBefore + 3);
    await (t.assay.stores.datasets as SqlDatasetStore).purgeStaging(Date.now());
    expect(storedRows()).toBe(rowsBefore);
    expect(stagedRows()).toBe(0);
    expect(((await (await t.req('GET', `/api/datasets/${ds.id}`)).json()) as { rows: unknown[] }).rows).toEqual([{ a: '1' }, { a: '2' }]);
  });

  it('accepts exactly ASSAY_MAX_ROWS rows and refuses the first one over with 413 naming its line', async () => {
    const rowsBefore = storedRows();
    const full = await upload('/api/datasets?name=Full', streamed(`question,expected\n${csvOf(MAX_ROWS)}\n`));
    expect(full.status).toBe(201);
    expect(await full.json()).toMatchObject({ rowCount: MAX_ROWS });

    const over = await upload('/api/datasets?name=Over', streamed(`question,expected\n${csvOf(MAX_ROWS + 1)}\n`));
    expect(over.status).toBe(413);
    const body = (await over.json()) as { error: string; message: string };
    expect(body.error).toBe('payload_too_large');
    expect(body.message).toContain(`at most ${MAX_ROWS}`);
    expect(body.message).toContain(`line ${MAX_ROWS + 2}`);
    expect((await t.req('GET', '/api/datasets/over')).status).toBe(404);
    expect(storedRows()).toBe(rowsBefore + MAX_ROWS);
    // An append may not take a dataset past the limit in one upload either.
    const lines = await upload('/api/datasets/full/records', streamed(`${Array.from({ length: MAX_ROWS + 1 }, (_, i) => `{"question":${i},"expected":${i}}`).join('\n')}\n`), 'application/x-ndjson');
    expect(lines.status).toBe(413);
    expect(await (await t.req('GET', '/api/datasets/full')).json()).toMatchObject({ version: 1, rowCount: MAX_ROWS });
    expect(stagedRows()).toBe(0);
  });
});

describe('a run of a saved dataset, paged and exported', () => {
  const ROWS = 2_500;

  it('pages and exports every cell once, in row order, matching the dataset', async () => {
    const ds = (await (await upload('/api/datasets?name=Run%20me', streamed(`question,expected\n${csvOf(ROWS)}\n`))).json()) as { id: string };
    const created = await t.req('POST', '/api/experiments', {
      body: {
        slug: 'large-run', name: 'large run', dataset: { datasetId: ds.id },
        targets: [
          { id: 'upper', type: 'code', code: 'return row.question.toUpperCase()' },
          // Every 100th row fails its target: failures are exported in their place too.
          { id: 'picky', type: 'code', code: "if (Number(row.question.split(' ')[1]) % 100 === 0) throw new Error('no'); return row.expected" },
        ],
        evaluators: [{ id: 'exact', type: 'langevals/exact_match', inputs: { output: 'output', expected_output: 'row.expected' } }],
        execution: { concurrency: 50 },
      },
    });
    expect(created.status).toBe(201);
    const started = (await (await t.req('POST', '/api/experiments/large-run/run')).json()) as { runId: string; total: number };
    expect(started.total).toBe(ROWS * 2);
    const run = await waitForRun(t, started.runId, 120_000);
    expect(run.status).toBe('completed');
    const failing = ROWS / 100;
    expect(run.summary).toMatchObject({ totalCells: ROWS * 2, completedCells: ROWS * 2 - failing, failedCells: failing, totalPassed: ROWS * 2 - failing });

    // Results pages of 1,000 (the last one partial) cover the run in order, once.
    const paged: { index: number; targetId: string; output: unknown; error: unknown }[] = [];
    for (let offset = 0; offset < ROWS * 2 + 1000; offset += 1000) {
      const page = (await (await t.req('GET', `/api/experiments/runs/${started.runId}/results?offset=${offset}&limit=1000`)).json()) as {
        dataset: { index: number; targetId: string; predicted?: { output: unknown }; error: unknown }[];
      };
      expect(page.dataset.length).toBe(Math.max(0, Math.min(1000, ROWS * 2 - offset)));
      paged.push(...page.dataset.map((d) => ({ index: d.index, targetId: d.targetId, output: d.predicted?.output, error: d.error })));
    }
    expect(paged.map((d) => `${d.index}/${d.targetId}`)).toEqual(Array.from({ length: ROWS * 2 }, (_, i) => `${Math.floor(i / 2)}/${i % 2 === 0 ? 'upper' : 'picky'}`));
    expect(paged[2 * 2499]).toMatchObject({ index: 2499, output: 'QUESTION 2499' });
    expect(paged[2 * 100 + 1]).toMatchObject({ index: 100, output: undefined, error: expect.stringContaining('no') });

    // The exports (read by key, page after page) list the same cells in the same order.
    const jsonl = await (await t.req('GET', `/api/experiments/runs/${started.runId}/export?format=jsonl`)).text();
    const lines = jsonl.trim().split('\n').map((l) => JSON.parse(l) as { index: number; targetId: string });
    expect(lines.map((l) => `${l.index}/${l.targetId}`)).toEqual(paged.map((d) => `${d.index}/${d.targetId}`));
    const csv = await (await t.req('GET', `/api/experiments/runs/${started.runId}/export?format=csv`)).text();
    const csvLines = csv.trim().split('\n');
    expect(csvLines).toHaveLength(ROWS * 2 + 1);
    expect(csvLines[csvLines.length - 1]).toContain('QUESTION 2499');

    // With row_indices out of order, cell numbers do not follow row order: pages still do.
    const picked = Array.from({ length: 1500 }, (_, i) => 2499 - i);
    const partial = (await (await t.req('POST', '/api/experiments/large-run/run', { body: { row_indices: picked, targets: ['upper'] } })).json()) as { runId: string };
    expect((await waitForRun(t, partial.runId, 120_000)).status).toBe('completed');
    const indices: number[] = [];
    for (let offset = 0; offset < 1500; offset += 1000) {
      const page = (await (await t.req('GET', `/api/experiments/runs/${partial.runId}/results?offset=${offset}&limit=1000`)).json()) as { dataset: { index: number }[] };
      indices.push(...page.dataset.map((d) => d.index));
    }
    expect(indices).toEqual([...picked].reverse());
  }, 180_000);
});
