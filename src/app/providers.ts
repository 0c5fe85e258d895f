// Model provider settings per project (API key, base URL, extra headers, prices), stored sealed
// with the Cipher port, over the server's own settings from the environment (OPENAI_API_KEY…).
//
// Decisions (SPEC §4 is silent on them; docs/security.md has the threat model):
// - PUT /api/providers/{name} is a JSON Merge Patch (RFC 7396): an absent field keeps its
//   stored value, null clears it, and `headers` merges per header name (null removes one).
// - The server's credentials (its API key and headers for a provider) are sent only to the
//   server's base URL, and only for projects named in ASSAY_SHARED_CREDENTIALS_PROJECTS (all by
//   default). A project that sets its own base URL uses its own key and headers only: before,
//   settings merged field by field, so a project setting only `baseUrl` received the server's
//   key at a URL of its choosing. Saving a base URL without a key where the server has one is
//   refused (400), so the mistake is seen at once rather than as failing cells.
// - A base URL a project chose goes through the network guard (ASSAY_HTTP_TARGETS_ALLOW_PRIVATE)
//   like an HTTP target's URL; one the operator chose does not.
import { providerNotFound, SecretUnreadableError, ValidationError } from '../core/errors.js';
import { providerCapKey } from '../core/model/adapters.js';
import type { Project } from '../core/model/records.js';
import { BUILT_IN_PROVIDERS, type Cipher, type Clock, type ModelPrices, type ProviderSettings, type SharedCredentials, type Stores, type StoredProvider } from '../core/ports.js';
import { MAX_PROVIDER_HEADERS, MAX_PROVIDER_PRICES, PROVIDER_NAME_PATTERN, type ProviderInput, providerNameSchema, providerPutSchema } from './provider-schema.js';
import { aad, isUnreadable, maskValue, UNREADABLE } from './secrets.js';
import { parseOrThrow } from './validation.js';

/** A provider as GET /api/providers shows it: secret-bearing values masked. */
export interface ProviderView {
  name: string;
  /** 'project' when the project stored settings (fields it left unset come from the environment). */
  source: 'project' | 'environment';
  baseUrl: string | null;
  /** The key calls will carry, masked; null when none. */
  apiKey: string | null;
  /** Whose key that is: the project's own or the server's; null when none. */
  apiKeySource: 'project' | 'server' | null;
  headers: Record<string, string>;
  /** When the project's settings last changed; null for environment-only providers. */
  updatedAt: number | null;
  /** Per-model price overrides, USD per million tokens. */
  prices: ModelPrices;
  /** The project's cap on calls to this provider at once; null when it set none. */
  maxConcurrency: number | null;
  /** Stored fields that no longer decrypt (the key changed): store them again. Absent when none. */
  unreadable?: ('apiKey' | 'headers')[];
}

/** What a run reads of a project's providers when it starts: whose quota each is on, and their caps. */
export interface ProviderQuotas {
  /** The providers whose calls count against the project's own quota (ownsQuota). */
  own: ReadonlySet<string>;
  /** Provider name → the key of the project's cap on it (providerCapKey). */
  caps: ReadonlyMap<string, string>;
}

/**
 * Whether calls with these stored settings count against the project's own quota rather than the
 * server's: the project's own key, base URL or headers shape the request (prices alone do not).
 */
export function ownsQuota(stored: Pick<StoredProvider, 'sealedApiKey' | 'baseUrl' | 'sealedHeaders'>): boolean {
  return stored.sealedApiKey != null || stored.baseUrl != null || stored.sealedHeaders != null;
}

export class ProviderService {
  /**
   * `environment`: the server's settings from OPENAI_API_KEY and friends, by provider name (see
   * config/env.ts); `shared`: which projects may use the server's credentials.
   */
  constructor(
    private readonly stores: Pick<Stores, 'providers'>,
    private readonly cipher: Cipher,
    private readonly clock: Clock,
    private readonly environment: Readonly<Record<string, ProviderSettings>>,
    private readonly shared: SharedCredentials,
  ) {}

