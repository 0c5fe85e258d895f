import { describe, expect, it } from 'vitest';
import { turnsDuring } from '../testing/turns.js';
import type { Row } from '../core/model/experiment.js';
import { BATCH_CHARS, checkRowArray, csvRows, jsonlRows } from './row-sources.js';

describe('checking parsed rows', () => {
  const rows = Array.from({ length: 300_000 }, (_, i) => ({ question: `question number ${i}`, expected: `answer ${i}` }));

  it('sizes 300,000 rows over several turns of the event loop', async () => {
    const turns = await turnsDuring(() => checkRowArray(rows, { maxRows: 1_000_000, maxRowBytes: 1024 }, 'rows'));
    expect(turns).toBeGreaterThanOrEqual(1);
  });

  it('names the first row over the size limit', async () => {
    const big = [...rows.slice(0, 5_000), { question: 'x'.repeat(2_000) }];
    await expect(checkRowArray(big, { maxRows: 1_000_000, maxRowBytes: 1024 }, 'rows')).rejects.toMatchObject({ code: 'payload_too_large', meta: { rowIndex: 5_000, limitBytes: 1024 } });
  });
});

describe('batches of uploaded rows', () => {
  /** The text in pieces of 64 KB, as a request body arrives. */
  async function* bytesOf(text: string): AsyncIterable<Uint8Array> {
    const all = Buffer.from(text);
    for (let i = 0; i < all.length; i += 65_536) yield all.subarray(i, i + 65_536);
  }
  const collect = async (batches: AsyncIterable<Row[]>) => {
    const out: Row[][] = [];
    for await (const b of batches) out.push(b);
    return out;
  };
  const wide = (i: number) => ({ i, text: `${i}:${'w'.repeat(600_000)}` });

  it('JSON Lines of large rows: a batch stops at BATCH_CHARS past its first row, and every row arrives once, in order', async () => {
    const rows = Array.from({ length: 20 }, (_, i) => wide(i));
    const batches = await collect(jsonlRows(bytesOf(rows.map((r) => JSON.stringify(r)).join('\n')), { maxRows: 100, maxRowBytes: 1_000_000 }));
    // ≈ 600 KB a row, 4 MB a batch: 7 rows (the 7th crosses the bound), so three batches.
    expect(batches.length).toBeGreaterThanOrEqual(3);
    for (const b of batches) expect(b.slice(0, -1).reduce((n, r) => n + JSON.stringify(r).length, 0)).toBeLessThan(BATCH_CHARS);
    expect(batches.flat()).toEqual(rows);
  });

  it('CSV of large rows: the same bound, counted in the source bytes', async () => {
    const rows = Array.from({ length: 20 }, (_, i) => ({ i: String(i), text: `${i}:${'c'.repeat(600_000)}` }));
    const csv = `i,text\n${rows.map((r) => `${r.i},${r.text}`).join('\n')}\n`;
    const batches = await collect(csvRows(bytesOf(csv), { maxRows: 100, maxRowBytes: 1_000_000 }));
    expect(batches.length).toBeGreaterThanOrEqual(3);
    for (const b of batches) expect(b.slice(0, -1).reduce((n, r) => n + (r.text as string).length, 0)).toBeLessThan(BATCH_CHARS);
    expect(batches.flat()).toEqual(rows);
  });

  it('small rows still come a thousand to a batch', async () => {
    const rows = Array.from({ length: 2_500 }, (_, i) => ({ i, q: `question ${i}` }));
    const batches = await collect(jsonlRows(bytesOf(rows.map((r) => JSON.stringify(r)).join('\n'))));
    expect(batches.map((b) => b.length)).toEqual([1_000, 1_000, 500]);
  });
});
