// Project secrets and provider settings (SPEC §4 "Secrets and providers"). Values go in and
// never come out: secrets are listed by name, provider keys and headers masked. Error answers
// name the field or the secret, never a value (not even a snippet of a malformed body).
import { z } from 'zod';
import { providerNameSchema, providerPutSchema } from '../../app/provider-schema.js';
import type { ProviderService } from '../../app/providers.js';
import { secretNameSchema, secretPutSchema, type SecretService } from '../../app/secrets.js';
import type { RouteTable } from '../route.js';

/** Bodies here are small: a 16 KiB value, JSON-escaped, or a few dozen headers. */
const MAX_BODY_BYTES = 1024 * 1024;

const secretMetaSchema = z.object({
  name: z.string(),
  updatedAt: z.number().describe('Unix ms'),
  allowedOrigins: z.array(z.string()).optional().describe('The only origins the value may be sent to; absent = any'),
});

const providerViewSchema = z.object({
  name: z.string(),
  source: z.enum(['project', 'environment']).describe('project: the project stored settings (unset fields fall back to the environment)'),
  baseUrl: z.string().nullable(),
  apiKey: z.string().nullable().describe('The key calls carry, masked (sk-…abcd); null when none'),
  apiKeySource: z.enum(['project', 'server']).nullable().describe("project: the project's own key; server: the server's (only ever sent to the server's base URL)"),
  headers: z.record(z.string(), z.string()).describe('Header name → masked value'),
  updatedAt: z.number().nullable(),
  prices: z.record(z.string(), z.object({ input: z.number(), output: z.number(), cachedInput: z.number().optional() })).describe('Per-model price overrides, USD per million tokens'),
  maxConcurrency: z.number().int().nullable().describe("The project's cap on calls to this provider at once (all its models, targets, judges and runs); null: none"),
  unreadable: z.array(z.enum(['apiKey', 'headers'])).optional().describe('Stored fields that no longer decrypt (the encryption key changed); store them again'),
});

const secretParam = z.object({ name: secretNameSchema });
const providerParam = z.object({ name: providerNameSchema });

export function secretRoutes(routes: RouteTable, secrets: SecretService, providers: ProviderService): void {

  routes.add(
    {
      method: 'put', path: '/api/secrets/{name}', summary: 'Store a project secret', tags: ['Secrets'], auth: 'project',
      description: 'Creates or replaces the value of `{{secrets.NAME}}` for this project (stored encrypted; never returned). It overrides `ASSAY_SECRET_<NAME>`. ' +
        'With `allowedOrigins`, an HTTP target may send the value only to those origins; a request elsewhere fails its cell.',
      params: secretParam,
      // Validated by the service (it names the field and never echoes the value).
      body: { schema: secretPutSchema, read: 'private', validate: 'service', maxBytes: MAX_BODY_BYTES },
      responses: { 200: { description: 'Stored (the value is not echoed)', schema: secretMetaSchema } },
    },
    async (c, { params, body }) => c.json(await secrets.put(c.get('project'), params.name, body)),
  );

  routes.add(
    {
      method: 'get', path: '/api/secrets', summary: 'List project secrets (names only)', tags: ['Secrets'], auth: 'project',
      responses: { 200: { description: 'Names and update times, by name', schema: z.object({ secrets: z.array(secretMetaSchema) }) } },
    },
    async (c) => c.json({ secrets: await secrets.list(c.get('project')) }),
  );

  routes.add(
    {
      method: 'delete', path: '/api/secrets/{name}', summary: 'Delete a project secret', tags: ['Secrets'], auth: 'project',
      params: secretParam,
      responses: { 204: { description: 'Deleted' } },
    },
    async (c, { params }) => {
      await secrets.remove(c.get('project'), params.name);
      return c.body(null, 204);
    },
  );

  routes.add(
    {
      method: 'put', path: '/api/providers/{name}', summary: 'Set a model provider for this project', tags: ['Providers'], auth: 'project',
      description:
        'A merge patch (RFC 7396) of the project\'s settings for `provider/model` names: an absent field keeps its stored value, null clears it; ' +
        '`headers` merges per name. The API key and headers are stored encrypted and shown masked. The project\'s key wins over the server\'s; the server\'s key and ' +
        'headers are sent only to the server\'s base URL (never to a `baseUrl` the project sets, which then needs the project\'s own `apiKey`: refused otherwise), ' +
        'and only for projects in ASSAY_SHARED_CREDENTIALS_PROJECTS.',
      params: providerParam,
      body: { schema: providerPutSchema, read: 'private', validate: 'service', maxBytes: MAX_BODY_BYTES },
      responses: { 200: { description: 'The provider as it now applies, masked', schema: providerViewSchema } },
    },
    async (c, { params, body }) => c.json(await providers.put(c.get('project'), params.name, body)),
  );

  routes.add(
    {
      method: 'get', path: '/api/providers', summary: 'List model providers (keys masked)', tags: ['Providers'], auth: 'project',
      description: 'Providers the project configured and those the server\'s environment provides (OPENAI_API_KEY, …), by name.',
      responses: { 200: { description: 'Providers, by name', schema: z.object({ providers: z.array(providerViewSchema) }) } },
    },
    async (c) => c.json({ providers: await providers.list(c.get('project')) }),
  );

  routes.add(
    {
      method: 'delete', path: '/api/providers/{name}', summary: 'Remove the project\'s settings for a provider', tags: ['Providers'], auth: 'project',
      description: 'The environment\'s settings for the provider, if any, apply again.',
      params: providerParam,
      responses: { 204: { description: 'Removed' } },
    },
    async (c, { params }) => {
      await providers.remove(c.get('project'), params.name);
      return c.body(null, 204);
    },
  );
}
