// The event log of runs in SQL: committed cells (their events derived from them), row-scoped
// results and run-level events. Sequence numbers, commit order and progress are reserved on the
// run row inside the commit's transaction (UPDATE … RETURNING), fenced by the lease: storage is
// the one owner of the numbering, so concurrent committers can never hand out a number twice.
import { type ExpressionBuilder, type Kysely, sql, type Transaction } from 'kysely';
import { cellEventCount } from '../core/engine/cell-events.js';
import type { RunEvent } from '../core/events.js';
import type { CellResult, LeanCell, RowOrderKey, RowResult, RunSummary } from '../core/model/run.js';
import type { OutputHead } from '../core/compare/item-output.js';
import { countWithin, PAGE_BYTES } from '../core/model/paging.js';
import { yieldIfBusy } from '../core/turns.js';
import type { CellDraft, CellsWithin, ResultsStart, RowDraft, RunFinish, RunLog } from '../core/run-store.js';
import { RowResultsSql } from './run-row-results.js';
import { CompiledShapes, type Param } from './compiled.js';
import { CELL_COLUMNS, cellRow, toCell } from './run-rows.js';
import type { Database } from './schema.js';
import { parseJson } from './sql-errors.js';
import { insertDelivery } from './webhook-store.js';

/**
 * How many cells one INSERT carries. A multi-row INSERT is compiled and prepared once per row
 * count, and a prepared statement of 64 rows × 20-odd columns holds about a megabyte of SQLite
 * program: with every count from 1 to 100 in use (group commits carry any number of cells), a
 * busy server's RSS grew run after run until a hundred of them were cached. So a commit is cut
 * into chunks of a few fixed sizes — 64, 32, 16, 8, and 1–7 exactly — eleven statements in all,
 * at most four INSERTs for a commit under 64 cells and one for the small commits of low
 * concurrency.
 */
const CELL_CHUNK = 64;

/** The row counts of the INSERTs a commit of `n` cells is cut into. */
export function cellChunks(n: number): number[] {
  const sizes: number[] = [];
  let left = n;
  while (left >= CELL_CHUNK) {
    sizes.push(CELL_CHUNK);
    left -= CELL_CHUNK;
  }
  for (let size = CELL_CHUNK / 2; size >= 8; size /= 2) {
    if (left >= size) {
      sizes.push(size);
      left -= size;
    }
  }
  if (left > 0) sizes.push(left);
  return sizes;
}

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
const LEAN_COLUMNS = ['cell', 'row_index', 'target_id', 'repeat', 'ok', 'duration_ms', 'cost', 'tokens', 'evaluations'] as const;

function toLean(r: { cell: number; row_index: number; target_id: string; repeat: number; ok: number; duration_ms: number; cost: number | null; tokens: string | null; evaluations: string; entry?: string }): LeanCell {
  const c: LeanCell = {
    cell: r.cell, rowIndex: r.row_index, targetId: r.target_id, repeat: r.repeat, ok: r.ok === 1, durationMs: r.duration_ms,
    evaluations: parseJson(r.evaluations),
  };
  if (r.cost !== null) c.cost = r.cost;
  if (r.tokens !== null) c.tokens = parseJson(r.tokens);
  if (typeof r.entry === 'string') c.entry = parseJson(r.entry);
  return c;
}

/** What a fenced reservation on the run row answers: the counters after it. */
interface Reserved {
  next_seq: number;
  progress: number;
  commit_count: number;
}

export class SqlRunLog implements RunLog {
  protected readonly rowResults: RowResultsSql;
  /** The commit path's queries, compiled once per shape (compiled.ts says why). */
  private readonly compiled = new CompiledShapes();

  constructor(protected readonly db: Kysely<Database>) {
    this.rowResults = new RowResultsSql(db);
  }

  /**
   * Advances the run's counters by `events`, `cells` and `commits` while the run is running and,
   * with `fence` 'run', while `owner` holds its lease; null when not (the fence). A shard's
   * commit passes 'shard': its own lease was asserted (and its row locked) first in the same
   * transaction (run-shards.ts). An execution that commits is making progress, so its crash
   * count restarts from it (just this one).
   */
  private async reserve(
    trx: Transaction<Database>, runId: string, owner: string, fence: 'run' | 'shard', events: number, cells: number, at: number, summarySoFar?: RunSummary,
  ): Promise<Reserved | null> {
    const live = summarySoFar !== undefined;
    const byRun = fence === 'run';
    const query = this.compiled.bind(
      `reserve:${cells > 0}:${live}:${fence}`,
      (p) =>
        this.db
          .updateTable('runs')
          .set((eb) => ({
            next_seq: eb('next_seq', '+', p<number>('events')),
            progress: eb('progress', '+', p<number>('cells')),
            commit_count: eb('commit_count', '+', p<number>('cells')),
            updated_at: p<number>('at'),
            ...(cells > 0 ? { executions: 1 } : {}),
            // The runs list's figures so far ride on the update every commit already makes.
            ...(live ? { live_summary: p<string>('summary') } : {}),
          }))
          .where('id', '=', p<string>('runId'))
          .$if(byRun, (q) => q.where('lease_owner', '=', p<string>('owner')))
          .where('status', '=', 'running')
          .returning(['next_seq', 'progress', 'commit_count']),
      { events, cells, at, runId, ...(byRun ? { owner } : {}), ...(live ? { summary: JSON.stringify(summarySoFar) } : {}) },
    );
    const r = (await trx.executeQuery<Reserved>(query)).rows[0];
    return r ?? null;
  }

