// A fake OpenAI API on 127.0.0.1 for tests and benchmarks: Chat Completions (plain and
// streamed, structured output, forced tool calls), the Responses API (what `openai(model)`
// of @ai-sdk/openai calls by default), embeddings, moderations and the model list — close enough to the
// real wire format that the official clients work against it given only `baseURL` and
// `apiKey`. Misbehaviour, counters and the `respond` hook come from fake-provider-core.ts.
import {
  type Answer,
  approxTokens,
  costOf,
  type Endpoint,
  type EndpointCall,
  type FakeChatRequest,
  FakeHttpError,
  type FakeLlmProvider,
  type FakeProviderOptions,
  hashString,
  isRecord,
  type JsonSchema,
  replyText,
  startFakeProvider,
  streamPieces,
  truncateToTokens,
} from './fake-provider-core.js';

export interface FakeOpenAIOptions extends FakeProviderOptions {
  /** Length of embedding vectors when the request names no `dimensions`. Default 64. */
  embeddingDimensions?: number;
  /** Ids listed by `GET /v1/models`. Default: a chat and an embedding model plus `models` keys. */
  modelIds?: string[];
}

export type FakeOpenAI = FakeLlmProvider;

const ERRORS: Record<number, [type: string, code: string | null, message: string]> = {
  400: ['invalid_request_error', null, 'Invalid request.'],
  401: ['invalid_request_error', 'invalid_api_key', 'Incorrect API key provided.'],
  404: ['invalid_request_error', null, 'Not found.'],
  429: ['requests', 'rate_limit_exceeded', 'Rate limit reached for requests. Please try again later.'],
  500: ['server_error', null, 'The server had an error while processing your request. Sorry about that!'],
  503: ['server_error', null, 'The engine is currently overloaded, please try again later.'],
};

function errorBody(status: number, message?: string, code?: string | null): unknown {
  const [type, usual, fallback] = ERRORS[status] ?? ['api_error', null, `Fake error ${status}.`];
  return { error: { message: message ?? fallback, type, param: null, code: code === undefined ? usual : code } };
}

/** OpenAI writes durations like `6m0s`, `1.5s` or `20ms`. */
function duration(ms: number): string {
  if (ms < 1000) return `${Math.max(0, Math.round(ms))}ms`;
  const minutes = Math.floor(ms / 60_000);
  const seconds = Math.round((ms % 60_000) / 10) / 100;
  return minutes > 0 ? `${minutes}m${seconds}s` : `${seconds}s`;
}

/** Text of a message's content: a string or an array of text parts (other parts are ignored). */
function textOf(content: unknown): string {
  if (typeof content === 'string') return content;
  if (!Array.isArray(content)) return '';
  return content.map((p) => (isRecord(p) && typeof p.text === 'string' ? p.text : '')).join('');
}

/** Bag of words hashed into `dims` signed buckets, L2-normalised: shared words → high cosine. */
export function fakeEmbedding(text: string, dims = 64): number[] {
  const v = new Array<number>(dims).fill(0);
  for (const word of text.toLowerCase().match(/[\p{L}\p{N}]+/gu) ?? []) {
    const h = hashString(word);
    v[h % dims]! += h & 0x80000000 ? -1 : 1;
  }
  const norm = Math.hypot(...v);
  // Text without words still gets a unit vector, so cosine stays defined.
  return norm === 0 ? v.map((_, i) => (i === 0 ? 1 : 0)) : v.map((x) => x / norm);
}

interface Generation {
  request: FakeChatRequest;
  text: string;
  truncated: boolean;
  inputTokens: number;
  /** Of inputTokens, read from the prompt cache. */
  cachedTokens: number;
  outputTokens: number;
  cost: number | undefined;
}

