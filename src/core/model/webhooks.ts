// Webhooks (docs/webhooks.md): what a receiver gets when a run ends, and the delivery log a
// project reads. One zod schema per shape: the routes declare them (OpenAPI), the client infers.
import { z } from 'zod';
import { runStatusSchema } from './run-api.js';

/** run.started: a run was started (experiment webhooks that ask for it); run.finished: it reached a final status. */
export const webhookEventSchema = z.enum(['run.started', 'run.finished']);
export type WebhookEvent = z.infer<typeof webhookEventSchema>;

/**
 * The POST body: the poll body of the finished run (status, progress, summary, error…) with
 * what a receiver needs to route it. `deliveryId` stays the same across retries of one
 * delivery, so a receiver can drop duplicates (delivery is at least once).
 */
export const webhookPayloadSchema = runStatusSchema.extend({
  event: webhookEventSchema,
  deliveryId: z.string(),
  projectId: z.string(),
  experimentSlug: z.string(),
  runUrl: z.string(),
  metadata: z.record(z.string(), z.unknown()),
});
export type WebhookPayload = z.infer<typeof webhookPayloadSchema>;

/** pending: will be (re)tried at nextAttemptAt; delivered: a 2xx answer; failed: given up. */
export const deliveryStatusSchema = z.enum(['pending', 'delivered', 'failed']);
export type DeliveryStatus = z.infer<typeof deliveryStatusSchema>;

export const webhookAttemptSchema = z.object({
  attempt: z.int().describe('1-based'),
  at: z.number().describe('Unix ms the attempt started'),
  durationMs: z.int(),
  statusCode: z.int().nullable().describe("The receiver's HTTP status; null when no answer came (network error, timeout, refused address)"),
  error: z.string().nullable().describe('Why the attempt did not deliver; null when it did'),
  responseExcerpt: z.string().nullable().describe("The first 200 characters of the receiver's answer, with the signing secret redacted"),
});
export type WebhookAttempt = z.infer<typeof webhookAttemptSchema>;

export const webhookDeliverySchema = z.object({
  id: z.string(),
  event: webhookEventSchema,
  url: z.string(),
  status: deliveryStatusSchema,
  attempts: z.int(),
  nextAttemptAt: z.number().nullable().describe('Unix ms of the next try while pending'),
  createdAt: z.number(),
  deliveredAt: z.number().nullable(),
  log: z.array(webhookAttemptSchema),
});
export type WebhookDelivery = z.infer<typeof webhookDeliverySchema>;

/** GET /runs/{runId}/webhooks */
export const webhookDeliveryListSchema = z.object({ runId: z.string(), deliveries: z.array(webhookDeliverySchema) });
export type WebhookDeliveryList = z.infer<typeof webhookDeliveryListSchema>;

/** GET|POST /api/webhooks/secret */
export const webhookSecretSchema = z.object({
  secret: z.string().describe('whsec_…: the HMAC-SHA256 key of Assay-Signature, used as UTF-8 bytes'),
  createdAt: z.number(),
});
export type WebhookSecret = z.infer<typeof webhookSecretSchema>;
