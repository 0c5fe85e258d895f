// Retry decisions for target calls: transient failures (CallError.retryable: 429, 5xx, 408,
// network errors, timeouts) are retried with exponential backoff and full jitter, never
// sooner than the server's Retry-After; other failures are final.
import { CallError } from '../model/results.js';

export interface RetryPolicy {
  maxRetries: number;
  /** First backoff ceiling, doubled each retry. */
  baseMs: number;
  capMs: number;
  /** A Retry-After longer than this is not waited for: the call fails instead. */
  maxRetryAfterMs: number;
}

export const DEFAULT_RETRY: Omit<RetryPolicy, 'maxRetries'> = { baseMs: 500, capMs: 30_000, maxRetryAfterMs: 120_000 };

/**
 * The one list of HTTP statuses worth retrying, for targets, judges and every provider call:
 * 408 (timeout), 409 (conflict: OpenAI's API and SDKs treat it as transient), 425 (too early),
 * 429 (throttled) and every 5xx. Other 4xx are the request's fault and final.
 */
export function isRetryableStatus(status: number): boolean {
  return status === 408 || status === 409 || status === 425 || status === 429 || status >= 500;
}

export type RetryDecision = { kind: 'retry'; delayMs: number; reason: string } | { kind: 'fail'; reason: string };

/**
 * What to do after attempt number `attempt` (1-based) failed with `error`. `random` returns a
 * value in [0, 1) (injected so tests are deterministic).
 */
export function decideRetry(error: unknown, attempt: number, policy: RetryPolicy, random: () => number): RetryDecision {
  const reason = describeFailure(error);
  if (!(error instanceof CallError) || !error.retryable) return { kind: 'fail', reason };
  if (attempt > policy.maxRetries) return { kind: 'fail', reason };
  const ceiling = Math.min(policy.capMs, policy.baseMs * 2 ** (attempt - 1));
  const jittered = random() * ceiling;
  if (error.retryAfterMs !== undefined) {
    if (error.retryAfterMs > policy.maxRetryAfterMs) {
      return { kind: 'fail', reason: `${reason} (server asked to retry after ${Math.round(error.retryAfterMs / 1000)} s, longer than Assay waits)` };
    }
    return { kind: 'retry', delayMs: Math.max(error.retryAfterMs, jittered), reason };
  }
  return { kind: 'retry', delayMs: jittered, reason };
}

/**
 * Longest failure text kept: it is stored with the cell, sent in events and exported, so a
 * call failing with a megabyte-long message (a library quoting a whole value) stays small.
 */
export const MAX_FAILURE_CHARS = 2_000;

/**
 * A one-line description of a failure, without stack traces, cut to MAX_FAILURE_CHARS.
 * Invariant (the engine does not know the secrets): the text arriving here was already
 * redacted in full by the adapter that held them, before that adapter cut anything (an HTTP
 * target redacts every quote of an answer, URL or template error first; see
 * src/targets/http.ts). So no secret is left for this cut to shorten into a prefix that a
 * redactor would no longer recognise. An adapter that holds secrets must keep it so.
 */
export function describeFailure(error: unknown): string {
  const line = error instanceof Error ? error.message.split('\n')[0] || error.name : typeof error === 'string' ? error : 'unknown failure';
  return line.length > MAX_FAILURE_CHARS ? `${line.slice(0, MAX_FAILURE_CHARS)}…` : line;
}

/**
 * Webhook deliveries (docs/webhooks.md) retry on the same statuses (isRetryableStatus) and
 * network errors, but on a schedule of their own: a receiver may be down for hours, so the
 * ceiling doubles from 30 s up to 4 h, and the jitter only trims it (80–100 % of the ceiling)
 * so that the 18 attempts are spread over at least 24 h (29 to 36 h), as receivers expect.
 */
export const WEBHOOK_RETRY = { baseMs: 30_000, capMs: 4 * 60 * 60 * 1000, maxAttempts: 18 } as const;

/**
 * When to try a delivery again after its attempt number `attempt` (1-based) failed, or null
 * when it was the last. A Retry-After is honoured up to the cap.
 */
export function webhookRetryDelay(attempt: number, retryAfterMs: number | undefined, random: () => number): number | null {
  if (attempt >= WEBHOOK_RETRY.maxAttempts) return null;
  const ceiling = Math.min(WEBHOOK_RETRY.capMs, WEBHOOK_RETRY.baseMs * 2 ** (attempt - 1));
  const delay = Math.round(ceiling * (0.8 + 0.2 * random()));
  return retryAfterMs === undefined ? delay : Math.max(delay, Math.min(retryAfterMs, WEBHOOK_RETRY.capMs));
}
