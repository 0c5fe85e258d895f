// Project secrets ({{secrets.NAME}} in HTTP targets) and model provider settings (API key,
// base URL, extra headers), both stored sealed with the Cipher port. Values go in and are used
// by runs; they never come back out: lists show names, and provider keys only masked.
//
// Decisions (SPEC §4 is silent on them):
// - Secret names are case-sensitive and must already be upper case (`BOT_TOKEN`): templates
//   look names up exactly, so silently upper-casing `bot_token` would leave
//   `{{secrets.bot_token}}` unset at run time. A lower-case name is refused, naming the field.
// - PUT /api/providers/{name} is a JSON Merge Patch (RFC 7396): an absent field keeps its
//   stored value, null clears it, and `headers` merges per header name (null removes one).
// - Project settings override the environment field by field (a project may set only a base
//   URL and keep the server's key).
import { z } from 'zod';
import { isAssayError, providerNotFound, secretNotFound, SecretUnreadableError } from '../core/errors.js';
import type { Project } from '../core/model/records.js';
import type { Cipher, Clock, Logger, ModelPrices, ProviderSettings, SecretMeta, Stores, StoredProvider } from '../core/ports.js';
import { parseOrThrow } from './validation.js';

export const SECRET_NAME_PATTERN = /^[A-Z_][A-Z0-9_]{0,127}$/;
export const PROVIDER_NAME_PATTERN = /^[a-z0-9][a-z0-9_-]{0,63}$/;
/** Largest secret value, API key or header value, in UTF-8 bytes. */
export const MAX_VALUE_BYTES = 16 * 1024;
export const MAX_PROVIDER_HEADERS = 50;
export const MAX_BASE_URL_LENGTH = 2048;

export const secretNameSchema = z
  .string()
  .regex(SECRET_NAME_PATTERN, 'must match ^[A-Z_][A-Z0-9_]{0,127}$ (upper-case letters, digits and _, as written in {{secrets.NAME}})');

export const providerNameSchema = z
  .string()
  .regex(PROVIDER_NAME_PATTERN, 'must match ^[a-z0-9][a-z0-9_-]{0,63}$ (the provider part of provider/model)');

/** Zod messages here never quote the value: error bodies must not echo a secret. */
const boundedValue = z
  .string()
  .min(1, 'must not be empty')
  .refine((v) => v.length <= MAX_VALUE_BYTES && new TextEncoder().encode(v).byteLength <= MAX_VALUE_BYTES, `must be at most ${MAX_VALUE_BYTES} bytes`);

/** Sent in HTTP headers, so line breaks and other control characters (tab aside) are refused. */
const headerSafeValue = boundedValue.refine((v) => !hasControlCharacter(v), 'must not contain line breaks or control characters');

function hasControlCharacter(value: string): boolean {
  for (let i = 0; i < value.length; i++) {
    const c = value.charCodeAt(i);
    if ((c < 0x20 && c !== 0x09) || c === 0x7f) return true;
  }
  return false;
}

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
  .refine((u) => {
    // Zod runs refinements even after the URL check failed; that failure is already reported.
    if (!URL.canParse(u)) return true;
    const url = new URL(u);
    return url.username === '' && url.password === '';
  }, 'must not contain credentials (set apiKey or headers instead: the base URL is shown in full)');

/** Body of PUT /api/secrets/{name}. Unknown fields are refused so a typo never goes unnoticed. */
export const secretPutSchema = z.strictObject({ value: boundedValue.describe(`The secret, 1 to ${MAX_VALUE_BYTES} bytes; never returned`) });

/** Body of PUT /api/providers/{name}: a merge patch of the stored settings. */
export const providerPutSchema = z.strictObject({
  apiKey: headerSafeValue.nullable().optional().describe('Stored encrypted, shown masked; null clears it'),
  baseUrl: baseUrlSchema.nullable().optional().describe('e.g. http://localhost:11434/v1 for an OpenAI-compatible server; null clears it'),
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
    .refine((p) => Object.keys(p).length <= 500, 'at most 500 models')
    .nullable()
    .optional()
    .describe('Per-model prices in USD per million tokens, over the built-in price table; merged per model (null removes one); null clears all'),
});

export type ProviderInput = z.output<typeof providerPutSchema>;

