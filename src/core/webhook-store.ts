// The storage port of webhooks (docs/webhooks.md): the durable outbox of deliveries, their
// attempt log, and the per-project signing secret (sealed by the caller). A delivery is
// created by the run's finish, in the same transaction (RunFinish.delivery), so a finished run
// always has its pending delivery; senders claim due deliveries with a lock that expires, so
// a sender killed mid-attempt leaves the delivery to the next one.
import type { DeliveryStatus, WebhookAttempt, WebhookEvent } from './model/webhooks.js';

/** A delivery to create with a run's finish. */
export interface NewDelivery {
  id: string;
  projectId: string;
  runId: string;
  url: string;
  event: WebhookEvent;
  /** The exact body to POST (JSON text); every attempt sends these bytes. */
  payload: string;
  createdAt: number;
}

export interface DeliveryRecord extends NewDelivery {
  status: DeliveryStatus;
  attempts: number;
  nextAttemptAt: number | null;
  deliveredAt: number | null;
}

/** What one attempt ended in, and what happens to the delivery next. */
export interface AttemptOutcome {
  attempt: WebhookAttempt;
  next: { status: 'pending'; nextAttemptAt: number } | { status: 'delivered' } | { status: 'failed' };
}

export interface WebhookStore {
  /**
   * Locks and returns up to `limit` pending deliveries due at `now` (oldest due first) whose
   * lock is free or expired, locking them until `lockUntil`. `ignoreLocks`: take locked ones
   * too (a sole process starting up: any lock is a previous, dead process's).
   */
  claimDue(now: number, lockUntil: number, limit: number, ignoreLocks?: boolean): Promise<DeliveryRecord[]>;
  /**
   * Locks a finished delivery (delivered or failed) of `runId` for a redelivery, unless a
   * sender holds it: the record, or why not (`missing`, `pending`, `locked`).
   */
  claimForRedelivery(runId: string, deliveryId: string, now: number, lockUntil: number): Promise<DeliveryRecord | 'missing' | 'pending' | 'locked'>;
  /** Appends the attempt to the log and moves the delivery on (unlocking it). */
  record(deliveryId: string, outcome: AttemptOutcome): Promise<void>;
  /** A run's deliveries, oldest first, each with its attempt log. */
  ofRun(runId: string): Promise<(DeliveryRecord & { log: WebhookAttempt[] })[]>;
  /** The project's sealed signing secret, or null when it has none yet. */
  secret(projectId: string): Promise<{ sealed: string; createdAt: number } | null>;
  /** Stores a secret unless the project has one; answers the one stored (a racing creator's wins). */
  createSecret(projectId: string, sealed: string, at: number): Promise<{ sealed: string; createdAt: number }>;
  /** Replaces the project's secret (rotation); the new one counts as shown (its answer shows it). */
  replaceSecret(projectId: string, sealed: string, at: number): Promise<void>;
  /** Writes deliveries due at once (those not written by a finish: a run's start). */
  enqueue(deliveries: NewDelivery[]): Promise<void>;
  /** Marks the project's secret shown at `at` unless it already was: true for the one caller that shows it. */
  reveal(projectId: string, at: number): Promise<boolean>;
}

/** One POST of a delivery, as the network adapter sends it (src/net/webhook-post.ts). */
export interface WebhookRequest {
  url: string;
  headers: Record<string, string>;
  body: string;
  /** Aborts the attempt (its timeout). */
  signal: AbortSignal;
}

/** What the receiver answered: its status, Retry-After headers, and at most a short head of its body. */
export interface WebhookAnswer {
  status: number;
  retryAfter: string | undefined;
  retryAfterMs: string | undefined;
  /** The first bytes of the answer's body as text (the rest is never read). */
  head: string;
}

/**
 * Sends one attempt through the network guard. Rejects when no answer came: a CallError
 * (`retryable: false` for an address the guard refused) or an abort with the signal's reason.
 */
export type WebhookPost = (request: WebhookRequest) => Promise<WebhookAnswer>;
