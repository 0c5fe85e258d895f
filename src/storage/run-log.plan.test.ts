// Paging a run by key must be a range of the run_cells_row index, or an export of a
// million-cell run is quadratic (docs/large-datasets.md, "Reading results at that size"). The
// plan is read from SQLite itself; PostgreSQL's, which depends on its statistics, was checked
// by hand with EXPLAIN ANALYZE (0.75 ms a page at cell 900,000 against 410 ms with OR).
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import SQLite from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDb } from './connect.js';
import { migrateToLatest } from './migrate.js';
import { resultsAfterQuery } from './run-cell-reads.js';

let dir: string;
let db: Awaited<ReturnType<typeof openDb>>['db'];
beforeAll(async () => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'assay-plan-'));
  ({ db } = await openDb({ dataDir: dir, databaseUrl: undefined }));
  await migrateToLatest(db);
});
afterAll(async () => {
  await db.destroy();
  rmSync(dir, { recursive: true, force: true });
});

function plan(q: { compile(): { sql: string; parameters: readonly unknown[] } }): string {
  const { sql, parameters } = q.compile();
  const sqlite = new SQLite(path.join(dir, 'assay.db'), { readonly: true });
  try {
    return (sqlite.prepare(`EXPLAIN QUERY PLAN ${sql}`).all(...parameters) as { detail: string }[]).map((r) => r.detail).join(' | ');
  } finally {
    sqlite.close();
  }
}

describe('keyset paging of run_cells', () => {
  it('starts the index range at the key (no scan from the run\'s first cell, no sort)', () => {
    const later = plan(resultsAfterQuery(db, 'run_x', { rowIndex: 900_000, cell: 900_000 }, 1000));
    expect(later).toMatch(/SEARCH run_cells USING INDEX run_cells_row \(run_id=\? AND \(row_index,cell\)>\(\?,\?\)\)/);
    expect(later).not.toMatch(/TEMP B-TREE/);
    expect(plan(resultsAfterQuery(db, 'run_x', null, 1000))).toMatch(/USING INDEX run_cells_row \(run_id=\?\)/);
  });
});
