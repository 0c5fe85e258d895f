// Runs: the record with its lease, inline rows, committed cells (evaluations inline as
// JSON) and run-level events. Every write by an executor is fenced by its lease, so a
// process that lost its lease can never commit a cell twice.
import { type Kysely, sql } from 'kysely';
import type { RunEvent } from '../core/events.js';
import type { Row } from '../core/model/experiment.js';
import type { PageRequest, Paged, RowBatches } from '../core/model/paging.js';
import type { CellResult, RowResult, RunRecord } from '../core/model/run.js';
import { RowResultsSql } from './run-row-results.js';
import { cellRow, toCell, toRun } from './run-rows.js';
import type { RunCursor, RunFinish, RunStore } from '../core/run-store.js';
import type { Database } from './schema.js';
import { parseJson } from './sql-errors.js';

const CELL_CHUNK = 100;
/** Above the most events one cell can have (3 + 10 retries + 100 evaluators). */
const MAX_EVENTS_PER_CELL = 200;

export class SqlRunStore implements RunStore {
  private readonly rowResults: RowResultsSql;

  constructor(private readonly db: Kysely<Database>) {
    this.rowResults = new RowResultsSql(db);
  }

  commitRowResults(runId: string, owner: string, rows: RowResult[], nextSeq: number, at: number): Promise<boolean> {
    return this.rowResults.commit(runId, owner, rows, nextSeq, at);
  }

  rowResultKeys(runId: string) {
    return this.rowResults.keys(runId);
  }

  rowResultsAfterSeq(runId: string, afterSeq: number, limit: number): Promise<RowResult[]> {
    return this.rowResults.afterSeq(runId, afterSeq, limit);
  }

  rowResultsOfRows(runId: string, rowIndices: number[]): Promise<RowResult[]> {
    return this.rowResults.ofRows(runId, rowIndices);
  }

  async cellsInRange(runId: string, fromCell: number, endCell: number): Promise<CellResult[]> {
    const rows = await this.db.selectFrom('run_cells').selectAll().where('run_id', '=', runId).where('cell', '>=', fromCell).where('cell', '<', endCell).orderBy('cell').execute();
    return rows.map(toCell);
  }

