// The event log of runs in SQL: committed cells (their events derived from them), row-scoped
// results and run-level events. Sequence numbers, commit order and progress are reserved on the
// run row inside the commit's transaction (UPDATE … RETURNING), fenced by the lease: storage is
// the one owner of the numbering, so concurrent committers can never hand out a number twice.
import type { Kysely, Transaction } from 'kysely';
import { cellEventCount } from '../core/engine/cell-events.js';
import { yieldIfBusy } from '../core/turns.js';
import type { RunEvent } from '../core/events.js';
import type { CellResult, RowOrderKey, RowResult, RunSummary } from '../core/model/run.js';
import type { CallCounts, CellDraft, ResultsStart, RowDraft, RunFinish, RunLog } from '../core/run-store.js';
import { CellReadsSql } from './run-cell-reads.js';
import { RowResultsSql } from './run-row-results.js';
import { CompiledShapes, type Param } from './compiled.js';
import { CELL_COLUMNS, cellRow } from './run-rows.js';
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

  protected readonly reads: CellReadsSql;

  constructor(protected readonly db: Kysely<Database>) {
    this.rowResults = new RowResultsSql(db);
    this.reads = new CellReadsSql(db);
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
      // Serializing megabyte outputs and inserting them are two steps of a turn each when due.
      const insert = this.insertCells(runId, cells.slice(from, from + size), at);
      await yieldIfBusy();
      await trx.executeQuery(insert);
      from += size;
    }
    // The COMMIT that follows may checkpoint the write-ahead log (SQLite does so inside the
    // commit that takes the log past 1,000 pages): ≈ 20–25 ms for a 10 MB output, in a turn of
    // its own when this one is spent.
    await yieldIfBusy();
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

  async callCounts(runId: string): Promise<CallCounts> {
    const rows = await this.db.selectFrom('run_cells').select(['ok', (eb) => eb.fn.countAll<number | string>().as('n')]).where('run_id', '=', runId).groupBy('ok').execute();
    const counts: CallCounts = { succeeded: 0, failed: 0 };
    // PostgreSQL's count is a bigint, read as a string.
    for (const r of rows) counts[r.ok ? 'succeeded' : 'failed'] += Number(r.n);
    return counts;
  }

  // Reads of committed cells (pages, lean reads, output heads): run-cell-reads.ts.
  cellsInCommitOrder(runId: string, afterOrder: number, limit: number) {
    return this.reads.cellsInCommitOrder(runId, afterOrder, limit);
  }

  cellsInRange(runId: string, fromCell: number, endCell: number) {
    return this.reads.cellsInRange(runId, fromCell, endCell);
  }

  results(runId: string, offset: number, limit: number) {
    return this.reads.results(runId, offset, limit);
  }

  resultsAfter(runId: string, after: RowOrderKey | null, limit: number) {
    return this.reads.resultsAfter(runId, after, limit);
  }

  resultsWithin(runId: string, start: ResultsStart, limit: number, maxBytes: number, min: 0 | 1 = 1) {
    return this.reads.resultsWithin(runId, start, limit, maxBytes, min);
  }

  cellsInRowOrder(runId: string, after: RowOrderKey | null, limit: number, withEntry: boolean) {
    return this.reads.cellsInRowOrder(runId, after, limit, withEntry);
  }

  outputHeads(runId: string, cells: number[], points: number) {
    return this.reads.outputHeads(runId, cells, points);
  }

  cellsAt(runId: string, cells: number[]) {
    return this.reads.cellsAt(runId, cells);
  }

  cellsAfterSeq(runId: string, afterSeq: number, limit: number, maxBytes?: number) {
    return this.reads.cellsAfterSeq(runId, afterSeq, limit, maxBytes);
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

  rowResultsAfterSeq(runId: string, afterSeq: number, limit: number): Promise<RowResult[]> {
    return this.rowResults.afterSeq(runId, afterSeq, limit);
  }
}
