import { Ajv2020 } from 'ajv/dist/2020.js';
import { afterEach, describe, expect, it } from 'vitest';
import { type FakeAnthropic, type FakeAnthropicOptions, startFakeAnthropic } from './fake-anthropic.js';

const ajv = new Ajv2020({ strict: false });
const KEY = 'sk-ant-test';
let fake: FakeAnthropic | undefined;
afterEach(async () => {
  await fake?.close();
  fake = undefined;
});

async function start(options: FakeAnthropicOptions = {}): Promise<FakeAnthropic> {
  fake = await startFakeAnthropic({ apiKey: KEY, ...options });
  return fake;
}

const post = (body: unknown, headers: Record<string, string | undefined> = {}, signal?: AbortSignal) => {
  const all: Record<string, string | undefined> = { 'content-type': 'application/json', 'x-api-key': KEY, 'anthropic-version': '2023-06-01', ...headers };
  return fetch(`${fake!.url}/v1/messages`, {
    method: 'POST',
    headers: Object.fromEntries(Object.entries(all).filter((e): e is [string, string] => e[1] !== undefined)),
    body: JSON.stringify(body),
    signal,
  });
};

const message = (content: string, extra: Record<string, unknown> = {}) => ({
  model: 'claude-sonnet-4-5',
  max_tokens: 1024,
  messages: [{ role: 'user', content }],
  ...extra,
});

type Event = { event: string; data: { type: string } & Record<string, unknown> };

/** Server-sent events, frame by frame; each `event:` name must match its data's `type`. */
async function events(res: Response): Promise<Event[]> {
  const text = await res.text();
  expect(text.endsWith('\n\n')).toBe(true);
  return text
    .split('\n\n')
    .filter(Boolean)
    .map((frame) => {
      const [eventLine, dataLine, ...rest] = frame.split('\n');
      expect(rest).toEqual([]);
      const event = /^event: (.+)$/.exec(eventLine!)![1]!;
      const data = JSON.parse(/^data: (.+)$/.exec(dataLine!)![1]!) as Event['data'];
      expect(data.type).toBe(event);
      return { event, data };
    });
}

const SCHEMA = {
  type: 'object',
  properties: {
    city: { type: 'string', minLength: 3 },
    temperature: { type: 'number', minimum: -30, maximum: 45 },
    unit: { enum: ['C', 'F'] },
    days: { type: 'array', minItems: 2, items: { type: 'object', properties: { rain: { type: 'boolean' } }, required: ['rain'], additionalProperties: false } },
  },
  required: ['city', 'temperature', 'unit', 'days'],
  additionalProperties: false,
};

const TOOLS = [
  { name: 'lookup', description: 'x', input_schema: { type: 'object', properties: { q: { type: 'string' } }, required: ['q'] } },
  { name: 'weather', description: 'Weather report', input_schema: SCHEMA },
];

