// What `assay run` says about calls backing off. A run held by a provider's 429s (or an agent's
// 503s) stood still on the progress bar and looked hung — the complaint of promptfoo #3883 — while
// the server was waiting as asked. The `retrying` events say who waits, why and how long; this
// keeps the waits not yet over and words them in one short line.
import { terminalText } from './terminal-text.js';

/** The fields of a `retrying` event this needs. */
export interface RetryingCell {
  rowIndex: number;
  targetId: string;
  repeat: number;
  delayMs: number;
  reason: string;
}

type CellKey = Pick<RetryingCell, 'rowIndex' | 'targetId' | 'repeat'>;

/** Longest reason shown: a provider's error body can be long. */
const REASON_CHARS = 80;

const keyOf = (c: CellKey) => `${c.rowIndex}/${c.targetId}/${c.repeat}`;

export class Backoffs {
  private readonly waits = new Map<string, { until: number; reason: string }>();

  constructor(private readonly now: () => number = Date.now) {}

  /** A call failed and waits `delayMs` before its next attempt. */
  retrying(cell: RetryingCell): void {
    this.waits.set(keyOf(cell), { until: this.now() + cell.delayMs, reason: cell.reason });
  }

  /** The cell's target answered (or failed for good): it waits no more. */
  settled(cell: CellKey): void {
    this.waits.delete(keyOf(cell));
  }

  /**
   * "3 calls backing off (HTTP 429: slow down), next try in 5 s"; '' when no wait is running.
   * The reason is the latest one, on one line, without terminal control characters (it quotes
   * what a provider or an agent answered).
   */
  note(): string {
    const now = this.now();
    let count = 0;
    let next = Infinity;
    let latest: { until: number; reason: string } | undefined;
    for (const [key, wait] of this.waits) {
      // Its wait is over: the call is in flight again (or about to be), not backing off.
      if (wait.until <= now) {
        this.waits.delete(key);
        continue;
      }
      count++;
      next = Math.min(next, wait.until);
      latest = wait;
    }
    if (!latest) return '';
    return `${count} call${count === 1 ? '' : 's'} backing off (${terminalText(latest.reason, REASON_CHARS)}), next try in ${Math.max(1, Math.ceil((next - now) / 1000))} s`;
  }
}
