// What readers that stop reading may hold, together (docs/security.md, "Readers that stop
// reading"). A stream whose socket is full waits for it to drain, holding the frame it is
// writing: with code targets' 10 MB outputs, 40 readers of one run that read its first bytes
// and stopped held ≈ 18 MB each (+714 MB of RSS after a full collection), and one API key may
// open 100 streams. Large frames are now written in pieces (http/sse.ts), so a stalled stream
// holds its frame once, not twice; and this ledger bounds what all stalled streams hold:
//   - past `budgetBytes` held in all, the streams that have waited longer than `graceMs` are
//     cut, the longest-waiting first, until the rest fit;
//   - a stream that has waited `maxStallMs` is cut whatever it holds;
//   - past `ceilingBytes`, the longest-waiting are cut even within their grace: readers that
//     dropped their stream every 1.5 s and opened one that stalled were never past the grace,
//     never cut, and took the server's RSS up by 1.7–2.0 GB (bench/stalled.ts).
// A cut stream's client reconnects with Last-Event-ID and loses nothing (SPEC §6). A reader
// that reads, however slowly, drains within the grace: it is cut for others' stalls only while
// they hold more than the ceiling.

export interface StallLimits {
  /** Bytes all stalled streams may hold before the longest-waiting are cut. */
  budgetBytes: number;
  /** A stream waiting for less than this is not cut for the budget (a fast reader of a large frame). */
  graceMs: number;
  /** A stream waiting this long is cut (nginx's `send_timeout` is 60 s too). */
  maxStallMs: number;
  /**
   * Bytes all stalled streams may hold, grace or not: past it the longest-waiting are cut at
   * once. A reader that reads is cut only when others hold this much; it reconnects and loses
   * nothing.
   */
  ceilingBytes: number;
}

export const STALL_LIMITS: StallLimits = { budgetBytes: 64 * 1024 * 1024, graceMs: 2_000, maxStallMs: 60_000, ceilingBytes: 256 * 1024 * 1024 };

interface Stall {
  since: number;
  bytes: number;
  cut: () => void;
}

export class StalledWrites {
  /** In the order the stalls began: the longest-waiting first. */
  private readonly stalls = new Set<Stall>();
  private heldBytes = 0;
  /** Streams cut since the process started. */
  cuts = 0;
  private timer: NodeJS.Timeout | undefined;

  constructor(
    public limits: StallLimits,
    private readonly now: () => number = Date.now,
  ) {}

  /** A stream waits for its socket to drain, holding `bytes`; `cut` ends it. Returns the release. */
  stall(bytes: number, cut: () => void): () => void {
    const s: Stall = { since: this.now(), bytes, cut };
    this.stalls.add(s);
    this.heldBytes += bytes;
    this.check();
    if (this.timer === undefined && this.stalls.size > 0) {
      this.timer = setInterval(() => this.check(), Math.min(500, this.limits.graceMs));
      this.timer.unref();
    }
    return () => this.release(s);
  }

  /**
   * Cuts the stalls past `maxStallMs`; while over budget, those past `graceMs`; while over the
   * ceiling, any; the longest-waiting first.
   */
  check(): void {
    const now = this.now();
    const { graceMs, maxStallMs, budgetBytes, ceilingBytes } = this.limits;
    for (const s of this.stalls) {
      const waited = now - s.since;
      if (waited < maxStallMs && this.heldBytes <= ceilingBytes && (waited < graceMs || this.heldBytes <= budgetBytes)) {
        // The rest waited less: none is past the grace either.
        if (waited < graceMs) break;
        continue;
      }
      this.release(s);
      this.cuts++;
      s.cut();
    }
  }

  /** Bytes held by stalled streams now (for tests and metrics). */
  get held(): number {
    return this.heldBytes;
  }

  private release(s: Stall): void {
    if (!this.stalls.delete(s)) return;
    this.heldBytes -= s.bytes;
    if (this.stalls.size === 0 && this.timer !== undefined) {
      clearInterval(this.timer);
      this.timer = undefined;
    }
  }
}

/** The process's ledger, shared by every stream it serves. */
export const stalledWrites = new StalledWrites({ ...STALL_LIMITS });
