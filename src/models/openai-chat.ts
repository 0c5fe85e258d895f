// The lean path of plain text chat calls to OpenAI and OpenAI-compatible endpoints (Ollama,
// vLLM, LiteLLM, OpenRouter, gateways): one POST /chat/completions through the shared models
// Agent, the answer read with a size bound and parsed once. Measured against generateText
// (docs/benchmarks.md, "Model calls"): the AI SDK's agent loop (steps, tool approvals,
// telemetry wrappers), its zod validation of the answer and the web Response/Headers objects
// the SDK's fetch contract needs were ≈ 60% of a prompt cell's CPU, and none of it can be
// configured away. Calls that need the SDK's protocol knowledge stay on it (client.ts,
// `leanChatApplies`): structured output, OpenAI's reasoning and search models (which take other
// parameters), and every other provider. The request and the answer follow the SDK's own
// mapping for these calls field by field (src/models/openai-chat.test.ts compares both on the
// wire), and failures become the same APICallError the SDK raises, so client.ts turns them
// into CallErrors one way.
import { STATUS_CODES } from 'node:http';
import { APICallError } from '@ai-sdk/provider';
import type { ModelCall, ProviderSettings } from '../core/model/adapters.js';
import { CallError } from '../core/model/results.js';
import { listenForStop, type StopState } from '../core/stop-state.js';
import { sharedAgent } from '../net/agents.js';
import { type Answer, Exchanges } from '../net/http-transport.js';
import type { CallAnswer } from './sdk-call.js';

/** Bytes of an answer read at most: a chat completion is kilobytes; memory stays bounded. */
export const MAX_ANSWER_BYTES = 32 * 1024 * 1024;
/** Bytes of an error answer kept (its message is at the start). */
const MAX_ERROR_BYTES = 64 * 1024;

/** OpenAI models whose parameters differ (the SDK drops or renames some): o-series, gpt-5 and later, search previews. */
function openaiNeedsSdk(modelId: string): boolean {
  if (/^o\d/.test(modelId)) return true;
  const gpt = /^gpt-(\d+)/.exec(modelId);
  if (gpt && Number(gpt[1]) >= 5) return true;
  return modelId.includes('search-preview');
}

/** Per provider/model: whether its plain text calls take the lean path (it does not change). */
const leanModels = new Map<string, boolean>();

/** Whether a call takes the lean path: plain text, and a provider/model whose request it knows. */
export function leanChatApplies(provider: string, modelId: string, call: Pick<ModelCall, 'schema'>): boolean {
  if (call.schema) return false;
  const key = `${provider}/${modelId}`;
  let lean = leanModels.get(key);
  if (lean === undefined) {
    // Built-ins other than openai speak their own protocols; any other name is OpenAI-compatible.
    lean = provider === 'openai' ? !openaiNeedsSdk(modelId) : !['anthropic', 'google', 'azure'].includes(provider);
    if (leanModels.size >= 1_000) leanModels.clear();
    leanModels.set(key, lean);
  }
  return lean;
}

/** What every call with one provider's settings sends alike: its URL and headers. */
interface Endpoint {
  provider: string;
  url: string;
  target: URL;
  headers: Readonly<Record<string, string>>;
}

/**
 * Endpoints by settings object. A run's model client reads its settings at most once a second
 * (config/execution.ts), so its calls share one settings object and this is made once for them,
 * not once a call (URL parsing and the header record were measurable per call).
 */
const endpoints = new WeakMap<ProviderSettings, Endpoint>();

function endpointOf(provider: string, settings: ProviderSettings): Endpoint {
  const known = endpoints.get(settings);
  if (known?.provider === provider) return known;
  const base = (settings.baseUrl ?? 'https://api.openai.com/v1').replace(/\/+$/, '');
  const url = `${base}/chat/completions`;
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  // A registered endpoint without a key gets no Authorization header (an empty Bearer is refused by some).
  if (provider === 'openai' || settings.apiKey) headers.authorization = `Bearer ${settings.apiKey ?? ''}`;
  // The project's headers win over ours, whatever their case (one header per name on the wire).
  for (const [name, value] of Object.entries(settings.headers ?? {})) headers[name.toLowerCase()] = value;
  const made: Endpoint = { provider, url, target: new URL(url), headers: Object.freeze(headers) };
  endpoints.set(settings, made);
  return made;
}


/** The SDK's reading of OpenAI's finish_reason. */
function finishReasonOf(reason: unknown, refused: boolean): string {
  switch (reason) {
    case 'stop':
      return refused ? 'content-filter' : 'stop';
    case 'length':
      return 'length';
    case 'content_filter':
      return 'content-filter';
    case 'function_call':
    case 'tool_calls':
      return 'tool-calls';
    default:
      return 'other';
  }
}

function headerRecord(raw: Record<string, string | string[] | undefined>): Record<string, string | undefined> {
  const out: Record<string, string | undefined> = {};
  for (const [k, v] of Object.entries(raw)) out[k.toLowerCase()] = Array.isArray(v) ? v.join(', ') : v;
  return out;
}

