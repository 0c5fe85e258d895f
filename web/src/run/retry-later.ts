// Trying a failed load again by itself, with backoff (1 s, 2 s, 4 s … up to 30 s): a page opened
// while the server was down loads once it is back, without the reader pressing Retry. A refusal
// (a 4xx other than 408 and 429: the run does not exist, the key is not allowed) is not tried again.
import { isRefusal } from './run-follow.js';

const FIRST_MS = 1000;
const MAX_MS = 30_000;

/** The next automatic attempt: its number and when it starts (Date.now() ms). */
export interface NextAttempt {
  attempt: number;
  at: number;
}

export class RetryLater {
  private failures = 0;
  private timer: ReturnType<typeof setTimeout> | undefined;

  constructor(private readonly run: () => void) {}

  /** After a failure: the next attempt, scheduled; undefined when `error` is a refusal. */
  schedule(error: unknown): NextAttempt | undefined {
    this.cancel();
    if (isRefusal(error)) return undefined;
    const delay = Math.min(MAX_MS, FIRST_MS * 2 ** this.failures++);
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.run();
    }, delay);
    return { attempt: this.failures, at: Date.now() + delay };
  }

  /** After a success: the next failure waits the shortest time again. */
  reset(): void {
    this.cancel();
    this.failures = 0;
  }

  cancel(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
  }
}