describe('fake Anthropic: messages', () => {
  it('answers with the message shape, usage and rate-limit headers', async () => {
    await start();
    const res = await post(message('hello there', { system: 'Be brief.' }));
    expect(res.status).toBe(200);
    expect(res.headers.get('anthropic-ratelimit-requests-limit')).toBe('10000');
    expect(res.headers.get('anthropic-ratelimit-requests-remaining')).toBe('9999');
    expect(res.headers.get('anthropic-ratelimit-requests-reset')).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    expect(res.headers.get('request-id')).toMatch(/^req_/);
    expect(await res.json()).toEqual({
      id: expect.stringMatching(/^msg_/),
      type: 'message',
      role: 'assistant',
      model: 'claude-sonnet-4-5',
      content: [{ type: 'text', text: 'Echo: hello there' }],
      stop_reason: 'end_turn',
      stop_sequence: null,
      // 'Be brief.' + 'hello there' = 20 chars → 5 tokens; 'Echo: hello there' = 17 chars → 5.
      usage: { input_tokens: 5, output_tokens: 5, cache_creation_input_tokens: 0, cache_read_input_tokens: 0 },
    });
    // Block content, a system prompt given as blocks, and the path without /v1.
    const blocks = await fetch(`${fake!.url}/messages`, {
      method: 'POST',
      headers: { 'x-api-key': KEY, 'anthropic-version': '2023-06-01' },
      body: JSON.stringify({ ...message(''), system: [{ type: 'text', text: 'sys' }], messages: [{ role: 'user', content: [{ type: 'text', text: 'a' }, { type: 'text', text: 'b' }] }] }),
    });
    expect(((await blocks.json()) as { content: { text: string }[] }).content[0]!.text).toBe('Echo: ab');
  });

  it('streams message_start, content blocks with text deltas, message_delta with usage, message_stop', async () => {
    await start();
    const res = await post(message('tell me a story', { stream: true }));
    expect(res.headers.get('content-type')).toBe('text/event-stream; charset=utf-8');
    const list = await events(res);
    const names = list.map((e) => e.event);
    expect(names.slice(0, 3)).toEqual(['message_start', 'content_block_start', 'ping']);
    expect(names.slice(-3)).toEqual(['content_block_stop', 'message_delta', 'message_stop']);
    expect(new Set(names.slice(3, -3))).toEqual(new Set(['content_block_delta']));
    expect(list[0]!.data).toEqual({
      type: 'message_start',
      message: {
        id: expect.stringMatching(/^msg_/),
        type: 'message',
        role: 'assistant',
        model: 'claude-sonnet-4-5',
        content: [],
        stop_reason: null,
        stop_sequence: null,
        usage: { input_tokens: 4, output_tokens: 1, cache_creation_input_tokens: 0, cache_read_input_tokens: 0 },
      },
    });
    expect(list[1]!.data).toEqual({ type: 'content_block_start', index: 0, content_block: { type: 'text', text: '' } });
    const deltas = list.filter((e) => e.event === 'content_block_delta').map((e) => e.data as unknown as { index: number; delta: { type: string; text: string } });
    expect(deltas.every((d) => d.index === 0 && d.delta.type === 'text_delta')).toBe(true);
    expect(deltas.map((d) => d.delta.text).join('')).toBe('Echo: tell me a story');
    expect(list.at(-2)!.data).toEqual({ type: 'message_delta', delta: { stop_reason: 'end_turn', stop_sequence: null }, usage: { output_tokens: 6 } });
    expect(list.at(-3)!.data).toEqual({ type: 'content_block_stop', index: 0 });
  });

  it('answers a forced tool with tool_use, plain and streamed as input_json_delta', async () => {
    await start();
    const body = message('weather in Paris', { tools: TOOLS, tool_choice: { type: 'tool', name: 'weather' } });
    const json = (await (await post(body)).json()) as { content: { type: string; id: string; name: string; input: unknown }[]; stop_reason: string };
    expect(json.stop_reason).toBe('tool_use');
    expect(json.content).toEqual([{ type: 'tool_use', id: expect.stringMatching(/^toolu_/), name: 'weather', input: expect.any(Object) }]);
    expect(ajv.validate(SCHEMA, json.content[0]!.input), ajv.errorsText()).toBe(true);

    const list = await events(await post({ ...body, stream: true }));
    expect(list[1]!.data).toEqual({ type: 'content_block_start', index: 0, content_block: { type: 'tool_use', id: expect.stringMatching(/^toolu_/), name: 'weather', input: {} } });
    const parts = list.filter((e) => e.event === 'content_block_delta').map((e) => (e.data as unknown as { delta: { type: string; partial_json: string } }).delta);
    expect(parts.length).toBeGreaterThan(2);
    expect(parts.every((p) => p.type === 'input_json_delta')).toBe(true);
    expect(JSON.parse(parts.map((p) => p.partial_json).join(''))).toEqual(json.content[0]!.input);
    expect((list.at(-2)!.data as unknown as { delta: { stop_reason: string } }).delta.stop_reason).toBe('tool_use');
    // {type: 'any'} forces the first tool.
    const any = (await (await post(message('x', { tools: TOOLS, tool_choice: { type: 'any' } }))).json()) as typeof json;
    expect(any.content[0]).toMatchObject({ type: 'tool_use', name: 'lookup', input: { q: expect.any(String) } });
    // {type: 'auto'} answers with text.
    const auto = (await (await post(message('x', { tools: TOOLS, tool_choice: { type: 'auto' } }))).json()) as typeof json;
    expect(auto.content[0]!.type).toBe('text');
  });

  it('answers JSON output formats (output_config.format and the beta output_format) with schema-valid text', async () => {
    await start();
    for (const extra of [{ output_config: { format: { type: 'json_schema', schema: SCHEMA } } }, { output_format: { type: 'json_schema', schema: SCHEMA } }]) {
      const json = (await (await post(message('weather', extra))).json()) as { content: { type: string; text: string }[]; stop_reason: string };
      expect(json.content[0]!.type).toBe('text');
      expect(json.stop_reason).toBe('end_turn');
      expect(ajv.validate(SCHEMA, JSON.parse(json.content[0]!.text)), ajv.errorsText()).toBe(true);
    }
  });

  it('uses the respond hook, stops at max_tokens, requires max_tokens, and reports cost', async () => {
    await start({ respond: (req) => (req.prompt === 'long' ? 'y'.repeat(50) : req.toolName ? { custom: req.toolName } : undefined), reportCost: true });
    const cut = (await (await post(message('long', { max_tokens: 3 }))).json()) as { content: { text: string }[]; stop_reason: string; usage: { output_tokens: number; cost: number } };
    expect(cut.content[0]!.text).toBe('y'.repeat(12));
    expect(cut.stop_reason).toBe('max_tokens');
    expect(cut.usage.output_tokens).toBe(3);
    // 1 input token at $1/M + 3 output tokens at $4/M.
    expect(cut.usage.cost).toBeCloseTo(13 / 1e6, 12);
    const tool = (await (await post(message('x', { tools: TOOLS, tool_choice: { type: 'tool', name: 'lookup' } }))).json()) as { content: { input: unknown }[] };
    expect(tool.content[0]!.input).toEqual({ custom: 'lookup' });
    const streamed = await events(await post(message('long', { max_tokens: 3, stream: true })));
    expect(streamed.at(-2)!.data).toMatchObject({ delta: { stop_reason: 'max_tokens' }, usage: { output_tokens: 3, cost: expect.any(Number) } });

    const missing = await post({ model: 'claude-sonnet-4-5', messages: [] });
    expect(missing.status).toBe(400);
    expect(await missing.json()).toEqual({ type: 'error', error: { type: 'invalid_request_error', message: 'max_tokens: Field required' } });
  });

  it('checks x-api-key and anthropic-version, and lists models', async () => {
    await start({ modelIds: ['claude-a', 'claude-b'] });
    const missing = await post(message('x'), { 'x-api-key': undefined });
    expect(missing.status).toBe(401);
    expect(await missing.json()).toEqual({ type: 'error', error: { type: 'authentication_error', message: 'x-api-key header is required' } });
    const wrong = await post(message('x'), { 'x-api-key': 'nope' });
    expect(wrong.status).toBe(401);
    expect(await wrong.json()).toEqual({ type: 'error', error: { type: 'authentication_error', message: 'invalid x-api-key' } });
    const noVersion = await post(message('x'), { 'anthropic-version': undefined });
    expect(noVersion.status).toBe(400);
    expect(((await noVersion.json()) as { error: { type: string } }).error.type).toBe('invalid_request_error');
    expect((await post(message('x'), { 'x-api-key': undefined, authorization: `Bearer ${KEY}` })).status).toBe(200);
    const list = await fetch(`${fake!.url}/v1/models`, { headers: { 'x-api-key': KEY, 'anthropic-version': '2023-06-01' } });
    expect(await list.json()).toEqual({
      data: ['claude-a', 'claude-b'].map((id) => ({ type: 'model', id, display_name: id, created_at: expect.any(String) })),
      has_more: false,
      first_id: 'claude-a',
      last_id: 'claude-b',
    });
  });
});

