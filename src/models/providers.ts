// Turns `provider/model` into an AI SDK model: openai, anthropic, google and azure are built
// in; any other provider name is an OpenAI-compatible endpoint registered for the project
// (e.g. `ollama/llama3` with a base URL). Settings come from the project, else the
// environment (OPENAI_API_KEY, ANTHROPIC_BASE_URL, …).
import type { EmbeddingModelV3, LanguageModelV3 } from '@ai-sdk/provider';
import type { ProviderSettings } from '../core/model/adapters.js';
import { CallError } from '../core/model/results.js';
import { BUILT_IN_PROVIDERS } from '../core/ports.js';

export const BUILT_IN = BUILT_IN_PROVIDERS;

/** The environment variables each built-in provider reads, for messages that say what to set. */
export const KEY_VARIABLE: Record<string, string> = {
  openai: 'OPENAI_API_KEY',
  anthropic: 'ANTHROPIC_API_KEY',
  google: 'GOOGLE_GENERATIVE_AI_API_KEY',
  azure: 'AZURE_API_KEY',
};

export interface ResolvedModel {
  provider: string;
  modelId: string;
  language(): LanguageModelV3;
  embedding(): EmbeddingModelV3;
}

/** `provider/model` → its parts; the model id may itself contain slashes (`openrouter/meta/llama`). */
export function splitModel(model: string): { provider: string; modelId: string } {
  const slash = model.indexOf('/');
  return { provider: model.slice(0, slash).toLowerCase(), modelId: model.slice(slash + 1) };
}

/**
 * Why a model id (the part after `provider/`) cannot be called, or null. Some SDKs put the id in
 * the request's path (Google's: `…/models/{id}:generateContent`), so `google/../files?` reached
 * another path of the provider's API with the server's key. Nothing a real model id holds is
 * refused: dots inside a name (`gpt-4.1`), colons (`llama3.1:8b`), `@` and slashes stay.
 */
export function modelIdProblem(modelId: string): string | null {
  if (!/[?#%\\\s]/.test(modelId) && !modelId.split('/').some((s) => s === '.' || s === '..')) return null;
  const shown = modelId.length > 80 ? `${modelId.slice(0, 80)}…` : modelId;
  return `model id ${JSON.stringify(shown)} may not contain ?, #, %, \\, whitespace or a "." or ".." path segment: some providers put it in the request's path`;
}

/** Anthropic's SDK wants the base URL with /v1; ANTHROPIC_BASE_URL is usually given without. */
function anthropicBase(url: string | undefined): string | undefined {
  if (!url) return undefined;
  const trimmed = url.replace(/\/+$/, '');
  return /\/v1$/.test(trimmed) ? trimmed : `${trimmed}/v1`;
}

/** Whether `provider` names something callable at all: a built-in one, or one with a base URL (the project's or the server's). */
export function isKnownProvider(provider: string, settings: Pick<ProviderSettings, 'baseUrl'> | null): boolean {
  return BUILT_IN.includes(provider as (typeof BUILT_IN)[number]) || Boolean(settings?.baseUrl);
}

/** Why a provider cannot be called with these settings, or null when it can. */
export function missingSetting(provider: string, settings: ProviderSettings | null): string | null {
  if (BUILT_IN.includes(provider as (typeof BUILT_IN)[number])) {
    if (!settings?.apiKey) {
      const own = `PUT /api/providers/${provider} {"apiKey": …}`;
      if (settings?.serverKeyWithheld === 'project_base_url') {
        return `no API key for provider "${provider}": the project set its own base URL, and the server's key is only sent to the server's base URL; ${own}`;
      }
      if (settings?.serverKeyWithheld === 'not_shared') {
        return `no API key for provider "${provider}": this project may not use the server's key (ASSAY_SHARED_CREDENTIALS_PROJECTS); ${own}`;
      }
      return `no API key for provider "${provider}": set ${KEY_VARIABLE[provider]} on the server or ${own}`;
    }
    // AZURE_RESOURCE_NAME reaches here as the server's base URL (config/env.ts), checked once at start.
    if (provider === 'azure' && !settings.baseUrl) {
      return 'provider "azure" needs a base URL: set AZURE_RESOURCE_NAME or PUT /api/providers/azure {"baseUrl": …}';
    }
    return null;
  }
  if (!isKnownProvider(provider, settings)) {
    return `unknown provider "${provider}": register it with PUT /api/providers/${provider} {"baseUrl": "https://…/v1", "apiKey": …} (any OpenAI-compatible endpoint)`;
  }
  return null;
}

/**
 * The AI SDK model for these settings. `fetch` carries the calls (see src/net/lean-fetch.ts: the
 * guarded one for a base URL the project chose). `apiKey` is always passed explicitly (possibly
 * empty): given `undefined`, the SDK's providers read OPENAI_API_KEY and friends from the
 * process environment themselves, which would hand the server's key to a URL it does not belong to.
 */
export async function resolveModel(provider: string, modelId: string, s: ProviderSettings, fetch: typeof globalThis.fetch): Promise<ResolvedModel> {
  const problem = modelIdProblem(modelId);
  if (problem) throw new CallError(problem, { retryable: false });
  const common = { apiKey: s.apiKey ?? '', fetch, ...(s.headers ? { headers: s.headers } : {}) };
  switch (provider) {
    // Each provider's package loads on its first use (≈ 100 ms and 18 MB each at start-up otherwise).
    case 'openai': {
      const { createOpenAI } = await import('@ai-sdk/openai');
      const p = createOpenAI({ ...common, ...(s.baseUrl ? { baseURL: s.baseUrl } : {}) });
      // Chat completions: the protocol every OpenAI-compatible server speaks.
      return { provider, modelId, language: () => p.chat(modelId), embedding: () => p.embedding(modelId) };
    }
    case 'anthropic': {
      const base = anthropicBase(s.baseUrl);
      const { createAnthropic } = await import('@ai-sdk/anthropic');
      const p = createAnthropic({ ...common, ...(base ? { baseURL: base } : {}) });
      // One model object for the settings' calls: the lean Messages path keeps what it makes
      // once per model object (anthropic-messages.ts); the object holds configuration only.
      const language = p(modelId);
      return {
        provider, modelId, language: () => language,
        embedding: () => {
          throw new Error('anthropic has no embedding models');
        },
      };
    }
    case 'google': {
      const { createGoogleGenerativeAI } = await import('@ai-sdk/google');
      const p = createGoogleGenerativeAI({ ...common, ...(s.baseUrl ? { baseURL: s.baseUrl } : {}) });
      return { provider, modelId, language: () => p(modelId), embedding: () => p.embedding(modelId) };
    }
    case 'azure': {
      const { createAzure } = await import('@ai-sdk/azure');
      // missingSetting refused an azure call without a base URL (AZURE_RESOURCE_NAME becomes one).
      const p = createAzure({ ...common, baseURL: s.baseUrl! });
      return { provider, modelId, language: () => p.chat(modelId), embedding: () => p.embedding(modelId) };
    }
    default: {
      // No key means none is sent (an empty one would be sent as `Bearer `).
      const { createOpenAICompatible } = await import('@ai-sdk/openai-compatible');
      const p = createOpenAICompatible({ name: provider, baseURL: s.baseUrl!, ...common, ...(s.apiKey ? {} : { apiKey: undefined }), includeUsage: true, supportsStructuredOutputs: true });
      return { provider, modelId, language: () => p.chatModel(modelId), embedding: () => p.embeddingModel(modelId) };
    }
  }
}
