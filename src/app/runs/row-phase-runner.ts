// Wires phase 2 (row-scoped evaluators such as N-way comparisons) to storage and the event
// log: which rows are done, where committed cells are read from, and how row results are
// committed (fenced by the lease, seqs assigned by storage, summary updated, events published).
import type { Aggregator } from '../../core/engine/aggregate.js';
import { type PreparedRowEvaluator, type RowDraft, runRowPhase } from '../../core/engine/row-phase.js';
import type { RunRecord, StopReason } from '../../core/model/run.js';
import type { Clock, Stores } from '../../core/ports.js';
import { LeaseLost, type RunEventLog } from './event-log.js';

export interface RowPhaseContext {
  stores: Pick<Stores, 'runs' | 'experiments' | 'datasets'>;
  clock: Clock;
  run: RunRecord;
  log: RunEventLog;
  agg: Aggregator;
  signal: AbortSignal;
  stopReason(): StopReason | null;
  onLeaseLost(): void;
}

export async function runRowPhaseFor(ctx: RowPhaseContext, evaluators: PreparedRowEvaluator[]) {
  const { stores, run } = ctx;
  const spec = run.spec;
  const perRow = spec.targetIds.length * spec.repeats;
  const done = new Set((await stores.runs.rowResultKeys(run.id)).map((k) => `${k.rowPos}/${k.repeat}/${k.evaluatorId}`));
  const commit = async (drafts: RowDraft[]) => {
    let rows;
    try {
      rows = await ctx.log.commitRows(drafts);
    } catch (error) {
      if (error instanceof LeaseLost) ctx.onLeaseLost();
      throw error;
    }
    for (const r of rows) {
      done.add(`${r.rowPos}/${r.repeat}/${r.evaluatorId}`);
      ctx.agg.addRow(r);
    }
  };
  return runRowPhase({
    spec,
    evaluators,
    readCells: (from, to) => stores.runs.cellsInRange(run.id, from * perRow, to * perRow),
    isDone: (rowPos, repeat, evaluatorId) => done.has(`${rowPos}/${repeat}/${evaluatorId}`),
    commit,
    stopReason: ctx.stopReason,
    signal: ctx.signal,
    clock: ctx.clock,
    timeoutMs: spec.timeoutMs,
  });
}
