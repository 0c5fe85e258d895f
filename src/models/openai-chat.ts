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
import type { ModelCall, ProviderSettings } from '../core/model/adapters.js';
import { type JsonEndpoint, postJson } from './json-post.js';
import type { CallAnswer } from './sdk-call.js';

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
interface Endpoint extends JsonEndpoint {
  provider: string;
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

/**
 * POSTs the chat completion (json-post.ts: the shared models Agent, the SDK's failures).
 * `guarded`: the base URL was chosen by a project and private networks are not allowed.
 */
export async function leanChat(provider: string, modelId: string, settings: ProviderSettings, call: ModelCall, guarded: boolean): Promise<CallAnswer> {
  const endpoint = endpointOf(provider, settings);
  const body = requestBody(modelId, call);
  const { parsed, headers: responseHeaders, invalid } = await postJson(provider, endpoint, body, JSON.stringify(body), call, guarded);
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