/** Runs the responder for a chat or responses request and counts tokens. */
async function generation(call: EndpointCall, request: FakeChatRequest, maxTokens: unknown): Promise<Generation> {
  const { text, truncated } = truncateToTokens(await replyText(request, call.behaviour.respond), maxTokens);
  // Cached prompt tokens count within the prompt tokens, as OpenAI reports them.
  const cachedTokens = call.behaviour.promptCache?.read ?? 0;
  const inputTokens = approxTokens(request.messages.map((m) => m.content).join('')) + cachedTokens;
  const outputTokens = approxTokens(text);
  return { request, text, truncated, inputTokens, cachedTokens, outputTokens, cost: costOf(call.behaviour, call.model, inputTokens, outputTokens) };
}

/** The function the request forces: `tool_choice` naming one, or `required` (the first tool). */
function forcedTool(tools: unknown, choice: unknown): { name: string; parameters: JsonSchema } | undefined {
  if (!Array.isArray(tools)) return undefined;
  const fns = tools.filter(isRecord).map((t) => (isRecord(t.function) ? t.function : t));
  const wanted = isRecord(choice) ? (isRecord(choice.function) ? choice.function.name : choice.name) : undefined;
  const tool = choice === 'required' ? fns[0] : wanted !== undefined ? fns.find((f) => f.name === wanted) : undefined;
  if (!tool) {
    if (wanted !== undefined) throw new FakeHttpError(400, `tool_choice names an unknown function: ${String(wanted)}`);
    return undefined;
  }
  return { name: String(tool.name), parameters: isRecord(tool.parameters) ? tool.parameters : { type: 'object' } };
}

/**
 * JSON mode without a schema: clients that lack native structured output write the schema into
 * the prompt (the AI SDK's convention is a `JSON schema:` line followed by the schema's JSON).
 */
function schemaInPrompt(messages: FakeChatRequest['messages']): unknown {
  for (const { content } of messages) {
    const found = /JSON schema:\s*\n(\{.*\})\s*$/m.exec(content);
    try {
      if (found) return JSON.parse(found[1]!) as unknown;
    } catch {
      // Not JSON after all: answer as if there were no schema.
    }
  }
  return undefined;
}

function chatRequest(call: EndpointCall, endpoint: 'chat' | 'responses', messages: FakeChatRequest['messages'], format: unknown, forced: ReturnType<typeof forcedTool>): FakeChatRequest {
  const type = isRecord(format) ? format.type : undefined;
  const schema =
    type === 'json_schema' && isRecord(format) ? (isRecord(format.json_schema) ? format.json_schema.schema : format.schema) : type === 'json_object' ? schemaInPrompt(messages) : undefined;
  return {
    provider: 'openai',
    endpoint,
    model: call.model,
    messages,
    prompt: [...messages].reverse().find((m) => m.role === 'user')?.content ?? '',
    schema: forced?.parameters ?? (isRecord(schema) ? schema : undefined),
    toolName: forced?.name,
    json: type === 'json_object',
    stream: call.body.stream === true,
    body: call.body,
  };
}

function requireModel(body: Record<string, unknown>): void {
  if (typeof body.model !== 'string' || body.model === '') throw new FakeHttpError(400, 'you must provide a model parameter');
}

const sse = (data: unknown) => `data: ${JSON.stringify(data)}\n\n`;

