// A fake Anthropic Messages API on 127.0.0.1 for tests and benchmarks: `POST /v1/messages`
// plain and streamed (the real event sequence), forced tool use, JSON output formats, the
// `x-api-key` / `anthropic-version` checks and the rate-limit headers — close enough that
// @ai-sdk/anthropic works against it given only `baseURL` and `apiKey`. Misbehaviour,
// counters and the `respond` hook come from fake-provider-core.ts.
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
  isRecord,
  type JsonSchema,
  replyText,
  startFakeProvider,
  streamPieces,
  truncateToTokens,
} from './fake-provider-core.js';

export interface FakeAnthropicOptions extends FakeProviderOptions {
  /** Ids listed by `GET /v1/models`. Default: one Claude model plus the `models` keys. */
  modelIds?: string[];
}

export type FakeAnthropic = FakeLlmProvider;

const ERROR_TYPES: Record<number, string> = {
  400: 'invalid_request_error',
  401: 'authentication_error',
  403: 'permission_error',
  404: 'not_found_error',
  413: 'request_too_large',
  429: 'rate_limit_error',
  500: 'api_error',
  503: 'overloaded_error',
  529: 'overloaded_error',
};

const MESSAGES: Record<string, string> = {
  rate_limit_error: 'Number of requests has exceeded your rate limit. Please try again later.',
  overloaded_error: 'Overloaded',
  api_error: 'Internal server error',
};

function errorBody(status: number, message?: string): unknown {
  const type = ERROR_TYPES[status] ?? 'api_error';
  return { type: 'error', error: { type, message: message ?? MESSAGES[type] ?? `Fake error ${status}.` } };
}

/** Text of a content field: a string or blocks (text, tool results, tool inputs as JSON). */
function textOf(content: unknown): string {
  if (typeof content === 'string') return content;
  if (!Array.isArray(content)) return '';
  return content
    .filter(isRecord)
    .map((block) => {
      if (typeof block.text === 'string') return block.text;
      if (block.type === 'tool_result') return textOf(block.content);
      if (block.type === 'tool_use') return JSON.stringify(block.input ?? {});
      return '';
    })
    .join('');
}

/** The tool `tool_choice` forces: `{type: 'tool', name}`, or `{type: 'any'}` (the first tool). */
function forcedTool(tools: unknown, choice: unknown): { name: string; schema: JsonSchema } | undefined {
  if (!Array.isArray(tools) || !isRecord(choice)) return undefined;
  const list = tools.filter(isRecord);
  const tool = choice.type === 'any' ? list[0] : choice.type === 'tool' ? list.find((t) => t.name === choice.name) : undefined;
  if (!tool) {
    if (choice.type === 'tool') throw new FakeHttpError(400, `tool_choice names an unknown tool: ${String(choice.name)}`);
    return undefined;
  }
  return { name: String(tool.name), schema: isRecord(tool.input_schema) ? tool.input_schema : { type: 'object' } };
}

/** JSON outputs: `output_config.format` (current) or `output_format` (the beta spelling). */
function outputSchema(body: Record<string, unknown>): JsonSchema | undefined {
  const format = isRecord(body.output_config) ? body.output_config.format : body.output_format;
  return isRecord(format) && format.type === 'json_schema' && isRecord(format.schema) ? format.schema : undefined;
}

const frame = (data: { type: string; [key: string]: unknown }) => `event: ${data.type}\ndata: ${JSON.stringify(data)}\n\n`;

