// An append's rows have the dataset's columns (docs/decisions.md, "Appends keep the dataset's
// columns"): `assay datasets append questions other.csv` with a file of `foo,bar` made version 2
// of `question, expected, product, foo, bar`, whose new rows had an empty `question` that an
// experiment on the latest version then ran. Rows that lack a column or bring one are a 400
// naming both, nothing is stored, and `?newColumns=allow` adds columns on purpose. Through a real
// server's routes, on SQLite and PostgreSQL (appends stage their rows differently on each).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { allDatabases } from '../../testing/databases.js';
import { startTestAssay, type TestAssay } from '../../testing/harness.js';

interface Refusal {
  error: string;
  message: string;
  missingColumns?: string[];
  unexpectedColumns?: string[];
  issues?: { path: unknown[]; message: string }[];
}

describe.each(allDatabases())('appended rows keep the dataset\'s columns on $name', (db) => {
  let t: TestAssay;
  beforeAll(async () => {
    t = await startTestAssay({}, await db.options());
  });
  afterAll(async () => {
    await t.close();
    await db.cleanup();
  });

  const csv = (slug: string, raw: string, query = '') => t.req('POST', `/api/datasets/${slug}/records${query}`, { raw, headers: { 'content-type': 'text/csv' } });
  const jsonl = (slug: string, raw: string, query = '') => t.req('POST', `/api/datasets/${slug}/records${query}`, { raw, headers: { 'content-type': 'application/x-ndjson' } });
  const rows = (slug: string, body: unknown[], query = '') => t.req('POST', `/api/datasets/${slug}/records${query}`, { body: { rows: body } });
  const read = async (slug: string) => (await (await t.req('GET', `/api/datasets/${slug}`)).json()) as { version: number; rowCount: number; columns: string[]; rows: Record<string, unknown>[] };
  const versions = async (slug: string) => ((await (await t.req('GET', `/api/datasets/${slug}/versions`)).json()) as { versions: unknown[] }).versions.length;

  async function refused(res: Response): Promise<Refusal> {
    const body = (await res.json()) as Refusal;
    expect(res.status, body.message).toBe(400);
    expect(body.error).toBe('validation_error');
    return body;
  }

  async function dataset(slug: string): Promise<void> {
    const created = await t.req('POST', '/api/datasets', { body: { name: slug, slug, rows: [{ question: 'Capital of France?', expected: 'Paris', product: 'geo' }, { question: 'Capital of Peru?', expected: 'Lima', product: 'geo' }] } });
    expect(created.status).toBe(201);
  }

  it('the finding: a CSV of other columns is a 400 naming what it lacks and brings, and nothing is stored', async () => {
    await dataset('questions');
    const body = await refused(await csv('questions', 'foo,bar\n1,2\n3,4\n'));
    expect(body.message).toBe(
      'The appended rows\' columns do not match dataset "questions" ("question", "expected", "product"): they lack columns "question", "expected", "product" and bring columns "foo", "bar", which it does not have; nothing was appended. ' +
        'Rows appended to a dataset have each of its columns (a row may leave a value empty: an empty CSV field, "" or null in JSON); to add columns, append with ?newColumns=allow (assay datasets append --new-columns): the rows already there read them as empty',
    );
    expect(body).toMatchObject({ missingColumns: ['question', 'expected', 'product'], unexpectedColumns: ['foo', 'bar'] });
    expect(body.issues?.[0]?.path).toEqual(['columns']);
    expect(await read('questions')).toMatchObject({ version: 1, rowCount: 2, columns: ['question', 'expected', 'product'] });
    expect(await versions('questions')).toBe(1);
  });

  it('says "did you mean" for a near-typo, and refuses a header that lacks a column or brings one', async () => {
    await dataset('typos');
    const typo = await refused(await csv('typos', 'questoin,expected,product\nq,a,p\n'));
    expect(typo.message).toContain('they lack column "question" and bring column "questoin" (did you mean "question"?), which it does not have');
    expect(typo).toMatchObject({ missingColumns: ['question'], unexpectedColumns: ['questoin'] });
    const fewer = await refused(await csv('typos', 'question,expected\nq,a\n'));
    expect(fewer).toMatchObject({ missingColumns: ['product'], unexpectedColumns: [] });
    const more = await refused(await csv('typos', 'question,expected,product,notes\nq,a,p,n\n'));
    expect(more).toMatchObject({ missingColumns: [], unexpectedColumns: ['notes'] });
    expect(more.message).toContain('To add columns, append with ?newColumns=allow');
    // A header alone that brings a column is refused too (it used to make a version of the same rows with a new column).
    expect(await refused(await csv('typos', 'question,expected,product,notes\n'))).toMatchObject({ unexpectedColumns: ['notes'] });
    expect(await read('typos')).toMatchObject({ version: 1, rowCount: 2, columns: ['question', 'expected', 'product'] });
  });

  it('takes rows with the same columns in any order, from CSV, JSON and JSON Lines', async () => {
    await dataset('same');
    expect((await csv('same', 'product,question,expected\ngeo,Capital of Chad?,N\'Djamena\n')).status).toBe(200);
    expect((await rows('same', [{ question: 'Capital of Mali?', expected: 'Bamako', product: 'geo' }])).status).toBe(200);
    expect((await jsonl('same', '{"expected":"Quito","question":"Capital of Ecuador?","product":"geo"}\n')).status).toBe(200);
    const after = await read('same');
    expect(after).toMatchObject({ version: 4, rowCount: 5, columns: ['question', 'expected', 'product'] });
    expect(after.rows[2]).toEqual({ product: 'geo', question: 'Capital of Chad?', expected: 'N\'Djamena' });
  });

  it('JSON rows: a row may leave a key out when another row has it; a key no row has, or one the dataset lacks, is refused', async () => {
    await dataset('json');
    // The rows together have every column: the second leaves `product` out (an empty cell).
    expect((await rows('json', [{ question: 'a', expected: 'A', product: 'p' }, { question: 'b', expected: 'B' }])).status).toBe(200);
    expect((await rows('json', [{ question: 'c', expected: 'C', product: null }])).status).toBe(200);
    const none = await refused(await rows('json', [{ question: 'd', expected: 'D' }, { question: 'e', expected: 'E' }]));
    expect(none).toMatchObject({ missingColumns: ['product'], unexpectedColumns: [] });
    const typo = await refused(await rows('json', [{ question: 'f', expected: 'F', product: 'p' }, { question: 'g', expectd: 'G', product: 'p' }]));
    expect(typo).toMatchObject({ missingColumns: [], unexpectedColumns: ['expectd'] });
    expect(typo.message).toContain('bring column "expectd" (did you mean "expected"?)');
    expect(await read('json')).toMatchObject({ version: 3, rowCount: 5 });
  });

  it('JSON Lines: a row bringing a column is refused as it is read, naming the row; a column no row had, at the end; nothing is stored', async () => {
    await dataset('lines');
    const good = Array.from({ length: 2_500 }, (_, i) => JSON.stringify({ question: `q${i}`, expected: `a${i}`, product: 'p' })).join('\n');
    const brings = await refused(await jsonl('lines', `${good}\n{"question":"x","expected":"y","prodcut":"p"}\n${good}\n`));
    expect(brings.message).toBe(
      'Appended row 2501 (counting from 1) brings column "prodcut" (did you mean "product"?), which dataset "lines" ("question", "expected", "product") does not have; nothing was appended. ' +
        'To add columns, append with ?newColumns=allow (assay datasets append --new-columns): the rows already there read them as empty',
    );
    expect(brings).toMatchObject({ unexpectedColumns: ['prodcut'] });
    expect(brings.issues?.[0]?.path).toEqual(['rows', 2500]);
    // Rows that may each leave a key out, but none has `product`: refused once the last is read.
    const lacks = await refused(await jsonl('lines', `{"question":"x","expected":"y"}\n{"question":"z"}\n`));
    expect(lacks).toMatchObject({ missingColumns: ['product'], unexpectedColumns: [] });
    expect(await read('lines')).toMatchObject({ version: 1, rowCount: 2 });
    expect(await versions('lines')).toBe(1);
  });

  it('?newColumns=allow adds a column on purpose: the old rows read it as empty; the rows still need every column the dataset has', async () => {
    await dataset('grow');
    const added = await csv('grow', 'question,expected,product,region\nCapital of Chad?,N\'Djamena,geo,Africa\n', '?newColumns=allow');
    expect(added.status).toBe(200);
    expect(await added.json()).toMatchObject({ version: 2, rowCount: 3, columns: ['question', 'expected', 'product', 'region'] });
    const after = await read('grow');
    expect(after.rows[0]).toEqual({ question: 'Capital of France?', expected: 'Paris', product: 'geo' });
    expect(after.rows[2]).toEqual({ question: 'Capital of Chad?', expected: 'N\'Djamena', product: 'geo', region: 'Africa' });
    // JSON and JSON Lines alike.
    expect((await rows('grow', [{ question: 'q', expected: 'a', product: 'p', region: 'r', level: 1 }], '?newColumns=allow')).status).toBe(200);
    expect((await jsonl('grow', '{"question":"q","expected":"a","product":"p","region":"r","level":2,"source":"s"}\n', '?newColumns=allow')).status).toBe(200);
    expect((await read('grow')).columns).toEqual(['question', 'expected', 'product', 'region', 'level', 'source']);
    // A header alone may add a column, as a new version with no new row.
    expect(await (await csv('grow', 'question,expected,product,region,level,source,notes\n', '?newColumns=allow')).json()).toMatchObject({ version: 5, rowCount: 5 });
    // Bringing a column does not excuse lacking one.
    const lacks = await refused(await csv('grow', 'question,expected,extra\nq,a,x\n', '?newColumns=allow'));
    expect(lacks).toMatchObject({ missingColumns: ['product', 'region', 'level', 'source', 'notes'], unexpectedColumns: [] });
    expect(lacks.message).toContain('--new-columns only lets them bring new ones');
    expect(await refused(await jsonl('grow', '{"question":"q","expected":"a","x":1}\n', '?newColumns=allow'))).toMatchObject({ missingColumns: ['product', 'region', 'level', 'source', 'notes'] });
    expect((await read('grow')).version).toBe(5);
    // Only `allow`: another value is not read as one.
    expect((await refused(await csv('grow', 'question\nq\n', '?newColumns=yes'))).issues?.[0]?.path).toEqual(['newColumns']);
  });

  it('a dataset with no columns yet takes the columns of its first append', async () => {
    expect((await t.req('POST', '/api/datasets', { body: { name: 'Empty', slug: 'empty', rows: [] } })).status).toBe(201);
    expect(await (await csv('empty', 'question,expected\nq,a\n')).json()).toMatchObject({ version: 2, rowCount: 1, columns: ['question', 'expected'] });
    expect(await refused(await csv('empty', 'question\nq\n'))).toMatchObject({ missingColumns: ['expected'] });
  });
});
