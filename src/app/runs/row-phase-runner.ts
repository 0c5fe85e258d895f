// Wires phase 2 (row-scoped evaluators such as N-way comparisons) to storage and the bus:
// which rows are done, where committed cells are read from, and how row results are committed
// (fenced by the lease, seqs assigned, summary updated, events published after the commit).
import type { Aggregator } from '../../core/engine/aggregate.js';
import { rowEvent } from '../../core/engine/cell-events.js';
import { type PreparedRowEvaluator, type RowDraft, runRowPhase } from '../../core/engine/row-phase.js';
import type { RowResult, RunRecord, StopReason } from '../../core/model/run.js';
import type { Clock, EventBus, Stores } from '../../core/ports.js';

export interface RowPhaseContext {
  stores: Stores;
  bus: EventBus;
  clock: Clock;
  run: RunRecord;
  owner: string;
  agg: Aggregator;
  /** The executor's event sequence counter, shared with phase 1. */
  seq: { next: number };
  signal: AbortSignal;
  stopReason(): StopReason | null;
  onLeaseLost(): void;
}

/** Adds committed row results to a summary being rebuilt after a restart. */
export async function replayRowResults(stores: Stores, runId: string, agg: Aggregator): Promise<void> {
  for (let after = 0; ; ) {
    const page = await stores.runs.rowResultsAfterSeq(runId, after, 1000);
    for (const r of page) agg.addRow(r);
    if (page.length < 1000) return;
    after = page[page.length - 1]!.seq;
  }
}

export async function runRowPhaseFor(ctx: RowPhaseContext, evaluators: PreparedRowEvaluator[]) {
  const { stores, run } = ctx;
  const spec = run.spec;
  const perRow = spec.targetIds.length * spec.repeats;
  const done = new Set((await stores.runs.rowResultKeys(run.id)).map((k) => `${k.rowPos}/${k.repeat}/${k.evaluatorId}`));
  const commit = async (drafts: RowDraft[]) => {
    let seq = ctx.seq.next;
    const rows: RowResult[] = drafts.map((d) => ({ ...d, seq: seq++ }));
    if (!(await stores.runs.commitRowResults(run.id, ctx.owner, rows, seq, ctx.clock.now()))) {
      ctx.onLeaseLost();
      throw new Error('lost the run lease; another executor owns this run');
    }
    ctx.seq.next = seq;
    for (const r of rows) {
      done.add(`${r.rowPos}/${r.repeat}/${r.evaluatorId}`);
      ctx.agg.addRow(r);
    }
    ctx.bus.publish(run.id, rows.map(rowEvent));
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
