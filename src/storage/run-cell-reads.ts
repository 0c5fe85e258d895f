// Reads of a run's committed cells in SQL, for SqlRunLog: pages of whole cells bounded in count
// and in bytes (sizes read first), lean reads without entries or outputs, and the heads of
// outputs for comparisons.
import { type ExpressionBuilder, type Kysely, sql } from 'kysely';
import type { OutputHead } from '../core/compare/item-output.js';
import { countWithin, PAGE_BYTES } from '../core/model/paging.js';
import type { CellResult, LeanCell, RowOrderKey } from '../core/model/run.js';
import type { CellsWithin, ResultsStart } from '../core/run-store.js';
import { yieldIfBusy } from '../core/turns.js';
import { toCell } from './run-rows.js';
import type { Database } from './schema.js';
import { parseJson } from './sql-errors.js';

/**
 * Cells after `after` in row order, as a row-value comparison: `(row_index, cell) > (?, ?)` is
 * a range of the run_cells_row index on SQLite and PostgreSQL, so a page costs the same wherever
 * it starts. The same condition spelt `row_index > ? OR (row_index = ? AND cell > ?)` is not:
 * SQLite scanned the run's index from its start (284 ms for a page at cell 900,000 of a
 * million) and PostgreSQL read and sorted every later cell (410 ms), so paging a run was
 * quadratic (measured; docs/large-datasets.md).
 */
function afterKey(eb: ExpressionBuilder<Database, 'run_cells'>, after: RowOrderKey) {
  return eb(eb.refTuple('row_index', 'cell'), '>', eb.tuple(after.rowIndex, after.cell));
}

/** The query of RunLog.resultsAfter (exported so its plan can be checked: run-log.plan.test.ts). */
export function resultsAfterQuery(db: Kysely<Database>, runId: string, after: RowOrderKey | null, limit: number) {
  return db
    .selectFrom('run_cells')
    .selectAll()
    .where('run_id', '=', runId)
    .$if(after !== null, (q) => q.where((eb) => afterKey(eb, after!)))
    .orderBy('row_index')
    .orderBy('cell')
    .limit(limit);
}

/**
 * A cell's stored text in bytes. octet_length reads the length from the record header (SQLite
 * ≥ 3.43) or the TOAST header (PostgreSQL) without the text: 0.3 ms for 50 cells of 10 MB on
 * SQLite, where length() read them all (494 ms).
 */
const CELL_BYTES = sql<number>`coalesce(octet_length(entry), 0) + coalesce(octet_length(output), 0) + coalesce(octet_length(error), 0) + coalesce(octet_length(evaluations), 0) + coalesce(octet_length(retries), 0)`;

/** The columns of a cell without its entry and output, and how they map to a LeanCell. */
const LEAN_COLUMNS = ['cell', 'row_index', 'target_id', 'repeat', 'ok', 'duration_ms', 'cost', 'tokens', 'evaluations', 'error'] as const;

function toLean(r: { cell: number; row_index: number; target_id: string; repeat: number; ok: number; duration_ms: number; cost: number | null; tokens: string | null; evaluations: string; error: string | null; entry?: string }): LeanCell {
  const c: LeanCell = {
    cell: r.cell, rowIndex: r.row_index, targetId: r.target_id, repeat: r.repeat, ok: r.ok === 1, durationMs: r.duration_ms,
    evaluations: parseJson(r.evaluations),
  };
  if (r.cost !== null) c.cost = r.cost;
  if (r.ok !== 1) c.error = r.error ?? 'failed';
  if (r.tokens !== null) c.tokens = parseJson(r.tokens);
  if (typeof r.entry === 'string') c.entry = parseJson(r.entry);
  return c;
}

export class CellReadsSql {
  constructor(private readonly db: Kysely<Database>) {}

  async cellsInCommitOrder(runId: string, afterOrder: number, limit: number): Promise<(LeanCell & { completedOrder: number })[]> {
    const rows = await this.db
      .selectFrom('run_cells')
      .select([...LEAN_COLUMNS, 'completed_order'])
      .where('run_id', '=', runId)
      .where('completed_order', '>', afterOrder)
      .orderBy('completed_order')
      .limit(limit)
      .execute();
    return rows.map((r) => Object.assign(toLean(r), { completedOrder: r.completed_order }));
  }

  async cellsInRange(runId: string, fromCell: number, endCell: number): Promise<CellResult[]> {
    const rows = await this.db.selectFrom('run_cells').selectAll().where('run_id', '=', runId).where('cell', '>=', fromCell).where('cell', '<', endCell).orderBy('cell').execute();
    return rows.map(toCell);
  }

  async results(runId: string, offset: number, limit: number): Promise<CellResult[]> {
    const rows = await this.db.selectFrom('run_cells').selectAll().where('run_id', '=', runId).orderBy('row_index').orderBy('cell').limit(limit).offset(offset).execute();
    return rows.map(toCell);
  }

  async resultsAfter(runId: string, after: RowOrderKey | null, limit: number): Promise<CellResult[]> {
    return (await resultsAfterQuery(this.db, runId, after, limit).execute()).map(toCell);
  }