/** A provider as GET /api/providers shows it: secret-bearing values masked. */
export interface ProviderView {
  name: string;
  /** 'project' when the project stored settings (fields it left unset come from the environment). */
  source: 'project' | 'environment';
  baseUrl: string | null;
  apiKey: string | null;
  headers: Record<string, string>;
  /** When the project's settings last changed; null for environment-only providers. */
  updatedAt: number | null;
  /** Per-model price overrides, USD per million tokens. */
  prices: ModelPrices;
  /** Stored fields that no longer decrypt (the key changed): store them again. Absent when none. */
  unreadable?: ('apiKey' | 'headers')[];
}

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
function isUnreadable(error: unknown): boolean {
  return isAssayError(error) && error.code === 'secret_unreadable';
}

const aad = {
  secret: (projectId: string, name: string) => `${projectId}/secret/${name}`,
  apiKey: (projectId: string, name: string) => `${projectId}/provider-api-key/${name}`,
  headers: (projectId: string, name: string) => `${projectId}/provider-headers/${name}`,
};

export class SecretService {
  constructor(
    private readonly stores: Pick<Stores, 'secrets'>,
    private readonly cipher: Cipher,
    private readonly clock: Clock,
    private readonly logger: Logger,
  ) {}

  /** Creates or replaces a secret; answers with its name and time, never the value. */
  async put(project: Project, name: string, value: string): Promise<SecretMeta> {
    parseOrThrow(secretNameSchema, name, 'secret name', ['name']);
    parseOrThrow(secretPutSchema.shape.value, value, 'secret', ['value']);
    return this.stores.secrets.put(project.id, name, this.cipher.seal(value, aad.secret(project.id, name)), this.clock.now());
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
  async resolveAll(projectId: string): Promise<Record<string, string>> {
    const entries: [string, string][] = [];
    for (const s of await this.stores.secrets.values(projectId)) {
      try {
        entries.push([s.name, this.cipher.open(s.sealedValue, aad.secret(projectId, s.name))]);
      } catch (error) {
        if (!isUnreadable(error)) throw error;
        this.logger.warn({ projectId, secretName: s.name }, 'stored secret cannot be decrypted (was ASSAY_SECRET_KEY or the key file changed?); it is left out');
      }
    }
    // fromEntries defines own properties, so a name can never reach a prototype.
    return Object.fromEntries(entries);
  }
}

export class ProviderService {
  /** `environment`: settings from OPENAI_API_KEY and friends, by provider name (see config/env.ts). */
  constructor(
    private readonly stores: Pick<Stores, 'providers'>,
    private readonly cipher: Cipher,
    private readonly clock: Clock,
    private readonly environment: Readonly<Record<string, ProviderSettings>>,
  ) {}

  /** Applies a merge patch to the project's settings for `name`; answers with the masked view. */
  async put(project: Project, name: string, input: unknown): Promise<ProviderView> {
    parseOrThrow(providerNameSchema, name, 'provider name', ['name']);
    const patch = parseOrThrow(providerPutSchema, input, 'provider settings');
    let sealedHeaders: string | null | undefined;
    if (patch.headers === null) sealedHeaders = null;
    else if (patch.headers !== undefined) {
      // Stored headers that no longer open are gone for good; the patch starts from nothing.
      const stored = await this.stores.providers.get(project.id, name);
      const merged = new Map(Object.entries(stored ? this.headersOf(project.id, stored, 'skip') : {}));
      for (const [header, value] of Object.entries(patch.headers)) {
        if (value === null) merged.delete(header.toLowerCase());
        else merged.set(header.toLowerCase(), value);
      }
      sealedHeaders = merged.size === 0 ? null : this.cipher.seal(JSON.stringify(Object.fromEntries(merged)), aad.headers(project.id, name));
    }
    let prices: ModelPrices | null | undefined;
    if (patch.prices === null) prices = null;
    else if (patch.prices !== undefined) {
      const merged: ModelPrices = { ...((await this.stores.providers.get(project.id, name))?.prices ?? {}) };
      for (const [model, price] of Object.entries(patch.prices)) {
        if (price === null) delete merged[model];
        else merged[model] = price;
      }
      prices = Object.keys(merged).length === 0 ? null : merged;
    }
    const saved = await this.stores.providers.put(project.id, name, {
      ...(prices !== undefined ? { prices } : {}),
      at: this.clock.now(),
      ...(patch.apiKey !== undefined ? { sealedApiKey: patch.apiKey === null ? null : this.cipher.seal(patch.apiKey, aad.apiKey(project.id, name)) } : {}),
      ...(patch.baseUrl !== undefined ? { baseUrl: patch.baseUrl } : {}),
      ...(sealedHeaders !== undefined ? { sealedHeaders } : {}),
    });
    return this.view(project.id, name, saved);
  }

