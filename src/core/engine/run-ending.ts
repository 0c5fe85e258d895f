// How a run ends, as one union the executor switches on exhaustively, and what each ending
// writes: the run's status, its final event and the fields of the poll body. Failure codes are
// ErrorCodes (the poll body's `error`), so clients branch on a documented code.
import type { ErrorCode } from '../errors.js';
import type { RunEventBody } from '../events.js';
import type { RunSummary, StopReason } from '../model/run.js';
import type { RunFinish } from '../run-store.js';

export type RunFailureCode = Extract<ErrorCode, 'all_targets_failed' | 'run_crashed_repeatedly' | 'experiment_missing'>;

export type RunEnding =
  /** Every cell ran (some may have failed): `done` with the summary. */
  | { kind: 'completed' }
  /** Stopped early by a user, the budget (or, never finished here, a shutdown): `stopped`. */
  | { kind: 'stopped'; reason: StopReason }
  /** The run could not do its work: a run-level `error` event and the code in the poll body. */
  | { kind: 'failed'; code: RunFailureCode; message: string };

function assertNever(x: never): never {
  throw new Error(`unexpected run ending ${JSON.stringify(x)}`);
}

/** The stored end of a run: status, summary, final event and error fields. */
export function runFinish(ending: RunEnding, summary: RunSummary, finishedAt: number): RunFinish {
  switch (ending.kind) {
    case 'completed':
      return { status: 'completed', summary, error: null, errorMessage: null, stopReason: null, finishedAt, event: { type: 'done', summary } };
    case 'stopped': {
      const event: RunEventBody = { type: 'stopped', reason: ending.reason };
      return { status: 'stopped', summary, error: null, errorMessage: null, stopReason: ending.reason, finishedAt, event };
    }
    case 'failed': {
      const event: RunEventBody = { type: 'error', message: ending.message, code: ending.code };
      return { status: 'failed', summary, error: ending.code, errorMessage: ending.message, stopReason: null, finishedAt, event };
    }
    default:
      return assertNever(ending);
  }
}

/** A finished run whose every target call failed could not do its work. */
export function completionOf(summary: RunSummary, firstError: string | undefined): RunEnding {
  if (summary.totalCells > 0 && summary.completedCells === 0) {
    return { kind: 'failed', code: 'all_targets_failed', message: `Every target call failed${firstError ? `; first error: ${firstError}` : ''}` };
  }
  return { kind: 'completed' };
}
