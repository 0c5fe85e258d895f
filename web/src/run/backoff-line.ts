// The header's line about calls backing off (the run's `retrying` events): how many wait, why,
// and a countdown to the soonest next try, ticking while any waits. Kept apart from RunStore: it
// has its own timer, and its wording is src/client/backoffs.ts's, shared with `assay run`.
import { Backoffs, type RetryingCell, backoffText } from '../../../src/client/backoffs.js';
import { TickingLine } from './ticking-line.js';

/** Characters of a retry's reason shown (it quotes a provider's answer). */
const BACKOFF_REASON_CHARS = 120;

/** A cell as a `target_result` names it: its wait is over. */
type SettledCell = Pick<RetryingCell, 'rowIndex' | 'targetId' | 'repeat'>;

export class BackoffLine extends TickingLine {
  /** Calls backing off (the `retrying` events). */
  private readonly backoffs = new Backoffs();

  /** A call failed and waits before its next attempt. */
  retrying(cell: RetryingCell): void {
    this.backoffs.retrying(cell);
    this.update();
  }

  /** A cell's target answered: its wait is over (words again only while a line is shown). */
  settled(cell: SettledCell): void {
    this.backoffs.settled(cell);
    if (this.shown() !== undefined) this.update();
  }

  /** No stream, no news of the waits: says nothing rather than something stale. */
  clear(): void {
    this.backoffs.clear();
    this.update();
  }

  /** The waits running now, worded; counting down while any is left. */
  protected words() {
    const state = this.backoffs.current();
    if (!state) return { text: undefined, ticking: false };
    const reason = state.reason.length > BACKOFF_REASON_CHARS ? `${state.reason.slice(0, BACKOFF_REASON_CHARS - 1)}…` : state.reason;
    return { text: backoffText(state, reason), ticking: true };
  }
}
