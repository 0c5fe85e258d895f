// The events of one committed cell, in their fixed order (SPEC §6): cell_started, a retrying
// per retry, target_result, one evaluator_result per evaluator, progress. Derived from the
// stored cell, so a replay from storage is identical to the live stream.
import type { RunEvent, RunEventBody } from '../events.js';
import type { CellResult, RowResult } from '../model/run.js';

/** The one event of a row-scoped result (LangWatch's shape for comparisons: `inputs.candidates`). */
export function rowEvent(r: RowResult): RunEvent {
  return {
    type: 'evaluator_result', rowIndex: r.rowIndex, targetId: r.targetId, repeat: r.repeat, evaluatorId: r.evaluatorId,
    result: r.evaluation.result, duration: r.evaluation.durationMs, inputs: { candidates: r.candidates.map((id) => ({ id })) }, seq: r.seq,
  } as RunEvent;
}

export function cellEventCount(cell: Pick<CellResult, 'retries' | 'evaluations'>): number {
  return 3 + cell.retries.length + cell.evaluations.length;
}

export function cellEvents(cell: CellResult, total: number): RunEvent[] {
  const key = { rowIndex: cell.rowIndex, targetId: cell.targetId, repeat: cell.repeat };
  const bodies: RunEventBody[] = [{ type: 'cell_started', ...key }];
  for (const r of cell.retries) {
    bodies.push({ type: 'retrying', ...key, attempt: r.attempt, delayMs: r.delayMs, reason: r.reason });
  }
  const target: RunEventBody = { type: 'target_result', ...key, attempts: cell.attempts, duration: cell.durationMs };
  if (cell.ok) target.output = cell.output;
  else target.error = cell.error;
  if (cell.cost !== undefined) target.cost = cell.cost;
  if (cell.tokens !== undefined) target.tokens = cell.tokens;
  if (cell.cached) target.cached = true;
  if (cell.workerId !== undefined) target.workerId = cell.workerId;
  bodies.push(target);
  for (const e of cell.evaluations) {
    bodies.push({ type: 'evaluator_result', ...key, evaluatorId: e.evaluatorId, result: e.result, duration: e.durationMs });
  }
  bodies.push({ type: 'progress', completed: cell.progress, total });
  return bodies.map((body, i) => ({ ...body, seq: cell.firstSeq + i }) as RunEvent);
}
