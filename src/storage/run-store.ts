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
    const rows = await this.db
      .selectFrom('runs')
      .selectAll()
      .where('project_id', '=', projectId)
      .where('experiment_id', '=', experimentId)
      .where(matches)
      .orderBy('started_at', 'desc')
      .orderBy('id', 'desc')
      .limit(page.pageSize)
      .offset((page.page - 1) * page.pageSize)
      .execute();
    // A run's spec can be ≈ 600 KB (100,000 row indices): fifty of them parsed in one turn held
    // the main thread ≈ 0.4–0.5 s (review of 2026-12-05).
    const items: RunRecord[] = [];
    for (const r of rows) {
      await yieldIfBusy();
      items.push(toRun(r));
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

  async reopen(projectId: string, runId: string, retryErrors: boolean, at: number): Promise<RunRecord | null> {
    return this.db.transaction().execute(async (trx) => {
      const run = await trx.selectFrom('runs').selectAll().where('id', '=', runId).where('project_id', '=', projectId).executeTakeFirst();
      if (!run || (run.status !== 'stopped' && run.status !== 'failed' && !(retryErrors && run.status === 'completed'))) return null;
      // What leaves the results keeps its place in the log: its events are written out as
      // events, so a replay still shows what happened, in order and without gaps.
      const history: RunEvent[] = [];
      if (retryErrors) {
        const failed = await trx.selectFrom('run_cells').selectAll().where('run_id', '=', runId).where('ok', '=', 0).execute();
        for (const c of failed) history.push(...cellEvents(toCell(c), run.total));
        await trx.deleteFrom('run_cells').where('run_id', '=', runId).where('ok', '=', 0).execute();
        for (const r of await this.rowResults.takeUnprocessed(trx, runId)) history.push(rowEvent(r));
      }
      const resumed: RunEvent = { type: 'resumed', retryErrors, seq: run.next_seq };
      history.push(resumed);
      for (let i = 0; i < history.length; i += EVENT_CHUNK) {
        await trx.insertInto('run_events').values(history.slice(i, i + EVENT_CHUNK).map((e) => ({ run_id: runId, seq: e.seq, data: JSON.stringify(e) }))).execute();
      }
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