  async resultsWithin(runId: string, start: ResultsStart, limit: number, maxBytes: number, min: 0 | 1 = 1): Promise<CellsWithin> {
    if (limit <= 0) return { cells: [], bytes: 0, cut: false };
    // The keys and sizes first, then the cells that fit, by the key range the sizes came from.
    let probe = this.db.selectFrom('run_cells').select(['row_index', 'cell', CELL_BYTES.as('bytes')]).where('run_id', '=', runId);
    if ('fromCell' in start) probe = probe.where('cell', '>=', start.fromCell).orderBy('cell');
    else {
      const { after } = start as { after?: RowOrderKey | null };
      if (after) probe = probe.where((eb) => afterKey(eb, after));
      probe = probe.orderBy('row_index').orderBy('cell');
      if ('offset' in start) probe = probe.offset(start.offset);
    }
    const keys = await probe.limit(limit).execute();
    const sizes = keys.map((k) => Number(k.bytes));
    const n = countWithin(sizes, maxBytes, min);
    if (n === 0) return { cells: [], bytes: 0, cut: keys.length > 0 };
    const first = keys[0]!, last = keys[n - 1]!;
    const rows = await this.db
      .selectFrom('run_cells')
      .selectAll()
      .where('run_id', '=', runId)
      .where((eb) => eb(eb.refTuple('row_index', 'cell'), '>=', eb.tuple(first.row_index, first.cell)))
      .where((eb) => eb(eb.refTuple('row_index', 'cell'), '<=', eb.tuple(last.row_index, last.cell)))
      .orderBy('row_index')
      .orderBy('cell')
      .limit(n)
      .execute();
    let bytes = 0;
    for (let i = 0; i < n; i++) bytes += sizes[i]!;
    return { cells: rows.map(toCell), bytes, cut: n < keys.length };
  }

  async cellsInRowOrder(runId: string, after: RowOrderKey | null, limit: number, withEntry: boolean): Promise<LeanCell[]> {
    let q = this.db
      .selectFrom('run_cells')
      .select([...LEAN_COLUMNS])
      .$if(withEntry, (b) => b.select('entry'))
      .where('run_id', '=', runId);
    if (after) q = q.where((eb) => afterKey(eb, after));
    const rows = await q.orderBy('row_index').orderBy('cell').limit(limit).execute();
    return rows.map(toLean);
  }

  async outputHeads(runId: string, cells: number[], points: number): Promise<OutputHead[]> {
    const out: OutputHead[] = [];
    for (const group of await this.byOutputBytes(runId, [...new Set(cells)])) {
      // substr reads the whole stored value (SQLite loads every overflow page of it): 120 outputs
      // of 4 MB in one statement held the main thread 173–186 ms. So a statement reads at most
      // PAGE_BYTES of outputs, and the event loop turns between statements when due.
      await yieldIfBusy();
      const rows = await this.db
        .selectFrom('run_cells')
        .select((eb) => ['cell', 'ok', 'error', eb.fn<number>('octet_length', ['output']).as('bytes'), eb.fn<string | null>('substr', ['output', eb.lit(1), eb.val(points)]).as('head')])
        .where('run_id', '=', runId)
        .where('cell', 'in', group)
        .execute();
      for (const r of rows) {
        if (r.ok !== 1) out.push({ cell: r.cell, ok: false, error: r.error ?? 'failed' });
        else {
          // substr counts characters, octet_length bytes: the head is the whole text when its
          // UTF-8 bytes are all of them.
          const text = r.head ?? 'null';
          out.push({ cell: r.cell, ok: true, text, whole: r.head === null || Buffer.byteLength(text) === Number(r.bytes) });
        }
      }
    }
    return out.sort((a, b) => a.cell - b.cell);
  }

  /** The committed cells among `cells`, in groups of at most PAGE_BYTES of stored output (or one cell) and 500 cells. */
  private async byOutputBytes(runId: string, cells: number[]): Promise<number[][]> {
    const groups: number[][] = [];
    for (let i = 0; i < cells.length; i += 500) {
      const sizes = await this.db
        .selectFrom('run_cells')
        .select((eb) => ['cell', eb.fn.coalesce(eb.fn<number>('octet_length', ['output']), eb.lit(0)).as('bytes')])
        .where('run_id', '=', runId)
        .where('cell', 'in', cells.slice(i, i + 500))
        .execute();
      let group: number[] = [];
      let bytes = 0;
      for (const r of sizes) {
        if (group.length > 0 && bytes + Number(r.bytes) > PAGE_BYTES) {
          groups.push(group);
          group = [];
          bytes = 0;
        }
        group.push(r.cell);
        bytes += Number(r.bytes);
      }
      if (group.length > 0) groups.push(group);
    }
    return groups;
  }

  async cellsAt(runId: string, cells: number[]): Promise<LeanCell[]> {
    const out: LeanCell[] = [];
    const unique = [...new Set(cells)];
    for (let i = 0; i < unique.length; i += 500) {
      await yieldIfBusy();
      const rows = await this.db.selectFrom('run_cells').select([...LEAN_COLUMNS]).where('run_id', '=', runId).where('cell', 'in', unique.slice(i, i + 500)).execute();
      out.push(...rows.map(toLean));
    }
    return out.sort((a, b) => a.cell - b.cell);
  }

  async cellsAfterSeq(runId: string, afterSeq: number, limit: number, maxBytes = PAGE_BYTES): Promise<CellResult[]> {
    // A cell's events are one contiguous block, so last_seq order is seq order. Sizes first, as
    // in resultsWithin: a replay's page of whole cells is bounded in bytes too.
    const keys = await this.db
      .selectFrom('run_cells')
      .select(['last_seq', CELL_BYTES.as('bytes')])
      .where('run_id', '=', runId)
      .where('last_seq', '>', afterSeq)
      .orderBy('last_seq')
      .limit(limit)
      .execute();
    const n = countWithin(keys.map((k) => Number(k.bytes)), maxBytes);
    if (n === 0) return [];
    const rows = await this.db
      .selectFrom('run_cells')
      .selectAll()
      .where('run_id', '=', runId)
      .where('last_seq', '>', afterSeq)
      .where('last_seq', '<=', keys[n - 1]!.last_seq)
      .orderBy('last_seq')
      .limit(n)
      .execute();
    return rows.map(toCell);
  }
}
