// A Clock whose time only moves when a test calls advance(), so retries, backoff and timeouts
// run in microseconds and deterministically. Timeout signals are real AbortSignals (aborted on
// advance with a TimeoutError), so they compose with AbortSignal.any like the system clock's.
import { type Clock, type Deadline, makeDeadline } from '../core/ports.js';

interface Timer {
  at: number;
  /** Creation order, so timers due at the same instant fire in the order they were made. */
  order: number;
  kind: 'sleep' | 'timeout';
  fire(): void;
}

/** Lets pending promise continuations (and everything they chain) run to quiescence. */
export function settle(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

export class FakeClock implements Clock {
  private current: number;
  private timers: Timer[] = [];
  private created = 0;

  constructor(start = 1_700_000_000_000) {
    this.current = start;
  }

  now(): number {
    return this.current;
  }

  /** Sleeps not yet woken or aborted. */
  get sleepers(): number {
    return this.timers.filter((t) => t.kind === 'sleep').length;
  }

  /** Timeout signals not yet fired. */
  get pendingTimeouts(): number {
    return this.timers.filter((t) => t.kind === 'timeout').length;
  }

  sleep(ms: number, signal?: AbortSignal): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      if (signal?.aborted) return reject(signal.reason);
      const onAbort = () => {
        this.remove(timer);
        reject(signal!.reason);
      };
      const timer = this.schedule(ms, 'sleep', () => {
        signal?.removeEventListener('abort', onAbort);
        resolve();
      });
      signal?.addEventListener('abort', onAbort, { once: true });
    });
  }

  timeout(ms: number): AbortSignal {
    const controller = new AbortController();
    this.schedule(ms, 'timeout', () => controller.abort(new DOMException('The operation timed out.', 'TimeoutError')));
    return controller.signal;
  }

  deadline(ms: number, parent?: AbortSignal, prepare?: (signal: AbortSignal) => void): Deadline {
    return makeDeadline(
      ms,
      parent,
      (delay, fire) => {
        const timer = this.schedule(delay, 'timeout', fire);
        return () => this.remove(timer);
      },
      prepare,
    );
  }

  later(ms: number, fire: () => void): () => void {
    const timer = this.schedule(ms, 'timeout', fire);
    return () => this.remove(timer);
  }

  /**
   * Moves time forward by `ms`, firing due timers in order and letting the code they wake run
   * (and schedule new timers, which also fire if due within the window) before going on.
   */
  async advance(ms: number): Promise<void> {
    const until = this.current + ms;
    await settle();
    for (;;) {
      const next = this.nextDue(until);
      if (!next) break;
      this.remove(next);
      this.current = Math.max(this.current, next.at);
      next.fire();
      await settle();
    }
    this.current = until;
    await settle();
  }

  private nextDue(until: number): Timer | undefined {
    let best: Timer | undefined;
    for (const t of this.timers) {
      if (t.at > until) continue;
      if (!best || t.at < best.at || (t.at === best.at && t.order < best.order)) best = t;
    }
    return best;
  }

  private schedule(ms: number, kind: Timer['kind'], fire: () => void): Timer {
    const timer: Timer = { at: this.current + Math.max(0, ms), order: this.created++, kind, fire };
    this.timers.push(timer);
    return timer;
  }

  private remove(timer: Timer): void {
    const i = this.timers.indexOf(timer);
    if (i >= 0) this.timers.splice(i, 1);
  }
}
