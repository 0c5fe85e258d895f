// Calls backing off, as the `retrying` events tell them: a run held by a provider's 429s (or an
// agent's 503s) stood still on the progress bar and looked hung — the complaint of promptfoo
// #3883 — while the server was waiting as asked. This keeps the waits not yet over; `assay run`
// and the run page word them in one short line. No Node APIs: the page bundles it.

/** The fields of a `retrying` event this needs. */
export interface RetryingCell {
  rowIndex: number;
  targetId: string;
  repeat: number;
  delayMs: number;
  reason: string;
}

type CellKey = Pick<RetryingCell, 'rowIndex' | 'targetId' | 'repeat'>;

/** The waits running now: how many, the latest reason, and when the soonest ends. */
export interface BackoffState {
  count: number;
  reason: string;
  /** ms until the soonest wait ends. */
  nextTryMs: number;
}

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

  /** Forgets every wait (the stream ended, or the run was resumed). */
  clear(): void {
    this.waits.clear();
  }

  /** The waits not yet over; null when none. */
  current(): BackoffState | null {
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
    return latest ? { count, reason: latest.reason, nextTryMs: next - now } : null;
  }
}

/** "3 calls backing off (HTTP 429: slow down), next try in 5 s", with `reason` as the caller shows it. */
export function backoffText(state: BackoffState, reason: string): string {
  const n = state.count;
  return `${n} call${n === 1 ? '' : 's'} backing off (${reason}), next try in ${Math.max(1, Math.ceil(state.nextTryMs / 1000))} s`;
}
