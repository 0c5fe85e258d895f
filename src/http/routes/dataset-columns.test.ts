// A dataset has at most MAX_COLUMNS (10,000) columns, whatever the format: a CSV header (or
// record) with more fields, or JSON / JSON Lines rows whose keys together are more, is a 400
// naming the line or row and the limit, never a 500 (a header of a million columns was a stack
// overflow after a 1.5 s hold). A CSV record longer than a row may be is refused before the
// parser builds it. Through a real server's routes, with real storage.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestAssay, type TestAssay } from '../../testing/harness.js';

const MAX_ROW_BYTES = 256 * 1024;
let t: TestAssay;
beforeAll(async () => {
  t = await startTestAssay({ maxBodyBytes: 8 * 1024 * 1024, maxUploadBytes: 64 * 1024 * 1024, maxRowBytes: MAX_ROW_BYTES });
});
afterAll(() => t.close());

const names = (n: number, prefix = 'c') => Array.from({ length: n }, (_, i) => `${prefix}${i}`);
const upload = (name: string, raw: string, type: string) => t.req('POST', `/api/datasets?name=${name}`, { raw, headers: { 'content-type': type } });
const csv = (name: string, raw: string) => upload(name, raw, 'text/csv');

async function refused(res: Response, status: number): Promise<{ error: string; message: string; limitColumns?: number; issues?: { path: unknown[] }[] }> {
  const body = (await res.json()) as { error: string; message: string };
  expect(res.status, body.message).toBe(status);
  return body;
}

describe('columns of a CSV upload', () => {
  it('the finding: a header of a million columns (8.9 MB) is a 400 naming the limit, and nothing is stored', async () => {
    const header = names(1_000_000).join(',');
    expect(header.length).toBeGreaterThan(6_000_000);
    const body = await refused(await csv('Wide', `${header}\n${'1,'.repeat(999_999)}1\n`), 400);
    expect(body).toMatchObject({ error: 'validation_error', limitColumns: 10_000 });
    expect(body.message).toBe('Too many columns: the CSV header at line 1 takes the upload past 10,000 columns; a dataset may have at most 10,000');
    expect(body.issues?.[0]?.path).toEqual(['line', 1]);
    expect((await t.req('GET', '/api/datasets/wide')).status).toBe(404);
  });

  it('refuses three million empty names and a header after blank lines alike', async () => {
    expect((await refused(await csv('Commas', ','.repeat(3_000_000)), 400)).message).toContain('the CSV header at line 1');
    expect((await refused(await csv('Late', `\n\n${names(20_000).join(',')}\n`), 400)).message).toContain('the CSV header at line 3');
  });

  it('counts the fields of one record across line breaks that are not its delimiter', async () => {
    // Records end at LF here (the first line break): the CRs inside the header are data to
    // csv-parse, so its fields are counted as one record's.
    const header = `\n${Array.from({ length: 4 }, (_, k) => names(4_000, `g${k}_`).join(',')).join('\r,')}\n`;
    expect((await refused(await csv('Cr', header), 400)).message).toContain('line 2');
    // And at CRLF: a lone LF is data.
    const crlf = `a,b\r\n${Array.from({ length: 3 }, () => ','.repeat(5_000)).join('\n')}\r\n`;
    expect((await refused(await csv('Crlf', crlf), 400)).message).toBe('Too many columns: the record at line 2 takes the upload past 10,000 columns; a dataset may have at most 10,000');
  });

  it('takes 10,000 columns, and commas and line breaks inside quotes, with any line ending', async () => {
    const header = names(10_000);
    const ok = await csv('Ten%20thousand', `${header.join(',')}\n${header.map((_, i) => i).join(',')}\n`);
    expect(ok.status).toBe(201);
    expect(((await ok.json()) as { columns: string[] }).columns).toHaveLength(10_000);

    // Line breaks of every kind inside quotes are data, whichever ends the records.
    for (const [name, eol] of [['Crlf%20quoted', '\r\n'], ['Lf%20quoted', '\n'], ['Cr%20quoted', '\r']] as const) {
      const text = `"a,b","c${eol}d"${eol}"${','.repeat(20_000)}","x\ny\rz"${eol}2,3${eol}`;
      const res = await csv(name, text);
      expect(res.status, await res.clone().text()).toBe(201);
      const ds = (await (await t.req('GET', `/api/datasets/${name.toLowerCase().replace('%20', '-')}`)).json()) as { columns: string[]; rows: Record<string, unknown>[] };
      expect(ds.columns).toEqual(['a,b', `c${eol}d`]);
      expect(ds.rows).toHaveLength(2);
      expect(Object.values(ds.rows[0]!)[0]).toBe(','.repeat(20_000));
    }
  });
});

describe('a CSV record longer than a row may be', () => {
  it('is a 413 naming its line before it is parsed, the header too', async () => {
    const field = 'x'.repeat(3 * MAX_ROW_BYTES);
    const row = await refused(await csv('Long', `a,b\n1,2\n3,"${field}"\n`), 413);
    expect(row).toMatchObject({ error: 'payload_too_large', rowIndex: 1, line: 3, limitBytes: MAX_ROW_BYTES });
    expect(row.message).toBe(`The row at line 3 (row index 1) is more than ${MAX_ROW_BYTES} bytes as JSON; a row may have at most ${MAX_ROW_BYTES} bytes`);
    const header = await refused(await csv('Long%20header', `"${field}"\n1\n`), 413);
    expect(header).toMatchObject({ error: 'payload_too_large', line: 1, limitBytes: MAX_ROW_BYTES });
    expect((await t.req('GET', '/api/datasets/long')).status).toBe(404);
  });
});

describe('columns of JSON and JSON Lines rows', () => {
  it('JSON Lines: the row whose keys take the upload past 10,000 is a 400 naming its line', async () => {
    const line = (k: number) => JSON.stringify(Object.fromEntries(names(4_000, `r${k}_`).map((n) => [n, 1])));
    const body = await refused(await upload('Keys', [line(0), '', line(1), line(2)].join('\n'), 'application/x-ndjson'), 400);
    expect(body).toMatchObject({ error: 'validation_error', limitColumns: 10_000 });
    expect(body.message).toBe('Too many columns: the row at line 4 (row index 2) takes the upload past 10,000 columns; a dataset may have at most 10,000');
    // The same keys again and again are the same columns.
    const same = await upload('Same%20keys', [line(0), line(0), line(0)].join('\n'), 'application/x-ndjson');
    expect(same.status).toBe(201);
  });

  it('JSON rows: the row past 10,000 keys is a 400 naming it', async () => {
    const rows = [0, 1, 2].map((k) => Object.fromEntries(names(4_000, `r${k}_`).map((n) => [n, 1])));
    const body = await refused(await t.req('POST', '/api/datasets', { body: { name: 'Json keys', rows } }), 400);
    expect(body.message).toBe('Too many columns: rows[2] takes the upload past 10,000 columns; a dataset may have at most 10,000');
  });
});
