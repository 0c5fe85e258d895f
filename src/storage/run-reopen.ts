// Reopening an ended run (RunStore.reopen, docs/architecture.md "Events"). With retryErrors,
// failed work leaves the results in batches, a transaction each, before the run is reopened:
// 300,000 failed cells moved in one transaction took 13.5 s and +860 MB, and on SQLite every
// other query of every project waited for it. The run stays ended meanwhile, so nothing else
// writes its cells; a crash between batches leaves it ended with part of its failed work
// already in the log (its progress counting what is left), and resuming again moves the rest.
import { type Kysely, PostgresAdapter } from 'kysely';
import { cellEvents, rowEvent } from '../core/engine/cell-events.js';
import type { RunEvent } from '../core/events.js';
import type { RunRecord } from '../core/model/run.js';
import { yieldIfBusy } from '../core/turns.js';
import type { RowResultsSql } from './run-row-results.js';
import { toCell, toRun } from './run-rows.js';
import type { Database } from './schema.js';

/** Events written to the log in one insert. */
const EVENT_CHUNK = 200;
/** Failed cells (or unprocessed row results) a transaction of a retryErrors reopen moves to the log. */
const RETRY_BATCH = 500;

export interface ReopenRequest {
  projectId: string;
  runId: string;
  retryErrors: boolean;
  at: number;
  /** Called after each batch (the fault suite's failpoint). */
  betweenBatches: () => void;
}

/** Reopens the run when it may be (null otherwise): see RunStore.reopen. */
export function reopenRun(db: Kysely<Database>, rowResults: RowResultsSql, request: ReopenRequest): Promise<RunRecord | null> {
  return new Reopening(db, rowResults).reopen(request);
}

class Reopening {
  constructor(
    private readonly db: Kysely<Database>,
    private readonly rowResults: RowResultsSql,
  ) {}

  async reopen({ projectId, runId, retryErrors, at, betweenBatches }: ReopenRequest): Promise<RunRecord | null> {
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
      // The ended execution ran from its beginning (the start, for a run stored before migration
      // 014) to its finish; the one that begins now is counted from `at` (the pause is not).
      const began = Number(run.execution_started_at ?? run.started_at);
      const ran = Math.max(0, Number(run.finished_at ?? at) - began);
      const r = await trx
        .updateTable('runs')
        .set({
          status: 'running', progress: Number(left.n), finished_at: null, summary: null, error: null, error_message: null, next_seq: run.next_seq + 1,
          stop_reason: null, abort_requested: 0, lease_owner: null, lease_expires_at: null, executions: 0, updated_at: at, live_summary: null,
          running_ms_before: Number(run.running_ms_before) + ran, execution_started_at: at,
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
}