async function chatCompletion(call: EndpointCall): Promise<Answer> {
  const { body, model } = call;
  requireModel(body);
  if (!Array.isArray(body.messages)) throw new FakeHttpError(400, "'messages' is a required property");
  const messages = body.messages.filter(isRecord).map((m) => ({ role: String(m.role), content: textOf(m.content) }));
  const forced = forcedTool(body.tools, body.tool_choice);
  const g = await generation(call, chatRequest(call, 'chat', messages, body.response_format, forced), body.max_completion_tokens ?? body.max_tokens);
  const id = `chatcmpl-fake${call.seq}`;
  const callId = `call_fake${call.seq}`;
  const created = Math.floor(Date.now() / 1000);
  const finish = g.truncated ? 'length' : forced ? 'tool_calls' : 'stop';
  const usage = {
    prompt_tokens: g.inputTokens,
    completion_tokens: g.outputTokens,
    total_tokens: g.inputTokens + g.outputTokens,
    prompt_tokens_details: { cached_tokens: g.cachedTokens },
    completion_tokens_details: { reasoning_tokens: 0 },
    ...(g.cost !== undefined ? { cost: g.cost } : {}),
  };
  const base = { id, object: 'chat.completion', created, model, system_fingerprint: 'fp_fake' };
  if (body.stream !== true) {
    const tool_calls = forced ? [{ id: callId, type: 'function', function: { name: forced.name, arguments: g.text } }] : undefined;
    const message = { role: 'assistant', content: forced ? null : g.text, refusal: null, annotations: [], ...(tool_calls ? { tool_calls } : {}) };
    return { json: { ...base, choices: [{ index: 0, message, logprobs: null, finish_reason: finish }], usage } };
  }
  const withUsage = isRecord(body.stream_options) && body.stream_options.include_usage === true;
  // With include_usage every chunk carries `usage: null` and a last chunk without choices has it.
  const chunk = (delta: unknown, finish_reason: string | null = null) =>
    sse({ ...base, object: 'chat.completion.chunk', choices: [{ index: 0, delta, logprobs: null, finish_reason }], ...(withUsage ? { usage: null } : {}) });
  const first = forced
    ? { role: 'assistant', content: null, tool_calls: [{ index: 0, id: callId, type: 'function', function: { name: forced.name, arguments: '' } }] }
    : { role: 'assistant', content: '', refusal: null };
  const frames = [chunk(first)];
  for (const piece of streamPieces(g.text)) {
    frames.push(chunk(forced ? { tool_calls: [{ index: 0, function: { arguments: piece } }] } : { content: piece }));
  }
  frames.push(chunk({}, finish));
  if (withUsage) frames.push(sse({ ...base, object: 'chat.completion.chunk', choices: [], usage }));
  frames.push('data: [DONE]\n\n');
  return { sse: frames };
}

/** Responses API input: a string, or message / function_call / function_call_output items. */
function responsesMessages(body: Record<string, unknown>): FakeChatRequest['messages'] {
  const out = typeof body.instructions === 'string' ? [{ role: 'system', content: body.instructions }] : [];
  if (typeof body.input === 'string') return [...out, { role: 'user', content: body.input }];
  if (!Array.isArray(body.input)) throw new FakeHttpError(400, "Missing required parameter: 'input'.");
  for (const item of body.input.filter(isRecord)) {
    if (typeof item.role === 'string') out.push({ role: item.role, content: textOf(item.content) });
    else if (item.type === 'function_call') out.push({ role: 'assistant', content: String(item.arguments ?? '') });
    else if (item.type === 'function_call_output') out.push({ role: 'tool', content: String(item.output ?? '') });
  }
  return out;
}

async function responses(call: EndpointCall): Promise<Answer> {
  const { body, model } = call;
  requireModel(body);
  const forced = forcedTool(body.tools, body.tool_choice);
  const format = isRecord(body.text) ? body.text.format : undefined;
  const g = await generation(call, chatRequest(call, 'responses', responsesMessages(body), format, forced), body.max_output_tokens);
  const id = `resp_fake${call.seq}`;
  const itemId = `${forced ? 'fc' : 'msg'}_fake${call.seq}`;
  const item = forced
    ? { type: 'function_call', id: itemId, call_id: `call_fake${call.seq}`, name: forced.name, arguments: g.text, status: 'completed' }
    : { type: 'message', id: itemId, status: 'completed', role: 'assistant', content: [{ type: 'output_text', text: g.text, annotations: [] }] };
  const usage = {
    input_tokens: g.inputTokens,
    input_tokens_details: { cached_tokens: g.cachedTokens },
    output_tokens: g.outputTokens,
    output_tokens_details: { reasoning_tokens: 0 },
    total_tokens: g.inputTokens + g.outputTokens,
    ...(g.cost !== undefined ? { cost: g.cost } : {}),
  };
  const head = { id, object: 'response', created_at: Math.floor(Date.now() / 1000), model };
  const done = {
    ...head,
    status: g.truncated ? 'incomplete' : 'completed',
    incomplete_details: g.truncated ? { reason: 'max_output_tokens' } : null,
    error: null,
    output: [item],
    usage,
  };
  if (body.stream !== true) return { json: done };
  let sequence = 0;
  const event = (type: string, data: Record<string, unknown>) =>
    `event: ${type}\ndata: ${JSON.stringify({ type, sequence_number: sequence++, ...data })}\n\n`;
  const frames = [
    event('response.created', { response: { ...head, status: 'in_progress', output: [], usage: null } }),
    event('response.output_item.added', {
      output_index: 0,
      item: forced ? { ...item, arguments: '', status: 'in_progress' } : { ...item, status: 'in_progress', content: [] },
    }),
  ];
  for (const delta of streamPieces(g.text)) {
    frames.push(
      forced
        ? event('response.function_call_arguments.delta', { item_id: itemId, output_index: 0, delta })
        : event('response.output_text.delta', { item_id: itemId, output_index: 0, content_index: 0, delta, logprobs: [] }),
    );
  }
  frames.push(event('response.output_item.done', { output_index: 0, item }));
  frames.push(event(g.truncated ? 'response.incomplete' : 'response.completed', { response: done }));
  return { sse: frames };
}

