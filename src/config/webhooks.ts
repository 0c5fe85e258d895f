// Webhooks for the composition root (docs/webhooks.md): the service that keeps signing secrets
// and delivery logs, the dispatcher that sends the outbox, and the hook that writes a run's
// `started` deliveries. Sending is an outbound call to a URL a project chose, so it gets the
// same network guard as HTTP targets.
import type { RunServiceOptions } from '../app/runs/service.js';
import { WebhookDispatcher } from '../app/webhooks/dispatcher.js';
import { startDeliveries } from '../app/webhooks/payload.js';
import { WebhookService } from '../app/webhooks/service.js';
import type { Clock, Logger, Stores } from '../core/ports.js';
import { webhookPost } from '../net/webhook-post.js';
import type { AesGcmCipher } from '../storage/index.js';
import type { Config } from './env.js';
import { VERSION } from './version.js';

/** One webhook attempt's timeout (docs/webhooks.md). */
const WEBHOOK_TIMEOUT_MS = 10_000;
/** The outbox's safety poll; deliveries and this process's retries wake it without polling. */
const WEBHOOK_POLL_MS = 15_000;

/** The webhook parts of a process. */
export interface Webhooks {
  /** Webhook signing secrets and delivery logs. */
  webhooks: WebhookService;
  /** Sends the webhook outbox. */
  dispatcher: WebhookDispatcher;
  /** The experiment's `started` webhooks: written to the outbox once the run is stored, then sent. */
  afterStart: NonNullable<RunServiceOptions['afterStart']>;
}

/** What the webhook parts are built from. */
export interface WebhookWiring {
  config: Config;
  stores: Stores & { dialect: 'sqlite' | 'postgres' };
  cipher: AesGcmCipher;
  clock: Clock;
  logger: Logger;
  /** Jitter source of retries. */
  random: () => number;
}

/** Builds the webhook service and dispatcher; nothing is sent until the dispatcher starts. */
export function composeWebhooks({ config, stores, cipher, clock, logger, random }: WebhookWiring): Webhooks {
  // The service's redeliveries go through the dispatcher (one sender, one log), made just below.
  const webhooks: WebhookService = new WebhookService(stores, cipher, clock, (d) => dispatcher.redeliver(d), WEBHOOK_TIMEOUT_MS + 60_000);
  const dispatcher: WebhookDispatcher = new WebhookDispatcher({
    store: stores.webhooks, signingKey: (projectId) => webhooks.signingKey(projectId), post: webhookPost(config.httpTargetsAllowPrivate),
    clock, random, logger, timeoutMs: WEBHOOK_TIMEOUT_MS, pollMs: WEBHOOK_POLL_MS,
    // With SQLite this is the only process, so outbox locks found at start are a dead process's.
    soleSender: stores.dialect === 'sqlite', version: VERSION,
  });
  return {
    webhooks,
    dispatcher,
    afterStart: async (run) => {
      const due = startDeliveries(run);
      if (due.length === 0) return;
      await stores.webhooks.enqueue(due);
      dispatcher.wake();
    },
  };
}
