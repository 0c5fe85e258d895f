// The storage port for shards of cluster runs (docs/deployment.md, "Shards"): a run's plan cut
// into ranges of whole rows that workers claim, each under a lease of its own, and execute at
// the same time. A shard's commits are fenced by its lease (not the run's), and storage still
// assigns every event's seq on the run row, so the log stays gap-free across shards.
import type { CellResult } from './model/run.js';
import type { CellDraft } from './run-store.js';

/** A range of whole rows of a run's plan, as cells [fromCell, toCell). */
export interface ShardRange {
  shard: number;
  fromCell: number;
  toCell: number;
}

/** A shard not yet done and held by nobody (or by a holder whose lease expired). */
export interface OpenShard {
  shard: number;
  /** Times it was claimed before: names the queue job that hands it out next. */
  claims: number;
}

/** Where a run's shards stand. */
export interface ShardCounts {
  /** Shards planned (0: not sharded yet). */
  total: number;
  done: number;
  /** Shards held under a lease that has not expired. */
  held: number;
}

export interface RunShardStore {
  /** Stores a run's shards unless it has some already (a second coordinator keeps the first plan). */
  plan(runId: string, shards: ShardRange[]): Promise<void>;
  counts(runId: string, now: number): Promise<ShardCounts>;
  /** Open shards of a running run, in shard order, at most `limit`. */
  open(runId: string, now: number, limit: number): Promise<OpenShard[]>;
  /** Takes a shard of a running run that is not done and free, expired or ours; null otherwise. */
  claim(runId: string, shard: number, owner: string, until: number, now: number): Promise<ShardRange | null>;
  /** Extends our lease; false when we lost it (or the shard is done, or the run ended). */
  renew(runId: string, shard: number, owner: string, until: number): Promise<boolean>;
  release(runId: string, shard: number, owner: string): Promise<void>;
  /** Marks our shard done and frees it; false when we no longer held it. */
  complete(runId: string, shard: number, owner: string): Promise<boolean>;
  /** Cell numbers committed in [fromCell, toCell). */
  committedIn(runId: string, fromCell: number, toCell: number): Promise<number[]>;
  /**
   * Commits finished cells of the shard while `owner` holds its lease and the run is running,
   * exactly as RunLog.commitCells does for a run's lease (seqs, commit order and progress
   * reserved on the run row in the same transaction); null when the fence refuses.
   */
  commitCells(runId: string, shard: number, owner: string, cells: CellDraft[], at: number): Promise<CellResult[] | null>;
}