  /** Providers the project configured or the environment provides, by name, values masked. */
  async list(project: Project): Promise<ProviderView[]> {
    const stored = new Map((await this.stores.providers.list(project.id)).map((p) => [p.name, p]));
    const names = [...new Set([...stored.keys(), ...Object.keys(this.environment)])].sort();
    return names.map((name) => this.view(project.id, name, stored.get(name) ?? null));
  }

  /** Removes the project's settings (the environment's, if any, apply again). */
  async remove(project: Project, name: string): Promise<void> {
    parseOrThrow(providerNameSchema, name, 'provider name', ['name']);
    if (!(await this.stores.providers.remove(project.id, name))) throw providerNotFound(name);
  }

  /**
   * The settings a target uses for `name`: the project's over the environment's, field by field.
   * Throws SecretUnreadableError when a stored value does not open (never falls back to the
   * server's key for a project that set its own).
   */
  async resolve(projectId: string, name: string): Promise<ProviderSettings> {
    const env = Object.hasOwn(this.environment, name) ? this.environment[name]! : {};
    const stored = PROVIDER_NAME_PATTERN.test(name) ? await this.stores.providers.get(projectId, name) : null;
    const out: ProviderSettings = { ...env, ...(env.headers ? { headers: { ...env.headers } } : {}) };
    if (!stored) return out;
    if (stored.sealedApiKey !== null) out.apiKey = this.open(stored.sealedApiKey, aad.apiKey(projectId, name), `The API key of provider "${name}"`);
    if (stored.baseUrl !== null) out.baseUrl = stored.baseUrl;
    if (stored.prices) out.prices = stored.prices;
    const headers = this.headersOf(projectId, stored, 'throw');
    if (Object.keys(headers).length > 0) out.headers = Object.fromEntries([...Object.entries(out.headers ?? {}), ...Object.entries(headers)]);
    return out;
  }

  private view(projectId: string, name: string, stored: StoredProvider | null): ProviderView {
    const env = Object.hasOwn(this.environment, name) ? this.environment[name]! : {};
    const headers = new Map(Object.entries(env.headers ?? {}).map(([h, v]) => [h, maskValue(v)]));
    const unreadable: ('apiKey' | 'headers')[] = [];
    let apiKey = env.apiKey !== undefined ? maskValue(env.apiKey) : null;
    if (stored?.sealedApiKey != null) {
      try {
        apiKey = maskValue(this.cipher.open(stored.sealedApiKey, aad.apiKey(projectId, name)));
      } catch (error) {
        if (!isUnreadable(error)) throw error;
        apiKey = UNREADABLE;
        unreadable.push('apiKey');
      }
    }
    if (stored?.sealedHeaders != null) {
      try {
        for (const [h, v] of Object.entries(this.headersOf(projectId, stored, 'throw'))) headers.set(h, maskValue(v));
      } catch (error) {
        if (!isUnreadable(error)) throw error;
        unreadable.push('headers');
      }
    }
    return {
      name,
      source: stored ? 'project' : 'environment',
      baseUrl: stored?.baseUrl ?? env.baseUrl ?? null,
      apiKey,
      headers: Object.fromEntries(headers),
      prices: stored?.prices ?? {},
      updatedAt: stored?.updatedAt ?? null,
      ...(unreadable.length > 0 ? { unreadable } : {}),
    };
  }

  /** The stored headers, decrypted; on a value that does not open, throw or treat as none. */
  private headersOf(projectId: string, stored: StoredProvider, unreadable: 'throw' | 'skip'): Record<string, string> {
    if (stored.sealedHeaders === null) return {};
    try {
      const parsed = JSON.parse(this.open(stored.sealedHeaders, aad.headers(projectId, stored.name), `The headers of provider "${stored.name}"`)) as unknown;
      if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) return {};
      return Object.fromEntries(Object.entries(parsed).filter((e): e is [string, string] => typeof e[1] === 'string'));
    } catch (error) {
      if (unreadable === 'skip' && isUnreadable(error)) return {};
      throw error;
    }
  }

  private open(sealed: string, additional: string, what: string): string {
    try {
      return this.cipher.open(sealed, additional);
    } catch (error) {
      if (isUnreadable(error)) throw new SecretUnreadableError(what);
      throw error;
    }
  }
}