async function messages(call: EndpointCall): Promise<Answer> {
  const { body, model } = call;
  if (typeof body.model !== 'string' || body.model === '') throw new FakeHttpError(400, 'model: Field required');
  if (typeof body.max_tokens !== 'number') throw new FakeHttpError(400, 'max_tokens: Field required');
  if (!Array.isArray(body.messages)) throw new FakeHttpError(400, 'messages: Field required');
  const system = typeof body.system === 'string' ? body.system : textOf(body.system);
  const list = [
    ...(system ? [{ role: 'system', content: system }] : []),
    ...body.messages.filter(isRecord).map((m) => ({ role: String(m.role), content: textOf(m.content) })),
  ];
  const forced = forcedTool(body.tools, body.tool_choice);
  const request: FakeChatRequest = {
    provider: 'anthropic',
    endpoint: 'messages',
    model,
    messages: list,
    prompt: [...list].reverse().find((m) => m.role === 'user')?.content ?? '',
    schema: forced?.schema ?? outputSchema(body),
    toolName: forced?.name,
    json: false,
    stream: body.stream === true,
    body,
  };
  const { text, truncated } = truncateToTokens(await replyText(request, call.behaviour.respond), body.max_tokens);
  const inputTokens = approxTokens(list.map((m) => m.content).join(''));
  const outputTokens = approxTokens(text);
  const cost = costOf(call.behaviour, model, inputTokens, outputTokens);
  const stopReason = truncated ? 'max_tokens' : forced ? 'tool_use' : 'end_turn';
  const id = `msg_fake${call.seq}`;
  const toolId = `toolu_fake${call.seq}`;
  const cache = call.behaviour.promptCache ?? { read: 0, write: 0 };
  const usage = {
    input_tokens: inputTokens,
    output_tokens: outputTokens,
    cache_creation_input_tokens: cache.write,
    cache_read_input_tokens: cache.read,
    ...(cost !== undefined ? { cost } : {}),
  };
  if (body.stream !== true) {
    let input: unknown = text;
    try {
      input = JSON.parse(text);
    } catch {
      // A truncated or deliberately invalid tool input stays a string.
    }
    const block = forced ? { type: 'tool_use', id: toolId, name: forced.name, input } : { type: 'text', text };
    return { json: { id, type: 'message', role: 'assistant', model, content: [block], stop_reason: stopReason, stop_sequence: null, usage } };
  }
  const frames = [
    frame({
      type: 'message_start',
      message: { id, type: 'message', role: 'assistant', model, content: [], stop_reason: null, stop_sequence: null, usage: { input_tokens: inputTokens, output_tokens: 1, cache_creation_input_tokens: cache.write, cache_read_input_tokens: cache.read } },
    }),
    frame({
      type: 'content_block_start',
      index: 0,
      content_block: forced ? { type: 'tool_use', id: toolId, name: forced.name, input: {} } : { type: 'text', text: '' },
    }),
    frame({ type: 'ping' }),
  ];
  for (const piece of streamPieces(text)) {
    const delta = forced ? { type: 'input_json_delta', partial_json: piece } : { type: 'text_delta', text: piece };
    frames.push(frame({ type: 'content_block_delta', index: 0, delta }));
  }
  frames.push(frame({ type: 'content_block_stop', index: 0 }));
  const finalUsage = { output_tokens: outputTokens, ...(cost !== undefined ? { cost } : {}) };
  frames.push(frame({ type: 'message_delta', delta: { stop_reason: stopReason, stop_sequence: null }, usage: finalUsage }));
  frames.push(frame({ type: 'message_stop' }));
  return { sse: frames };
}

export async function startFakeAnthropic(options: FakeAnthropicOptions = {}): Promise<FakeAnthropic> {
  const { modelIds, ...rest } = options;
  const ids = modelIds ?? ['claude-haiku-4-5', ...Object.keys(options.models ?? {})];
  const models: Endpoint = {
    kind: 'models',
    answer: () => ({
      json: {
        data: ids.map((id) => ({ type: 'model', id, display_name: id, created_at: '2025-01-01T00:00:00Z' })),
        has_more: false,
        first_id: ids[0] ?? null,
        last_id: ids.at(-1) ?? null,
      },
    }),
  };
  return startFakeProvider(
    {
      requestIdHeader: 'request-id',
      errorBody,
      route(method, path, body) {
        if (method === 'GET' && path === '/models') return models;
        if (method === 'POST' && path === '/messages') return { kind: body.stream === true ? 'stream' : 'messages', answer: messages };
        return undefined;
      },
      authenticate(headers) {
        // The SDKs send `x-api-key`; an OAuth-style bearer token is accepted as well.
        const bearer = /^Bearer\s+(\S+)/i.exec(headers.authorization ?? '')?.[1];
        const key = typeof headers['x-api-key'] === 'string' && headers['x-api-key'] !== '' ? headers['x-api-key'] : bearer;
        if (key === undefined) return new FakeHttpError(401, 'x-api-key header is required');
        if (options.apiKey !== undefined && key !== options.apiKey) return new FakeHttpError(401, 'invalid x-api-key');
        if (!headers['anthropic-version']) return new FakeHttpError(400, 'anthropic-version: header is required');
        return undefined;
      },
      rateLimitHeaders: (limit, remaining, resetMs) => ({
        'anthropic-ratelimit-requests-limit': String(limit),
        'anthropic-ratelimit-requests-remaining': String(remaining),
        // Anthropic announces the reset as an RFC 3339 time, to the second.
        'anthropic-ratelimit-requests-reset': new Date(Date.now() + resetMs).toISOString().replace(/\.\d+Z$/, 'Z'),
      }),
    },
    rest,
  );
}
