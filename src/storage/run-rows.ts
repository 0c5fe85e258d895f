// Mapping between the runs tables' rows and the records of core/model/run.ts (JSON columns
// parsed and serialised here, nowhere else).
import type { Selectable } from 'kysely';
import type { CellResult, RunRecord, RunStatus, RunSummary, StopReason } from '../core/model/run.js';
import type { RunCellsTable, RunsTable } from './schema.js';
import { parseJson } from './sql-errors.js';

export function toRun(r: Selectable<RunsTable>): RunRecord {
  return {
    id: r.id,
    projectId: r.project_id,
    experimentId: r.experiment_id,
    experimentSlug: r.experiment_slug,
    status: r.status as RunStatus,
    total: r.total,
    progress: r.progress,
    startedAt: r.started_at,
    finishedAt: r.finished_at,
    spec: parseJson(r.spec),
    summary: r.summary === null ? null : parseJson<RunSummary>(r.summary),
    error: r.error,
    errorMessage: r.error_message,
    stopReason: r.stop_reason as StopReason | null,
    nextSeq: r.next_seq,
    abortRequested: r.abort_requested !== 0,
    updatedAt: Number(r.updated_at),
    liveSummary: r.live_summary === null ? null : parseJson<RunSummary>(r.live_summary),
    earlierRunningMs: Number(r.running_ms_before),
    // Runs stored before migration 014 count their current execution from their start.
    executionStartedAt: r.execution_started_at === null ? r.started_at : Number(r.execution_started_at),
  };
}

export function toCell(r: Selectable<RunCellsTable>): CellResult {
  const cell: CellResult = {
    cell: r.cell,
    rowIndex: r.row_index,
    targetId: r.target_id,
    repeat: r.repeat,
    entry: parseJson(r.entry),
    durationMs: r.duration_ms,
    attempts: r.attempts,
    retries: parseJson(r.retries),
    cached: r.cached === 1,
    evaluations: parseJson(r.evaluations),
    firstSeq: r.first_seq,
    eventCount: r.event_count,
    completedOrder: r.completed_order,
    progress: r.progress,
    ...(r.ok === 1 ? { ok: true as const, output: r.output === null ? null : parseJson(r.output) } : { ok: false as const, error: r.error ?? 'failed' }),
  };
  if (r.cost !== null) cell.cost = r.cost;
  if (r.tokens !== null) cell.tokens = parseJson(r.tokens);
  if (r.worker_id !== null) cell.workerId = r.worker_id;
  return cell;
}

/** The columns a committed cell writes (the insert of the commit path is compiled over them). */
export const CELL_COLUMNS = [
  'run_id', 'cell', 'row_index', 'target_id', 'repeat', 'ok', 'first_seq', 'event_count', 'last_seq', 'completed_order', 'progress', 'worker_id',
  'entry', 'output', 'error', 'cost', 'duration_ms', 'tokens', 'attempts', 'retries', 'cached', 'evaluations', 'created_at',
] as const satisfies readonly (keyof ReturnType<typeof cellRow>)[];

export function cellRow(runId: string, c: CellResult, at: number) {
  return {
    run_id: runId,
    cell: c.cell,
    row_index: c.rowIndex,
    target_id: c.targetId,
    repeat: c.repeat,
    ok: c.ok ? 1 : 0,
    first_seq: c.firstSeq,
    event_count: c.eventCount,
    last_seq: c.firstSeq + c.eventCount - 1,
    completed_order: c.completedOrder,
    progress: c.progress,
    worker_id: c.workerId ?? null,
    entry: JSON.stringify(c.entry),
    output: c.ok ? JSON.stringify(c.output ?? null) : null,
    error: c.ok ? null : c.error,
    cost: c.cost ?? null,
    duration_ms: Math.round(c.durationMs),
    tokens: c.tokens ? JSON.stringify(c.tokens) : null,
    attempts: c.attempts,
    retries: JSON.stringify(c.retries),
    cached: c.cached ? 1 : 0,
    evaluations: JSON.stringify(c.evaluations),
    created_at: at,
  };
}