function requestBody(modelId: string, call: ModelCall): Record<string, unknown> {
  const p = call.params ?? {};
  // Keys the SDK leaves undefined are not sent; topK is not an OpenAI parameter (the SDK drops it).
  const body: Record<string, unknown> = { model: modelId };
  if (p.maxTokens !== undefined) body.max_tokens = p.maxTokens;
  if (p.temperature !== undefined) body.temperature = p.temperature;
  if (p.topP !== undefined) body.top_p = p.topP;
  if (p.frequencyPenalty !== undefined) body.frequency_penalty = p.frequencyPenalty;
  if (p.presencePenalty !== undefined) body.presence_penalty = p.presencePenalty;
  if (p.stop !== undefined) body.stop = p.stop;
  if (p.seed !== undefined) body.seed = p.seed;
  body.messages = call.messages.map((m) => ({ role: m.role, content: m.content }));
  return body;
}

function errorMessage(text: string): string | undefined {
  try {
    const message = (JSON.parse(text) as { error?: { message?: unknown } } | null)?.error?.message;
    return typeof message === 'string' ? message : undefined;
  } catch {
    return undefined;
  }
}

/**
 * POSTs the chat completion. `guarded`: the base URL was chosen by a project and private
 * networks are not allowed (the network guard's Agent). Throws what the SDK would: an
 * APICallError for an HTTP failure, the signal's reason on abort, `TypeError('fetch failed')`
 * with the cause for a network failure, the guard's CallError for a refused address.
 */
export async function leanChat(provider: string, modelId: string, settings: ProviderSettings, call: ModelCall, guarded: boolean): Promise<CallAnswer> {
  const { url, target, headers } = endpointOf(provider, settings);
  const body = requestBody(modelId, call);
  // The dispatcher API straight into a bounded list of chunks (net/http-transport.ts): no
  // Readable stream or async iterator per answer.
  const exchanges = new Exchanges(sharedAgent(guarded, 'models'), { success: MAX_ANSWER_BYTES, other: MAX_ERROR_BYTES });
  // A target's call carries its deadline as `deadline`: listening there cancels the request without
  // making the deadline's AbortController (docs/decisions.md, "Deadlines without a signal until
  // one is read"). A judge's call has only its signal.
  const stopped: StopState = call.deadline ?? call.signal;
  if (stopped.aborted) throw stopped.reason;
  const unlisten = listenForStop(call.deadline ?? call.signal, (reason) => exchanges.stop(reason));
  let res: Answer;
  try {
    // The endpoint's frozen headers, shared by its calls: the transport only reads them.
    res = await exchanges.send({ url: target, method: 'POST', headers: headers as Record<string, string>, body: JSON.stringify(body) });
  } catch (error) {
    if (stopped.aborted) throw stopped.reason ?? error;
    if (error instanceof CallError) throw error;
    throw new TypeError('fetch failed', { cause: error });
  } finally {
    unlisten();
  }
  const { text } = res;
  const responseHeaders = headerRecord(res.headers);
  const status = res.status;
  if (res.truncated && status >= 200 && status <= 299) {
    throw new CallError(`${provider} call failed: the answer is over ${MAX_ANSWER_BYTES / 1024 / 1024} MiB`, { retryable: false });
  }
  if (status < 200 || status > 299) {
    const message = (text.trim() === '' ? undefined : errorMessage(text)) ?? STATUS_CODES[status] ?? `HTTP ${status}`;
    throw new APICallError({ message, url, requestBodyValues: body, statusCode: status, responseHeaders: responseHeaders as Record<string, string>, responseBody: text });
  }
  // An answer that is not what the protocol says fails as the SDK's does ("Invalid JSON response").
  const invalid = (detail: string, cause?: unknown) =>
    new APICallError({ message: `Invalid JSON response: ${detail}`, cause, url, requestBodyValues: body, statusCode: status, responseHeaders: responseHeaders as Record<string, string>, responseBody: text });
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw invalid('not JSON', error);
  }
  const choice = (parsed as { choices?: { message?: { content?: unknown; refusal?: unknown }; finish_reason?: unknown }[] } | null)?.choices?.[0];
  if (!choice || typeof choice !== 'object' || !choice.message || typeof choice.message !== 'object') {
    throw invalid('no choices[0].message');
  }
  const content = choice.message.content;
  if (content !== undefined && content !== null && typeof content !== 'string') {
    throw invalid('choices[0].message.content is not a string');
  }
  const usage = (parsed as { usage?: { prompt_tokens?: unknown; completion_tokens?: unknown; prompt_tokens_details?: { cached_tokens?: unknown } } }).usage;
  const count = (v: unknown) => (typeof v === 'number' && Number.isFinite(v) ? v : 0);
  const cached = count(usage?.prompt_tokens_details?.cached_tokens);
  const refused = typeof choice.message.refusal === 'string' && choice.message.refusal !== '';
  return {
    text: content ?? '',
    finishReason: finishReasonOf(choice.finish_reason, refused),
    tokens: { input: count(usage?.prompt_tokens), output: count(usage?.completion_tokens), ...(cached > 0 ? { cachedInput: cached } : {}) },
    headers: responseHeaders,
    body: parsed,
  };
}
