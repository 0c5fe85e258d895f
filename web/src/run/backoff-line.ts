// The header's line about calls backing off (the run's `retrying` events): how many wait, why,
// and a countdown to the soonest next try, ticking while any waits. Kept apart from RunStore: it
// has its own timer, and its wording is src/client/backoffs.ts's, shared with `assay run`.
import { Backoffs, type RetryingCell, backoffText } from '../../../src/client/backoffs.js';

/** How often the backing-off line counts down while calls wait. */
const BACKOFF_TICK_MS = 1000;
/** Characters of a retry's reason shown (it quotes a provider's answer). */
const BACKOFF_REASON_CHARS = 120;

/** A cell as a `target_result` names it: its wait is over. */
type SettledCell = Pick<RetryingCell, 'rowIndex' | 'targetId' | 'repeat'>;

export class BackoffLine {
  /** Calls backing off (the `retrying` events), and the timer that counts their wait down. */
  private readonly backoffs = new Backoffs();
  private timer: ReturnType<typeof setInterval> | undefined;

  /** `shown`: the line the page shows now; `show`: replaces it (undefined: no line). */
  constructor(
    private readonly shown: () => string | undefined,
    private readonly show: (text: string | undefined) => void,
  ) {}

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

  dispose(): void {
    clearInterval(this.timer);
  }

  /** Words the waits running now into the line; stops counting down when none is left. */
  private update(): void {
    const state = this.backoffs.current();
    const reason = state && (state.reason.length > BACKOFF_REASON_CHARS ? `${state.reason.slice(0, BACKOFF_REASON_CHARS - 1)}…` : state.reason);
    const text = state ? backoffText(state, reason!) : undefined;
    if (text !== this.shown()) this.show(text);
    if (state && !this.timer) this.timer = setInterval(() => this.update(), BACKOFF_TICK_MS);
    if (!state && this.timer) {
      clearInterval(this.timer);
      this.timer = undefined;
    }
  }
}
