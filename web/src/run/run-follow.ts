// Following a run's event stream for the run page. src/client's events() already resumes a
// dropped stream after the last event seen (Last-Event-ID); this adds what a page needs when the
// server cannot be reached at all: attempts again with backoff, from the same event, and a notice
// that says so. Kept apart from RunStore, which decides what each event changes.
import type { StreamEvent } from '../api-types.js';
import { api, ApiError, describeError } from '../api.js';

/** Attempts to reach the event stream again, with backoff, before the page stops following. */
const FOLLOW_RETRIES = 8;
/** The notice while reconnecting; cleared after the wait unless something else replaced it. */
const RECONNECTING = 'Reconnecting…';

/** What following reads from the page and tells it. */
export interface FollowHooks {
  /** Stops following (the page was left). */
  signal: AbortSignal;
  /** The seq of the last event received: each new connection starts after it. */
  afterSeq: () => number;
  /** Each event as it arrives. */
  onEvent: (e: StreamEvent) => void;
  /** The notice the page shows now. */
  notice: () => string | undefined;
  /** Shows a notice ('' clears it). */
  say: (notice: string) => void;
}

/**
 * Follows the run's events until its final event, or until `signal` aborts. Gives up with a
 * notice after FOLLOW_RETRIES failed attempts in a row, or at once when the server refuses (a 4xx
 * other than 429): trying again would not change its answer.
 */
export async function followEvents(runId: string, hooks: FollowHooks): Promise<void> {
  const { signal } = hooks;
  for (let attempt = 0; ; attempt++) {
    try {
      for await (const e of api().client.events(runId, { afterSeq: hooks.afterSeq(), signal })) {
        hooks.onEvent(e);
        attempt = 0;
      }
      return;
    } catch (error) {
      if (signal.aborted) return;
      if (attempt >= FOLLOW_RETRIES || (error instanceof ApiError && error.status < 500 && error.status !== 429)) {
        hooks.say(`Live updates stopped: ${describeError(error)}`);
        return;
      }
      hooks.say(RECONNECTING);
      await new Promise((r) => setTimeout(r, Math.min(8000, 500 * 2 ** attempt)));
      if (hooks.notice() === RECONNECTING) hooks.say('');
    }
  }
}