function embeddings(call: EndpointCall, defaultDims: number): Answer {
  const { body, model } = call;
  requireModel(body);
  const { input } = body;
  // A string, an array of strings, or token ids (one array or several).
  const list: unknown[] = typeof input === 'string' ? [input] : Array.isArray(input) && input.every((x) => typeof x === 'number') ? [input] : Array.isArray(input) ? input : [];
  if (list.length === 0) throw new FakeHttpError(400, "'input' is a required property");
  const texts = list.map((x) => (typeof x === 'string' ? x : Array.isArray(x) ? x.join(' ') : String(x)));
  const dims = typeof body.dimensions === 'number' && body.dimensions > 0 ? body.dimensions : defaultDims;
  const base64 = body.encoding_format === 'base64';
  const data = texts.map((text, index) => {
    const vector = fakeEmbedding(text, dims);
    const embedding = base64 ? Buffer.from(new Float32Array(vector).buffer).toString('base64') : vector;
    return { object: 'embedding', index, embedding };
  });
  const tokens = approxTokens(texts.join(''));
  const cost = costOf(call.behaviour, model, tokens, 0);
  return { json: { object: 'list', data, model, usage: { prompt_tokens: tokens, total_tokens: tokens, ...(cost !== undefined ? { cost } : {}) } } };
}

/** The moderation categories of OpenAI's omni models, in the API's order. */
export const MODERATION_CATEGORIES = [
  'harassment',
  'harassment/threatening',
  'hate',
  'hate/threatening',
  'illicit',
  'illicit/violent',
  'self-harm',
  'self-harm/intent',
  'self-harm/instructions',
  'sexual',
  'sexual/minors',
  'violence',
  'violence/graphic',
] as const;
export type ModerationCategory = (typeof MODERATION_CATEGORIES)[number];

/**
 * The fake's moderation rule: a text containing one of a category's trigger phrases (whole
 * words, any case) scores FAKE_FLAGGED_SCORE in that category and is flagged; every other
 * category gets a small score derived from the text, below 0.01.
 */
export const FAKE_MODERATION_TRIGGERS: Record<ModerationCategory, string[]> = {
  harassment: ['idiot', 'loser'],
  'harassment/threatening': ['watch your back'],
  hate: ['subhuman'],
  'hate/threatening': ['exterminate them'],
  illicit: ['counterfeit', 'launder money'],
  'illicit/violent': ['build a bomb'],
  'self-harm': ['hurt myself'],
  'self-harm/intent': ['end my life'],
  'self-harm/instructions': ['ways to hurt myself'],
  sexual: ['explicit sex'],
  'sexual/minors': ['underage'],
  violence: ['kill', 'murder', 'stab'],
  'violence/graphic': ['gore', 'dismembered'],
};
export const FAKE_FLAGGED_SCORE = 0.91;

