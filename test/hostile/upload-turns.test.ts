// Dataset uploads of wide rows take turns with the event loop row by row (security review of
// 2026-12-07). CSV records and JSON Lines arrive through promises, which never let the event
// loop turn, and rows were serialized and inserted 500 at a time: an upload of 300 records of
// 10,000 columns (11.7 MB, within every limit) held the main thread 0.5–0.9 s of CPU at a time,
// a JSON Lines one of the same rows 0.25–0.3 s. With the turn budget at 0 every step of long
// work gives the turn away (core/turns.ts), so the turns an upload takes count its steps on a
// machine of any speed.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { setTurnBudget, TURN_BUDGET_MS } from '../../src/core/turns.js';
import { startTestAssay, type TestAssay } from '../../src/testing/harness.js';

const ROWS = 120;
const COLUMNS = 2_000;
const header = Array.from({ length: COLUMNS }, (_, i) => `c${i}`);
const cells = Array.from({ length: COLUMNS }, (_, i) => `v${i % 97}`);
const CSV = `${header.join(',')}\n${`${cells.join(',')}\n`.repeat(ROWS)}`;
const JSONL = `${JSON.stringify(Object.fromEntries(header.map((h, i) => [h, cells[i]])))}\n`.repeat(ROWS);

let t: TestAssay;

beforeAll(async () => {
  t = await startTestAssay();
});
afterAll(async () => {
  setTurnBudget(TURN_BUDGET_MS);
  await t?.close();
});

/** Uploads `body` and counts the turns of the event loop (its check phases) until it is stored. */
async function turnsOf(name: string, type: string, body: string): Promise<number> {
  let turns = 0;
  let done = false;
  const tick = (): void => {
    turns++;
    if (!done) setImmediate(tick);
  };
  setImmediate(tick);
  setTurnBudget(0);
  try {
    const res = await t.req('POST', `/api/datasets?name=${name}`, { raw: body, headers: { 'content-type': type } });
    const answer = (await res.json()) as { rowCount?: number };
    expect(res.status, JSON.stringify(answer).slice(0, 300)).toBe(201);
    expect(answer.rowCount).toBe(ROWS);
  } finally {
    done = true;
    setTurnBudget(TURN_BUDGET_MS);
  }
  return turns;
}

describe('an upload of wide rows', () => {
  it('gives the event loop a turn between rows, as CSV', async () => {
    // Reading (parse and checks) and writing (serialization) each take a turn a row.
    expect(await turnsOf('wide-csv', 'text/csv', CSV)).toBeGreaterThanOrEqual(2 * ROWS);
  });

  it('gives the event loop a turn between rows, as JSON Lines', async () => {
    expect(await turnsOf('wide-jsonl', 'application/x-ndjson', JSONL)).toBeGreaterThanOrEqual(2 * ROWS);
  });

  it('stores every row as sent', async () => {
    const res = await t.req('GET', '/api/datasets/wide-csv?limit=1000');
    const dataset = (await res.json()) as { rows: Record<string, string>[]; columns: string[] };
    expect(dataset.columns).toHaveLength(COLUMNS);
    expect(dataset.rows).toHaveLength(ROWS);
    expect(dataset.rows[ROWS - 1]!.c1999).toBe(`v${1999 % 97}`);
  });
});
