// A CSV export's `entry.<name>` columns are checked against the columns of the run's rows, as
// `--columns outptu` was already refused: `assay export RUN --format csv --columns
// index,entry.questoin,output` exited 0 with an empty `entry.questoin` column (user walkthrough,
// 2026-12-06). The columns come from the dataset version's own list (its rows are not read: a
// dataset may have 300,000), the experiment's inline rows, or the rows sent with the run, and
// the run's parameters. Through a real server's routes, on SQLite and PostgreSQL.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { allDatabases } from '../../testing/databases.js';
import { startTestAssay, type TestAssay } from '../../testing/harness.js';
import { startRun, waitForRun } from '../../testing/runs.js';

describe.each(allDatabases())('export columns of the rows on $name', (db) => {
  let t: TestAssay;
  beforeAll(async () => {
    t = await startTestAssay({}, await db.options());
  });
  afterAll(async () => {
    await t.close();
    await db.cleanup();
  });

  const experiment = (slug: string, dataset: unknown) => ({
    slug, name: slug, dataset,
    targets: [{ id: 'echo', type: 'code', code: 'return row.question ?? ""' }],
  });

  async function ran(slug: string, dataset: unknown, body?: unknown): Promise<string> {
    expect((await t.req('POST', '/api/experiments', { body: experiment(slug, dataset) })).status).toBe(201);
    const runId = await startRun(t, slug, body);
    expect((await waitForRun(t, runId, 60_000)).status).toBe('completed');
    return runId;
  }

  const exported = (runId: string, columns: string) => t.req('GET', `/api/experiments/runs/${runId}/export?format=csv&columns=${encodeURIComponent(columns)}`);
  const lines = async (res: Response) => {
    expect(res.status, res.status === 200 ? '' : await res.clone().text()).toBe(200);
    return (await res.text()).trim().split('\n');
  };
  async function refused(res: Response): Promise<string> {
    const body = (await res.json()) as { error: string; message: string; issues: { path: unknown[] }[] };
    expect(res.status, body.message).toBe(400);
    expect(body.error).toBe('validation_error');
    expect(body.issues[0]?.path).toEqual(['columns']);
    return body.message;
  }

  it('the finding: entry.questoin of a saved dataset\'s run is a 400 with a did-you-mean, as outptu is; entry.question exports', async () => {
    const created = await t.req('POST', '/api/datasets', { body: { name: 'Questions', slug: 'questions', rows: [{ question: 'Capital of France?', expected: 'Paris', product: 'geo' }, { question: 'Capital of Peru?', expected: 'Lima', product: 'geo' }] } });
    expect(created.status).toBe(201);
    const runId = await ran('on-questions', { datasetId: 'questions' });
    expect(await refused(await exported(runId, 'index,entry.questoin,output'))).toBe(
      'Unknown column "entry.questoin": the run\'s rows have no column "questoin" (did you mean "entry.question"?); their columns are question, expected, product',
    );
    expect(await refused(await exported(runId, 'index,outptu'))).toMatch(/^Unknown column "outptu" \(did you mean "output"\?\): the columns are index, targetId, /);
    // A column of the rows named without its `entry.`.
    expect(await refused(await exported(runId, 'index,question'))).toMatch(/^Unknown column "question" \(did you mean "entry\.question"\?\): /);
    // Far from every column: no guess.
    expect(await refused(await exported(runId, 'entry.zzzzzz'))).toBe('Unknown column "entry.zzzzzz": the run\'s rows have no column "zzzzzz"; their columns are question, expected, product');
    expect(await lines(await exported(runId, 'index,entry.question,entry.product,output'))).toEqual([
      'index,entry.question,entry.product,output', '0,Capital of France?,geo,Capital of France?', '1,Capital of Peru?,geo,Capital of Peru?',
    ]);
  });

  it('reads the columns from the version the run used, not its rows; a column only some rows have exports empty where they lack it; a deleted dataset still answers', async () => {
    const slug = 'wide';
    expect((await t.req('POST', '/api/datasets', { body: { name: slug, slug, rows: [{ question: 'a' }, { question: 'b' }] } })).status).toBe(201);
    const first = await ran('on-wide', { datasetId: slug });
    // Version 2 adds a column (on purpose); the first run read version 1, which does not have it.
    expect((await t.req('POST', `/api/datasets/${slug}/records?newColumns=allow`, { body: { rows: [{ question: 'c', hint: 'h' }] } })).status).toBe(200);
    expect(await refused(await exported(first, 'index,entry.hint'))).toBe('Unknown column "entry.hint": the run\'s rows have no column "hint"; their columns are question');
    expect((await t.req('POST', '/api/experiments/on-wide/run', {})).status).toBe(200);
    const runs = (await (await t.req('GET', '/api/experiments/runs?experimentSlug=on-wide')).json()) as { runs: { runId: string }[] };
    const second = runs.runs.map((r) => r.runId).find((id) => id !== first)!;
    expect((await waitForRun(t, second, 60_000)).status).toBe('completed');

    // The check reads no row of the dataset: the version's column list is enough.
    const store = t.assay.stores.datasets;
    const read = store.rows.bind(store);
    let rowReads = 0;
    store.rows = (...args) => {
      rowReads++;
      return read(...args);
    };
    try {
      expect(await refused(await exported(second, 'entry.hnit'))).toContain('(did you mean "entry.hint"?); their columns are question, hint');
      expect(rowReads).toBe(0);
    } finally {
      store.rows = read;
    }
    expect(await lines(await exported(second, 'index,entry.question,entry.hint'))).toEqual(['index,entry.question,entry.hint', '0,a,', '1,b,', '2,c,h']);

    // Deleted (its experiment archived first): the run's export still knows the version's columns.
    expect((await t.req('DELETE', '/api/experiments/on-wide')).status).toBe(204);
    expect((await t.req('DELETE', `/api/datasets/${slug}`)).status).toBe(204);
    expect(await refused(await exported(second, 'entry.hnit'))).toContain('did you mean "entry.hint"?');
    expect(await lines(await exported(second, 'index,entry.hint'))).toEqual(['index,entry.hint', '0,', '1,', '2,h']);
  });

  it('checks rows sent with the run (data), the experiment\'s own rows, and the run\'s parameters', async () => {
    // `note` only on the last row sent: a column all the same.
    const data = [{ question: 'x' }, { question: 'y' }, { question: 'z', note: 'last' }];
    const inline = await ran('on-data', { rows: [{ question: 'unused' }] }, { data, parameters: { tone: 'dry' } });
    expect(await lines(await exported(inline, 'index,entry.note,entry.tone'))).toEqual(['index,entry.note,entry.tone', '0,,dry', '1,,dry', '2,last,dry']);
    expect(await refused(await exported(inline, 'entry.nots'))).toBe('Unknown column "entry.nots": the run\'s rows have no column "nots" (did you mean "entry.note"?); their columns are tone, question, note');

    // Rows sent with the run are read a page at a time only until the names asked for are found:
    // all of them for a name that is not there (they were one request body, so bounded).
    const many = Array.from({ length: 2_500 }, (_, i) => (i === 2_400 ? { question: `q${i}`, late: 'yes' } : { question: `q${i}` }));
    const picked = await ran('on-many', { rows: [{ question: 'unused' }] }, { data: many, row_indices: [2_400] });
    const runs = t.assay.stores.runs;
    const read = runs.inlineRows.bind(runs);
    let pages = 0;
    runs.inlineRows = (...args) => {
      pages++;
      return read(...args);
    };
    try {
      expect(await lines(await exported(picked, 'index,entry.question'))).toEqual(['index,entry.question', '2400,q2400']);
      expect(pages).toBe(1);
      pages = 0;
      expect(await lines(await exported(picked, 'index,entry.late'))).toEqual(['index,entry.late', '2400,yes']);
      expect(pages).toBe(3);
      pages = 0;
      expect(await refused(await exported(picked, 'entry.lat'))).toContain('(did you mean "entry.late"?); their columns are question, late');
      expect(pages).toBe(3);
    } finally {
      runs.inlineRows = read;
    }

    const own = await ran('on-rows', { rows: [{ question: 'p', country: 'Peru' }, { question: 'q' }] });
    expect(await lines(await exported(own, 'index,entry.country'))).toEqual(['index,entry.country', '0,Peru', '1,']);
    expect(await refused(await exported(own, 'entry.contry'))).toContain('(did you mean "entry.country"?); their columns are question, country');
  });
});
