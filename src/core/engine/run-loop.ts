// Phase 1 of a run: walks the plan in row-major order, skips committed cells and hands the
// rest to the one scheduler (scheduler.ts: concurrency, group commit, stop reasons). No I/O:
// rows, execution and commits come through the ports below.
import type { Row } from '../model/experiment.js';
import type { RunSpec, StopReason } from '../model/run.js';
import type { CellDraft } from '../run-store.js';
import type { GroupCommitOptions, Later } from './group-commit.js';
import { cellAt, type CellRef, rowsInScope } from './plan.js';
import { draftBytes } from '../json-size.js';
import { PAGE_BYTES } from '../model/paging.js';
import { CellAbandoned } from './cell.js';
import { schedule, type ScheduleOutcome } from './scheduler.js';

export { DISPATCH_BURST } from './scheduler.js';

export type { CellDraft } from '../run-store.js';

export interface RunLoopPorts {
  spec: Pick<RunSpec, 'rowIndices' | 'sourceRowCount' | 'targetIds' | 'repeats' | 'concurrency'>;
  /**
   * Rows at scope positions [from, to), parameters merged: all of them, or the first of them
   * (at least one) when their stored text would pass the row page's byte budget. An empty
   * answer means the source has no rows there.
   */
  readRows(from: number, to: number): Promise<Row[]>;
  /** True for cells committed by an earlier execution of this run. */
  isDone(cell: number): boolean;
  execute(ref: CellRef, row: Row): Promise<CellDraft>;
  /** Durably commits a batch, then publishes its events. */
  commit(batch: CellDraft[]): Promise<void>;
  /** Checked before each dispatch: a reason to stop starting cells, or null. */
  stopReason(): StopReason | null;
  /** Lets pending I/O run between bursts of dispatches (see scheduler.ts). */
  breathe?: () => Promise<void>;
  signal: AbortSignal;
  /** The clock's timer, for the group-commit window. */
  later: Later;
  /** Only rows at scope positions [from, to) (a cluster shard); default: every row. */
  rows?: { from: number; to: number };
}

export type RunLoopOutcome = ScheduleOutcome;

export const ROW_PAGE = 500;

/**
 * Bytes a transaction holds past its first cell: 1 MiB, as an upload's INSERT. Serializing,
 * inserting and committing a batch is one stretch of the main thread (better-sqlite3 is
 * synchronous); at 4 MB, batches of 3 cells of 1 MB rows and outputs held it up to 0.2 s in the
 * COMMIT alone (security review of 2026-12-07). Cells of a few kB still fill a batch of 500.
 */
export const COMMIT_BATCH_BYTES = 1024 * 1024;

/**
 * Cells a transaction holds and cells waiting for one: by count, and for cells by bytes too
 * (core/json-size.ts): COMMIT_BATCH_BYTES a transaction past its first cell, and 16 MB waiting
 * (4 pages of reads, PAGE_BYTES), so outputs of 10–32 MB are committed a few at a time.
 */
export const DEFAULT_GROUP_COMMIT: GroupCommitOptions = {
  maxBatch: 500, maxDelayMs: 50, maxPending: 2000, maxBatchBytes: COMMIT_BATCH_BYTES, maxPendingBytes: 4 * PAGE_BYTES,
};

/** Turns an unexpected exception inside a cell into a failed cell, so the run goes on. */
function crashedCell(ref: CellRef, row: Row, error: unknown): CellDraft {
  const message = error instanceof Error ? error.message.split('\n')[0] : String(error);
  return {
    cell: ref.cell, rowIndex: ref.rowIndex, targetId: ref.targetId, repeat: ref.repeat, entry: row,
    ok: false, error: `internal error: ${message}`, durationMs: 0, attempts: 1, retries: [], cached: false, evaluations: [],
  };
}

/**
 * The cells still to run, in row-major order, a page of rows at a time. A page is at most
 * ROW_PAGE rows and shorter when the rows are large (readRows' byte budget: 500 rows of 1 MB
 * were once held at a time); rows whose cells are all committed are skipped without a read.
 */
async function* pendingCells(ports: RunLoopPorts): AsyncGenerator<{ ref: CellRef; row: Row }[]> {
  const { spec } = ports;
  const perRow = spec.targetIds.length * spec.repeats;
  const rows = ports.rows?.to ?? rowsInScope({ rowIndices: spec.rowIndices, sourceRowCount: spec.sourceRowCount });
  const rowDone = (rowPos: number): boolean => {
    for (let c = rowPos * perRow; c < (rowPos + 1) * perRow; c++) if (!ports.isDone(c)) return false;
    return true;
  };
  let pageStart = ports.rows?.from ?? 0;
  while (pageStart < rows) {
    if (rowDone(pageStart)) {
      pageStart++;
      continue;
    }
    const pageEnd = Math.min(rows, pageStart + ROW_PAGE);
    const page = await ports.readRows(pageStart, pageEnd);
    // No rows where the plan has some (not expected: the plan counts the source's rows): the
    // cells run on empty rows, as a missing row index does, rather than wait for rows forever.
    const got = page.length > 0 ? page.length : pageEnd - pageStart;
    const tasks: { ref: CellRef; row: Row }[] = [];
    for (let rowPos = pageStart; rowPos < pageStart + got; rowPos++) {
      const row = page[rowPos - pageStart] ?? {};
      for (let k = 0; k < perRow; k++) {
        const cell = rowPos * perRow + k;
        if (!ports.isDone(cell)) tasks.push({ ref: cellAt(spec, cell), row });
      }
    }
    pageStart += got;
    yield tasks;
  }
}

/** Phase 1 of a run: every cell not yet committed, through the one scheduler. */
export function runLoop(ports: RunLoopPorts, commitOptions: GroupCommitOptions = DEFAULT_GROUP_COMMIT): Promise<RunLoopOutcome> {
  return schedule<{ ref: CellRef; row: Row }, CellDraft>({
    tasks: pendingCells(ports),
    execute: ({ ref, row }) => ports.execute(ref, row),
    // An abandoned cell (the run stops) is left undone; anything else becomes a failed cell.
    crashed: ({ ref, row }, error) => (error instanceof CellAbandoned ? null : crashedCell(ref, row, error)),
    commit: (batch) => ports.commit(batch),
    stopReason: () => ports.stopReason(),
    signal: ports.signal,
    concurrency: ports.spec.concurrency,
    later: ports.later,
    ...(ports.breathe ? { breathe: ports.breathe } : {}),
    commitOptions,
    sizeOf: draftBytes,
  });
}
