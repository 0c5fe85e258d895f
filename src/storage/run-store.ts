// Runs in SQL: the record with its lease, inline rows and the reopening of a stopped run; the
// event log (committed cells, row results, run-level events, and the sequence numbers) is
// run-log.ts. Every write by an executor is fenced by its lease, so a process that lost its
// lease can never commit a cell twice.
import { cellEvents, rowEvent } from '../core/engine/cell-events.js';
import type { RunEvent } from '../core/events.js';
import type { Row } from '../core/model/experiment.js';
import type { PageRequest, Paged, RowBatches } from '../core/model/paging.js';
import type { RunRecord } from '../core/model/run.js';
import type { RunCursor, RunStore } from '../core/run-store.js';
import { yieldIfBusy } from '../core/turns.js';
import { type Expression, type ExpressionBuilder, type Kysely, PostgresAdapter, sql, type SqlBool } from 'kysely';
import { SqlRunLog } from './run-log.js';
import type { Database } from './schema.js';
import { toCell, toRun } from './run-rows.js';
import { parseJson } from './sql-errors.js';

const EVENT_CHUNK = 200;
/** Runs a list page reads from the database at a time. */
const LIST_CHUNK = 20;
/** Failed cells (or unprocessed row results) a transaction of a retryErrors reopen moves to the log. */
const RETRY_BATCH = 500;

/**
 * `metadata.key = value` for every entry, on string values only (a number or boolean never
 * equals the text of a query string, the same in both databases). JSON is text in both
 * databases; SQLite reads it with json_extract, PostgreSQL with a jsonb cast. Keys are checked
 * by the route (letters, digits, `_`, `-`), and bound as parameters anyway.
 */
function metadataFilter(db: Kysely<Database>, metadata: Record<string, string>): (eb: ExpressionBuilder<Database, 'runs'>) => Expression<SqlBool> {
  const postgres = db.getExecutor().adapter instanceof PostgresAdapter;
  const entries = Object.entries(metadata);
  return (eb) =>
    eb.and(
      entries.map(([key, value]) =>
        postgres
          ? sql<SqlBool>`(jsonb_typeof(${sql.ref('metadata')}::jsonb -> ${key}) = 'string' and ${sql.ref('metadata')}::jsonb ->> ${key} = ${value})`
          : sql<SqlBool>`(json_type(${sql.ref('metadata')}, ${`$."${key}"`}) = 'text' and json_extract(${sql.ref('metadata')}, ${`$."${key}"`}) = ${value})`,
      ),
    );
}

/** The SQL RunStore: records and leases here, the event log in SqlRunLog. */
export class SqlRunStore extends SqlRunLog implements RunStore {
  async create(run: RunRecord, inlineRows?: RowBatches): Promise<void> {
    const first: RunEvent = { type: 'execution_started', runId: run.id, total: run.total, runUrl: run.spec.runUrl, seq: 1 };
    // Inline rows go in first, outside the run's transaction, in bounded batches; the run row
    // that makes them reachable is written last, so a failure leaves nothing visible.
    let written = 0;
    try {
      if (inlineRows) {
        for await (const batch of inlineRows) {
          for (let i = 0; i < batch.length; i += 500) {
            await yieldIfBusy();
            const chunk = batch.slice(i, i + 500).map((row) => ({ run_id: run.id, idx: written++, data: JSON.stringify(row) }));
            await this.db.insertInto('run_rows').values(chunk).execute();
          }
        }
      }
      await this.db.transaction().execute(async (trx) => {
        await trx
          .insertInto('runs')
          .values({
            id: run.id, project_id: run.projectId, experiment_id: run.experimentId, experiment_slug: run.experimentSlug,
            status: run.status, total: run.total, progress: run.progress, started_at: run.startedAt, finished_at: run.finishedAt,
            spec: JSON.stringify(run.spec), summary: null, error: null, error_message: null, stop_reason: null,
            next_seq: 2, abort_requested: 0, lease_owner: null, lease_expires_at: null, executions: 0, updated_at: run.startedAt, commit_count: 0,
            live_summary: null, metadata: JSON.stringify(run.spec.metadata ?? {}),
          })
          .execute();
        await trx.insertInto('run_events').values({ run_id: run.id, seq: first.seq, data: JSON.stringify(first) }).execute();
      });
    } catch (error) {
      if (written > 0) await this.db.deleteFrom('run_rows').where('run_id', '=', run.id).execute();
      throw error;
    }
  }

