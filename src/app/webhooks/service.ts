// Webhook use cases a project calls (docs/webhooks.md): its signing secret (read once, rotate)
// and the delivery log of a run. The secret is made on first use (a read, or the first
// delivery) and stored sealed like project secrets. It is shown once — the first read, or the
// answer of a rotation — so a key that leaks later cannot read it back; whoever lost it rotates.
// A finished delivery can be sent again on request (redeliver): one attempt, now.
import { randomBytes } from 'node:crypto';
import { AssayError, NotFoundError, runNotFound } from '../../core/errors.js';
import type { Project } from '../../core/model/records.js';
import type { WebhookDelivery, WebhookDeliveryList, WebhookSecret } from '../../core/model/webhooks.js';
import type { DeliveryRecord } from '../../core/webhook-store.js';
import type { Cipher, Clock, Stores } from '../../core/ports.js';
import { aad as sealedAad } from '../secrets.js';

const aad = sealedAad.webhookSecret;

function newSecret(): string {
  return `whsec_${randomBytes(32).toString('base64url')}`;
}

export class WebhookService {
  constructor(
    private readonly stores: Pick<Stores, 'runs' | 'webhooks'>,
    private readonly cipher: Cipher,
    private readonly clock: Clock,
    /** Sends one attempt of a locked delivery and records it (WebhookDispatcher.redeliver). */
    private readonly sendOnce: (delivery: DeliveryRecord) => Promise<void> = async () => {
      throw new Error('no webhook sender');
    },
    /** How long a redelivery holds its lock: one attempt's timeout and a margin. */
    private readonly lockMs = 70_000,
  ) {}

  /** The project's signing secret, made now if it has none (deliveries sign with it; nothing is shown). */
  private async stored(projectId: string): Promise<WebhookSecret> {
    const stored = (await this.stores.webhooks.secret(projectId)) ?? (await this.stores.webhooks.createSecret(projectId, this.cipher.seal(newSecret(), aad(projectId)), this.clock.now()));
    return { secret: this.cipher.open(stored.sealed, aad(projectId)), createdAt: stored.createdAt };
  }

  /** The signing secret, shown once: a second read is refused (409) — rotate to get a new one. */
  async secret(project: Pick<Project, 'id'>): Promise<WebhookSecret> {
    const secret = await this.stored(project.id);
    if (!(await this.stores.webhooks.reveal(project.id, this.clock.now()))) {
      throw new AssayError('conflict', 'The webhook signing secret is shown only once and was already read; rotate it (POST /api/webhooks/secret) to get a new one', {
        meta: { createdAt: secret.createdAt },
      });
    }
    return secret;
  }

  /** A new secret; deliveries signed from now on use it (a pending retry too). */
  async rotate(project: Pick<Project, 'id'>): Promise<WebhookSecret> {
    const secret = newSecret();
    const at = this.clock.now();
    await this.stores.webhooks.replaceSecret(project.id, this.cipher.seal(secret, aad(project.id)), at);
    return { secret, createdAt: at };
  }

  /** The key that signs a project's deliveries. */
  async signingKey(projectId: string): Promise<string> {
    return (await this.stored(projectId)).secret;
  }

  /** A run's deliveries with their attempts; another project's run is not found. */
  async deliveries(project: Pick<Project, 'id'>, runId: string): Promise<WebhookDeliveryList> {
    const run = await this.stores.runs.get(project.id, runId);
    if (!run) throw runNotFound(runId);
    const deliveries = await this.stores.webhooks.ofRun(run.id);
    return { runId: run.id, deliveries: deliveries.map(present) };
  }

  /**
   * Sends a delivered or failed delivery once more, now, with its own id and body (a receiver
   * that dedupes by Assay-Delivery drops a copy it has), and answers it with the attempt in its
   * log. No retry follows: it ends delivered or failed again. A pending one is refused (409):
   * its next attempt is already scheduled.
   */
  async redeliver(project: Pick<Project, 'id'>, runId: string, deliveryId: string): Promise<WebhookDelivery> {
    const run = await this.stores.runs.get(project.id, runId);
    if (!run) throw runNotFound(runId);
    const now = this.clock.now();
    const claimed = await this.stores.webhooks.claimForRedelivery(run.id, deliveryId, now, now + this.lockMs);
    const shown = deliveryId.slice(0, 100);
    if (claimed === 'missing') throw new NotFoundError('not_found', `Run ${run.id} has no webhook delivery ${shown}; GET …/runs/${run.id}/webhooks lists its deliveries`, { id: shown });
    if (claimed === 'pending') throw new AssayError('conflict', `Delivery ${shown} is pending: its next attempt is scheduled (nextAttemptAt in GET …/runs/${run.id}/webhooks); only a delivered or failed delivery is sent again`, { meta: { id: shown, status: 'pending' } });
    if (claimed === 'locked') throw new AssayError('conflict', `Delivery ${shown} is being sent right now; look at its log in a few seconds`, { meta: { id: shown } });
    await this.sendOnce(claimed);
    const after = (await this.stores.webhooks.ofRun(run.id)).find((d) => d.id === claimed.id)!;
    return present(after);
  }
}

function present(d: DeliveryRecord & { log: WebhookDelivery['log'] }): WebhookDelivery {
  return {
    id: d.id, event: d.event, url: d.url, status: d.status, attempts: d.attempts, nextAttemptAt: d.status === 'pending' ? d.nextAttemptAt : null,
    createdAt: d.createdAt, deliveredAt: d.deliveredAt, log: d.log,
  };
}
