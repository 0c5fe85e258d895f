// The storage port for runs: records, leases, committed cells and events.
import type { RunEvent } from './events.js';
import type { Row } from './model/experiment.js';
import type { CellResult, RowResult, RunRecord, RunStatus, RunSummary, StopReason } from './model/run.js';
import type { PageRequest, Paged, RowBatches } from './model/paging.js';

/** The end of a run, written in one transaction with its final event. */
export interface RunFinish {
  status: Exclude<RunStatus, 'running'>;
  summary: RunSummary;
  error: string | null;
  errorMessage: string | null;
  stopReason: StopReason | null;
  finishedAt: number;
  event: RunEvent;
}

/**
 * What changes while a run goes, without its spec (which can be megabytes: a million
 * `row_indices`): for streams, pollers and the executor's abort check, read every second or so.
 */
export interface RunCursor {
  id: string;
  projectId: string;
  status: RunStatus;
  total: number;
  progress: number;
  /** Next event sequence number to assign (events up to nextSeq - 1 exist). */
  nextSeq: number;
  abortRequested: boolean;
}

export interface RunStore {
  /** Inserts the run, its inline rows (if any) and its first event. */
  create(run: RunRecord, firstEvent: RunEvent, inlineRows?: RowBatches): Promise<void>;
  /** A run of the project; null for unknown ids and other projects' runs. */
  get(projectId: string, runId: string): Promise<RunRecord | null>;
  /** Any run by id, for the executor. */
  getById(runId: string): Promise<RunRecord | null>;
  /** The run's changing fields only (never the spec); null for an unknown id. */
  cursor(runId: string): Promise<RunCursor | null>;
  /** Runs of one experiment, newest first. */
  list(projectId: string, experimentId: string, page: PageRequest): Promise<Paged<RunRecord>>;
  /** Run counts and last start time per experiment id. */
  statsByExperiment(projectId: string, experimentIds: string[]): Promise<Map<string, { runsCount: number; lastRunAt: number }>>;

  /** Takes the lease of a running run that nobody holds (or whose lease expired). */
  claim(runId: string, owner: string, until: number, now: number): Promise<RunRecord | null>;
  /** Extends our lease; false when we lost it. */
  renew(runId: string, owner: string, until: number): Promise<boolean>;
  release(runId: string, owner: string): Promise<void>;
  /** Running runs whose lease is free or expired. */
  claimable(now: number, limit: number): Promise<string[]>;
  /** Counts an execution attempt (to give up on runs that keep crashing their process). */
  countExecution(runId: string): Promise<number>;

  /** Cell numbers already committed. */
  committedCells(runId: string): Promise<number[]>;
  /** Committed cells in commit order, paged (to rebuild a summary). */
  cellsInCommitOrder(runId: string, afterOrder: number, limit: number): Promise<CellResult[]>;
  /**
   * Commits finished cells (with their seqs assigned) and advances the run's progress and
   * next seq, only while `owner` holds the lease. False when the lease was lost.
   */
  commitCells(runId: string, owner: string, cells: CellResult[], progress: number, nextSeq: number, at: number): Promise<boolean>;
  /** Commits row-scoped results (with seqs) and advances next seq, fenced like commitCells. */
  commitRowResults(runId: string, owner: string, rows: RowResult[], nextSeq: number, at: number): Promise<boolean>;
  /** Keys of committed row results. */
  rowResultKeys(runId: string): Promise<{ rowPos: number; repeat: number; evaluatorId: string }[]>;
  /** Row results in seq order after `afterSeq` (events, and rebuilding a summary). */
  rowResultsAfterSeq(runId: string, afterSeq: number, limit: number): Promise<RowResult[]>;
  /** Row results of the given row indices (for the results page). */
  rowResultsOfRows(runId: string, rowIndices: number[]): Promise<RowResult[]>;
  /** Committed cells whose cell number is in [fromCell, toCell). */
  cellsInRange(runId: string, fromCell: number, toCell: number): Promise<CellResult[]>;
  /** Ends the run (status, summary, final event); only while `owner` holds the lease. */
  finish(runId: string, owner: string, end: RunFinish, nextSeq: number): Promise<boolean>;
  /** Marks a running run for abort (any process executing it stops). */
  requestAbort(projectId: string, runId: string): Promise<RunRecord | null>;
  /**
   * Reopens a stopped (or failed) run: status running, abort cleared; with retryErrors, cells
   * whose target failed are deleted so they run again. Returns the reopened record.
   */
  reopen(projectId: string, runId: string, retryErrors: boolean, at: number): Promise<RunRecord | null>;

  /** Run-level events (execution_started, done, stopped, error) after `afterSeq`. */
  runEvents(runId: string, afterSeq: number, limit: number): Promise<RunEvent[]>;
  /** Cells with an event after `afterSeq`, in seq order. */
  cellsAfterSeq(runId: string, afterSeq: number, limit: number): Promise<CellResult[]>;
  /** Committed cells ordered by row index then cell, paged. */
  results(runId: string, offset: number, limit: number): Promise<CellResult[]>;
  /** Rows sent inline with the run request, by position. */
  inlineRows(runId: string, from: number, to: number): Promise<Row[]>;
}
