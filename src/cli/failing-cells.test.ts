// The progress bar's failing count across a resume that retries errors: what the resume runs
// again stops counting at its `resumed` event, what it does not run again keeps counting.
import { describe, expect, it } from 'vitest';
import type { StreamEvent } from '../client/index.js';
import { FailingCells } from './failing-cells.js';

let seq = 0;
/** A committed event's key, with its seq (the stream's order). */
const cell = (rowIndex: number, targetId = 'a') => ({ rowIndex, targetId, repeat: 0, seq: ++seq });
const targetError = (rowIndex: number): StreamEvent => ({ type: 'target_result', ...cell(rowIndex), attempts: 1, error: 'HTTP 500' });
const answered = (rowIndex: number): StreamEvent => ({ type: 'target_result', ...cell(rowIndex), attempts: 1, output: 'ok' });
const verdict = (rowIndex: number, evaluatorId: string, passed: boolean): StreamEvent => ({
  type: 'evaluator_result', ...cell(rowIndex), evaluatorId, duration: 1, result: { status: 'processed', passed },
});
/** A comparison's result, reported under the first compared target (LangWatch's shape). */
const comparison = (rowIndex: number, status: 'error' | 'processed'): StreamEvent => ({
  type: 'evaluator_result', ...cell(rowIndex), evaluatorId: 'pairwise', duration: 1,
  result: status === 'error' ? { status, details: 'judge timed out' } : { status, passed: true },
  inputs: { candidates: [{ id: 'a' }, { id: 'b' }] },
});
const resumed = (retryErrors: boolean): StreamEvent => ({ type: 'resumed', retryErrors, seq: ++seq });

function count(events: StreamEvent[]): number {
  const failing = new FailingCells();
  for (const e of events) failing.note(e);
  return failing.size;
}

describe('the failing count', () => {
  it('counts each cell once, whatever failed it', () => {
    expect(count([targetError(0), answered(1), verdict(1, 'exact', false), verdict(1, 'tone', false), answered(2), verdict(2, 'exact', true)])).toBe(2);
  });

  it('drops cells whose target failed at a resume that retries errors, and counts them again if they fail again', () => {
    expect(count([targetError(0), targetError(1), resumed(true)])).toBe(0);
    expect(count([targetError(0), targetError(1), resumed(true), targetError(1)])).toBe(1);
    // A resume that does not retry errors runs none of them again.
    expect(count([targetError(0), targetError(1), resumed(false)])).toBe(2);
  });

  it('keeps a cell an evaluator failed: the resume does not run it again', () => {
    expect(count([answered(0), verdict(0, 'exact', false), resumed(true)])).toBe(1);
  });

  it('drops a comparison that errored at a resume that retries errors, which runs it again', () => {
    expect(count([answered(0), comparison(0, 'error'), resumed(true)])).toBe(0);
    expect(count([answered(0), comparison(0, 'error'), resumed(true), comparison(0, 'processed')])).toBe(0);
    expect(count([answered(0), comparison(0, 'error'), resumed(true), comparison(0, 'error')])).toBe(1);
  });

  it('keeps a cell that also fails for a reason the resume does not run again', () => {
    expect(count([answered(0), verdict(0, 'exact', false), comparison(0, 'error'), resumed(true)])).toBe(1);
  });
});
