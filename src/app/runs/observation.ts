// What the run executors report to the operator's tools beyond the port of core/observe.ts:
// the run's totals when it ends (a resumed or sharded run's ending execution committed part of
// its cells, or none), and the shards of a cluster run, which are not executions of the run
// (no `run started`, no run counted) but commit its cells. src/observability implements it;
// src/config wires it. An extension of that port rather than a change to it: the executors
// here are its only callers. docs/operations.md ("Logs") lists the lines each outcome writes.
import type { ExecutionOutcome, RunObserver, RunShape, RunWatch } from '../../core/observe.js';
import { quietRunObserver } from '../../core/observe.js';
import type { RunRecord } from '../../core/model/run.js';
import type { ShardRange } from '../../core/shard-store.js';

/** A run's cells over every execution and shard, as storage holds them when it ends. */
export interface RunTotals {
  cellsCommitted: number;
  /** Cells whose target failed. */
  cellsFailed: number;
}

/** One execution of a run (a whole-run executor's, or a cluster run's coordinator's). */
export interface ExecutionWatch extends RunWatch {
  /** The execution ended; `totals` is given when the run itself ended here. Called once. */
  ended(outcome: ExecutionOutcome, totals?: RunTotals): void;
}

/** RunObserver with the run's totals at its end and the shards of cluster runs. */
export interface ExecutionObserver extends RunObserver {
  /** An execution of `run` begins; `resumed` = the run was executed before (a resume, a crash, a restart). */
  started(run: RunRecord, shape: RunShape | null, resumed: boolean): ExecutionWatch;
  /**
   * A shard of a cluster run begins here. Its watch's `ended` means: `completed` = every cell of
   * the shard is committed; `stopped` = the run is stopping (an abort); `released` = a shutdown
   * or a lost lease handed it back; `crashed` = the execution failed and the shard is taken again.
   */
  shardStarted(run: RunRecord, shape: RunShape | null, shard: ShardRange): RunWatch;
}

/** Observes nothing (tests, embedded use with metrics off). */
export const quietExecutionObserver: ExecutionObserver = {
  started: (run, shape, resumed) => quietRunObserver.started(run, shape, resumed),
  shardStarted: (run, shape) => quietRunObserver.started(run, shape, true),
};

/** The seq a run nothing was written for yet assigns next: its opening event is seq 1. */
const FRESH_NEXT_SEQ = 2;

/**
 * Whether anything was written to the run's log after its opening event (a commit, an ending,
 * a reopen's `resumed`): an execution that finds this continues the run. Its callers add what
 * the log misses, an earlier execution that died before writing anything.
 */
export function hasHistory(run: RunRecord): boolean {
  return run.nextSeq > FRESH_NEXT_SEQ;
}
