// The project's real ModelClient wired to the fake OpenAI and Anthropic servers, for tests of
// anything that calls models (judges, embeddings, prompt targets): the requests travel over
// HTTP through the AI SDK exactly as in production, only the provider is local.
import { AdaptiveLimiter } from '../core/engine/adaptive-limiter.js';
import type { ModelClient, ProviderSettings } from '../core/model/adapters.js';
import { systemClock } from '../core/ports.js';
import { createModelClient } from '../models/client.js';
import { type FakeAnthropic, type FakeAnthropicOptions, startFakeAnthropic } from './fake-anthropic.js';
import { type FakeOpenAI, type FakeOpenAIOptions, startFakeOpenAI } from './fake-openai.js';

/** The keys the fakes accept; anything else is answered 401. */
export const FAKE_OPENAI_KEY = 'sk-fake-openai';
export const FAKE_ANTHROPIC_KEY = 'sk-ant-fake';

export interface ModelFakesOptions {
  openai?: FakeOpenAIOptions;
  anthropic?: FakeAnthropicOptions;
  /**
   * Jitter of the client's retry back-off (0–1). Default 0: retries go out at once, so tests
   * of "fails after retries" do not wait seconds; pass Math.random to test the real timing.
   */
  random?: () => number;
}

export interface ModelFakes {
  openai: FakeOpenAI;
  anthropic: FakeAnthropic;
  /** A client that reaches `openai/*` and `anthropic/*` on the fakes; other providers are unconfigured. */
  client: ModelClient;
  /** The provider settings `client` sees (null: not configured). */
  settings(provider: string): ProviderSettings | null;
  /** Another client over the same fakes with some providers' settings replaced (null: unconfigured). */
  clientWith(overrides: Record<string, ProviderSettings | null>): ModelClient;
  /** Stops both servers. */
  close(): Promise<void>;
}

export async function startModelFakes(options: ModelFakesOptions = {}): Promise<ModelFakes> {
  const openai = await startFakeOpenAI({ apiKey: FAKE_OPENAI_KEY, ...options.openai });
  const anthropic = await startFakeAnthropic({ apiKey: FAKE_ANTHROPIC_KEY, ...options.anthropic }).catch(async (error: unknown) => {
    await openai.close();
    throw error;
  });
  const base: Record<string, ProviderSettings> = {
    openai: { apiKey: options.openai?.apiKey ?? FAKE_OPENAI_KEY, baseUrl: openai.baseURL },
    // The client adds /v1 to Anthropic base URLs itself, as ANTHROPIC_BASE_URL is usually given.
    anthropic: { apiKey: options.anthropic?.apiKey ?? FAKE_ANTHROPIC_KEY, baseUrl: anthropic.url },
  };
  const settings = (provider: string): ProviderSettings | null => base[provider] ?? null;

  function build(lookup: (provider: string) => ProviderSettings | null): ModelClient {
    // A fresh limiter per client: throttling seen by one test's client never slows another's.
    const limiter = new AdaptiveLimiter({ max: () => 16, clock: systemClock });
    return createModelClient({ settings: async (p) => lookup(p), limiter, clock: systemClock, random: options.random ?? (() => 0), allowPrivateNetworks: true });
  }

  return {
    openai,
    anthropic,
    client: build(settings),
    settings,
    clientWith: (overrides) => build((p) => (Object.hasOwn(overrides, p) ? (overrides[p] ?? null) : settings(p))),
    async close() {
      await Promise.all([openai.close(), anthropic.close()]);
    },
  };
}