  /** Applies a merge patch to the project's settings for `name`; answers with the masked view. */
  async put(project: Project, name: string, input: unknown): Promise<ProviderView> {
    parseOrThrow(providerNameSchema, name, 'provider name', ['name']);
    const patch = parseOrThrow(providerPutSchema, input, 'provider settings');
    const stored = await this.stores.providers.get(project.id, name);
    this.refuseServerKeyElsewhere(name, stored, patch);
    this.refuseNoEndpoint(name, stored, patch);
    let sealedHeaders: string | null | undefined;
    if (patch.headers === null) sealedHeaders = null;
    else if (patch.headers !== undefined) {
      // Stored headers that no longer open are gone for good; the patch starts from nothing.
      const merged = new Map(Object.entries(stored ? this.headersOf(project.id, stored, 'skip') : {}));
      for (const [header, value] of Object.entries(patch.headers)) {
        if (value === null) merged.delete(header.toLowerCase());
        else merged.set(header.toLowerCase(), value);
      }
      // The bound holds for what is stored, not only for each patch: a settings read is on the
      // path of every model call (100,000 prices merged over 200 PUTs held each GET 0.9 s).
      if (merged.size > MAX_PROVIDER_HEADERS) {
        throw new ValidationError(`Provider "${name}" would have ${merged.size} headers; at most ${MAX_PROVIDER_HEADERS} are kept (remove some with null)`, [{ path: ['headers'], message: `at most ${MAX_PROVIDER_HEADERS} headers in all` }]);
      }
      sealedHeaders = merged.size === 0 ? null : this.cipher.seal(JSON.stringify(Object.fromEntries(merged)), aad.headers(project.id, name));
    }
    let prices: ModelPrices | null | undefined;
    if (patch.prices === null) prices = null;
    else if (patch.prices !== undefined) {
      const merged: ModelPrices = { ...(stored?.prices ?? {}) };
      for (const [model, price] of Object.entries(patch.prices)) {
        if (price === null) delete merged[model];
        else merged[model] = price;
      }
      const count = Object.keys(merged).length;
      if (count > MAX_PROVIDER_PRICES) {
        throw new ValidationError(`Provider "${name}" would have prices for ${count} models; at most ${MAX_PROVIDER_PRICES} are kept (remove some with null)`, [{ path: ['prices'], message: `at most ${MAX_PROVIDER_PRICES} models in all` }]);
      }
      prices = Object.keys(merged).length === 0 ? null : merged;
    }
    const saved = await this.stores.providers.put(project.id, name, {
      ...(prices !== undefined ? { prices } : {}),
      at: this.clock.now(),
      ...(patch.apiKey !== undefined ? { sealedApiKey: patch.apiKey === null ? null : this.cipher.seal(patch.apiKey, aad.apiKey(project.id, name)) } : {}),
      ...(patch.baseUrl !== undefined ? { baseUrl: patch.baseUrl } : {}),
      ...(sealedHeaders !== undefined ? { sealedHeaders } : {}),
      ...(patch.maxConcurrency !== undefined ? { maxConcurrency: patch.maxConcurrency } : {}),
    });
    return this.view(project.id, name, saved, await this.shared.allows(project.id));
  }

  /**
   * A base URL of the project's own without a key of its own, for a provider the server has a
   * key for, is refused: the server's key will not go there, so every call would fail.
   */
  private refuseServerKeyElsewhere(name: string, stored: StoredProvider | null, patch: ProviderInput): void {
    const env = this.environmentOf(name);
    if (env.apiKey === undefined) return;
    const baseUrl = patch.baseUrl !== undefined ? patch.baseUrl : (stored?.baseUrl ?? null);
    const hasKey = patch.apiKey !== undefined ? patch.apiKey !== null : (stored?.sealedApiKey ?? null) !== null;
    if (baseUrl === null || hasKey) return;
    const message =
      `provider "${name}" with a base URL of the project's own needs the project's own apiKey: ` +
      "the server's key is only ever sent to the server's base URL";
    throw new ValidationError(`Invalid provider settings: apiKey: ${message}`, [{ path: ['apiKey'], message }]);
  }

  /**
   * A provider that is not built in is an OpenAI-compatible endpoint: settings for one with no
   * base URL (the project's or the server's) were stored, and every call then failed with
   * "unknown provider". Refused, unless the patch clears everything (a removal).
   */
  private refuseNoEndpoint(name: string, stored: StoredProvider | null, patch: ProviderInput): void {
    if ((BUILT_IN_PROVIDERS as readonly string[]).includes(name) || this.environmentOf(name).baseUrl !== undefined) return;
    const kept = (given: unknown, before: unknown): boolean => (given !== undefined ? given !== null : (before ?? null) !== null);
    if (kept(patch.baseUrl, stored?.baseUrl)) return;
    const anything =
      kept(patch.apiKey, stored?.sealedApiKey) || kept(patch.headers, stored?.sealedHeaders) || kept(patch.prices, stored?.prices) || kept(patch.maxConcurrency, stored?.maxConcurrency);
    if (!anything) return;
    const message =
      `required: "${name}" is not a built-in provider (${BUILT_IN_PROVIDERS.join(', ')}), so it is an OpenAI-compatible endpoint, ` +
      'and no call can reach it without its base URL (e.g. "http://localhost:11434/v1")';
    throw new ValidationError(`Invalid provider settings: baseUrl: ${message}`, [{ path: ['baseUrl'], message }]);
  }

