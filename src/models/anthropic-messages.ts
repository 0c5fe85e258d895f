// The lean path of plain text calls to Anthropic's Messages API. The request is still the AI
// SDK's: @ai-sdk/anthropic's model builds it (per-model max_tokens defaults and ceilings,
// sampling parameters some models refuse or take only one of, system blocks, merged turns —
// knowledge that changes with every model release and that we do not copy). What is ours is what
// the SDK did around it at every call and what cost most of an Anthropic cell's CPU: its fetch
// contract (a web Request, Headers and Response per call, the response headers copied out of
// them), the zod validation of the answer, and the header objects rebuilt per call
// (docs/decisions.md, "A lean path for Anthropic"). Here the SDK's request goes out through the
// shared models Agent (json-post.ts) with headers made once per model and beta set, and the
// answer is read the way the SDK reads it for a plain text call (src/models/anthropic-messages.test.ts
// compares both on the wire). The request builder is the model object's own method, not a
// published API: `anthropicInternals` checks it is there, and without it calls go through the
// SDK's doGenerate as before.
import type { LanguageModelV3 } from '@ai-sdk/provider';
import type { ModelCall } from '../core/model/adapters.js';
import { type JsonEndpoint, postJson } from './json-post.js';
import { type CallAnswer, promptOf, settingsOf } from './sdk-call.js';

/** The methods of @ai-sdk/anthropic's Messages model that doGenerate itself calls to build a request. */
interface AnthropicInternals {
  getArgs(options: Record<string, unknown>): Promise<{ args: Record<string, unknown>; betas: Set<string>; usesJsonResponseTool: boolean }>;
  getHeaders(options: { betas: Set<string>; headers: undefined }): Promise<Record<string, string | undefined>>;
  getBetasFromHeaders(headers: undefined): Promise<Set<string>>;
  buildRequestUrl(streaming: boolean): string;
  transformRequestBody(args: Record<string, unknown>, betas: Set<string>): Record<string, unknown>;
}

/** What a model object sends with every call alike: made once per model and set of betas. */
interface ModelRequestParts {
  internals: AnthropicInternals;
  /** Betas the provider's own settings carry (an `anthropic-beta` header). */
  userBetas: Set<string>;
  url: string;
  target: URL;
  /** By the betas of a call, comma-joined. */
  endpoints: Map<string, JsonEndpoint>;
}

const parts = new WeakMap<LanguageModelV3, ModelRequestParts | null>();

/** The request builder of this model object, or null when the SDK no longer has it (then doGenerate is used). */
export async function anthropicInternals(model: LanguageModelV3): Promise<ModelRequestParts | null> {
  const known = parts.get(model);
  if (known !== undefined) return known;
  const m = model as unknown as Partial<AnthropicInternals>;
  const methods = ['getArgs', 'getHeaders', 'getBetasFromHeaders', 'buildRequestUrl', 'transformRequestBody'] as const;
  let made: ModelRequestParts | null = null;
  if (methods.every((name) => typeof m[name] === 'function')) {
    const internals = m as AnthropicInternals;
    const url = internals.buildRequestUrl(false);
    made = { internals, userBetas: await internals.getBetasFromHeaders(undefined), url, target: new URL(url), endpoints: new Map() };
  }
  parts.set(model, made);
  return made;
}

/** The URL and headers of calls with these betas, as postJsonToApi would send them. */
async function endpointOf(p: ModelRequestParts, betas: Set<string>): Promise<JsonEndpoint> {
  const key = [...betas].join(',');
  const known = p.endpoints.get(key);
  if (known) return known;
  const own = await p.internals.getHeaders({ betas, headers: undefined });
  // Loaded here, not at start-up: @ai-sdk/anthropic has loaded it already by the time a call gets here.
  const { getRuntimeEnvironmentUserAgent, VERSION: PROVIDER_UTILS_VERSION, withUserAgentSuffix } = await import('@ai-sdk/provider-utils');
  const sent = withUserAgentSuffix({ 'Content-Type': 'application/json', ...own }, `ai-sdk/provider-utils/${PROVIDER_UTILS_VERSION}`, getRuntimeEnvironmentUserAgent());
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(sent)) if (value !== undefined) headers[name.toLowerCase()] = value;
  const made: JsonEndpoint = { url: p.url, target: p.target, headers: Object.freeze(headers) };
  if (p.endpoints.size >= 64) p.endpoints.clear();
  p.endpoints.set(key, made);
  return made;
}