  async get(projectId: string, runId: string): Promise<RunRecord | null> {
    const r = await this.db.selectFrom('runs').selectAll().where('id', '=', runId).where('project_id', '=', projectId).executeTakeFirst();
    return r ? toRun(r) : null;
  }

  async getById(runId: string): Promise<RunRecord | null> {
    const r = await this.db.selectFrom('runs').selectAll().where('id', '=', runId).executeTakeFirst();
    return r ? toRun(r) : null;
  }

  async cursor(runId: string): Promise<RunCursor | null> {
    const r = await this.db
      .selectFrom('runs')
      .select(['id', 'project_id', 'status', 'total', 'progress', 'next_seq', 'abort_requested'])
      .where('id', '=', runId)
      .executeTakeFirst();
    if (!r) return null;
    return {
      id: r.id, projectId: r.project_id, status: r.status as RunCursor['status'], total: r.total, progress: r.progress,
      nextSeq: r.next_seq, abortRequested: r.abort_requested === 1,
    };
  }

  async list(projectId: string, experimentId: string, page: PageRequest, metadata: Record<string, string> = {}): Promise<Paged<RunRecord>> {
    const matches = metadataFilter(this.db, metadata);
    const total = await this.db
      .selectFrom('runs')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .where('project_id', '=', projectId)
      .where('experiment_id', '=', experimentId)
      .where(matches)
      .executeTakeFirstOrThrow();
    // A run's spec can be ≈ 600 KB (100,000 row indices): a page of 200 read at once held the
    // main thread 190–280 ms in the database driver alone, and fifty parsed in one turn ≈ 0.4–0.5
    // s (review of 2026-12-05). Read LIST_CHUNK at a time (the page's start by offset, then by
    // key) and parsed one by one, a turn given away between them when due.
    const items: RunRecord[] = [];
    let after: { startedAt: number; id: string } | null = null;
    while (items.length < page.pageSize) {
      await yieldIfBusy();
      const size = Math.min(LIST_CHUNK, page.pageSize - items.length);
      let q = this.db
        .selectFrom('runs')
        .selectAll()
        .where('project_id', '=', projectId)
        .where('experiment_id', '=', experimentId)
        .where(matches);
      const from = after;
      q = from ? q.where((eb) => eb(eb.refTuple('started_at', 'id'), '<', eb.tuple(from.startedAt, from.id))) : q.offset((page.page - 1) * page.pageSize);
      const rows = await q.orderBy('started_at', 'desc').orderBy('id', 'desc').limit(size).execute();
      for (const r of rows) {
        await yieldIfBusy();
        items.push(toRun(r));
      }
      if (rows.length < size) break;
      const last = rows[rows.length - 1]!;
      after = { startedAt: Number(last.started_at), id: last.id };
    }
    return { items, total: Number(total.n) };
  }

  async statsByExperiment(projectId: string, experimentIds: string[]): Promise<Map<string, { runsCount: number; lastRunAt: number }>> {
    const out = new Map<string, { runsCount: number; lastRunAt: number }>();
    if (experimentIds.length === 0) return out;
    const rows = await this.db
      .selectFrom('runs')
      .select((eb) => ['experiment_id', eb.fn.countAll<number>().as('n'), eb.fn.max('started_at').as('last')])
      .where('project_id', '=', projectId)
      .where('experiment_id', 'in', experimentIds)
      .groupBy('experiment_id')
      .execute();
    for (const r of rows) out.set(r.experiment_id, { runsCount: Number(r.n), lastRunAt: Number(r.last) });
    return out;
  }

  async claim(runId: string, owner: string, until: number, now: number): Promise<RunRecord | null> {
    const r = await this.db
      .updateTable('runs')
      .set({ lease_owner: owner, lease_expires_at: until })
      .where('id', '=', runId)
      .where('status', '=', 'running')
      .where((eb) => eb.or([eb('lease_owner', 'is', null), eb('lease_expires_at', '<', now), eb('lease_owner', '=', owner)]))
      .returningAll()
      .executeTakeFirst();
    return r ? toRun(r) : null;
  }