describe('fake Anthropic: misbehaviour and counters', () => {
  it('fails with 429 + retry-after and 500/529 with Anthropic error bodies', async () => {
    await start({ failRate: 1, retryAfter: 3 });
    const limited = await post(message('x'));
    expect(limited.status).toBe(429);
    expect(limited.headers.get('retry-after')).toBe('3');
    expect(limited.headers.get('anthropic-ratelimit-requests-remaining')).toBe('0');
    expect(await limited.json()).toEqual({ type: 'error', error: { type: 'rate_limit_error', message: expect.any(String) } });
    fake!.setBehaviour({ failStatus: 500, retryAfter: undefined });
    const failed = await post(message('x'));
    expect([failed.status, ((await failed.json()) as { error: { type: string } }).error.type]).toEqual([500, 'api_error']);
    fake!.setBehaviour({ failStatus: 529 });
    const overloaded = await post(message('x'));
    expect([overloaded.status, ((await overloaded.json()) as { error: { type: string } }).error.type]).toEqual([529, 'overloaded_error']);
  });

  it('hangs until aborted, resets, and sends malformed bodies and streams', async () => {
    await start({ hangRate: 1 });
    await expect(post(message('x'), {}, AbortSignal.timeout(50))).rejects.toThrow();
    const hung = post(message('y')).catch((e: unknown) => e);
    fake!.setBehaviour({ hangRate: 0, resetRate: 1 });
    await expect(post(message('x'))).rejects.toThrow();
    fake!.setBehaviour({ resetRate: 0, malformedRate: 1 });
    await expect((await post(message('x'))).json()).rejects.toThrow();
    const text = await (await post(message('one two three four five six', { stream: true }))).text();
    const frames = text.split('\n\n').filter(Boolean);
    expect(text).not.toContain('message_stop');
    expect(frames[0]).toMatch(/^event: message_start\n/);
    expect(() => JSON.parse(frames.at(-1)!.split('\ndata: ')[1]!)).toThrow();
    await fake!.close();
    expect(await hung).toBeInstanceOf(Error);
    fake = undefined;
  });

  it('applies per-model overrides and counts calls, kinds, requests and arrivals', async () => {
    await start({ models: { 'claude-busy': { failRate: 1, failStatus: 529, latencyMs: 40 } } });
    const t = Date.now();
    expect((await post(message('x', { model: 'claude-busy' }))).status).toBe(529);
    expect(Date.now() - t).toBeGreaterThanOrEqual(35);
    expect((await post(message('x', { model: 'claude-busy' }))).status).toBe(529);
    expect((await post(message('x'))).status).toBe(200);
    await (await post(message('x', { stream: true }))).text();
    await post(message('x'), { 'x-api-key': 'bad' });
    expect(fake!.calls).toBe(5);
    expect(fake!.callsByModel).toEqual(new Map([['claude-busy', 2], ['claude-sonnet-4-5', 3]]));
    expect(fake!.callsByKind).toEqual(new Map([['messages', 4], ['stream', 1]]));
    expect(fake!.requests).toHaveLength(5);
    expect(fake!.requests[3]!.body).toEqual(message('x', { stream: true }));
    expect(fake!.requests[0]!.headers['anthropic-version']).toBe('2023-06-01');
    const [first, second] = fake!.arrivals.get('claude-busy')!;
    expect(second! - first!).toBeGreaterThanOrEqual(35);
    // Clearing the override heals the model.
    fake!.setBehaviour({ models: {} });
    expect((await post(message('x', { model: 'claude-busy' }))).status).toBe(200);
  });
});