/** The SDK's reading of Anthropic's stop_reason for a call without tools. */
function finishReasonOf(reason: unknown): string {
  switch (reason) {
    case 'pause_turn':
    case 'end_turn':
    case 'stop_sequence':
      return 'stop';
    case 'refusal':
      return 'content-filter';
    case 'tool_use':
      return 'tool-calls';
    case 'max_tokens':
    case 'model_context_window_exceeded':
      return 'length';
    default:
      return 'other';
  }
}

interface Usage {
  input_tokens?: unknown;
  output_tokens?: unknown;
  cache_creation_input_tokens?: unknown;
  cache_read_input_tokens?: unknown;
  iterations?: { type?: unknown; input_tokens?: unknown; output_tokens?: unknown }[];
}

const count = (v: unknown) => (typeof v === 'number' && Number.isFinite(v) ? v : 0);

/**
 * Input and output tokens as the SDK counts them: input includes cache reads and writes, and
 * when the server ran several iterations (compaction) their message iterations add up.
 */
function tokensOf(usage: Usage): { input: number; output: number; cacheRead: number; cacheWrite: number } {
  const cacheWrite = count(usage.cache_creation_input_tokens);
  const cacheRead = count(usage.cache_read_input_tokens);
  let input = count(usage.input_tokens);
  let output = count(usage.output_tokens);
  const iterations = Array.isArray(usage.iterations) ? usage.iterations : [];
  if (iterations.length > 0 && !iterations.some((i) => i?.type === 'fallback_message')) {
    const executed = iterations.filter((i) => i?.type === 'compaction' || i?.type === 'message');
    if (executed.length > 0) {
      input = executed.reduce((sum, i) => sum + count(i.input_tokens), 0);
      output = executed.reduce((sum, i) => sum + count(i.output_tokens), 0);
    }
  }
  return { input: input + cacheWrite + cacheRead, output, cacheRead, cacheWrite };
}

/**
 * A plain text Messages call: the SDK's request, sent and read here. `guarded`: the base URL was
 * chosen by a project and private networks are not allowed (the network guard's Agent).
 */
export async function leanMessages(p: ModelRequestParts, call: ModelCall, guarded: boolean): Promise<CallAnswer> {
  const { args, betas } = await p.internals.getArgs({ prompt: promptOf(call), ...settingsOf(call), stream: false, userSuppliedBetas: p.userBetas });
  const body = p.internals.transformRequestBody(args, betas);
  const endpoint = await endpointOf(p, betas);
  const { parsed, headers, invalid } = await postJson('anthropic', endpoint, body, JSON.stringify(body), call, guarded);
  const answer = parsed as { content?: unknown; stop_reason?: unknown; usage?: Usage } | null;
  if (!answer || typeof answer !== 'object' || !Array.isArray(answer.content)) throw invalid('no content');
  let text = '';
  for (const part of answer.content as { type?: unknown; text?: unknown }[]) {
    if (part?.type !== 'text') continue;
    if (typeof part.text !== 'string') throw invalid('a text block without text');
    text += part.text;
  }
  if (!answer.usage || typeof answer.usage !== 'object') throw invalid('no usage');
  const { input, output, cacheRead, cacheWrite } = tokensOf(answer.usage);
  return {
    text,
    finishReason: finishReasonOf(answer.stop_reason),
    tokens: { input, output, ...(cacheRead ? { cachedInput: cacheRead } : {}) },
    cacheWrite,
    headers,
    body: parsed,
  };
}
