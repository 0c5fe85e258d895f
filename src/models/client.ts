// A project's ModelClient over the Vercel AI SDK: every call goes through the adaptive limit
// of its provider/model (shared by all runs of the process), reports tokens and cost, and
// turns provider failures into CallErrors that say what to do (call-errors.ts).
import { APICallError, type LanguageModelV3 } from '@ai-sdk/provider';
import type { ModelLimiter } from '../core/engine/adaptive-limiter.js';
import type { SlotLimiter } from '../core/engine/limiter.js';
import { decideRetry, DEFAULT_RETRY } from '../core/engine/retry.js';
import type { EmbeddingResult, ModelCall, ModelClient, ModelResult, ProviderSettings } from '../core/model/adapters.js';
import { CallError } from '../core/model/results.js';
import type { Clock } from '../core/ports.js';
import type { ModelCallObserver, ModelCallScope } from '../core/observe.js';
import { guardedFetch, openFetch } from '../net/lean-fetch.js';
import { anthropicInternals, leanMessages } from './anthropic-messages.js';
import { errorMessage } from './json-post.js';
import { leanChat, leanChatApplies } from './openai-chat.js';
import { sdkCall } from './sdk-call.js';
import { callNeedsTable, loadPriceTable, type PricedTokens, priceCall, priceNeedsTable, reportedCost } from './pricing.js';

import { missingSetting, type ResolvedModel, resolveModel, splitModel } from './providers.js';
import { exhaustedForMs, lowerHeaders } from './rate-headers.js';
import { type ErrorDeps, failureEnd, quotaChanged, toCallError, withoutCredentials } from './call-errors.js';

/** The AI SDK, loaded with the first model call (≈ 150 ms and 25 MB at start-up otherwise). */
let ai: typeof import('ai') | undefined;
const loadAi = async (): Promise<typeof import('ai')> => (ai ??= await import('ai'));

export interface ModelClientDeps {
  /** The project's settings for a provider (project over environment), or null. */
  settings(provider: string): Promise<ProviderSettings | null>;
  limiter: ModelLimiter;
  /** Fixed slots of projects' caps on providers (ProviderSettings.capKey); the server's wiring always gives it. */
  caps?: SlotLimiter;
  /** The project the calls are for: projects waiting on one limit take its slots in turns. */
  party?: string;
  clock: Clock;
  random?: () => number;
  /** When false, a base URL the project chose may only reach public addresses (the network guard). */
  allowPrivateNetworks: boolean;
  /** Metrics and trace spans of each provider call (src/observability); absent = none. */
  observer?: ModelCallObserver;
}

const NOT_OBSERVED: ModelCallScope = { end: () => {} };

// The AI SDK prints warnings (unsupported settings, …) to the console; they would bypass our
// logger and its redaction. Outcomes that matter reach callers as results or errors.
(globalThis as { AI_SDK_LOG_WARNINGS?: boolean }).AI_SDK_LOG_WARNINGS = false;

export { modelLimitKey as limitKey } from '../core/model/adapters.js';
import { modelLimitKey as limitKey } from '../core/model/adapters.js';

