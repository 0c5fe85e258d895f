// Project secrets (`{{secrets.NAME}}` in HTTP targets), stored sealed with the Cipher port.
// Values go in and are used by runs; they never come back out: lists show names (and the
// origins a value is bound to). Shared parts of the provider settings (value bounds, masking,
// associated data) live here too; the provider settings themselves are in ./providers.ts.
//
// Decisions (SPEC §4 is silent on them):
// - Secret names are case-sensitive and must already be upper case (`BOT_TOKEN`): templates
//   look names up exactly, so silently upper-casing `bot_token` would leave
//   `{{secrets.bot_token}}` unset at run time. A lower-case name is refused, naming the field.
// - A secret may be bound to origins (`allowedOrigins`): a request of an HTTP target that would
//   send it anywhere else fails its cell instead (docs/security.md).
import { z } from 'zod';
import { isAssayError, secretNotFound, ValidationError } from '../core/errors.js';
import type { Project } from '../core/model/records.js';
import type { Cipher, Clock, Logger, ResolvedSecrets, SecretMeta, Stores } from '../core/ports.js';
import { parseOrThrow } from './validation.js';

export const SECRET_NAME_PATTERN = /^[A-Z_][A-Z0-9_]{0,127}$/;
/** Largest secret value, API key or header value, in UTF-8 bytes. */
export const MAX_VALUE_BYTES = 16 * 1024;

export const secretNameSchema = z
  .string()
  .regex(SECRET_NAME_PATTERN, 'must match ^[A-Z_][A-Z0-9_]{0,127}$ (upper-case letters, digits and _, as written in {{secrets.NAME}})');

/** Zod messages here never quote the value: error bodies must not echo a secret. */
export const boundedValue = z
  .string()
  .min(1, 'must not be empty')
  .refine((v) => v.length <= MAX_VALUE_BYTES && new TextEncoder().encode(v).byteLength <= MAX_VALUE_BYTES, `must be at most ${MAX_VALUE_BYTES} bytes`);

/** Sent in HTTP headers, so line breaks and other control characters (tab aside) are refused. */
export const headerSafeValue = boundedValue.refine((v) => !hasControlCharacter(v), 'must not contain line breaks or control characters');

function hasControlCharacter(value: string): boolean {
  for (let i = 0; i < value.length; i++) {
    const c = value.charCodeAt(i);
    if ((c < 0x20 && c !== 0x09) || c === 0x7f) return true;
  }
  return false;
}

export const MAX_ALLOWED_ORIGINS = 20;

/**
 * Most secrets of one project. Every run start decrypts them all (a target may read any), and
 * the redactor looks for each in every text: 5,000 secrets of 16 KB held each run start of the
 * project 1.6 s and 130–190 MB. 200 at the size bound open in tens of ms.
 */
export const MAX_SECRETS = 200;

/**
 * `scheme://host[:port]` as URL.origin writes it (lower-case host, default port dropped), so a
 * request's origin can be compared with it exactly. Paths, queries and credentials are refused:
 * an origin is the unit a browser, and this check, trusts.
 */
export const originSchema = z
  .string()
  .max(2048)
  .refine((u) => URL.canParse(u) && /^https?:$/.test(new URL(u).protocol), 'must be an http:// or https:// origin')
  .refine((u) => {
    if (!URL.canParse(u)) return true;
    const url = new URL(u);
    return url.username === '' && url.password === '' && (url.pathname === '/' || url.pathname === '') && url.search === '' && url.hash === '';
  }, 'must be an origin only (scheme://host[:port]), without path, query, fragment or credentials')
  .transform((u) => new URL(u).origin);

/** Body of PUT /api/secrets/{name}. Unknown fields are refused so a typo never goes unnoticed. */
export const secretPutSchema = z.strictObject({
  value: boundedValue.describe(`The secret, 1 to ${MAX_VALUE_BYTES} bytes; never returned`),
  allowedOrigins: z
    .array(originSchema)
    .min(1, 'must name at least one origin (null allows any)')
    .max(MAX_ALLOWED_ORIGINS, `at most ${MAX_ALLOWED_ORIGINS} origins`)
    .nullable()
    .optional()
    .describe('The only origins (https://host[:port]) an HTTP target may send this value to. Absent: as stored (any origin for a new secret), so a new value keeps its binding; null: any origin. A request to another origin fails its cell'),
});