  commitCells(runId: string, owner: string, drafts: CellDraft[], at: number, summarySoFar?: RunSummary): Promise<CellResult[] | null> {
    return this.db.transaction().execute((trx) => this.commitCellsIn(trx, runId, owner, 'run', drafts, at, summarySoFar));
  }

  /**
   * Commits finished cells inside `trx`: reserves their seqs, commit order and progress on the
   * run row (fenced as `reserve` says), then inserts them recording `owner` as their worker.
   */
  async commitCellsIn(
    trx: Transaction<Database>, runId: string, owner: string, fence: 'run' | 'shard', drafts: CellDraft[], at: number, summarySoFar?: RunSummary,
  ): Promise<CellResult[] | null> {
    const counts = drafts.map(cellEventCount);
    const events = counts.reduce((a, b) => a + b, 0);
    const reserved = await this.reserve(trx, runId, owner, fence, events, drafts.length, at, summarySoFar);
    if (!reserved) return null;
    let seq = reserved.next_seq - events;
    const firstOrder = reserved.commit_count - drafts.length;
    const firstProgress = reserved.progress - drafts.length;
    const cells = drafts.map((d, i): CellResult => {
      // The draft becomes the result: the commit's fields are set on it, no copy is made. A
      // draft belongs to the one commit that takes it (a failed commit ends the execution), and
      // `{ ...d, firstSeq, … }` is V8's slow path on Node 20, which promoted every cell to the
      // old generation (docs/decisions.md, "No literal that starts with a spread on the hot path").
      const cell = d as CellResult;
      cell.firstSeq = seq;
      cell.eventCount = counts[i]!;
      cell.completedOrder = firstOrder + i + 1;
      cell.progress = firstProgress + i + 1;
      cell.workerId = owner;
      seq += counts[i]!;
      return cell;
    });
    let from = 0;
    for (const size of cellChunks(cells.length)) {
      await trx.executeQuery(this.insertCells(runId, cells.slice(from, from + size), at));
      from += size;
    }
    return cells;
  }

  /** The INSERT of a chunk of cells, compiled once per chunk size (see CELL_CHUNK). */
  private insertCells(runId: string, chunk: CellResult[], at: number) {
    const build = (p: Param) =>
      this.db.insertInto('run_cells').values(chunk.map((_, i) => Object.fromEntries(CELL_COLUMNS.map((col) => [col, p(`${i}.${col}`)])) as ReturnType<typeof cellRow>));
    return this.compiled.bindRows(`cells:${chunk.length}`, build, chunk.map((c) => cellRow(runId, c, at)));
  }

  commitRowResults(runId: string, owner: string, drafts: RowDraft[], at: number): Promise<RowResult[] | null> {
    return this.db.transaction().execute(async (trx) => {
      const reserved = await this.reserve(trx, runId, owner, 'run', drafts.length, 0, at);
      if (!reserved) return null;
      const first = reserved.next_seq - drafts.length;
      const rows = drafts.map((d, i): RowResult => {
        const row = { ...d } as RowResult;
        row.seq = first + i;
        return row;
      });
      await this.rowResults.insert(trx, runId, rows, at);
      return rows;
    });
  }

  finish(runId: string, owner: string, end: RunFinish): Promise<RunEvent | null> {
    return this.db.transaction().execute(async (trx) => {
      const r = await trx
        .updateTable('runs')
        .set((eb) => ({
          status: end.status, summary: JSON.stringify(end.summary), error: end.error, error_message: end.errorMessage,
          stop_reason: end.stopReason, finished_at: end.finishedAt, next_seq: eb('next_seq', '+', 1), updated_at: end.finishedAt, live_summary: null,
          lease_owner: null, lease_expires_at: null, abort_requested: 0,
        }))
        .where('id', '=', runId)
        .where('lease_owner', '=', owner)
        .where('status', '=', 'running')
        .returning('next_seq')
        .executeTakeFirst();
      if (!r) return null;
      const event = { ...end.event } as RunEvent;
      event.seq = r.next_seq - 1;
      await trx.insertInto('run_events').values({ run_id: runId, seq: event.seq, data: JSON.stringify(event) }).execute();
      // The webhook owed by this end is durable exactly when the end is (docs/webhooks.md).
      for (const d of end.deliveries ?? []) await insertDelivery(trx, d);
      return event;
    });
  }

  async committedCells(runId: string): Promise<number[]> {
    const rows = await this.db.selectFrom('run_cells').select('cell').where('run_id', '=', runId).execute();
    return rows.map((r) => r.cell);
  }

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

  rowResultKeys(runId: string) {
    return this.rowResults.keys(runId);
  }

  rowResultsOfRows(runId: string, rowIndices: number[]): Promise<RowResult[]> {
    return this.rowResults.ofRows(runId, rowIndices);
  }

  async runEvents(runId: string, afterSeq: number, limit: number): Promise<RunEvent[]> {
    const rows = await this.db.selectFrom('run_events').select('data').where('run_id', '=', runId).where('seq', '>', afterSeq).orderBy('seq').limit(limit).execute();
    return rows.map((r) => parseJson<RunEvent>(r.data));
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

  rowResultsAfterSeq(runId: string, afterSeq: number, limit: number): Promise<RowResult[]> {
    return this.rowResults.afterSeq(runId, afterSeq, limit);
  }
}