export function createModelClient(deps: ModelClientDeps): ModelClient {
  // A function: the AI SDK loads with the first call that needs it.
  const errorDeps: ErrorDeps = { limiter: deps.limiter, clock: deps.clock, ai: () => ai };
  const resolved = new Map<string, { model: ResolvedModel; settings: ProviderSettings }>();
  /** The fetch for these settings: a URL the project chose goes through the network guard. */
  const fetchFor = (s: ProviderSettings): typeof fetch => (s.chosenBy === 'project' && !deps.allowPrivateNetworks ? guardedFetch : openFetch);

  /** The cache key of a settings object's JSON (a run's calls share one settings object; see openai-chat.ts, `endpoints`). */
  const settingsKeys = new WeakMap<ProviderSettings, string>();

  /**
   * The SDK model for `model`. `sdk`: the call goes through the AI SDK's functions (not only its
   * provider package), which load with the price table. `known`: the settings the call already
   * looked up (and checked), so they are not looked up twice.
   */
  async function resolve(model: string, sdk = true, known?: ProviderSettings): Promise<{ model: ResolvedModel; settings: ProviderSettings }> {
    const { provider, modelId } = splitModel(model);
    const settings = known ?? (await deps.settings(provider));
    if (!known) {
      const missing = missingSetting(provider, settings);
      if (missing) throw new CallError(missing, { retryable: false });
    }
    if (sdk) await Promise.all([loadAi(), priceNeedsTable(provider, modelId) ? loadPriceTable() : undefined]);
    // One AI SDK provider per model and settings: building them is cheap, but not free per call.
    let settingsKey = settingsKeys.get(settings!);
    if (settingsKey === undefined) settingsKeys.set(settings!, (settingsKey = JSON.stringify(settings)));
    const cacheKey = `${model}\u0000${settingsKey}`;
    let entry = resolved.get(cacheKey);
    if (!entry) {
      entry = { model: await resolveModel(provider, modelId, settings!, fetchFor(settings!)), settings: settings! };
      if (resolved.size > 256) resolved.clear();
      resolved.set(cacheKey, entry);
    }
    return entry;
  }

  /** The provider's settings for a call, or the CallError saying what is missing. */
  async function settingsOf(model: string): Promise<{ provider: string; modelId: string; settings: ProviderSettings }> {
    const { provider, modelId } = splitModel(model);
    const settings = await deps.settings(provider);
    const missing = missingSetting(provider, settings);
    if (missing) throw new CallError(missing, { retryable: false });
    return { provider, modelId, settings: settings! };
  }

  /**
   * The slots a call the engine did not take them for holds: the project's cap on the provider
   * (when it set one) before the model's slot, in the engine's order (core/engine/cell.ts), so no
   * call holds a model's shared slot while its project's cap keeps it waiting. One release frees both.
   */
  function slotsFor(key: string, settings: ProviderSettings, signal: AbortSignal | undefined): Promise<() => void> {
    if (settings.capKey === undefined || !deps.caps) return deps.limiter.acquire(key, signal, deps.party);
    return withCap(deps.caps, settings.capKey, key, signal);
  }

  async function withCap(caps: SlotLimiter, capKey: string, key: string, signal: AbortSignal | undefined): Promise<() => void> {
    const releaseCap = await caps.acquire(capKey, signal, deps.party);
    try {
      const release = await deps.limiter.acquire(key, signal, deps.party);
      return () => {
        release();
        releaseCap();
      };
    } catch (error) {
      releaseCap();
      throw error;
    }
  }

  async function once(call: ModelCall, retry: boolean): Promise<ModelResult> {
    const { provider, modelId, settings } = await settingsOf(call.model);
    // Plain text to OpenAI-compatible endpoints takes the lean path: no AI SDK object is built.
    // Plain text to Anthropic takes its own: the SDK's provider model builds the request, and it
    // is sent and read here (anthropic-messages.ts). Everything else goes through the SDK.
    const lean = leanChatApplies(provider, modelId, call);
    let language: LanguageModelV3 | null = null;
    let messages: Awaited<ReturnType<typeof anthropicInternals>> = null;
    if (!lean) {
      const viaSdk = provider !== 'anthropic' || call.schema !== undefined;
      const sdkModel = (await resolve(call.model, viaSdk, settings)).model.language();
      if (!viaSdk) messages = await anthropicInternals(sdkModel);
      if (messages === null) {
        // The SDK's functions load with the first call that needs them.
        if (!viaSdk) await resolve(call.model, true, settings);
        language = sdkModel;
      }
    }
    // The lean paths need the price table only once the answer is in, and only for a model whose
    // rates were not written out ahead of time (flat-prices.ts): the first calls load it while
    // their requests are out, instead of holding every request of a first run's first wave back
    // by the ≈ 75 ms the table takes to load (docs/decisions.md, "undici's Agent on its own").
    let pricesLoading: Promise<void> | undefined;
    if (language === null && priceNeedsTable(provider, modelId)) (pricesLoading = loadPriceTable()).catch(() => {});
    const key = limitKey(call.model, settings.limitScope);
    // The slot a target holds was taken under the quota its provider's settings had when the run
    // started. Settings that now count against another quota (the project's own key or base URL
    // set, or removed, mid-run) would be called under a key that is not theirs: 429s and slow
    // answers of the project's own endpoint would hold back every project on the server's quota.
    if (call.slotHeld && call.limitKey !== undefined && call.limitKey !== key) throw quotaChanged(provider);
    const release = call.slotHeld ? () => {} : await slotsFor(key, settings, call.signal);
    const observed = deps.observer?.begin({ provider, model: modelId, operation: 'chat', retry, messages: call.messages }) ?? NOT_OBSERVED;
    try {
      const guarded = fetchFor(settings) === guardedFetch;
      const answer = language ? await sdkCall(ai!, language, call) : messages ? await leanMessages(messages, call, guarded) : await leanChat(provider, modelId, settings, call, guarded);
      deps.limiter.succeeded(key);
      if (pricesLoading) await pricesLoading;
      // The lean paths' headers are lower-cased already (json-post.ts, headerRecord).
      const exhausted = exhaustedForMs(language === null ? (answer.headers as Record<string, string | undefined>) : lowerHeaders(answer.headers), deps.clock.now());
      if (exhausted !== undefined) deps.limiter.exhausted(key, exhausted);
      const { tokens } = answer;
      // Not `{ ...tokens, cacheWrite }`: see docs/decisions.md, "No literal that starts with a spread on the hot path".
      const usage: PricedTokens = { ...tokens };
      usage.cacheWrite = answer.cacheWrite;
      // A model whose rates were written out up to a volume tier, and a call past it: the table decides.
      if (callNeedsTable(provider, modelId, usage)) await loadPriceTable();
      const priced = priceCall(provider, modelId, usage, answer.body, settings.prices);
      observed.end({ outcome: 'ok', tokens, ...(priced.cost !== undefined ? { cost: priced.cost } : {}), text: answer.text });
      return {
        text: answer.text,
        ...(call.schema ? { object: answer.object } : {}),
        tokens,
        cost: priced.cost,
        costSource: priced.costSource,
        finishReason: answer.finishReason,
      };
    } catch (error) {
      const failure = withoutCredentials(toCallError(error, provider, key, errorDeps), settings);
      observed.end(failureEnd(failure));
      throw failure;
    } finally {
      release();
    }
  }

  return {
    // Judges retry here (targets leave retries to the engine): the engine's one retry policy.
    async generate(call) {
      const policy = { maxRetries: call.retries ?? 0, ...DEFAULT_RETRY };
      for (let attempt = 1; ; attempt++) {
        try {
          return await once(call, attempt > 1);
        } catch (error) {
          if ((call.deadline ?? call.signal).aborted) throw error;
          const decision = decideRetry(error, attempt, policy, deps.random ?? Math.random);
          if (decision.kind === 'fail') throw error;
          await deps.clock.sleep(decision.delayMs, call.signal);
        }
      }
    },

    async embed(call): Promise<EmbeddingResult> {
      const { model, settings } = await resolve(call.model);
      const key = limitKey(call.model, settings.limitScope);
      const release = await slotsFor(key, settings, call.signal);
      const observed = deps.observer?.begin({ provider: model.provider, model: model.modelId, operation: 'embeddings', retry: false }) ?? NOT_OBSERVED;
      try {
        const result = await ai!.embedMany({ model: model.embedding(), values: call.values, maxRetries: 0, abortSignal: call.signal });
        deps.limiter.succeeded(key);
        const tokens = result.usage.tokens ?? 0;
        // A gateway's own cost (usage.cost) wins here too; several batches add up.
        const bodies = (result.responses ?? []).map((r) => r?.body);
        const reported = bodies.length > 0 && bodies.every((b) => reportedCost(b) !== undefined) ? bodies.reduce((a: number, b) => a + reportedCost(b)!, 0) : undefined;
        const priced = reported !== undefined ? { cost: reported } : priceCall(model.provider, model.modelId, { input: tokens, output: 0 }, undefined, settings.prices);
        observed.end({ outcome: 'ok', tokens: { input: tokens, output: 0 }, ...(priced.cost !== undefined ? { cost: priced.cost } : {}) });
        return { embeddings: result.embeddings, tokens, cost: priced.cost };
      } catch (error) {
        const failure = withoutCredentials(toCallError(error, model.provider, key, errorDeps), settings);
        observed.end(failureEnd(failure));
        throw failure;
      } finally {
        release();
      }
    },

    async moderate(call) {
      const { provider, modelId } = splitModel(call.model);
      if (provider !== 'openai') throw new CallError(`moderation is only available from provider openai (got ${provider})`, { retryable: false });
      const settings = await deps.settings(provider);
      const missing = missingSetting(provider, settings);
      if (missing) throw new CallError(missing, { retryable: false });
      const key = limitKey(call.model, settings!.limitScope);
      const release = await slotsFor(key, settings!, call.signal);
      const observed = deps.observer?.begin({ provider, model: modelId, operation: 'moderation', retry: false }) ?? NOT_OBSERVED;
      try {
        const base = (settings!.baseUrl ?? 'https://api.openai.com/v1').replace(/\/+$/, '');
        const res = await fetchFor(settings!)(`${base}/moderations`, {
          method: 'POST',
          headers: { authorization: `Bearer ${settings!.apiKey}`, 'content-type': 'application/json', ...(settings!.headers ?? {}) },
          body: JSON.stringify({ model: modelId, input: call.input }),
          signal: call.signal,
        });
        const text = await res.text();
        if (!res.ok) {
          throw new APICallError({
            message: `moderation failed: ${errorMessage(text) ?? `HTTP ${res.status}`}`, url: `${base}/moderations`, requestBodyValues: {},
            statusCode: res.status, responseHeaders: Object.fromEntries(res.headers.entries()), responseBody: text,
          });
        }
        deps.limiter.succeeded(key);
        observed.end({ outcome: 'ok', cost: 0 });
        // Its size and shape were checked by the fetch (net/lean-fetch.ts, a RefusedAnswer past them).
        const body = JSON.parse(text) as { results?: { flagged?: boolean; categories?: Record<string, boolean>; category_scores?: Record<string, number> }[] };
        return {
          results: (body.results ?? []).map((r) => ({ flagged: r.flagged === true, categories: r.categories ?? {}, scores: r.category_scores ?? {} })),
          // OpenAI's moderation endpoint is free of charge.
          cost: 0,
        };
      } catch (error) {
        const failure = withoutCredentials(toCallError(error, provider, key, errorDeps), settings!);
        observed.end(failureEnd(failure));
        throw failure;
      } finally {
        release();
      }
    },

    async unavailable(model) {
      if (!/^[^/]+\/.+/.test(model)) return `"${model}" is not a provider/model name`;
      const { provider } = splitModel(model);
      return missingSetting(provider, await deps.settings(provider));
    },
  };
}
