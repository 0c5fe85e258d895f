// The webhook outbox, its attempt log and the per-project signing secrets in SQL (the port and
// its rules: core/webhook-store.ts). Deliveries are inserted by the run's finish (run-log.ts),
// in the finish's own transaction; here they are claimed, logged and moved on.
import type { ExpressionBuilder, Kysely, Selectable, Transaction } from 'kysely';
import type { DeliveryStatus, WebhookAttempt, WebhookEvent } from '../core/model/webhooks.js';
import type { AttemptOutcome, DeliveryRecord, NewDelivery, WebhookStore } from '../core/webhook-store.js';
import type { Database, WebhookDeliveriesTable } from './schema.js';

/** Writes a new pending delivery, due at once (inside the finish's transaction). */
export async function insertDelivery(trx: Transaction<Database> | Kysely<Database>, d: NewDelivery): Promise<void> {
  await trx
    .insertInto('webhook_deliveries')
    .values({
      id: d.id, project_id: d.projectId, run_id: d.runId, url: d.url, event: d.event, payload: d.payload, status: 'pending', attempts: 0,
      next_attempt_at: d.createdAt, locked_until: null, last_status_code: null, last_error: null, created_at: d.createdAt, updated_at: d.createdAt, delivered_at: null,
    })
    .execute();
}

function toDelivery(r: Selectable<WebhookDeliveriesTable>): DeliveryRecord {
  return {
    id: r.id, projectId: r.project_id, runId: r.run_id, url: r.url, event: r.event as WebhookEvent, payload: r.payload, createdAt: Number(r.created_at),
    status: r.status as DeliveryStatus, attempts: r.attempts, nextAttemptAt: r.next_attempt_at === null ? null : Number(r.next_attempt_at),
    deliveredAt: r.delivered_at === null ? null : Number(r.delivered_at),
  };
}

export class SqlWebhookStore implements WebhookStore {
  constructor(private readonly db: Kysely<Database>) {}

  async claimDue(now: number, lockUntil: number, limit: number, ignoreLocks = false): Promise<DeliveryRecord[]> {
    const free = (eb: ExpressionBuilder<Database, 'webhook_deliveries'>) => eb.or([eb('locked_until', 'is', null), eb('locked_until', '<', ignoreLocks ? Number.MAX_SAFE_INTEGER : now)]);
    const due = this.db
      .selectFrom('webhook_deliveries')
      .select('id')
      .where('status', '=', 'pending')
      .where('next_attempt_at', '<=', now)
      .where(free)
      .orderBy('next_attempt_at')
      .limit(limit);
    // The lock condition is checked again by the UPDATE itself: of two senders racing for a
    // row, only one updates it.
    const rows = await this.db
      .updateTable('webhook_deliveries')
      .set({ locked_until: lockUntil })
      .where('id', 'in', due)
      .where('status', '=', 'pending')
      .where(free)
      .returningAll()
      .execute();
    return rows.map(toDelivery).sort((a, b) => (a.nextAttemptAt ?? 0) - (b.nextAttemptAt ?? 0));
  }

  async claimForRedelivery(runId: string, deliveryId: string, now: number, lockUntil: number): Promise<DeliveryRecord | 'missing' | 'pending' | 'locked'> {
    // One conditional UPDATE: of two redeliveries racing (or a redelivery and a sender), one wins.
    const claimed = await this.db
      .updateTable('webhook_deliveries')
      .set({ locked_until: lockUntil })
      .where('id', '=', deliveryId)
      .where('run_id', '=', runId)
      .where('status', 'in', ['delivered', 'failed'])
      .where((eb) => eb.or([eb('locked_until', 'is', null), eb('locked_until', '<', now)]))
      .returningAll()
      .executeTakeFirst();
    if (claimed) return toDelivery(claimed);
    const found = await this.db.selectFrom('webhook_deliveries').select(['status']).where('id', '=', deliveryId).where('run_id', '=', runId).executeTakeFirst();
    if (!found) return 'missing';
    return found.status === 'pending' ? 'pending' : 'locked';
  }

  async record(deliveryId: string, outcome: AttemptOutcome): Promise<void> {
    const a = outcome.attempt;
    const next = outcome.next;
    await this.db.transaction().execute(async (trx) => {
      await trx
        .insertInto('webhook_attempts')
        .values({ delivery_id: deliveryId, attempt: a.attempt, at: a.at, duration_ms: a.durationMs, status_code: a.statusCode, error: a.error, response_excerpt: a.responseExcerpt })
        .execute();
      await trx
        .updateTable('webhook_deliveries')
        .set({
          status: next.status, attempts: a.attempt, next_attempt_at: next.status === 'pending' ? next.nextAttemptAt : null, locked_until: null,
          last_status_code: a.statusCode, last_error: a.error, updated_at: a.at + a.durationMs, delivered_at: next.status === 'delivered' ? a.at + a.durationMs : null,
        })
        .where('id', '=', deliveryId)
        .execute();
    });
  }

  async ofRun(runId: string): Promise<(DeliveryRecord & { log: WebhookAttempt[] })[]> {
    const deliveries = await this.db.selectFrom('webhook_deliveries').selectAll().where('run_id', '=', runId).orderBy('created_at').orderBy('id').execute();
    if (deliveries.length === 0) return [];
    const attempts = await this.db
      .selectFrom('webhook_attempts')
      .selectAll()
      .where('delivery_id', 'in', deliveries.map((d) => d.id))
      .orderBy('delivery_id')
      .orderBy('attempt')
      .execute();
    return deliveries.map((d) => ({
      ...toDelivery(d),
      log: attempts
        .filter((a) => a.delivery_id === d.id)
        .map((a) => ({ attempt: a.attempt, at: Number(a.at), durationMs: a.duration_ms, statusCode: a.status_code, error: a.error, responseExcerpt: a.response_excerpt })),
    }));
  }

  async secret(projectId: string): Promise<{ sealed: string; createdAt: number } | null> {
    const r = await this.db.selectFrom('webhook_secrets').selectAll().where('project_id', '=', projectId).executeTakeFirst();
    return r ? { sealed: r.sealed_secret, createdAt: Number(r.created_at) } : null;
  }

  async createSecret(projectId: string, sealed: string, at: number): Promise<{ sealed: string; createdAt: number }> {
    await this.db
      .insertInto('webhook_secrets')
      .values({ project_id: projectId, sealed_secret: sealed, created_at: at, revealed_at: null })
      .onConflict((oc) => oc.column('project_id').doNothing())
      .execute();
    return (await this.secret(projectId))!;
  }

  async replaceSecret(projectId: string, sealed: string, at: number): Promise<void> {
    await this.db
      .insertInto('webhook_secrets')
      .values({ project_id: projectId, sealed_secret: sealed, created_at: at, revealed_at: at })
      .onConflict((oc) => oc.column('project_id').doUpdateSet({ sealed_secret: sealed, created_at: at, revealed_at: at }))
      .execute();
  }

  async reveal(projectId: string, at: number): Promise<boolean> {
    const r = await this.db.updateTable('webhook_secrets').set({ revealed_at: at }).where('project_id', '=', projectId).where('revealed_at', 'is', null).executeTakeFirst();
    return Number(r.numUpdatedRows) === 1;
  }

  async enqueue(deliveries: NewDelivery[]): Promise<void> {
    if (deliveries.length === 0) return;
    await this.db.transaction().execute(async (trx) => {
      for (const d of deliveries) await insertDelivery(trx, d);
    });
  }
}
