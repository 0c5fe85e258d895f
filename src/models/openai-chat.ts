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
import { request } from 'undici';
import type { ModelCall, ProviderSettings } from '../core/model/adapters.js';
import { CallError } from '../core/model/results.js';
import { sharedAgent } from '../net/agents.js';

/** Bytes of an answer read at most: a chat completion is kilobytes; memory stays bounded. */
export const MAX_ANSWER_BYTES = 32 * 1024 * 1024;

/** OpenAI models whose parameters differ (the SDK drops or renames some): o-series, gpt-5 and later, search previews. */
function openaiNeedsSdk(modelId: string): boolean {
  if (/^o\d/.test(modelId)) return true;
  const gpt = /^gpt-(\d+)/.exec(modelId);
  if (gpt && Number(gpt[1]) >= 5) return true;
  return modelId.includes('search-preview');
}

/** Whether a call takes the lean path: plain text, and a provider/model whose request it knows. */
export function leanChatApplies(provider: string, modelId: string, call: Pick<ModelCall, 'schema'>): boolean {
  if (call.schema) return false;
  if (provider === 'openai') return !openaiNeedsSdk(modelId);
  // Built-ins other than openai speak their own protocols; any other name is OpenAI-compatible.
  return !['anthropic', 'google', 'azure'].includes(provider);
}

export interface LeanChatAnswer {
  text: string;
  finishReason: string;
  usage: { inputTokens: number; outputTokens: number; cachedInputTokens?: number };
  /** Lower-cased response headers (rate limits). */
  headers: Record<string, string | undefined>;
  /** The parsed body (a gateway's `usage.cost`). */
  body: unknown;
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

async function readBounded(body: AsyncIterable<Buffer> & { destroy(error?: Error): unknown }, url: string): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of body) {
    size += chunk.length;
    if (size > MAX_ANSWER_BYTES) {
      body.destroy();
      throw new CallError(`the answer of ${url} is over ${MAX_ANSWER_BYTES / 1024 / 1024} MiB`, { retryable: false });
    }
    chunks.push(chunk);
  }
  return chunks.length === 1 ? chunks[0]!.toString('utf8') : Buffer.concat(chunks).toString('utf8');
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
export async function leanChat(provider: string, modelId: string, settings: ProviderSettings, call: ModelCall, guarded: boolean): Promise<LeanChatAnswer> {
  const base = (settings.baseUrl ?? 'https://api.openai.com/v1').replace(/\/+$/, '');
  const url = `${base}/chat/completions`;
  const body = requestBody(modelId, call);
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  // A registered endpoint without a key gets no Authorization header (an empty Bearer is refused by some).
  if (provider === 'openai' || settings.apiKey) headers.authorization = `Bearer ${settings.apiKey ?? ''}`;
  if (settings.headers) Object.assign(headers, settings.headers);
  let res;
  try {
    res = await request(url, { method: 'POST', headers, body: JSON.stringify(body), signal: call.signal, dispatcher: sharedAgent(guarded, 'models') });
  } catch (error) {
    if (call.signal.aborted) throw call.signal.reason ?? error;
    if (error instanceof CallError) throw error;
    throw new TypeError('fetch failed', { cause: error });
  }
  let text: string;
  try {
    text = await readBounded(res.body, url);
  } catch (error) {
    if (call.signal.aborted) throw call.signal.reason ?? error;
    if (error instanceof CallError) throw error;
    throw new TypeError('fetch failed', { cause: error });
  }
  const responseHeaders = headerRecord(res.headers);
  const status = res.statusCode;
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
    usage: { inputTokens: count(usage?.prompt_tokens), outputTokens: count(usage?.completion_tokens), ...(cached > 0 ? { cachedInputTokens: cached } : {}) },
    headers: responseHeaders,
    body: parsed,
  };
}
