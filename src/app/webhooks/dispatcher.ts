// Sends the webhook outbox (docs/webhooks.md): at once when a run's finish queued a delivery,
// when a retry this process scheduled falls due, and on a slow safety poll (`pollMs`: retries
// left by another or a previous process, locks that expired). It claims due deliveries (storage locks each, so several processes never
// send one twice at a time), POSTs each through the network guard with a signature and a
// per-attempt timeout on the injected clock, and records the attempt with what happens next:
// delivered (2xx), retried later on the webhook schedule (network errors, timeouts, 408, 409,
// 425, 429 and 5xx; Retry-After honoured), or failed for good (any other answer, an address the
// guard refuses, or the last attempt). Delivery is at least once: a process killed during an
// attempt leaves the delivery locked until the lock expires (or the next sole process starts),
// and it is sent again with the same Assay-Delivery id.
import { CallError } from '../../core/model/results.js';
import { parseRetryAfter } from '../../core/engine/retry-after.js';
import { describeFailure, isRetryableStatus, WEBHOOK_RETRY, webhookRetryDelay } from '../../core/engine/retry.js';
import { type Clock, every, type Logger } from '../../core/ports.js';
import type { AttemptOutcome, DeliveryRecord, WebhookAnswer, WebhookPost, WebhookStore } from '../../core/webhook-store.js';
import { signatureHeader } from './signature.js';

/** Characters of a receiver's answer kept in the log. */
export const EXCERPT_CHARS = 200;

export interface DispatcherOptions {
  store: WebhookStore;
  /** The key signing a project's deliveries (WebhookService.signingKey). */
  signingKey: (projectId: string) => Promise<string>;
  post: WebhookPost;
  clock: Clock;
  random: () => number;
  logger: Logger;
  /** How long one attempt may take (SPEC: 10 s). */
  timeoutMs: number;
  /**
   * The safety poll: how often the outbox is looked at for work this process was not told of
   * (another process's retries, expired locks). Its own retries wake it when they fall due, so
   * this can be slow: an idle server then spends no CPU on the outbox.
   */
  pollMs: number;
  /** The only sender of its database (embedded SQLite): locks found at start are a dead process's. */
  soleSender: boolean;
  /** Sent as User-Agent: Assay-Webhooks/<version>. */
  version: string;
}

/** Deliveries claimed per pass. */
const BATCH = 20;

export class WebhookDispatcher {
  private stopPolling: (() => void) | null = null;
  /** The timer of the earliest retry this process scheduled, and when it fires. */
  private retryTimer: { at: number; cancel: () => void } | null = null;
  private pass: Promise<void> | null = null;
  private again = false;
  private stopped = false;
  /** Aborts attempts in flight on shutdown; they are left locked, not recorded, and sent again later. */
  private readonly shutdownSignal = new AbortController();

  constructor(private readonly o: DispatcherOptions) {}

  /** Sends what is due now (what a previous process left included), then polls. */
  start(): void {
    this.run(this.o.soleSender);
    this.stopPolling = every(this.o.clock, this.o.pollMs, () => this.wake());
  }

  /** Looks at the outbox now (a finish just queued a delivery). */
  wake(): void {
    this.run(false);
  }

  /** Stops sending; attempts in flight are abandoned to the next process. */
  async shutdown(): Promise<void> {
    this.stopped = true;
    this.stopPolling?.();
    this.retryTimer?.cancel();
    this.shutdownSignal.abort(new Error('server shutting down'));
    await this.pass;
  }

  /** Wakes at `at` (a retry just scheduled) unless a wake-up is already due by then. */
  private wakeAt(at: number): void {
    if (this.stopped || (this.retryTimer && this.retryTimer.at <= at)) return;
    this.retryTimer?.cancel();
    const cancel = this.o.clock.later(Math.max(0, at - this.o.clock.now()), () => {
      this.retryTimer = null;
      this.wake();
    });
    this.retryTimer = { at, cancel };
  }

  private run(ignoreLocks: boolean): void {
    if (this.stopped) return;
    if (this.pass) {
      this.again = true;
      return;
    }
    this.pass = this.drain(ignoreLocks)
      .catch((error: unknown) => this.o.logger.warn({ err: describeFailure(error) }, 'webhook outbox pass failed; will try again'))
      .finally(() => {
        this.pass = null;
        if (this.again) {
          this.again = false;
          this.run(false);
        }
      });
  }