const triggerRegexes = Object.entries(FAKE_MODERATION_TRIGGERS).map(
  ([category, words]) => [category, new RegExp(`\\b(?:${words.join('|')})\\b`, 'i')] as const,
);

/** What the fake answers for one text; the legacy text-moderation models lack the illicit categories. */
export function fakeModeration(text: string, model = 'omni-moderation-latest') {
  const legacy = model.startsWith('text-moderation');
  const categories: Record<string, boolean> = {};
  const scores: Record<string, number> = {};
  for (const [category, regex] of triggerRegexes) {
    if (legacy && category.startsWith('illicit')) continue;
    const hit = regex.test(text);
    categories[category] = hit;
    scores[category] = hit ? FAKE_FLAGGED_SCORE : (hashString(`${category}\u0000${text}`) % 1000) / 100_000;
  }
  return {
    flagged: Object.values(categories).some(Boolean),
    categories,
    category_scores: scores,
    ...(legacy ? {} : { category_applied_input_types: Object.fromEntries(Object.keys(categories).map((c) => [c, ['text']])) }),
  };
}

/** `POST /v1/moderations`: `input` is a string, strings, or text parts; the model is optional. */
function moderations(call: EndpointCall): Answer {
  const { body } = call;
  const model = typeof body.model === 'string' && body.model !== '' ? body.model : 'omni-moderation-latest';
  const raw = body.input;
  const items: unknown[] = typeof raw === 'string' ? [raw] : Array.isArray(raw) ? raw : [];
  const texts = items.map((x) => (typeof x === 'string' ? x : isRecord(x) && x.type === 'text' && typeof x.text === 'string' ? x.text : undefined));
  if (texts.length === 0 || texts.some((t) => t === undefined)) {
    throw new FakeHttpError(400, "'input' must be a string, an array of strings or an array of text parts");
  }
  return { json: { id: `modr-fake${call.seq}`, model, results: texts.map((t) => fakeModeration(t!, model)) } };
}

export async function startFakeOpenAI(options: FakeOpenAIOptions = {}): Promise<FakeOpenAI> {
  const { embeddingDimensions = 64, modelIds, ...rest } = options;
  const ids = modelIds ?? ['gpt-4o-mini', 'text-embedding-3-small', ...Object.keys(options.models ?? {})];
  const models: Endpoint = {
    kind: 'models',
    answer: () => ({
      json: { object: 'list', data: ids.map((id) => ({ id, object: 'model', created: 1_700_000_000, owned_by: 'fake-openai' })) },
    }),
  };
  return startFakeProvider(
    {
      requestIdHeader: 'x-request-id',
      errorBody,
      route(method, path, body) {
        const stream = body.stream === true;
        if (method === 'GET' && path === '/models') return models;
        if (method !== 'POST') return undefined;
        if (path === '/chat/completions') return { kind: stream ? 'stream' : 'chat', answer: chatCompletion };
        if (path === '/responses') return { kind: stream ? 'stream' : 'responses', answer: responses };
        if (path === '/embeddings') return { kind: 'embeddings', answer: (call) => embeddings(call, embeddingDimensions) };
        if (path === '/moderations') return { kind: 'moderations', answer: moderations };
        return undefined;
      },
      authenticate(headers) {
        const match = /^Bearer\s+(\S+)/i.exec(headers.authorization ?? '');
        if (!match) {
          return new FakeHttpError(401, "You didn't provide an API key. You need to provide your API key in an Authorization header using Bearer auth (i.e. Authorization: Bearer YOUR_KEY).", null);
        }
        if (options.apiKey !== undefined && match[1] !== options.apiKey) {
          return new FakeHttpError(401, `Incorrect API key provided: ${match[1]!.slice(0, 3)}****. You can find your API key at https://platform.openai.com/account/api-keys.`);
        }
        return undefined;
      },
      rateLimitHeaders: (limit, remaining, resetMs) => ({
        'x-ratelimit-limit-requests': String(limit),
        'x-ratelimit-remaining-requests': String(remaining),
        'x-ratelimit-reset-requests': duration(resetMs),
      }),
    },
    rest,
  );
}