  async renew(runId: string, owner: string, until: number): Promise<boolean> {
    const r = await this.db
      .updateTable('runs')
      .set({ lease_expires_at: until })
      .where('id', '=', runId)
      .where('lease_owner', '=', owner)
      .where('status', '=', 'running')
      .executeTakeFirst();
    return Number(r.numUpdatedRows) > 0;
  }

  async release(runId: string, owner: string): Promise<void> {
    await this.db.updateTable('runs').set({ lease_owner: null, lease_expires_at: null }).where('id', '=', runId).where('lease_owner', '=', owner).execute();
  }

  async claimable(now: number, limit: number): Promise<string[]> {
    const rows = await this.db
      .selectFrom('runs')
      .select('id')
      .where('status', '=', 'running')
      .where((eb) => eb.or([eb('lease_owner', 'is', null), eb('lease_expires_at', '<', now)]))
      .orderBy('started_at')
      .limit(limit)
      .execute();
    return rows.map((r) => r.id);
  }

  async countExecution(runId: string): Promise<number> {
    const r = await this.db
      .updateTable('runs')
      .set((eb) => ({ executions: eb('executions', '+', 1) }))
      .where('id', '=', runId)
      .returning('executions')
      .executeTakeFirst();
    return r?.executions ?? 0;
  }

  async requestAbort(projectId: string, runId: string): Promise<RunRecord | null> {
    await this.db.updateTable('runs').set({ abort_requested: 1 }).where('id', '=', runId).where('project_id', '=', projectId).where('status', '=', 'running').execute();
    return this.get(projectId, runId);
  }

  async reopen(projectId: string, runId: string, retryErrors: boolean, at: number, betweenBatches: () => void = () => {}): Promise<RunRecord | null> {
    // With retryErrors, failed work leaves the results in batches, a transaction each, before the
    // run is reopened: 300,000 failed cells moved in one transaction took 15 s and +900 MB, and
    // on SQLite every other query of every project waited for it. The run stays ended meanwhile,
    // so nothing else writes its cells; a crash between batches leaves it ended with part of its
    // failed work already in the log, and resuming again moves the rest (docs/durability.md).
    if (retryErrors) {
      if (!(await this.inBatches(projectId, runId, betweenBatches, (trx, after) => this.moveFailedCells(trx, runId, after)))) return null;
      if (!(await this.inBatches(projectId, runId, betweenBatches, (trx, after) => this.moveUnprocessedRows(trx, runId, after)))) return null;
    }
    return this.db.transaction().execute(async (trx) => {
      const run = await this.resumable(trx, projectId, runId, retryErrors);
      if (!run) return null;
      // What left the results kept its place in the log (above); `resumed` comes after it all.
      const resumed: RunEvent = { type: 'resumed', retryErrors, seq: run.next_seq };
      await trx.insertInto('run_events').values({ run_id: runId, seq: resumed.seq, data: JSON.stringify(resumed) }).execute();
      // A reopened run is planned again: with retryErrors, shards marked done lost cells.
      await trx.deleteFrom('run_shards').where('run_id', '=', runId).execute();
      const left = await trx.selectFrom('run_cells').select((eb) => eb.fn.countAll<number>().as('n')).where('run_id', '=', runId).executeTakeFirstOrThrow();
      const r = await trx
        .updateTable('runs')
        .set({
          status: 'running', progress: Number(left.n), finished_at: null, summary: null, error: null, error_message: null, next_seq: run.next_seq + 1,
          stop_reason: null, abort_requested: 0, lease_owner: null, lease_expires_at: null, executions: 0, updated_at: at, live_summary: null,
        })
        .where('id', '=', runId)
        .returningAll()
        .executeTakeFirstOrThrow();
      return toRun(r);
    });
  }

  /**
   * Runs `step` a transaction at a time, each time from where the last one stopped, while the
   * run may still be reopened with retryErrors; false when it no longer may.
   */
  private async inBatches(projectId: string, runId: string, between: () => void, step: (trx: Kysely<Database>, after: number) => Promise<number | null>): Promise<boolean> {
    for (let after: number | null = -1; after !== null; ) {
      await yieldIfBusy();
      const from: number = after;
      const moved: { after: number | null } | null = await this.db.transaction().execute(async (trx) =>
        (await this.resumable(trx, projectId, runId, true)) ? { after: await step(trx, from) } : null,
      );
      if (!moved) return false;
      after = moved.after;
      between();
    }
    return true;
  }