  private async drain(ignoreLocks: boolean): Promise<void> {
    for (let first = true; !this.stopped; first = false) {
      const now = this.o.clock.now();
      const due = await this.o.store.claimDue(now, now + this.o.timeoutMs + 60_000, BATCH, ignoreLocks && first);
      await Promise.all(due.map((d) => this.attempt(d)));
      if (due.length < BATCH) return;
    }
  }

  /**
   * One attempt of a delivery that was delivered or failed, now, for a person who asked
   * (POST …/webhooks/{deliveryId}/redeliver): recorded in its log like any attempt, with no
   * retry after it, so it ends delivered or failed again. The caller has locked it.
   */
  async redeliver(d: DeliveryRecord): Promise<void> {
    await this.attempt(d, false);
  }

  private async attempt(d: DeliveryRecord, retries = true): Promise<void> {
    const { clock } = this.o;
    const number = d.attempts + 1;
    const at = clock.now();
    let secret = '';
    const deadline = clock.deadline(this.o.timeoutMs, this.shutdownSignal.signal);
    let answer: WebhookAnswer | null = null;
    let failure: unknown = null;
    try {
      secret = await this.o.signingKey(d.projectId);
      answer = await this.o.post({
        url: d.url,
        body: d.payload,
        signal: deadline.signal,
        headers: {
          'content-type': 'application/json',
          'user-agent': `Assay-Webhooks/${this.o.version}`,
          'assay-event': d.event,
          'assay-delivery': d.id,
          'assay-signature': signatureHeader(secret, at, d.payload),
        },
      });
    } catch (error) {
      failure = error;
    } finally {
      deadline.clear();
    }
    // Abandoned on shutdown: the lock keeps others off until it expires; nothing to record.
    if (this.shutdownSignal.signal.aborted && !answer) return;
    const outcome = this.outcome(number, at, answer, failure, deadline.expired, secret, retries);
    await this.o.store.record(d.id, outcome);
    if (outcome.next.status === 'pending') this.wakeAt(outcome.next.nextAttemptAt);
    if (outcome.next.status === 'failed') this.o.logger.warn({ deliveryId: d.id, runId: d.runId, err: outcome.attempt.error }, 'webhook delivery given up');
  }

  private outcome(number: number, at: number, answer: WebhookAnswer | null, failure: unknown, timedOut: boolean, secret: string, retries: boolean): AttemptOutcome {
    const durationMs = Math.max(0, Math.round(this.o.clock.now() - at));
    const base = { attempt: number, at, durationMs };
    if (answer && answer.status >= 200 && answer.status <= 299) {
      return { attempt: { ...base, statusCode: answer.status, error: null, responseExcerpt: excerpt(answer.head, secret) }, next: { status: 'delivered' } };
    }
    let error: string;
    let retryable: boolean;
    let retryAfterMs: number | undefined;
    if (answer) {
      retryable = isRetryableStatus(answer.status);
      error = `the receiver answered ${answer.status}${retryable ? '' : ' (only 408, 409, 425, 429 and 5xx are retried)'}`;
      retryAfterMs = parseRetryAfter({ retryAfter: answer.retryAfter, retryAfterMs: answer.retryAfterMs }, this.o.clock.now());
    } else if (timedOut) {
      retryable = true;
      error = `no answer within ${this.o.timeoutMs / 1000} s`;
    } else {
      // A CallError says whether it is worth retrying (the guard's refusal is not); anything
      // else (a secret that no longer decrypts, a storage hiccup) is tried again later.
      retryable = !(failure instanceof CallError) || failure.retryable;
      error = describeFailure(failure);
    }
    const attempt = { ...base, statusCode: answer?.status ?? null, responseExcerpt: answer ? excerpt(answer.head, secret) : null };
    const delay = retryable && retries ? webhookRetryDelay(number, retryAfterMs, this.o.random) : null;
    if (delay === null) {
      const final = retryable && retries ? `${error}; gave up after ${WEBHOOK_RETRY.maxAttempts} attempts` : error;
      return { attempt: { ...attempt, error: final }, next: { status: 'failed' } };
    }
    return { attempt: { ...attempt, error }, next: { status: 'pending', nextAttemptAt: at + delay } };
  }
}

/** The head of an answer as the log keeps it: one line, the signing secret redacted, 200 characters. */
export function excerpt(head: string, secret: string): string | null {
  let text = head.replace(/\s+/g, ' ').trim();
  if (secret !== '') text = text.split(secret).join('[redacted]');
  if (text === '') return null;
  return text.length > EXCERPT_CHARS ? `${text.slice(0, EXCERPT_CHARS)}…` : text;
}
