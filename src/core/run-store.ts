// The storage port for runs, in three parts: the records (create, read, list, abort, reopen),
// the leases that fence execution, and the event log (committed cells, row results and
// run-level events). The log owns sequence numbers: a commit reserves its events' numbers on
// the run row in the same transaction, so executors never keep a counter of their own and any
// number of them (cluster shards) can commit to one run. See docs/architecture.md ("Events").
import type { RunEvent, RunEventBody } from './events.js';
import type { Row } from './model/experiment.js';
import type { CellBase, CellOutcome, CellResult, LeanCell, RowOrderKey, RowResult, RunRecord, RunStatus, RunSummary, StopReason } from './model/run.js';
import type { PageRequest, Paged, RowBatches } from './model/paging.js';
import type { OutputHead } from './compare/item-output.js';
import type { NewDelivery } from './webhook-store.js';

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
  /**
   * Why the abort was asked, when not by a user: a cluster run's coordinator stops its shards
   * through the same flag when the run's error limit is reached (absent for a user's stop).
   */
  abortReason?: 'errors';
}

/** The end of a run, written in one transaction with its final event. */
export interface RunFinish {
  status: Exclude<RunStatus, 'running'>;
  summary: RunSummary;
  error: string | null;
  errorMessage: string | null;
  stopReason: StopReason | null;
  finishedAt: number;
  /** The final event (`done`, `stopped` or a run-level `error`); its seq is assigned at commit. */
  event: RunEventBody;
  /** The webhook deliveries this finish owes (its webhookUrl, the experiment's webhooks): written in the same transaction. */
  deliveries?: NewDelivery[];
}

/** A finished cell before its commit: the log assigns its seqs, commit order and progress (CellCommit). */
export type CellDraft = CellBase & CellOutcome;

/** A row-scoped result before its commit (its event's seq is assigned then). */
export type RowDraft = Omit<RowResult, 'seq'>;

export interface RunRecords {
  /** Inserts the run, its inline rows (if any) and its `execution_started` event (seq 1). */
  create(run: RunRecord, inlineRows?: RowBatches): Promise<void>;
  /** A run of the project; null for unknown ids and other projects' runs. */
  get(projectId: string, runId: string): Promise<RunRecord | null>;
  /** Any run by id, for the executor. */
  getById(runId: string): Promise<RunRecord | null>;
  /** The run's changing fields only (never the spec); null for an unknown id. */
  cursor(runId: string): Promise<RunCursor | null>;
  /**
   * Runs of one experiment, newest first; `metadata` keeps those whose metadata has each key
   * with exactly that string value.
   */
  list(projectId: string, experimentId: string, page: PageRequest, metadata?: Record<string, string>): Promise<Paged<RunRecord>>;
  /** Run counts and last start time per experiment id. */
  statsByExperiment(projectId: string, experimentIds: string[]): Promise<Map<string, { runsCount: number; lastRunAt: number }>>;
  /**
   * Marks a running run for abort (any process executing it stops); `reason` is what those
   * processes report as the stop's reason ('user' unless a coordinator stops for errors).
   */
  requestAbort(projectId: string, runId: string, reason?: 'user' | 'errors'): Promise<RunRecord | null>;
  /**
   * Reopens a stopped or failed run (or, with retryErrors, a completed one): status running,
   * abort cleared, and a `resumed` event appended after its earlier final event. With
   * retryErrors, cells whose target failed (and row results that were not processed) leave
   * the results to run again; their events stay in the log, so a replay is still complete and
   * has no gap. Returns the reopened record, or null when the run cannot be reopened.
   * A store that moves the failed work in batches calls `betweenBatches` after each one (the
   * fault suite's failpoint: a crash there must leave a run that a second resume completes).
   */
  reopen(projectId: string, runId: string, retryErrors: boolean, at: number, betweenBatches?: () => void): Promise<RunRecord | null>;
  /** Rows sent inline with the run request, by position. */
  inlineRows(runId: string, from: number, to: number): Promise<Row[]>;
  /** Stored sizes in bytes of inline rows [from, to), in order (fewer past the last row). */
  inlineRowSizes(runId: string, from: number, to: number): Promise<number[]>;
}

export interface RunLeases {
  /** Takes the lease of a running run that nobody holds (or whose lease expired, or that we hold). */
  claim(runId: string, owner: string, until: number, now: number): Promise<RunRecord | null>;
  /** Extends our lease; false when we lost it. */
  renew(runId: string, owner: string, until: number): Promise<boolean>;
  release(runId: string, owner: string): Promise<void>;
  /** Running runs whose lease is free or expired, oldest first. */
  claimable(now: number, limit: number): Promise<string[]>;
  /** Counts an execution attempt (to give up on runs that keep crashing their process). */
  countExecution(runId: string): Promise<number>;
}

/** Target calls that finished, by outcome. */
export interface CallCounts {
  succeeded: number;
  failed: number;
}

