// How a run ends, as one union the executor switches on exhaustively, and what each ending
// writes: the run's status, its final event and the fields of the poll body. Failure codes are
// ErrorCodes (the poll body's `error`), so clients branch on a documented code.
import type { ErrorCode } from '../errors.js';
import type { RunEventBody } from '../events.js';
import type { RunSummary, StopReason } from '../model/run.js';
import type { CallCounts, RunFinish } from '../run-store.js';

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

/**
 * A failed target call to quote when this execution committed none (a resumed run, or a cluster
 * run whose shards ran elsewhere): the commonest, from the summary rebuilt from storage.
 */
export function quotedError(firstError: string | undefined, summary: RunSummary): string | undefined {
  if (firstError !== undefined) return firstError;
  const group = summary.topErrors?.find((g) => g.targetId !== undefined);
  return group ? `${group.targetId}: ${group.message}` : undefined;
}

/** A finished run whose every target call failed could not do its work. */
export function completionOf(summary: RunSummary, firstError: string | undefined): RunEnding {
  if (summary.totalCells > 0 && summary.completedCells === 0) {
    return { kind: 'failed', code: 'all_targets_failed', message: `Every target call failed${firstError ? `; first error: ${firstError}` : ''}` };
  }
  return { kind: 'completed' };
}

/**
 * Target calls that must all have failed, with none succeeding, before a run without `maxErrors`
 * gives up early: a wrong key, model or URL fails every call, and a run that goes on pays
 * every row's wait for nothing (promptfoo #145). Enough for a few transient failures at the
 * start not to end a run that would work.
 */
export const FAIL_FAST_CALLS = 20;

export type { CallCounts };

/**
 * True when the run should stop starting cells for its errors: `maxErrors` failed calls in the
 * run when it has a limit; otherwise this execution's first FAIL_FAST_CALLS calls all failed
 * (counted per execution, so a resumed run gets a fresh start after its cause was fixed).
 */
export function errorLimitReached(maxErrors: number | undefined, runFailed: number, execution: CallCounts): boolean {
  if (maxErrors !== undefined) return runFailed >= maxErrors;
  return execution.succeeded === 0 && execution.failed >= FAIL_FAST_CALLS;
}

/**
 * How a run stopped for its errors ends: failed when no target call of it has succeeded (it could
 * not do its work, as in completionOf), otherwise stopped with reason `errors`.
 */
export function errorStopEnding(run: CallCounts, firstError: string | undefined): RunEnding {
  if (run.succeeded > 0) return { kind: 'stopped', reason: 'errors' };
  const first = firstError ? `; first error: ${firstError}` : '';
  return {
    kind: 'failed', code: 'all_targets_failed',
    message: `The first ${run.failed} target calls all failed, so the run stopped early${first}. Fix the cause, then resume the run with retryErrors to run them again`,
  };
}
