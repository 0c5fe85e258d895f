// The scheduler of one run: walks the plan in row-major order, skips committed cells, keeps
// at most `concurrency` cells in flight, hands finished cells to the group committer, and
// stops dispatching on abort, budget or a storage failure. No I/O: rows, execution and
// commits come through the ports below.
import type { Row } from '../model/experiment.js';
import type { RunSpec, StopReason } from '../model/run.js';
import type { CellDraft } from '../run-store.js';
import { GroupCommitter, type GroupCommitOptions, type Later } from './group-commit.js';
import { Semaphore } from './limiter.js';
import { cellAt, type CellRef, rowsInScope } from './plan.js';
import { CellAbandoned } from './cell.js';

export type { CellDraft } from '../run-store.js';

export interface RunLoopPorts {
  spec: Pick<RunSpec, 'rowIndices' | 'sourceRowCount' | 'targetIds' | 'repeats' | 'concurrency'>;
  /** Rows at scope positions [from, to), parameters merged. */
  readRows(from: number, to: number): Promise<Row[]>;
  /** True for cells committed by an earlier execution of this run. */
  isDone(cell: number): boolean;
  execute(ref: CellRef, row: Row): Promise<CellDraft>;
  /** Durably commits a batch, then publishes its events. */
  commit(batch: CellDraft[]): Promise<void>;
  /** Checked before each dispatch: a reason to stop starting cells, or null. */
  stopReason(): StopReason | null;
  /**
   * Lets pending I/O run (e.g. setImmediate). Called every few dispatches so a burst of cells
   * starting together puts its first requests on the wire while the rest are still prepared.
   */
  breathe?: () => Promise<void>;
  signal: AbortSignal;
  /** The clock's timer, for the group-commit window. */
  later: Later;
}

export type RunLoopOutcome = { kind: 'finished' } | { kind: 'stopped'; reason: StopReason };

export const ROW_PAGE = 500;
/** Dispatches between two breaths. */
export const DISPATCH_BURST = 16;

export const DEFAULT_GROUP_COMMIT: GroupCommitOptions = { maxBatch: 500, maxDelayMs: 50, maxPending: 2000 };

/** Turns an unexpected exception inside a cell into a failed cell, so the run goes on. */
function crashedCell(ref: CellRef, row: Row, error: unknown): CellDraft {
  const message = error instanceof Error ? error.message.split('\n')[0] : String(error);
  return {
    cell: ref.cell, rowIndex: ref.rowIndex, targetId: ref.targetId, repeat: ref.repeat, entry: row,
    error: `internal error: ${message}`, durationMs: 0, attempts: 1, retries: [], cached: false, evaluations: [],
  };
}

export async function runLoop(ports: RunLoopPorts, commitOptions: GroupCommitOptions = DEFAULT_GROUP_COMMIT): Promise<RunLoopOutcome> {
  const { spec } = ports;
  const perRow = spec.targetIds.length * spec.repeats;
  const rows = rowsInScope({ rowIndices: spec.rowIndices, sourceRowCount: spec.sourceRowCount });
  const slots = new Semaphore(spec.concurrency);
  const committer = new GroupCommitter<CellDraft>((batch) => ports.commit(batch), commitOptions, ports.later);
  const inFlight = new Set<Promise<void>>();
  let stop: StopReason | null = null;
  let interrupted = false;
  const stopping = () => {
    interrupted = (stop ??= ports.stopReason()) !== null || ports.signal.aborted || committer.error !== undefined;
    return interrupted;
  };

  let burst = 0;
  dispatch: for (let pageStart = 0; pageStart < rows; pageStart += ROW_PAGE) {
    const pageEnd = Math.min(rows, pageStart + ROW_PAGE);
    let anyToRun = false;
    for (let c = pageStart * perRow; c < pageEnd * perRow && !anyToRun; c++) anyToRun = !ports.isDone(c);
    if (!anyToRun) continue;
    const page = await ports.readRows(pageStart, pageEnd);
    for (let rowPos = pageStart; rowPos < pageEnd; rowPos++) {
      const row = page[rowPos - pageStart]!;
      for (let k = 0; k < perRow; k++) {
        const cell = rowPos * perRow + k;
        if (ports.isDone(cell)) continue;
        if (stopping()) break dispatch;
        await committer.room();
        let release: () => void;
        try {
          release = await slots.acquire(ports.signal);
        } catch {
          interrupted = true;
          break dispatch;
        }
        if (stopping()) {
          release();
          break dispatch;
        }
        const ref = cellAt(spec, cell);
        const task = ports
          .execute(ref, row)
          .then(
            (draft) => committer.add(draft),
            (error: unknown) => {
              if (!(error instanceof CellAbandoned)) committer.add(crashedCell(ref, row, error));
            },
          )
          .finally(() => {
            release();
            inFlight.delete(task);
          });
        inFlight.add(task);
        if (ports.breathe && ++burst % DISPATCH_BURST === 0) await ports.breathe();
      }
    }
  }
  await Promise.all(inFlight);
  await committer.close();
  if (ports.signal.aborted) return { kind: 'stopped', reason: stop ?? ports.stopReason() ?? 'user' };
  return interrupted && stop ? { kind: 'stopped', reason: stop } : { kind: 'finished' };
}
