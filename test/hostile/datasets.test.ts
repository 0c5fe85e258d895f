// Hostile dataset uploads (issue 6): CSV and JSON Lines bodies built from random fields —
// quotes, separators and line breaks inside fields, CR / LF / CRLF endings, byte order marks,
// invalid UTF-8, blank lines, very long lines, thousands of columns, prototype-named columns,
// deep nesting — for create and append. An oracle (csv-parse's sync parser with the server's
// options; JSON.parse with the server's rules) says what must happen: the upload is stored
// exactly as parsed, or refused as a whole with a 400 naming the line (413 for an oversized
// row), never a 500; a refused append leaves the dataset's version and rows as they were.
import fc from 'fast-check';
import { parse as parseCsvSync } from 'csv-parse/sync';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestAssay, type TestAssay } from '../../src/testing/harness.js';
import { expectHealthy, expectNoPollution, saneAnswer, seedFor, within } from './support.js';

const SEED = seedFor(60607);
const MAX_ROW_BYTES = 64 * 1024;
const MAX_BODY_BYTES = 4 * 1024 * 1024;
const FORBIDDEN = new Set(['__proto__', 'constructor', 'prototype']);

let t: TestAssay;
beforeAll(async () => {
  t = await startTestAssay({ maxBodyBytes: MAX_BODY_BYTES, maxRowBytes: MAX_ROW_BYTES });
});
afterAll(() => t.close());

/** The outcome an upload must have; a refusal may have more than one acceptable status. */
type Expectation = { ok: true; rows: Record<string, unknown>[] } | { ok: false; status: number; also?: number; why?: string };

function utf8(bytes: Uint8Array): string | null {
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    return null;
  }
}

function rowTooLarge(row: unknown): boolean {
  return Buffer.byteLength(JSON.stringify(row)) > MAX_ROW_BYTES;
}

/** What the server must do with a CSV body, by the same parser run synchronously. */
function csvOracle(bytes: Uint8Array): Expectation {
  const text = utf8(bytes);
  if (text === null) return { ok: false, status: 400 };
  let rows: Record<string, unknown>[];
  try {
    rows = parseCsvSync(text, {
      bom: true,
      skip_empty_lines: true,
      relax_column_count: false,
      columns: (header: string[]) => {
        const names = header.map((h) => h.trim());
        if (names.some((n) => n === '' || FORBIDDEN.has(n)) || new Set(names).size !== names.length) throw new Error('bad header');
        return names;
      },
    }) as Record<string, unknown>[];
  } catch {
    return { ok: false, status: 400 };
  }
  if (rows.some(rowTooLarge)) return { ok: false, status: 413 };
  return { ok: true, rows };
}

function depth(value: unknown): number {
  if (value === null || typeof value !== 'object') return 0;
  return 1 + Math.max(0, ...Object.values(value).map(depth));
}

function hasForbiddenKey(value: unknown): boolean {
  if (value === null || typeof value !== 'object') return false;
  for (const [k, v] of Object.entries(value)) {
    if (k === '__proto__' || (k === 'constructor' && v !== null && typeof v === 'object' && 'prototype' in v)) return true;
    if (hasForbiddenKey(v)) return true;
  }
  return false;
}

/** What the server must do with a JSON Lines body. */
function jsonlOracle(bytes: Uint8Array): Expectation {
  const text = utf8(bytes);
  if (text === null) {
    // Bad UTF-8 is found where the stream reaches it: a bad line before it may be reported first.
    // A line may also be refused as too large before its end (and the bad byte) is read.
    const lossy = new TextDecoder().decode(bytes);
    const before = jsonlOracle(new TextEncoder().encode(lossy.split('\ufffd')[0]!.replace(/[^\n]*$/, '')));
    const tooLarge = lossy.split('\n').some((line) => Buffer.byteLength(line) > MAX_ROW_BYTES);
    const also = !before.ok && before.status !== 400 ? before.status : tooLarge ? 413 : undefined;
    return { ok: false, status: 400, ...(also !== undefined ? { also } : {}), why: 'invalid UTF-8' };
  }
  const rows: Record<string, unknown>[] = [];
  for (const [n, raw] of text.split('\n').entries()) {
    const line = raw.replace(/\r$/, '');
    if (line.trim() === '') continue;
    if (Buffer.byteLength(line) > MAX_ROW_BYTES) return { ok: false, status: 413 };
    let value: unknown;
    try {
      // secure-json-parse, like the server's reader, skips a byte order mark opening a line.
      value = JSON.parse(line.replace(/^\ufeff/, ''));
    } catch {
      return { ok: false, status: 400, why: `line ${n + 1} is not JSON` };
    }
    if (value === null || typeof value !== 'object' || Array.isArray(value) || depth(value) > 64 || /"__proto__"\s*:/.test(line) || hasForbiddenKey(value)) {
      return { ok: false, status: 400, why: `line ${n + 1} is not an acceptable object: ${line.slice(0, 80)}` };
    }
    // Stored as JSON: 1e999 comes back as null, as JSON.stringify writes it.
    rows.push(JSON.parse(JSON.stringify(value)) as Record<string, unknown>);
  }
  return { ok: true, rows };
}

