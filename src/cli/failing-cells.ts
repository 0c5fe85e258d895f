// The progress bar's "N failing": cells with a failed target call or a failing or errored
// evaluator, counted from the event stream. A resume with retryErrors runs some of it again —
// cells whose target failed, and comparisons that did not process their row
// (storage/run-reopen.ts) — so those reasons end at its `resumed` event; the re-run's own events
// count again. Other reasons stay: an evaluator that failed a cell is not run again.
import type { StreamEvent } from '../client/index.js';

/** Why a cell fails: its target call ('target') or an evaluator (its id). */
type Reason = string;
const TARGET: Reason = '\0target';

export class FailingCells {
  private readonly reasons = new Map<string, Set<Reason>>();
  /** The reasons a resume with retryErrors runs again, by cell. */
  private readonly retried = new Map<string, Set<Reason>>();

  /** Cells failing now. */
  get size(): number {
    return this.reasons.size;
  }

  note(event: StreamEvent): void {
    if (event.type === 'target_result') {
      if (event.error !== undefined) this.add(event, TARGET, true);
    } else if (event.type === 'evaluator_result') {
      const { status } = event.result;
      // A comparison (a row-scoped result: `inputs`) that errored is run again by the resume.
      if (status === 'error' || (status === 'processed' && event.result.passed === false)) this.add(event, event.evaluatorId, status === 'error' && event.inputs !== undefined);
    } else if (event.type === 'resumed' && event.retryErrors) {
      for (const [key, reasons] of this.retried) {
        const left = this.reasons.get(key);
        if (!left) continue;
        for (const reason of reasons) left.delete(reason);
        if (left.size === 0) this.reasons.delete(key);
      }
      this.retried.clear();
    }
  }

  private add(cell: { rowIndex: number; targetId: string; repeat: number }, reason: Reason, retried: boolean): void {
    const key = `${cell.rowIndex}/${cell.targetId}/${cell.repeat}`;
    addTo(this.reasons, key, reason);
    if (retried) addTo(this.retried, key, reason);
  }
}

function addTo(map: Map<string, Set<Reason>>, key: string, reason: Reason): void {
  const set = map.get(key);
  if (set) set.add(reason);
  else map.set(key, new Set([reason]));
}