  /** Providers the project configured or the environment provides, by name, values masked. */
  async list(project: Project): Promise<ProviderView[]> {
    const stored = new Map((await this.stores.providers.list(project.id)).map((p) => [p.name, p]));
    const names = [...new Set([...stored.keys(), ...Object.keys(this.environment)])].sort();
    const shared = await this.shared.allows(project.id);
    return names.map((name) => this.view(project.id, name, stored.get(name) ?? null, shared));
  }

  /** Removes the project's settings (the environment's, if any, apply again). */
  async remove(project: Project, name: string): Promise<void> {
    parseOrThrow(providerNameSchema, name, 'provider name', ['name']);
    if (!(await this.stores.providers.remove(project.id, name))) throw providerNotFound(name);
  }

  /**
   * The settings a call uses for `name`. The base URL is the project's, else the server's; the
   * server's key and headers come along only with the server's base URL and only for projects
   * that may share them; the project's own key and headers win. Throws SecretUnreadableError
   * when a stored value does not open (never falls back to the server's key).
   */
  async resolve(projectId: string, name: string): Promise<ProviderSettings> {
    const env = this.environmentOf(name);
    const stored = PROVIDER_NAME_PATTERN.test(name) ? await this.stores.providers.get(projectId, name) : null;
    const ownBase = stored?.baseUrl ?? null;
    const shared = await this.shared.allows(projectId);
    const serverCredentials = ownBase === null && shared;
    const out: ProviderSettings = { chosenBy: ownBase === null ? 'server' : 'project' };
    const baseUrl = ownBase ?? env.baseUrl;
    if (baseUrl !== undefined) out.baseUrl = baseUrl;
    if (stored?.sealedApiKey != null) out.apiKey = this.open(stored.sealedApiKey, aad.apiKey(projectId, name), `The API key of provider "${name}"`);
    else if (env.apiKey !== undefined) {
      if (serverCredentials) out.apiKey = env.apiKey;
      else out.serverKeyWithheld = ownBase === null ? 'not_shared' : 'project_base_url';
    }
    const headers = { ...(serverCredentials ? env.headers : {}), ...(stored ? this.headersOf(projectId, stored, 'throw') : {}) };
    if (Object.keys(headers).length > 0) out.headers = headers;
    if (stored?.prices) out.prices = stored.prices;
    if (stored && ownsQuota(stored)) out.limitScope = projectId;
    if (stored?.maxConcurrency != null) out.capKey = providerCapKey(projectId, name, stored.maxConcurrency);
    return out;
  }

  /**
   * Read once when a run starts: the providers whose calls count against the project's own quota
   * (its prompt targets take their model slots under these keys) and the caps the project set.
   */
  async quotas(projectId: string): Promise<ProviderQuotas> {
    const stored = await this.stores.providers.list(projectId);
    return {
      own: new Set(stored.filter(ownsQuota).map((p) => p.name)),
      caps: new Map(stored.filter((p) => p.maxConcurrency !== null).map((p) => [p.name, providerCapKey(projectId, p.name, p.maxConcurrency!)])),
    };
  }

  /**
   * The base URL calls to `name` would go to (the project's, else the server's), without opening
   * any stored secret: what a save-time check needs to know that a provider exists.
   */
  async baseUrlOf(projectId: string, name: string): Promise<string | undefined> {
    const stored = PROVIDER_NAME_PATTERN.test(name) ? await this.stores.providers.get(projectId, name) : null;
    return stored?.baseUrl ?? this.environmentOf(name).baseUrl;
  }

  private environmentOf(name: string): ProviderSettings {
    return Object.hasOwn(this.environment, name) ? this.environment[name]! : {};
  }

  /** What `resolve` would use, masked. */
  private view(projectId: string, name: string, stored: StoredProvider | null, shared: boolean): ProviderView {
    const env = this.environmentOf(name);
    const serverCredentials = (stored?.baseUrl ?? null) === null && shared;
    const headers = new Map(Object.entries(serverCredentials ? (env.headers ?? {}) : {}).map(([h, v]) => [h, maskValue(v)]));
    const unreadable: ('apiKey' | 'headers')[] = [];
    let apiKey = serverCredentials && env.apiKey !== undefined ? maskValue(env.apiKey) : null;
    let apiKeySource: ProviderView['apiKeySource'] = apiKey === null ? null : 'server';
    if (stored?.sealedApiKey != null) {
      apiKeySource = 'project';
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
      apiKeySource,
      headers: Object.fromEntries(headers),
      prices: stored?.prices ?? {},
      maxConcurrency: stored?.maxConcurrency ?? null,
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
