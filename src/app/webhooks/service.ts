// Webhook use cases a project calls (docs/webhooks.md): its signing secret (read once, rotate)
// and the delivery log of a run. The secret is made on first use (a read, or the first
// delivery) and stored sealed like project secrets. It is shown once — the first read, or the
// answer of a rotation — so a key that leaks later cannot read it back; whoever lost it rotates.
import { randomBytes } from 'node:crypto';
import { AssayError, runNotFound } from '../../core/errors.js';
import type { Project } from '../../core/model/records.js';
import type { WebhookDeliveryList, WebhookSecret } from '../../core/model/webhooks.js';
import type { Cipher, Clock, Stores } from '../../core/ports.js';

const aad = (projectId: string) => `${projectId}/webhook/secret`;

function newSecret(): string {
  return `whsec_${randomBytes(32).toString('base64url')}`;
}

export class WebhookService {
  constructor(
    private readonly stores: Pick<Stores, 'runs' | 'webhooks'>,
    private readonly cipher: Cipher,
    private readonly clock: Clock,
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
    return {
      runId: run.id,
      deliveries: deliveries.map((d) => ({
        id: d.id, event: d.event, url: d.url, status: d.status, attempts: d.attempts, nextAttemptAt: d.status === 'pending' ? d.nextAttemptAt : null,
        createdAt: d.createdAt, deliveredAt: d.deliveredAt, log: d.log,
      })),
    };
  }
}