  /** The run's record when it may be reopened (locked on PostgreSQL until the transaction ends). */
  private async resumable(trx: Kysely<Database>, projectId: string, runId: string, retryErrors: boolean) {
    let q = trx.selectFrom('runs').selectAll().where('id', '=', runId).where('project_id', '=', projectId);
    // Two resumes at once: the second waits for the first's batch, then sees what it did.
    if (trx.getExecutor().adapter instanceof PostgresAdapter) q = q.forUpdate();
    const run = await q.executeTakeFirst();
    if (!run || (run.status !== 'stopped' && run.status !== 'failed' && !(retryErrors && run.status === 'completed'))) return null;
    return run;
  }

  /**
   * Moves up to RETRY_BATCH failed cells after cell number `after` from the results to the log
   * (their events, with the numbers they had); answers the last one moved, or null when no
   * failed cell is left after it.
   */
  private async moveFailedCells(trx: Kysely<Database>, runId: string, after: number): Promise<number | null> {
    const failed = await trx
      .selectFrom('run_cells').selectAll().where('run_id', '=', runId).where('cell', '>', after).where('ok', '=', 0).orderBy('cell').limit(RETRY_BATCH).execute();
    if (failed.length === 0) return null;
    const total = (await trx.selectFrom('runs').select('total').where('id', '=', runId).executeTakeFirstOrThrow()).total;
    await this.appendHistory(trx, runId, failed.flatMap((c) => cellEvents(toCell(c), total)));
    const cells = failed.map((c) => c.cell);
    await trx.deleteFrom('run_cells').where('run_id', '=', runId).where('cell', 'in', cells).execute();
    // Progress counts the committed cells: readers of an ended run between two batches (after a
    // crash, say) page its results by it.
    await trx.updateTable('runs').set((eb) => ({ progress: eb('progress', '-', failed.length) })).where('id', '=', runId).execute();
    return failed.length < RETRY_BATCH ? null : cells[cells.length - 1]!;
  }

  /** As moveFailedCells, for row results that were not processed, by their event number. */
  private async moveUnprocessedRows(trx: Kysely<Database>, runId: string, afterSeq: number): Promise<number | null> {
    const taken = await this.rowResults.takeUnprocessed(trx, runId, afterSeq, RETRY_BATCH);
    if (taken.length === 0) return null;
    await this.appendHistory(trx, runId, taken.map(rowEvent));
    return taken.length < RETRY_BATCH ? null : taken[taken.length - 1]!.seq;
  }

  /** Events of work that left the results, at the numbers they had: a replay stays complete and gap-free. */
  private async appendHistory(trx: Kysely<Database>, runId: string, history: RunEvent[]): Promise<void> {
    for (let i = 0; i < history.length; i += EVENT_CHUNK) {
      await trx
        .insertInto('run_events')
        .values(history.slice(i, i + EVENT_CHUNK).map((e) => ({ run_id: runId, seq: e.seq, data: JSON.stringify(e) })))
        .onConflict((oc) => oc.columns(['run_id', 'seq']).doNothing())
        .execute();
    }
  }

  async inlineRows(runId: string, from: number, to: number): Promise<Row[]> {
    const rows = await this.db
      .selectFrom('run_rows')
      .select('data')
      .where('run_id', '=', runId)
      .where('idx', '>=', from)
      .where('idx', '<', to)
      .orderBy('idx')
      .execute();
    return rows.map((r) => parseJson<Row>(r.data));
  }

  async inlineRowSizes(runId: string, from: number, to: number): Promise<number[]> {
    // octet_length reads no text (run-cell-reads.ts).
    const rows = await this.db
      .selectFrom('run_rows')
      .select(sql<number>`octet_length(data)`.as('bytes'))
      .where('run_id', '=', runId)
      .where('idx', '>=', from)
      .where('idx', '<', to)
      .orderBy('idx')
      .execute();
    return rows.map((r) => Number(r.bytes));
  }
}