export interface RunLog {
  /**
   * Commits finished cells while `owner` holds the lease, assigning each its block of event
   * seqs, its commit order and its progress; advances the run's progress and next seq. Answers
   * the committed cells, or null when the lease was lost (nothing is written then).
   * `summarySoFar` (the summary with these cells counted) is kept on the run in the same
   * statement, for the runs list while the run goes.
   */
  commitCells(runId: string, owner: string, cells: CellDraft[], at: number, summarySoFar?: RunSummary): Promise<CellResult[] | null>;
  /** Commits row-scoped results (one event seq each), fenced like commitCells. */
  commitRowResults(runId: string, owner: string, rows: RowDraft[], at: number): Promise<RowResult[] | null>;
  /** Ends the run with its final event (seq assigned here), only while `owner` holds the lease. */
  finish(runId: string, owner: string, end: RunFinish): Promise<RunEvent | null>;

  /** Cell numbers committed. */
  committedCells(runId: string): Promise<number[]>;
  /** Committed cells by their target call's outcome (a cluster run's early stop for errors). */
  callCounts(runId: string): Promise<CallCounts>;
  /**
   * Committed cells in commit order after `afterOrder`, paged, without entries or outputs (a
   * summary is rebuilt from verdicts, costs and timings; a page of 1,000 whole cells could be
   * gigabytes).
   */
  cellsInCommitOrder(runId: string, afterOrder: number, limit: number): Promise<(LeanCell & { completedOrder: number })[]>;
  /** Committed cells whose cell number is in [fromCell, toCell). */
  cellsInRange(runId: string, fromCell: number, toCell: number): Promise<CellResult[]>;
  /** Committed cells ordered by row index then cell, paged. */
  results(runId: string, offset: number, limit: number): Promise<CellResult[]>;
  /**
   * Committed cells, whole, in row order after `after` (null: from the start), paged by key
   * rather than offset: exports read a million-cell run through this in linear time.
   */
  resultsAfter(runId: string, after: RowOrderKey | null, limit: number): Promise<CellResult[]>;
  /**
   * Committed cells, whole, in row order from `start`: at most `limit` of them, and no more than
   * `maxBytes` of stored text past the first `min` (core/model/paging.ts, PAGE_BYTES). The sizes
   * are read first, without the cells' text, so a page of huge outputs is never read whole.
   * `cut`: the byte budget ended the page before `limit` or the last committed cell.
   * `{ fromCell }` reads by cell number: only where cell order is row order (every cell of a
   * run without row_indices committed).
   */
  resultsWithin(runId: string, start: ResultsStart, limit: number, maxBytes: number, min?: 0 | 1): Promise<CellsWithin>;
  /**
   * Committed cells in row order (row index, then cell) after `after` (null: from the start),
   * without outputs, with entries only when `withEntry`: comparisons stream runs through this.
   */
  cellsInRowOrder(runId: string, after: RowOrderKey | null, limit: number, withEntry: boolean): Promise<LeanCell[]>;
  /**
   * The committed cells among `cells`: their errors, or the first `points` code points of their
   * stored output text (core/compare/item-output.ts), never the whole text when it is longer.
   */
  outputHeads(runId: string, cells: number[], points: number): Promise<OutputHead[]>;
  /**
   * The committed cells among `cells` (cell numbers), in cell order, without entries or outputs
   * (verdicts for repeats and reviews: a poll of a run with 1,000 reviewed cells read them whole).
   */
  cellsAt(runId: string, cells: number[]): Promise<LeanCell[]>;
  /** Keys of committed row results. */
  rowResultKeys(runId: string): Promise<{ rowPos: number; repeat: number; evaluatorId: string }[]>;
  /** Row results of the given row indices (for the results page). */
  rowResultsOfRows(runId: string, rowIndices: number[]): Promise<RowResult[]>;

  /** Events stored as such (run-level events, and the history of re-run cells) after `afterSeq`, in seq order. */
  runEvents(runId: string, afterSeq: number, limit: number): Promise<RunEvent[]>;
  /**
   * Cells with an event after `afterSeq`, in seq order: at most `limit`, and no more than
   * `maxBytes` of stored text past the first (the events of a replay carry whole cells).
   */
  cellsAfterSeq(runId: string, afterSeq: number, limit: number, maxBytes?: number): Promise<CellResult[]>;
  /** Row results in seq order after `afterSeq` (events, and rebuilding a summary). */
  rowResultsAfterSeq(runId: string, afterSeq: number, limit: number): Promise<RowResult[]>;
}

/** Where a page of results starts: after a key in row order, at an offset in row order, or at a cell number. */
export type ResultsStart = { after: RowOrderKey | null } | { offset: number } | { fromCell: number };

/** A page of cells read within a byte budget, with the stored text it read. */
export interface CellsWithin {
  cells: CellResult[];
  bytes: number;
  cut: boolean;
}

export interface RunStore extends RunRecords, RunLeases, RunLog {}
