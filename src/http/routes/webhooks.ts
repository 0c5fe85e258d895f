// Webhooks (docs/webhooks.md): the project's signing secret, a run's delivery log and a redelivery. The
// deliveries themselves are sent by the app's dispatcher, not by a route.
import { z } from 'zod';
import type { WebhookService } from '../../app/webhooks/service.js';
import { webhookDeliveryListSchema, webhookDeliverySchema, webhookSecretSchema } from '../../core/model/webhooks.js';
import type { RouteTable } from '../route.js';
import { RUN_PREFIXES } from './runs.js';

const runIdParam = z.object({ runId: z.string().max(200) });

export function webhookRoutes(routes: RouteTable, webhooks: WebhookService): void {
  routes.add(
    {
      method: 'get', path: '/api/webhooks/secret', summary: "The project's webhook signing secret", tags: ['Webhooks'], auth: 'project',
      description: 'The HMAC-SHA256 key of the Assay-Signature header of every delivery of this project; made on first use and shown once: a second read answers 409 (rotate to get a new one).',
      responses: { 200: { description: 'The secret', schema: webhookSecretSchema }, 409: { description: 'conflict: already shown' } },
      // A HEAD (a link checker, a probe) ran this GET, spent the one read and showed nothing, so
      // the next GET was a 409: refused (405) instead.
      head: false,
    },
    async (c) => c.json(await webhooks.secret(c.get('project'))),
  );

  routes.add(
    {
      method: 'post', path: '/api/webhooks/secret', summary: "Rotate the project's webhook signing secret", tags: ['Webhooks'], auth: 'project',
      description: 'Every delivery signed from now on (retries of earlier ones too) uses the new secret; the old one stops working at once. The answer is the one time the new secret is shown.',
      responses: { 200: { description: 'The new secret', schema: webhookSecretSchema } },
    },
    async (c) => c.json(await webhooks.rotate(c.get('project'))),
  );

  // Like every run route, under both prefixes (SPEC §5).
  for (const prefix of RUN_PREFIXES) {
    routes.add(
      {
        method: 'get', path: `${prefix}/runs/{runId}/webhooks`, summary: "A run's webhook deliveries and their attempts", tags: ['Webhooks'], auth: 'project',
        deprecated: prefix !== '/api/experiments',
        description: 'One delivery per finish of the run (a resumed run finishes again), each with its attempts: status code, time, error, and a short redacted excerpt of the answer.',
        params: runIdParam,
        responses: { 200: { description: 'Deliveries, oldest first', schema: webhookDeliveryListSchema }, 404: { description: 'run_not_found' } },
      },
      async (c, { params }) => c.json(await webhooks.deliveries(c.get('project'), params.runId)),
    );
    routes.add(
      {
        method: 'post', path: `${prefix}/runs/{runId}/webhooks/{deliveryId}/redeliver`, summary: 'Send a delivered or failed webhook delivery again, now', tags: ['Webhooks'], auth: 'project',
        deprecated: prefix !== '/api/experiments',
        description:
          'One attempt, now, with the same Assay-Delivery id and body (signed anew), recorded in the delivery\'s log; no retry follows, so the delivery ends delivered or failed. '
          + 'Answers the delivery with its log once the attempt is over (at most 10 s). A pending delivery is a 409: its next attempt is already scheduled.',
        params: runIdParam.extend({ deliveryId: z.string().max(200) }),
        responses: { 200: { description: 'The delivery after the attempt', schema: webhookDeliverySchema }, 404: { description: 'run_not_found, or no such delivery of the run' }, 409: { description: 'The delivery is pending, or being sent' } },
      },
      async (c, { params }) => c.json(await webhooks.redeliver(c.get('project'), params.runId, params.deliveryId)),
    );
  }
}