const EOL = fc.constantFrom('\n', '\r\n', '\r');
const field = fc.oneof(
  { weight: 8, arbitrary: fc.string({ maxLength: 12 }) },
  { weight: 2, arbitrary: fc.constantFrom('', ' ', '"', '""', 'a,b', 'line\nbreak', 'cr\rlf\r\n', '\ufeff', '\u0000', 'é😀', '=cmd|calc', '__proto__', '  padded  ', '"quoted"') },
);
const quoted = (value: string) => `"${value.replace(/"/g, '""')}"`;
/** One thing wrong with an upload, or nothing (most uploads). */
const breakage = fc.oneof(
  { weight: 5, arbitrary: fc.constant('none') },
  { weight: 1, arbitrary: fc.constantFrom('bare fields', 'unterminated quote', 'ragged row', 'huge field', 'junk bytes', 'wide', 'odd header') },
);
const csvArb = fc
  .record({
    bom: fc.boolean(),
    header: fc.uniqueArray(fc.string({ minLength: 1, maxLength: 8 }).filter((s) => /^[A-Za-z0-9 _-]+$/.test(s) && s.trim() !== ''), { minLength: 1, maxLength: 5, selector: (s) => s.trim() }),
    oddHeader: fc.array(fc.constantFrom('a', 'b', '', ' ', '__proto__', 'constructor', 'a,b', '"q"', 'é'), { minLength: 1, maxLength: 4 }),
    rows: fc.array(fc.array(field, { minLength: 1, maxLength: 6 }), { maxLength: 12 }),
    eol: EOL,
    trailing: fc.boolean(),
    broken: breakage,
    junk: fc.uint8Array({ minLength: 1, maxLength: 4 }),
  })
  .map(({ bom, header: plain, oddHeader, rows, eol, trailing, broken, junk }) => {
    const header = broken === 'wide' ? Array.from({ length: 3000 }, (_, i) => `c${i}`) : broken === 'odd header' ? oddHeader : plain;
    const lines = [header.map((h) => (/[",\r\n]/.test(h) ? quoted(h) : h)).join(',')];
    for (const [i, r] of rows.entries()) {
      let cells = Array.from({ length: header.length }, (_, j) => r[j % r.length]!);
      if (broken === 'wide') cells = cells.map((c) => c.slice(0, 12));
      if (broken === 'huge field' && i === 0) cells[0] = 'x'.repeat(70_000);
      if (broken === 'ragged row' && i === rows.length - 1) cells = cells.slice(1);
      lines.push(cells.map((c, j) => (broken === 'bare fields' ? c : broken === 'unterminated quote' && i === 0 && j === 0 ? `"${c}` : quoted(c))).join(','));
    }
    const bytes = Buffer.from((bom ? '\ufeff' : '') + lines.join(eol) + (trailing ? eol : ''), 'utf8');
    if (broken !== 'junk bytes') return new Uint8Array(bytes);
    const at = Math.floor(bytes.length / 2);
    return new Uint8Array(Buffer.concat([bytes.subarray(0, at), Buffer.from(junk), bytes.subarray(at)]));
  });

const jsonLine = fc.oneof(
  { weight: 30, arbitrary: fc.dictionary(fc.string({ maxLength: 8 }).filter((k) => !FORBIDDEN.has(k)), fc.jsonValue({ maxDepth: 3 }), { maxKeys: 5 }).map((o) => JSON.stringify(o)) },
  {
    weight: 2,
    arbitrary: fc.constantFrom(
      '', '   ', '[]', '1', '"s"', 'null', '{', '{"a":1,}', "{'a':1}", '{"a":1}{"b":2}', '{"__proto__":{"polluted":true}}', '{"a":{"__proto__":{"x":1}}}',
      '{"constructor":{"prototype":{"polluted":true}}}', '{"constructor":"fine"}', `${'{"a":'.repeat(70)}1${'}'.repeat(70)}`, `{"big":"${'x'.repeat(70_000)}"}`,
      '{"a":"\\ud800"}', '{"a":1e999}', '{"😀":"é"}', '\ufeff{"a":1}', '{"a":"tab\there"}',
    ),
  },
);
const jsonlArb = fc
  .record({ bom: fc.boolean(), lines: fc.array(jsonLine, { minLength: 0, maxLength: 12 }), eol: fc.constantFrom('\n', '\r\n'), trailing: fc.boolean(), junkBytes: fc.option(fc.uint8Array({ minLength: 1, maxLength: 3 }), { freq: 8 }) })
  .map(({ bom, lines, eol, trailing, junkBytes }) => {
    const bytes = Buffer.from((bom ? '\ufeff' : '') + lines.join(eol) + (trailing ? eol : ''), 'utf8');
    if (!junkBytes) return new Uint8Array(bytes);
    return new Uint8Array(Buffer.concat([bytes, Buffer.from(junkBytes)]));
  });

/** Short counterexamples: fast-check would print every byte (and choke on large bodies). */
function labelled(kind: string, bytes: Uint8Array): Uint8Array {
  Object.defineProperty(bytes, fc.toStringMethod, { value: () => `${kind} ${JSON.stringify(Buffer.from(bytes).toString('utf8').slice(0, 200))}… (${bytes.length} bytes)` });
  return bytes;
}

async function allRows(id: string, count: number): Promise<Record<string, unknown>[]> {
  const rows: Record<string, unknown>[] = [];
  for (let offset = 0; offset < count; offset += 1000) {
    const page = (await (await t.req('GET', `/api/datasets/${id}?offset=${offset}&limit=1000`)).json()) as { rows: Record<string, unknown>[] };
    rows.push(...page.rows);
  }
  return rows;
}

let names = 0;

describe('hostile dataset uploads', () => {
  it('store exactly what parses, or refuse the whole upload naming the line, for create and append', async () => {
    const tally = { created: 0, appended: 0, refused: 0 };
    await fc.assert(
      fc.asyncProperty(fc.oneof(csvArb.map((b) => ['csv', labelled('csv', b)] as const), jsonlArb.map((b) => ['jsonl', labelled('jsonl', b)] as const)), fc.boolean(), async ([kind, bytes], append) => {
        const oversized = bytes.length > MAX_BODY_BYTES;
        const expected: Expectation = oversized ? { ok: false, status: 413 } : kind === 'csv' ? csvOracle(bytes) : jsonlOracle(bytes);
        const type = kind === 'csv' ? 'text/csv' : 'application/x-ndjson';
        // Each append goes to a dataset of no columns yet, which takes any (the rows appended to one
        // that has columns must have them: src/http/routes/dataset-append-columns.test.ts); its rows
        // change only by an accepted append.
        const base = append ? ((await (await t.req('POST', '/api/datasets', { body: { name: `append target ${++names}`, rows: [] } })).json()) as { id: string }) : undefined;
        const url = base ? `/api/datasets/${base.id}/records` : `/api/datasets?name=${encodeURIComponent(`upload ${++names}`)}`;
        const what = `${append ? 'append' : 'create'} ${kind} ${JSON.stringify(Buffer.from(bytes).toString('utf8').slice(0, 160))}`;
        const res = await within(t.req('POST', url, { raw: bytes, headers: { 'content-type': type } }), 15_000, what);
        const body = await saneAnswer(res, what);
        expectNoPollution();
        if (!expected.ok) {
          tally.refused++;
          // An oversized body may be refused for a bad line before its end is read.
          if (oversized) expect([400, 413], what).toContain(res.status);
          else expect([expected.status, expected.also ?? expected.status], `${what}: ${res.status} ${JSON.stringify(body).slice(0, 300)} (oracle: ${expected.why})`).toContain(res.status);
          if (res.status === 400 && body!.error === 'validation_error') expect(String(body!.message), what).toMatch(/line|row|empty|rows/i);
          if (base) expect(await (await t.req('GET', `/api/datasets/${base.id}`)).json(), what).toMatchObject({ version: 1, rowCount: 0, rows: [] });
          return;
        }
        expect(res.status, `${what}: ${JSON.stringify(body).slice(0, 300)}`).toBe(append ? 200 : 201);
        const stored = body as { id: string; rowCount: number; version: number; columns: string[] };
        if (append) {
          tally.appended++;
          expect(stored.version).toBe(2);
        } else tally.created++;
        expect(stored.rowCount, what).toBe(expected.rows.length);
        const got = await allRows(stored.id, stored.rowCount);
        expect(got, what).toEqual(expected.rows);
        for (const row of got) expect(Object.getPrototypeOf(row)).toBe(Object.prototype);
      }),
      { numRuns: 200, seed: SEED, endOnFailure: true },
    );
    await expectHealthy(t);
    console.log(`dataset uploads: seed ${SEED}, 200 uploads, ${JSON.stringify(tally)}`);
  }, 90_000);
});