  async create(run: RunRecord, firstEvent: RunEvent, inlineRows?: RowBatches): Promise<void> {
    // Inline rows go in first, outside the run's transaction, in bounded batches; the run row
    // that makes them reachable is written last, so a failure leaves nothing visible.
    let written = 0;
    try {
      if (inlineRows) {
        for await (const batch of inlineRows) {
          for (let i = 0; i < batch.length; i += 500) {
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
            next_seq: run.nextSeq, abort_requested: 0, lease_owner: null, lease_expires_at: null, executions: 0, updated_at: run.startedAt,
          })
          .execute();
        await trx.insertInto('run_events').values({ run_id: run.id, seq: firstEvent.seq, data: JSON.stringify(firstEvent) }).execute();
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

  async list(projectId: string, experimentId: string, page: PageRequest): Promise<Paged<RunRecord>> {
    const total = await this.db
      .selectFrom('runs')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .where('project_id', '=', projectId)
      .where('experiment_id', '=', experimentId)
      .executeTakeFirstOrThrow();
    const rows = await this.db
      .selectFrom('runs')
      .selectAll()
      .where('project_id', '=', projectId)
      .where('experiment_id', '=', experimentId)
      .orderBy('started_at', 'desc')
      .orderBy('id', 'desc')
      .limit(page.pageSize)
      .offset((page.page - 1) * page.pageSize)
      .execute();
    return { items: rows.map(toRun), total: Number(total.n) };
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

  async committedCells(runId: string): Promise<number[]> {
    const rows = await this.db.selectFrom('run_cells').select('cell').where('run_id', '=', runId).execute();
    return rows.map((r) => r.cell);
  }

  async cellsInCommitOrder(runId: string, afterOrder: number, limit: number): Promise<CellResult[]> {
    const rows = await this.db
      .selectFrom('run_cells')
      .selectAll()
      .where('run_id', '=', runId)
      .where('completed_order', '>', afterOrder)
      .orderBy('completed_order')
      .limit(limit)
      .execute();
    return rows.map(toCell);
  }

  async commitCells(runId: string, owner: string, cells: CellResult[], progress: number, nextSeq: number, at: number): Promise<boolean> {
    return this.db.transaction().execute(async (trx) => {
      // The fence: the run row is updated (and locked) only while we hold the lease. An
      // execution that commits is making progress, so the crash count restarts from it (just
      // this one): only executions that die again and again without progress give a run up.
      const fenced = await trx
        .updateTable('runs')
        .set({ progress, next_seq: nextSeq, updated_at: at, executions: 1 })
        .where('id', '=', runId)
        .where('lease_owner', '=', owner)
        .where('status', '=', 'running')
        .executeTakeFirst();
      if (Number(fenced.numUpdatedRows) === 0) return false;
      for (let i = 0; i < cells.length; i += CELL_CHUNK) {
        const chunk = cells.slice(i, i + CELL_CHUNK).map((c) => cellRow(runId, c, at));
        await trx.insertInto('run_cells').values(chunk).onConflict((oc) => oc.columns(['run_id', 'cell']).doNothing()).execute();
      }
      return true;
    });
  }

  async finish(runId: string, owner: string, end: RunFinish, nextSeq: number): Promise<boolean> {
    return this.db.transaction().execute(async (trx) => {
      const done = await trx
        .updateTable('runs')
        .set({
          status: end.status, summary: JSON.stringify(end.summary), error: end.error, error_message: end.errorMessage,
          stop_reason: end.stopReason, finished_at: end.finishedAt, next_seq: nextSeq, updated_at: end.finishedAt,
          lease_owner: null, lease_expires_at: null, abort_requested: 0,
        })
        .where('id', '=', runId)
        .where('lease_owner', '=', owner)
        .where('status', '=', 'running')
        .executeTakeFirst();
      if (Number(done.numUpdatedRows) === 0) return false;
      await trx.insertInto('run_events').values({ run_id: runId, seq: end.event.seq, data: JSON.stringify(end.event) }).execute();
      return true;
    });
  }

  async requestAbort(projectId: string, runId: string): Promise<RunRecord | null> {
    await this.db.updateTable('runs').set({ abort_requested: 1 }).where('id', '=', runId).where('project_id', '=', projectId).where('status', '=', 'running').execute();
    return this.get(projectId, runId);
  }

  async reopen(projectId: string, runId: string, retryErrors: boolean, at: number): Promise<RunRecord | null> {
    return this.db.transaction().execute(async (trx) => {
      const run = await trx.selectFrom('runs').selectAll().where('id', '=', runId).where('project_id', '=', projectId).executeTakeFirst();
      if (!run || (run.status !== 'stopped' && run.status !== 'failed' && !(retryErrors && run.status === 'completed'))) return null;
      if (retryErrors) {
        await trx.deleteFrom('run_cells').where('run_id', '=', runId).where('ok', '=', 0).execute();
        await this.rowResults.deleteUnprocessed(trx, runId);
      }
      const left = await trx.selectFrom('run_cells').select((eb) => eb.fn.countAll<number>().as('n')).where('run_id', '=', runId).executeTakeFirstOrThrow();
      const r = await trx
        .updateTable('runs')
        .set({
          status: 'running', progress: Number(left.n), finished_at: null, summary: null, error: null, error_message: null,
          stop_reason: null, abort_requested: 0, lease_owner: null, lease_expires_at: null, executions: 0, updated_at: at,
        })
        .where('id', '=', runId)
        .returningAll()
        .executeTakeFirstOrThrow();
      return toRun(r);
    });
  }

  async runEvents(runId: string, afterSeq: number, limit: number): Promise<RunEvent[]> {
    const rows = await this.db
      .selectFrom('run_events')
      .select('data')
      .where('run_id', '=', runId)
      .where('seq', '>', afterSeq)
      .orderBy('seq')
      .limit(limit)
      .execute();
    return rows.map((r) => parseJson<RunEvent>(r.data));
  }

  async cellsAfterSeq(runId: string, afterSeq: number, limit: number): Promise<CellResult[]> {
    const rows = await this.db
      .selectFrom('run_cells')
      .selectAll()
      .where('run_id', '=', runId)
      // first_seq bounds the index scan (a cell has at most ~120 events); the sum is exact.
      .where('first_seq', '>', afterSeq - MAX_EVENTS_PER_CELL)
      .where(sql<number>`first_seq + event_count - 1`, '>', afterSeq)
      .orderBy('first_seq')
      .limit(limit)
      .execute();
    return rows.map(toCell);
  }

  async results(runId: string, offset: number, limit: number): Promise<CellResult[]> {
    const rows = await this.db
      .selectFrom('run_cells')
      .selectAll()
      .where('run_id', '=', runId)
      .orderBy('row_index')
      .orderBy('cell')
      .limit(limit)
      .offset(offset)
      .execute();
    return rows.map(toCell);
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
}
