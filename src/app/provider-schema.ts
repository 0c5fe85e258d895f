// What PUT /api/providers/{name} accepts: a merge patch of a project's provider settings, with
// the bounds that keep stored settings small and the requests built from them well formed
// (providers.ts stores and resolves them).
import { z } from 'zod';
import { noUserinfo } from '../core/model/experiment.js';
import { headerSafeValue } from './secrets.js';

export const PROVIDER_NAME_PATTERN = /^[a-z0-9][a-z0-9_-]{0,63}$/;
export const MAX_PROVIDER_HEADERS = 50;
/** Most models with prices of their own: per patch and, after merging, per provider. */
export const MAX_PROVIDER_PRICES = 500;
export const MAX_BASE_URL_LENGTH = 2048;
/** The largest cap a project may set on a provider (the server's ASSAY_MODEL_CONCURRENCY bounds each model anyway). */
export const MAX_PROVIDER_CONCURRENCY = 1000;

export const providerNameSchema = z
  .string()
  .regex(PROVIDER_NAME_PATTERN, 'must match ^[a-z0-9][a-z0-9_-]{0,63}$ (the provider part of provider/model)');

const HEADER_NAME = /^[!#$%&'*+.^_`|~0-9A-Za-z-]{1,128}$/;
/** Set by the HTTP client itself; a stored value would break or smuggle requests. */
const RESERVED_HEADERS = new Set(['host', 'content-length', 'transfer-encoding', 'connection', 'keep-alive', 'upgrade', 'te', 'trailer']);

const headerNameSchema = z
  .string()
  .regex(HEADER_NAME, 'must be an HTTP header name')
  .refine((n) => !RESERVED_HEADERS.has(n.toLowerCase()), 'is set by the HTTP client and cannot be configured');

const baseUrlSchema = z
  .url({ protocol: /^https?$/, error: 'must be an http:// or https:// URL' })
  .max(MAX_BASE_URL_LENGTH)
  .refine(noUserinfo, 'must not contain credentials (set apiKey or headers instead: the base URL is shown in full)')
  // The SDKs append paths (`/chat/completions`) to the base URL as text: after a `?` or `#` they
  // would land in the query or fragment, and the call would hit the base URL's exact path.
  .refine((u) => !u.includes('?') && !u.includes('#'), 'must not contain a query (?) or fragment (#): request paths are appended to it');

/** Body of PUT /api/providers/{name}: a merge patch of the stored settings. */
export const providerPutSchema = z.strictObject({
  apiKey: headerSafeValue.nullable().optional().describe('Stored encrypted, shown masked; null clears it'),
  baseUrl: baseUrlSchema
    .nullable()
    .optional()
    .describe("e.g. http://localhost:11434/v1 for an OpenAI-compatible server; null clears it. With a base URL of its own, a project uses its own apiKey and headers only (the server's are never sent to it)"),
  headers: z
    .record(headerNameSchema, headerSafeValue.nullable())
    .refine((h) => Object.keys(h).length <= MAX_PROVIDER_HEADERS, `at most ${MAX_PROVIDER_HEADERS} headers`)
    .refine((h) => new Set(Object.keys(h).map((n) => n.toLowerCase())).size === Object.keys(h).length, 'names a header twice (header names are case-insensitive)')
    .nullable()
    .optional()
    .describe('Extra headers sent to the provider, merged per name (null removes one); null clears all. Stored encrypted, shown masked'),
  prices: z
    .record(
      z.string().min(1).max(200),
      z.strictObject({ input: z.number().min(0).max(1e6), output: z.number().min(0).max(1e6), cachedInput: z.number().min(0).max(1e6).optional() }).nullable(),
    )
    .refine((p) => Object.keys(p).length <= MAX_PROVIDER_PRICES, `at most ${MAX_PROVIDER_PRICES} models`)
    .nullable()
    .optional()
    .describe('Per-model prices in USD per million tokens, over the built-in price table; merged per model (null removes one); null clears all'),
  maxConcurrency: z
    .int()
    .min(1)
    .max(MAX_PROVIDER_CONCURRENCY)
    .nullable()
    .optional()
    .describe(
      "The most calls of this project to the provider at once, over all its models, targets, judges and runs (a local model on one GPU: 1 or 2). " +
        "Each model stays under the server's own limit too (ASSAY_MODEL_CONCURRENCY, lowered on 429s). Applies to runs started after it is set; null removes the cap",
    ),
});

export type ProviderInput = z.output<typeof providerPutSchema>;
