// Following a run's event stream for the run page. src/client's events() already resumes a
// dropped stream after the last event seen (Last-Event-ID) and retries failed connections for a
// few seconds; this adds what a page needs when the server cannot be reached at all: attempts
// again with backoff, from the same event, and says at once, from the first failed connection,
// that the stream is lost, and as soon as a connection opens again that it is back (a quiet run
// may send no event for minutes: waiting for one kept the notice up). Kept apart from RunStore,
// which decides what each event changes and how the page shows a lost stream.
import type { StreamEvent } from '../api-types.js';
import { api, ApiError, describeError } from '../api.js';

/** Rounds of the client's retries that may fail in a row, with backoff, before the page stops following. */
const FOLLOW_RETRIES = 8;

/** What following reads from the page and tells it. */
export interface FollowHooks {
  /** Stops following (the page was left). */
  signal: AbortSignal;
  /** The seq of the last event received: each new connection starts after it. */
  afterSeq: () => number;
  /** Each event as it arrives. */
  onEvent: (e: StreamEvent) => void;
  /** The stream cannot reach the server: `attempt` connections have failed in a row. */
  lost: (attempt: number) => void;
  /** A connection opened (or an event came) after a loss: the stream is back. */
  back: () => void;
  /** Following stopped before the run's end, in words. */
  stopped: (notice: string) => void;
}

/** True for an answer that another try would not change (a 4xx other than 408 and 429). */
export const isRefusal = (error: unknown): boolean => error instanceof ApiError && error.status < 500 && error.status !== 408 && error.status !== 429;

const sleep = (ms: number, signal: AbortSignal) =>
  new Promise<void>((resolve) => {
    const t = setTimeout(resolve, ms);
    signal.addEventListener('abort', () => {
      clearTimeout(t);
      resolve();
    }, { once: true });
  });

/**
 * Follows the run's events until its final event, or until `signal` aborts. Gives up after
 * FOLLOW_RETRIES rounds that failed in a row, or at once when the server refuses: trying again
 * would not change its answer.
 */
export async function followEvents(runId: string, hooks: FollowHooks): Promise<void> {
  const { signal } = hooks;
  // Failed connections in a row, the client's own retries included: the number the page shows.
  let failures = 0;
  const failed = () => hooks.lost(++failures);
  const reached = () => {
    if (failures === 0) return;
    failures = 0;
    hooks.back();
  };
  for (let round = 0; ; round++) {
    try {
      // Back once the server answers with the stream (onOpen), not at the next event.
      for await (const e of api().client.events(runId, { afterSeq: hooks.afterSeq(), signal, onRetry: failed, onOpen: reached })) {
        reached();
        hooks.onEvent(e);
        round = 0;
      }
      return;
    } catch (error) {
      if (signal.aborted) return;
      if (round >= FOLLOW_RETRIES || isRefusal(error)) {
        hooks.stopped(`Live updates stopped: ${describeError(error)}. Reload the page to follow the run again.`);
        return;
      }
      failed();
      await sleep(Math.min(8000, 500 * 2 ** round), signal);
    }
  }
}
