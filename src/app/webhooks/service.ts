// Webhook use cases a project calls (docs/webhooks.md): its signing secret (read, rotate) and
// the delivery log of a run. The secret is made on first use (a read, or the first delivery),
// stored sealed like project secrets, and readable by the project's keys: any key of the
// project can already start runs that send webhooks, so it gains nothing it could not do.
import { randomBytes } from 'node:crypto';
import { runNotFound } from '../../core/errors.js';
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

  /** The project's signing secret, made now if it has none. */
  async secret(project: Pick<Project, 'id'>): Promise<WebhookSecret> {
    const stored = (await this.stores.webhooks.secret(project.id)) ?? (await this.stores.webhooks.createSecret(project.id, this.cipher.seal(newSecret(), aad(project.id)), this.clock.now()));
    return { secret: this.cipher.open(stored.sealed, aad(project.id)), createdAt: stored.createdAt };
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
    return (await this.secret({ id: projectId })).secret;
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
