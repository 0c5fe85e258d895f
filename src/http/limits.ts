// Abuse limits of the HTTP API (issue 6): open SSE streams per API key, and runs started per
// sliding window per API key. The state lives in this process's memory, so with several server
// processes each one enforces its own limits (docs/decisions.md, "Limits"). Keys are API key
// record ids, never the raw keys.
import { AssayError } from '../core/errors.js';
import type { Clock } from '../core/ports.js';

/** Retry-After of a refused stream: no moment is known at which one of the key's streams closes. */
export const STREAM_RETRY_AFTER_SECONDS = 5;

/** Counts open SSE streams per key; beyond `max()` (0 = no limit) a new one is refused. */
export class StreamSlots {
  private readonly open = new Map<string, number>();
  private all = 0;

  constructor(private readonly max: () => number) {}

  /**
   * Takes a slot for `key` and returns its release (idempotent: a stream that both ends and
   * is aborted gives its slot back once), or throws 429 rate_limited.
   */
  acquire(key: string): () => void {
    const max = this.max();
    const current = this.open.get(key) ?? 0;
    if (max > 0 && current >= max) {
      throw new AssayError('rate_limited', `Too many open event streams for this API key: the limit is ${max}; close one and retry`, {
        meta: { limit: max, retryAfterSeconds: STREAM_RETRY_AFTER_SECONDS },
      });
    }
    this.open.set(key, current + 1);
    this.all++;
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.all--;
      const left = (this.open.get(key) ?? 1) - 1;
      if (left > 0) this.open.set(key, left);
      else this.open.delete(key);
    };
  }

  /** Open streams of every key (for metrics). */
  get total(): number {
    return this.all;
  }

  /** Open streams of `key` (for tests and metrics). */
  count(key: string): number {
    return this.open.get(key) ?? 0;
  }
}

/**
 * Runs started per key in a sliding window (a log of start times, at most `limit()` per key):
 * exact, and the refusal says when the oldest start leaves the window, i.e. when the next run
 * is allowed.
 */
export class StartWindow {
  private readonly starts = new Map<string, number[]>();
  private lastSweep: number;

  constructor(
    private readonly limit: () => number,
    private readonly windowMs: () => number,
    private readonly clock: Clock,
  ) {
    this.lastSweep = clock.now();
  }

  /**
   * Records a start for `key` and returns its cancellation (for a start that then failed, so
   * refused requests do not use up the allowance), or throws 429 rate_limited with Retry-After.
   */
  reserve(key: string): () => void {
    const limit = this.limit();
    if (limit <= 0) return () => {};
    const now = this.clock.now();
    const windowMs = this.windowMs();
    this.sweep(now, windowMs);
    const log = this.starts.get(key) ?? [];
    prune(log, now - windowMs);
    if (log.length >= limit) {
      const waitMs = log[0]! + windowMs - now;
      const retryAfterSeconds = Math.max(1, Math.ceil(waitMs / 1000));
      throw new AssayError('rate_limited', `Too many runs started with this API key: at most ${limit} per ${formatWindow(windowMs)}; the next one is allowed in ${retryAfterSeconds} s`, {
        meta: { limit, windowSeconds: windowMs / 1000, retryAfterSeconds },
      });
    }
    log.push(now);
    this.starts.set(key, log);
    let cancelled = false;
    return () => {
      if (cancelled) return;
      cancelled = true;
      const i = log.lastIndexOf(now);
      if (i >= 0) log.splice(i, 1);
      if (log.length === 0 && this.starts.get(key) === log) this.starts.delete(key);
    };
  }

  /** Keys tracked (for tests: idle keys are forgotten). */
  get size(): number {
    return this.starts.size;
  }

  /** Once per window, forgets keys with no start inside it, so idle keys cost no memory. */
  private sweep(now: number, windowMs: number): void {
    if (now - this.lastSweep < windowMs) return;
    this.lastSweep = now;
    for (const [key, log] of this.starts) {
      prune(log, now - windowMs);
      if (log.length === 0) this.starts.delete(key);
    }
  }
}

/** Drops the times at or before `cutoff` (the log is in ascending order). */
function prune(log: number[], cutoff: number): void {
  let n = 0;
  while (n < log.length && log[n]! <= cutoff) n++;
  if (n > 0) log.splice(0, n);
}

function formatWindow(ms: number): string {
  if (ms === 60_000) return 'minute';
  return ms % 1000 === 0 ? `${ms / 1000} s` : `${ms} ms`;
}

/** The limits the HTTP layer enforces, built once per app. */
export interface HttpLimits {
  streams: StreamSlots;
  runStarts: StartWindow;
}

export interface LimitSettings {
  /** Open SSE streams per API key; 0 = no limit. */
  ssePerKey: number;
  /** Runs started per API key per window; 0 = no limit. */
  runRateLimit: number;
  runRateWindowMs: number;
  /** Failed authentications per client address per minute before 429 (read once, at start). */
  authFailuresPerMinute: number;
  /** Proxies whose X-Forwarded-For names the client the throttle counts (read once, at start). */
  trustedProxies: readonly string[];
}

export function createHttpLimits(settings: LimitSettings, clock: Clock): HttpLimits {
  return {
    streams: new StreamSlots(() => settings.ssePerKey),
    runStarts: new StartWindow(() => settings.runRateLimit, () => settings.runRateWindowMs, clock),
  };
}
