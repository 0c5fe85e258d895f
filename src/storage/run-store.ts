// Runs in SQL: the record with its lease, inline rows and the reopening of a stopped run; the
// event log (committed cells, row results, run-level events, and the sequence numbers) is
// run-log.ts. Every write by an executor is fenced by its lease, so a process that lost its
// lease can never commit a cell twice.
import type { RunEvent } from '../core/events.js';
import type { Row } from '../core/model/experiment.js';
import type { PageRequest, Paged, RowBatches } from '../core/model/paging.js';
import type { RunRecord } from '../core/model/run.js';
import type { RunCursor, RunStore } from '../core/run-store.js';
import { yieldIfBusy } from '../core/turns.js';
import { type Expression, type ExpressionBuilder, type Kysely, PostgresAdapter, sql, type SqlBool } from 'kysely';
import { SqlRunLog } from './run-log.js';
import { reopenRun } from './run-reopen.js';
import type { Database } from './schema.js';
import { toRun } from './run-rows.js';
import { parseRows } from './sql-errors.js';

/** Runs a list page reads from the database at a time. */
const LIST_CHUNK = 20;
/**
 * `abort_requested` is 0 (none), 1 (a user's stop) or this: a cluster coordinator's stop for
 * errors, which the shards then report as such (no migration: the column was always an integer).
 */
const ABORT_FOR_ERRORS = 2;

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
            running_ms_before: run.earlierRunningMs ?? 0, execution_started_at: run.executionStartedAt ?? run.startedAt,
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
      nextSeq: r.next_seq, abortRequested: r.abort_requested !== 0,
      ...(r.abort_requested === ABORT_FOR_ERRORS ? { abortReason: 'errors' as const } : {}),
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

  async requestAbort(projectId: string, runId: string, reason: 'user' | 'errors' = 'user'): Promise<RunRecord | null> {
    await this.db.updateTable('runs').set({ abort_requested: reason === 'errors' ? ABORT_FOR_ERRORS : 1 }).where('id', '=', runId).where('project_id', '=', projectId).where('status', '=', 'running').execute();
    return this.get(projectId, runId);
  }

  async reopen(projectId: string, runId: string, retryErrors: boolean, at: number, betweenBatches: () => void = () => {}): Promise<RunRecord | null> {
    return reopenRun(this.db, this.rowResults, { projectId, runId, retryErrors, at, betweenBatches });
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
    return parseRows<Row>(rows);
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
