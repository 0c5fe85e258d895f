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
  // Each event is built with its seq (last, as clients have always seen it) rather than as a
  // body copied with one: this runs for every committed cell, and halving its objects shows.
  const { rowIndex, targetId, repeat } = cell;
  let seq = cell.firstSeq;
  const events = [{ type: 'cell_started', rowIndex, targetId, repeat, seq: seq++ }] as RunEvent[];
  for (const r of cell.retries) {
    events.push({ type: 'retrying', rowIndex, targetId, repeat, attempt: r.attempt, delayMs: r.delayMs, reason: r.reason, seq: seq++ } as RunEvent);
  }
  // Typed as the event, with its seq set last so it stays the last key.
  const target: Extract<RunEventBody, { type: 'target_result' }> & { seq?: number } = { type: 'target_result', rowIndex, targetId, repeat, attempts: cell.attempts, duration: cell.durationMs };
  if (cell.ok) target.output = cell.output;
  else target.error = cell.error;
  if (cell.cost !== undefined) target.cost = cell.cost;
  if (cell.tokens !== undefined) target.tokens = cell.tokens;
  if (cell.cached) target.cached = true;
  if (cell.workerId !== undefined) target.workerId = cell.workerId;
  target.seq = seq++;
  events.push(target as RunEvent);
  for (const e of cell.evaluations) {
    events.push({ type: 'evaluator_result', rowIndex, targetId, repeat, evaluatorId: e.evaluatorId, result: e.result, duration: e.durationMs, seq: seq++ } as RunEvent);
  }
  events.push({ type: 'progress', completed: cell.progress, total, seq } as RunEvent);
  return events;
}