export const UNREADABLE = '[unreadable]';

/**
 * Enough of a value to recognise it: `sk-…abcd` for values of 20 characters or more (at most 7
 * characters shown), `…` for shorter ones (showing any part of a short value gives too much away).
 */
export function maskValue(value: string): string {
  const chars = [...value];
  return chars.length >= 20 ? `${chars.slice(0, 3).join('')}…${chars.slice(-4).join('')}` : '…';
}

/** True for a sealed value that does not open (see Cipher.open). */
export function isUnreadable(error: unknown): boolean {
  return isAssayError(error) && error.code === 'secret_unreadable';
}

/** Associated data of each sealed value: a value copied to another row does not open. */
export const aad = {
  secret: (projectId: string, name: string) => `${projectId}/secret/${name}`,
  apiKey: (projectId: string, name: string) => `${projectId}/provider-api-key/${name}`,
  headers: (projectId: string, name: string) => `${projectId}/provider-headers/${name}`,
  webhookSecret: (projectId: string) => `${projectId}/webhook/secret`,
};

export class SecretService {
  constructor(
    private readonly stores: Pick<Stores, 'secrets'>,
    private readonly cipher: Cipher,
    private readonly clock: Clock,
    private readonly logger: Logger,
  ) {}

  /**
   * Creates a secret or replaces its value; answers with its name, time and origins, never the
   * value. `allowedOrigins` left out keeps the stored binding: rotating a value with
   * `{"value": …}` alone had unbound it, and the new value went to any origin. `null` unbinds.
   */
  async put(project: Project, name: string, input: unknown): Promise<SecretMeta> {
    parseOrThrow(secretNameSchema, name, 'secret name', ['name']);
    const { value, allowedOrigins } = parseOrThrow(secretPutSchema, input, 'secret');
    const origins = allowedOrigins == null ? allowedOrigins : [...new Set(allowedOrigins)].sort();
    if (!(await this.stores.secrets.get(project.id, name)) && (await this.stores.secrets.list(project.id)).length >= MAX_SECRETS) {
      throw new ValidationError(`The project has ${MAX_SECRETS} secrets, the most it may have: delete one before adding "${name}"`, [{ path: ['name'], message: `at most ${MAX_SECRETS} secrets per project` }]);
    }
    return this.stores.secrets.put(project.id, name, this.cipher.seal(value, aad.secret(project.id, name)), this.clock.now(), origins);
  }

  list(project: Project): Promise<SecretMeta[]> {
    return this.stores.secrets.list(project.id);
  }

  async remove(project: Project, name: string): Promise<void> {
    parseOrThrow(secretNameSchema, name, 'secret name', ['name']);
    if (!(await this.stores.secrets.remove(project.id, name))) throw secretNotFound(name);
  }

  /**
   * Every stored secret of the project, decrypted, for a run. A value that does not open (key
   * changed, row altered) is left out and logged by name, so a target that needs it fails with
   * "secret NAME is not set" while the others still work.
   */
  async resolveAll(projectId: string): Promise<ResolvedSecrets> {
    const values: [string, string][] = [];
    const origins: [string, readonly string[]][] = [];
    for (const s of await this.stores.secrets.values(projectId)) {
      try {
        values.push([s.name, this.cipher.open(s.sealedValue, aad.secret(projectId, s.name))]);
        if (s.allowedOrigins !== undefined) origins.push([s.name, s.allowedOrigins]);
      } catch (error) {
        if (!isUnreadable(error)) throw error;
        this.logger.warn({ projectId, secretName: s.name }, 'stored secret cannot be decrypted (was ASSAY_SECRET_KEY or the key file changed?); it is left out');
      }
    }
    // fromEntries defines own properties, so a name can never reach a prototype.
    return { values: Object.fromEntries(values), origins: Object.fromEntries(origins) };
  }
}

