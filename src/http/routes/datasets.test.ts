// SPEC §4 datasets: uploads in three formats, exact paging, versions, errors that name the line,
// all-or-nothing writes and the body limit.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestAssay, type TestAssay } from '../../testing/harness.js';

let t: TestAssay;
beforeAll(async () => {
  t = await startTestAssay({ maxBodyBytes: 8 * 1024 * 1024, maxUploadBytes: 8 * 1024 * 1024 });
});
afterAll(() => t.close());

async function json(res: Response): Promise<any> {
  return res.json();
}

function csvField(s: string): string {
  return /[",\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

describe('datasets', () => {
  it('uploads a 50,000-row CSV (~5 MB) and pages it back exactly', async () => {
    const rows = Array.from({ length: 50_000 }, (_, i) => ({
      id: String(i),
      question: `What is ${i} plus ${i}, "exactly"? Answer with the number only, please.`,
      expected: String(i * 2),
      note: i % 7 === 0 ? 'multi\nline' : 'ünïcødé ✓',
    }));
    const csv = `id,question,expected,note\n${rows.map((r) => [r.id, r.question, r.expected, r.note].map(csvField).join(',')).join('\n')}\n`;
    expect(csv.length).toBeGreaterThan(4_000_000);
    const res = await t.req('POST', '/api/datasets?name=Big%20CSV', { raw: csv, headers: { 'content-type': 'text/csv' } });
    expect(res.status).toBe(201);
    const ds = await json(res);
    expect(ds).toMatchObject({ slug: 'big-csv', version: 1, rowCount: 50_000, columns: ['id', 'question', 'expected', 'note'] });

    const back: unknown[] = [];
    for (let offset = 0; offset < 50_000; offset += 1000) {
      const page = await json(await t.req('GET', `/api/datasets/${ds.id}?offset=${offset}&limit=1000`));
      back.push(...page.rows);
    }
    expect(back).toEqual(rows);
    const last = await json(await t.req('GET', `/api/datasets/big-csv?offset=49990&limit=1000`));
    expect(last.rows).toHaveLength(10);
    expect((await json(await t.req('GET', `/api/datasets/big-csv`))).rows).toHaveLength(100);
    expect((await json(await t.req('GET', `/api/datasets/big-csv?limit=5000`))).rows).toHaveLength(1000);
  }, 120_000);

  it('names the line of a malformed CSV and stores nothing', async () => {
    const before = (await json(await t.req('GET', '/api/datasets'))).pagination.totalHits;
    const good = Array.from({ length: 3000 }, (_, i) => `${i},x`).join('\n');
    const csv = `a,b\n${good}\n1,2,3\n4,5\n`;
    const res = await t.req('POST', '/api/datasets?name=Broken', { raw: csv, headers: { 'content-type': 'text/csv' } });
    expect(res.status).toBe(400);
    const body = await json(res);
    expect(body.error).toBe('validation_error');
    expect(body.message).toContain('line 3002');
    expect((await t.req('GET', '/api/datasets/broken')).status).toBe(404);
    expect((await json(await t.req('GET', '/api/datasets'))).pagination.totalHits).toBe(before);

    const quote = await t.req('POST', '/api/datasets?name=Q', { raw: 'a,b\n1,"unterminated\n', headers: { 'content-type': 'text/csv' } });
    expect(quote.status).toBe(400);
    for (const header of ['a,a\n1,2\n', ',b\n1,2\n', '__proto__,b\n1,2\n']) {
      const res2 = await t.req('POST', '/api/datasets?name=H', { raw: header, headers: { 'content-type': 'text/csv' } });
      expect(res2.status, header).toBe(400);
      expect((await json(res2)).message).toContain('line 1');
    }
  });

  it('keeps the columns of a CSV header with no rows under it, on create and on append', async () => {
    const created = await t.req('POST', '/api/datasets?name=Header%20only', { raw: 'question,expected\n', headers: { 'content-type': 'text/csv' } });
    expect(created.status).toBe(201);
    expect(await json(created)).toMatchObject({ slug: 'header-only', rowCount: 0, columns: ['question', 'expected'] });
    // Without a final newline too, and an append's new column (allowed) joins the dataset's.
    const appended = await t.req('POST', '/api/datasets/header-only/records?newColumns=allow', { raw: 'question,expected,note', headers: { 'content-type': 'text/csv' } });
    expect(appended.status).toBe(200);
    expect(await json(appended)).toMatchObject({ version: 2, rowCount: 0, columns: ['question', 'expected', 'note'] });
    expect(await json(await t.req('GET', '/api/datasets/header-only'))).toMatchObject({ columns: ['question', 'expected', 'note'], rows: [] });
  });

  it('refuses numbers out of range (which would be stored as null), naming the row and field', async () => {
    const post = (path: string, raw: string, type = 'application/json') => t.req('POST', path, { raw, headers: { 'content-type': type } });
    const created = await post('/api/datasets', '{"name":"inf","rows":[{"a":1},{"a":1e400}]}');
    expect(created.status).toBe(400);
    const body = await json(created);
    expect(body.error).toBe('validation_error');
    expect(body.message).toBe('The body has a number out of range at rows.1.a (beyond ±1.8e308); send it as a string');
    expect(body.issues).toEqual([{ path: ['rows', 1, 'a'], message: 'is a number out of range (beyond ±1.8e308); send it as a string' }]);
    expect((await t.req('GET', '/api/datasets/inf')).status).toBe(404);

    // Nested, negative, in an append and in JSON Lines.
    expect((await json(await post('/api/datasets', '{"name":"inf","rows":[{"m":{"xs":[0,-1e999]}}]}'))).issues[0].path).toEqual(['rows', 0, 'm', 'xs', 1]);
    expect((await post('/api/datasets', '{"name":"finite","rows":[{"a":1.7e308}]}')).status).toBe(201);
    const appended = await post('/api/datasets/finite/records', '{"rows":[{"a":2e308}]}');
    expect((await json(appended)).issues[0].path).toEqual(['rows', 0, 'a']);
    expect(await json(await t.req('GET', '/api/datasets/finite'))).toMatchObject({ version: 1, rows: [{ a: 1.7e308 }] });
    const lines = await post('/api/datasets?name=inf', '{"a":1}\n{"b":{"c":1e400}}\n', 'application/x-ndjson');
    expect(lines.status).toBe(400);
    expect((await json(lines)).message).toBe('Invalid JSON Lines at line 2: b.c is a number out of range (beyond ±1.8e308); send it as a string');
    expect((await t.req('GET', '/api/datasets/inf')).status).toBe(404);
    // Any JSON body: an experiment's inline rows, a run's rows.
    const doc = await post('/api/experiments', '{"name":"inf","targets":[{"id":"t","type":"code","code":"return 1"}],"dataset":{"rows":[{"a":1e400}]}}');
    expect((await json(doc)).issues).toEqual([{ path: ['dataset', 'rows', 0, 'a'], message: 'is a number out of range (beyond ±1.8e308); send it as a string' }]);
  });

  it('accepts JSON Lines and names a bad line', async () => {
    const ok = await t.req('POST', '/api/datasets?name=Lines', { raw: '{"q":"a"}\n\n{"q":"b","n":[1]}\r\n', headers: { 'content-type': 'application/x-ndjson' } });
    expect(ok.status).toBe(201);
    expect(await json(ok)).toMatchObject({ rowCount: 2, columns: ['q', 'n'] });
    for (const [raw, line] of [['{"q":1}\n{"q":\n', 2], ['{"q":1}\n[1,2]\n', 2], ['{"__proto__":{"x":1}}\n', 1]] as const) {
      const res = await t.req('POST', '/api/datasets?name=Bad%20lines', { raw, headers: { 'content-type': 'application/x-ndjson' } });
      expect(res.status, raw).toBe(400);
      expect((await json(res)).message).toContain(`line ${line}`);
    }
    // The line is named once.
    const once = await json(await t.req('POST', '/api/datasets?name=Bad%20lines', { raw: '{"q":1}\n{"q":\n', headers: { 'content-type': 'application/x-ndjson' } }));
    expect(once.message).toMatch(/^Malformed JSON Lines at line 2: it is not valid JSON: /);
    expect((await t.req('GET', '/api/datasets/bad-lines')).status).toBe(404);
  });

  it('appends as a new version; old versions stay readable; delete hides it', async () => {
    const created = await json(await t.req('POST', '/api/datasets', { body: { name: 'Grow', slug: 'grow', rows: [{ a: 1 }] } }));
    expect(created).toMatchObject({ version: 1, rowCount: 1 });
    const appended = await t.req('POST', '/api/datasets/grow/records?newColumns=allow', { raw: 'a,b\n2,x\n', headers: { 'content-type': 'text/csv' } });
    expect(appended.status).toBe(200);
    expect(await json(appended)).toMatchObject({ version: 2, rowCount: 2, columns: ['a', 'b'] });
    expect((await json(await t.req('GET', '/api/datasets/grow'))).rows).toEqual([{ a: 1 }, { a: '2', b: 'x' }]);
    expect((await json(await t.req('GET', '/api/datasets/grow?version=1'))).rows).toEqual([{ a: 1 }]);
    const failed = await t.req('POST', '/api/datasets/grow/records', { raw: 'a,b\n3,y\n4\n', headers: { 'content-type': 'text/csv' } });
    expect(failed.status).toBe(400);
    expect(await json(await t.req('GET', '/api/datasets/grow'))).toMatchObject({ version: 2, rowCount: 2 });
    expect((await t.req('POST', '/api/datasets', { body: { name: 'Grow', slug: 'grow', rows: [] } })).status).toBe(409);
    expect((await t.req('DELETE', '/api/datasets/grow')).status).toBe(204);
    expect((await t.req('GET', '/api/datasets/grow')).status).toBe(404);
    expect((await t.req('POST', '/api/datasets/grow/records', { body: { rows: [{ a: 5 }] } })).status).toBe(404);
  });

  it('refuses to delete a dataset a live experiment runs, naming it; deletes it once none does', async () => {
    const ds = await json(await t.req('POST', '/api/datasets', { body: { name: 'Used', slug: 'used', rows: [{ q: 'a' }] } }));
    const doc = (slug: string, datasetId: string) => ({ slug, name: slug, dataset: { datasetId }, targets: [{ id: 't', type: 'code', code: 'return row.q' }] });
    expect((await t.req('POST', '/api/experiments', { body: doc('by-slug', 'used') })).status).toBe(201);
    expect((await t.req('POST', '/api/experiments', { body: doc('by-id', ds.id) })).status).toBe(201);
    const refused = await t.req('DELETE', '/api/datasets/used');
    expect(refused.status).toBe(409);
    expect((await json(refused)).message).toMatch(/^Dataset "used" is used by experiments "by-(slug|id)", "by-(slug|id)": point them at another dataset, or archive them \(`assay experiments archive SLUG` or DELETE \/api\/experiments\/\{slug\} for each; their runs stay readable\), then delete it$/);
    expect((await json(await t.req('GET', '/api/datasets/used'))).rows).toEqual([{ q: 'a' }]);
    // Archived, or pointed elsewhere: no longer a user.
    expect((await t.req('DELETE', '/api/experiments/by-id')).status).toBe(204);
    // One user left: the message names the command and the route for its slug.
    expect((await json(await t.req('DELETE', '/api/datasets/used'))).message).toBe(
      'Dataset "used" is used by experiment "by-slug": point it at another dataset, or archive it (`assay experiments archive by-slug` or DELETE /api/experiments/by-slug; its runs stay readable), then delete it',
    );
    const other = await json(await t.req('POST', '/api/datasets', { body: { name: 'Other', slug: 'other', rows: [{ q: 'b' }] } }));
    expect((await t.req('PUT', '/api/experiments/by-slug', { body: doc('by-slug', other.id) })).status).toBe(200);
    expect((await t.req('DELETE', '/api/datasets/used')).status).toBe(204);
  });

  it('refuses appends that take a dataset past 10,000 columns in all, and keeps it as it was', async () => {
    const row = (from: number, n: number) => Object.fromEntries(Array.from({ length: n }, (_, i) => [`c${from + i}`, i]));
    expect((await t.req('POST', '/api/datasets', { body: { name: 'Wide', slug: 'wide', rows: [row(0, 6_000)] } })).status).toBe(201);
    // The rows of an append bring each of the dataset's columns (dataset-append-columns.test.ts): with 4,001 new ones they are past the bound themselves.
    const past = await t.req('POST', '/api/datasets/wide/records?newColumns=allow', { body: { rows: [row(0, 6_000), row(6_000, 4_001)] } });
    expect(past.status).toBe(400);
    expect((await json(past)).message).toContain('rows[1] takes the upload past 10,000 columns');
    expect(await json(await t.req('GET', '/api/datasets/wide?limit=1'))).toMatchObject({ version: 1, rowCount: 1 });
    expect((await t.req('POST', '/api/datasets/wide/records?newColumns=allow', { body: { rows: [row(0, 6_000), row(6_000, 4_000)] } })).status).toBe(200);
  });

  it('answers 413 above the body limit and keeps nothing', async () => {
    const big = `a\n${'x'.repeat(100)}\n`.repeat(1).concat(`${'y'.repeat(1000)}\n`.repeat(9000));
    const res = await t.req('POST', '/api/datasets?name=Huge', { raw: big, headers: { 'content-type': 'text/csv' } });
    expect(res.status).toBe(413);
    expect(await json(res)).toMatchObject({ error: 'payload_too_large' });
    expect((await t.req('GET', '/api/datasets/huge')).status).toBe(404);
  });

  it('says what is wrong with a CSV sent as something else, an empty one, one separated by semicolons, and an empty append', async () => {
    const plain = await t.req('POST', '/api/datasets?name=Plain', { raw: 'question,answer\nq,a\n', headers: { 'content-type': 'text/plain' } });
    expect(plain.status).toBe(400);
    expect((await json(plain)).message).toMatch(/; the body was read as JSON because its Content-Type is "text\/plain": send CSV as text\/csv and JSON Lines as application\/x-ndjson$/);
    const empty = await t.req('POST', '/api/datasets?name=Empty', { raw: '', headers: { 'content-type': 'text/csv' } });
    expect(empty.status).toBe(400);
    expect((await json(empty)).message).toBe('The CSV is empty: it needs a header line (the column names), then a row a line');
    const semi = await t.req('POST', '/api/datasets?name=Semi', { raw: 'question;expected\nq1;a1\n', headers: { 'content-type': 'text/csv' } });
    expect(semi.status).toBe(400);
    expect((await json(semi)).message).toBe('Malformed CSV at line 1: one column named "question;expected": its columns are separated by semicolons; save the file with commas between columns');
    for (const name of ['Plain', 'Empty', 'Semi']) expect((await t.req('GET', `/api/datasets/${name.toLowerCase()}`)).status).toBe(404);
    expect((await t.req('POST', '/api/datasets', { body: { name: 'Kept', slug: 'kept', rows: [{ q: 'a' }] } })).status).toBe(201);
    for (const request of [{ body: { rows: [] } }, { raw: 'q\n', headers: { 'content-type': 'text/csv' } }]) {
      const none = await t.req('POST', '/api/datasets/kept/records', request);
      expect(none.status).toBe(400);
      expect((await json(none)).message).toBe('Nothing to append: the body has no row and no new column; a new version is made only for a change');
    }
    expect(await json(await t.req('GET', '/api/datasets/kept'))).toMatchObject({ version: 1, rowCount: 1 });
    // An append with rows still works after the peek.
    expect(await json(await t.req('POST', '/api/datasets/kept/records', { raw: 'q\nb\nc\n', headers: { 'content-type': 'text/csv' } }))).toMatchObject({ version: 2, rowCount: 3 });
  });

  it('refuses invalid UTF-8 and a CSV upload without a name', async () => {
    const bytes = new Uint8Array([0x61, 0x0a, 0xff, 0xfe, 0x0a]);
    const res = await t.req('POST', '/api/datasets?name=Bin', { raw: bytes, headers: { 'content-type': 'text/csv' } });
    expect(res.status).toBe(400);
    expect(await json(res)).toMatchObject({ error: 'invalid_encoding' });
    expect((await t.req('POST', '/api/datasets', { raw: 'a\n1\n', headers: { 'content-type': 'text/csv' } })).status).toBe(400);
    // Where: the byte and line of the first bad sequence, far into the file too; and what the file probably is.
    const latin1 = Buffer.concat([Buffer.from(`question,answer\n${'plain row,ok\n'.repeat(3000)}caf`), Buffer.from([0xe9]), Buffer.from(',ok\n')]);
    const far = await json(await t.req('POST', '/api/datasets?name=Latin', { raw: latin1, headers: { 'content-type': 'text/csv' } }));
    const at = latin1.indexOf(0xe9);
    expect(far.message).toBe(`The body is not valid UTF-8: the first invalid byte sequence is at byte ${at} (line 3002); save it as UTF-8 (a spreadsheet may have written Latin-1 or Windows-1252)`);
    const utf16 = Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from('a\n1\n', 'utf16le')]);
    const sixteen = await json(await t.req('POST', '/api/datasets?name=Wide', { raw: utf16, headers: { 'content-type': 'text/csv' } }));
    expect(sixteen.message).toMatch(/at byte 0 \(line 1\); it looks like UTF-16 \(a UTF-16 byte order mark\): save it as UTF-8$/);
  });
});
