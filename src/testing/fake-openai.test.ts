import { Ajv2020 } from 'ajv/dist/2020.js';
import addFormatsModule from 'ajv-formats';
import { afterEach, describe, expect, it } from 'vitest';
import { FAKE_FLAGGED_SCORE, type FakeOpenAI, type FakeOpenAIOptions, fakeEmbedding, MODERATION_CATEGORIES, startFakeOpenAI } from './fake-openai.js';
import { generateFromSchema, streamPieces } from './fake-provider-core.js';

// ajv-formats is CommonJS; under NodeNext its default import is the module object.
const addFormats = addFormatsModule as unknown as (ajv: Ajv2020) => Ajv2020;
const ajv = addFormats(new Ajv2020({ strict: false }));

const KEY = 'sk-test';
let fake: FakeOpenAI | undefined;
afterEach(async () => {
  await fake?.close();
  fake = undefined;
});

async function start(options: FakeOpenAIOptions = {}): Promise<FakeOpenAI> {
  fake = await startFakeOpenAI({ apiKey: KEY, ...options });
  return fake;
}

const post = (path: string, body: unknown, init: { key?: string | null; signal?: AbortSignal } = {}) =>
  fetch(`${fake!.url}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(init.key === null ? {} : { authorization: `Bearer ${init.key ?? KEY}` }) },
    body: JSON.stringify(body),
    signal: init.signal,
  });

const chat = (content: string, extra: Record<string, unknown> = {}) => ({ model: 'gpt-4o-mini', messages: [{ role: 'user', content }], ...extra });

/** Server-sent events, frame by frame: `data: [DONE]` stays a string, the rest is parsed. */
async function events(res: Response): Promise<{ event?: string; data: unknown }[]> {
  const text = await res.text();
  expect(text.endsWith('\n\n')).toBe(true);
  return text
    .split('\n\n')
    .filter(Boolean)
    .map((frame) => {
      const event = /^event: (.*)$/m.exec(frame)?.[1];
      const data = /^data: (.*)$/m.exec(frame)![1]!;
      return { ...(event ? { event } : {}), data: data === '[DONE]' ? data : (JSON.parse(data) as unknown) };
    });
}

const SCHEMA = {
  type: 'object',
  properties: {
    name: { type: 'string', minLength: 12, maxLength: 20 },
    age: { type: 'integer', minimum: 18, maximum: 30 },
    score: { type: 'number', exclusiveMinimum: 0, maximum: 1 },
    tier: { type: 'string', enum: ['free', 'pro', 'team'] },
    active: { type: 'boolean' },
    email: { type: 'string', format: 'email' },
    joined: { type: 'string', format: 'date-time' },
    nickname: { type: ['string', 'null'] },
    tags: { type: 'array', items: { type: 'string' }, minItems: 3, maxItems: 5, uniqueItems: true },
    address: { $ref: '#/$defs/address' },
    step: { type: 'number', multipleOf: 5, minimum: 7, maximum: 40 },
    choice: { anyOf: [{ type: 'null' }, { type: 'integer', minimum: 100 }] },
  },
  required: ['name', 'age', 'score', 'tier', 'active', 'email', 'joined', 'nickname', 'tags', 'address', 'step', 'choice'],
  additionalProperties: false,
  $defs: {
    address: {
      type: 'object',
      properties: { city: { type: 'string' }, zip: { type: 'string', maxLength: 5 } },
      required: ['city', 'zip'],
      additionalProperties: false,
    },
  },
};

const cosine = (a: number[], b: number[]) => a.reduce((s, x, i) => s + x * b[i]!, 0);

describe('fake OpenAI: chat completions', () => {
  it('answers with the chat.completion shape, echoing the last user message, with usage and rate-limit headers', async () => {
    await start();
    const res = await post('/v1/chat/completions', { model: 'gpt-4o-mini', messages: [{ role: 'system', content: 'Be brief.' }, { role: 'user', content: 'hello there' }] });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('application/json');
    expect(res.headers.get('x-ratelimit-limit-requests')).toBe('10000');
    expect(res.headers.get('x-ratelimit-remaining-requests')).toBe('9999');
    expect(res.headers.get('x-ratelimit-reset-requests')).toMatch(/^(\d+m)?[\d.]+m?s$/);
    expect(res.headers.get('x-request-id')).toMatch(/^req_/);
    expect(await res.json()).toEqual({
      id: expect.stringMatching(/^chatcmpl-/),
      object: 'chat.completion',
      created: expect.any(Number),
      model: 'gpt-4o-mini',
      system_fingerprint: 'fp_fake',
      choices: [{ index: 0, message: { role: 'assistant', content: 'Echo: hello there', refusal: null, annotations: [] }, finish_reason: 'stop', logprobs: null }],
      // 'Be brief.' + 'hello there' = 20 chars → 5 tokens; 'Echo: hello there' = 17 chars → 5 tokens.
      usage: { prompt_tokens: 5, completion_tokens: 5, total_tokens: 10, prompt_tokens_details: { cached_tokens: 0 }, completion_tokens_details: { reasoning_tokens: 0 } },
    });
    // Also without the /v1 prefix, and with content given as text parts.
    const bare = await post('/chat/completions', { model: 'm', messages: [{ role: 'user', content: [{ type: 'text', text: 'a' }, { type: 'text', text: 'b' }] }] });
    expect(((await bare.json()) as { choices: { message: { content: string } }[] }).choices[0]!.message.content).toBe('Echo: ab');
  });

  it('streams chat.completion.chunk deltas, a usage chunk when asked, then [DONE]', async () => {
    await start();
    const res = await post('/v1/chat/completions', chat('tell me a story', { stream: true, stream_options: { include_usage: true } }));
    expect(res.headers.get('content-type')).toBe('text/event-stream; charset=utf-8');
    const frames = await events(res);
    type Chunk = { id: string; object: string; model: string; choices: { index: number; delta: Record<string, unknown>; finish_reason: string | null }[]; usage: unknown };
    const chunks = frames.slice(0, -1).map((f) => f.data as Chunk);
    expect(frames.at(-1)).toEqual({ data: '[DONE]' });
    expect(new Set(chunks.map((c) => c.id)).size).toBe(1);
    expect(chunks.every((c) => c.object === 'chat.completion.chunk' && c.model === 'gpt-4o-mini')).toBe(true);
    expect(chunks[0]!.choices[0]!.delta).toEqual({ role: 'assistant', content: '', refusal: null });
    const text = chunks.flatMap((c) => c.choices.map((ch) => ch.delta.content ?? '')).join('');
    expect(text).toBe('Echo: tell me a story');
    expect(chunks.length).toBeGreaterThan(4); // one chunk per word
    const finish = chunks.at(-2)!;
    expect(finish.choices[0]).toEqual({ index: 0, delta: {}, logprobs: null, finish_reason: 'stop' });
    expect(chunks.slice(0, -1).every((c) => c.usage === null)).toBe(true);
    expect(chunks.at(-1)).toMatchObject({ choices: [], usage: { prompt_tokens: 4, completion_tokens: 6, total_tokens: 10 } });

    // Without include_usage: no usage field and no usage chunk.
    const plain = await events(await post('/v1/chat/completions', chat('x', { stream: true })));
    expect(plain.slice(0, -1).every((f) => !('usage' in (f.data as object)))).toBe(true);
    expect((plain.at(-2)!.data as Chunk).choices[0]!.finish_reason).toBe('stop');
  });

  it('answers json_schema structured output with JSON that satisfies the schema, deterministically', async () => {
    await start();
    const body = chat('describe a user', { response_format: { type: 'json_schema', json_schema: { name: 'user', strict: true, schema: SCHEMA } } });
    const first = (await (await post('/v1/chat/completions', body)).json()) as { choices: { message: { content: string } }[] };
    const value: unknown = JSON.parse(first.choices[0]!.message.content);
    expect(ajv.validate(SCHEMA, value), ajv.errorsText()).toBe(true);
    const again = (await (await post('/v1/chat/completions', body)).json()) as typeof first;
    expect(again.choices[0]!.message.content).toBe(first.choices[0]!.message.content);
    // json_object mode without a schema still answers with JSON.
    const loose = (await (await post('/v1/chat/completions', chat('hi', { response_format: { type: 'json_object' } }))).json()) as typeof first;
    expect(JSON.parse(loose.choices[0]!.message.content)).toEqual({ echo: 'hi' });
    // ...unless the prompt carries the schema the way clients without structured outputs write it.
    const system = `Be nice.\n\nJSON schema:\n${JSON.stringify(SCHEMA)}\nYou MUST answer with a JSON object that matches the JSON schema above.`;
    const prompted = await post('/v1/chat/completions', { model: 'm', messages: [{ role: 'system', content: system }, { role: 'user', content: 'hi' }], response_format: { type: 'json_object' } });
    const content = ((await prompted.json()) as typeof first).choices[0]!.message.content;
    expect(ajv.validate(SCHEMA, JSON.parse(content)), ajv.errorsText()).toBe(true);
  });

  it('answers a forced function with tool_calls, plain and streamed', async () => {
    await start();
    const tools = [
      { type: 'function', function: { name: 'other', parameters: { type: 'object', properties: {} } } },
      { type: 'function', function: { name: 'save_user', description: 'Save', parameters: SCHEMA, strict: true } },
    ];
    const body = chat('save it', { tools, tool_choice: { type: 'function', function: { name: 'save_user' } } });
    const json = (await (await post('/v1/chat/completions', body)).json()) as {
      choices: { message: { content: null; tool_calls: { id: string; type: string; function: { name: string; arguments: string } }[] }; finish_reason: string }[];
    };
    const choice = json.choices[0]!;
    expect(choice.finish_reason).toBe('tool_calls');
    expect(choice.message.content).toBeNull();
    expect(choice.message.tool_calls).toEqual([{ id: expect.stringMatching(/^call_/), type: 'function', function: { name: 'save_user', arguments: expect.any(String) } }]);
    expect(ajv.validate(SCHEMA, JSON.parse(choice.message.tool_calls[0]!.function.arguments))).toBe(true);

    const frames = await events(await post('/v1/chat/completions', { ...body, stream: true }));
    type Delta = { tool_calls?: { index: number; id?: string; type?: string; function: { name?: string; arguments?: string } }[] };
    const deltas = frames.slice(0, -1).map((f) => (f.data as { choices: { delta: Delta; finish_reason: string | null }[] }).choices[0]!);
    expect(deltas[0]!.delta.tool_calls![0]).toEqual({ index: 0, id: expect.stringMatching(/^call_/), type: 'function', function: { name: 'save_user', arguments: '' } });
    const args = deltas.map((d) => d.delta.tool_calls?.[0]?.function.arguments ?? '').join('');
    expect(args).toBe(choice.message.tool_calls[0]!.function.arguments);
    expect(deltas.length).toBeGreaterThan(5); // arguments arrive in pieces
    expect(deltas.at(-1)!.finish_reason).toBe('tool_calls');
    // tool_choice "required" picks the first tool.
    const required = (await (await post('/v1/chat/completions', chat('x', { tools, tool_choice: 'required' }))).json()) as typeof json;
    expect(required.choices[0]!.message.tool_calls[0]!.function).toEqual({ name: 'other', arguments: '{}' });
  });

  it('uses the respond hook, truncates at max_tokens and refuses bad requests', async () => {
    const seen: unknown[] = [];
    await start({
      respond: (req) => {
        seen.push({ prompt: req.prompt, model: req.model, endpoint: req.endpoint, toolName: req.toolName, hasSchema: !!req.schema });
        return req.schema ? { custom: true } : req.prompt === 'long' ? 'x'.repeat(100) : undefined;
      },
    });
    const hooked = (await (await post('/v1/chat/completions', chat('q', { response_format: { type: 'json_schema', json_schema: { name: 'n', schema: SCHEMA } } }))).json()) as {
      choices: { message: { content: string }; finish_reason: string }[];
    };
    expect(hooked.choices[0]!.message.content).toBe('{"custom":true}');
    const fallback = (await (await post('/v1/chat/completions', chat('plain'))).json()) as typeof hooked;
    expect(fallback.choices[0]!.message.content).toBe('Echo: plain');
    const cut = (await (await post('/v1/chat/completions', chat('long', { max_tokens: 5 }))).json()) as typeof hooked & { usage: { completion_tokens: number } };
    expect(cut.choices[0]).toMatchObject({ message: { content: 'x'.repeat(20) }, finish_reason: 'length' });
    expect(cut.usage.completion_tokens).toBe(5);
    expect(seen[0]).toEqual({ prompt: 'q', model: 'gpt-4o-mini', endpoint: 'chat', toolName: undefined, hasSchema: true });

    const missing = await post('/v1/chat/completions', { model: 'gpt-4o-mini' });
    expect(missing.status).toBe(400);
    expect(await missing.json()).toEqual({ error: { message: "'messages' is a required property", type: 'invalid_request_error', param: null, code: null } });
    const unknown = await post('/v1/nope', {});
    expect(unknown.status).toBe(404);
    expect(((await unknown.json()) as { error: { type: string } }).error.type).toBe('invalid_request_error');
  });

  it('reports an OpenRouter-style usage.cost when asked, in plain and streamed answers', async () => {
    await start({ reportCost: true });
    const json = (await (await post('/v1/chat/completions', chat('12345678'))).json()) as { usage: { prompt_tokens: number; completion_tokens: number; cost: number } };
    // 2 input tokens at $1/M + 4 output tokens ('Echo: 12345678') at $4/M.
    expect(json.usage.cost).toBeCloseTo((2 * 1 + 4 * 4) / 1e6, 12);
    fake!.setBehaviour({ reportCost: (u, model) => (model === 'gpt-4o-mini' ? u.inputTokens + u.outputTokens : 0) });
    const frames = await events(await post('/v1/chat/completions', chat('12345678', { stream: true, stream_options: { include_usage: true } })));
    expect((frames.at(-2)!.data as { usage: { cost: number } }).usage.cost).toBe(6);
  });
});

describe('fake OpenAI: responses, embeddings, models, auth', () => {
  it('serves the Responses API plain and streamed, with text.format and forced functions', async () => {
    await start();
    const body = { model: 'gpt-4o-mini', instructions: 'sys', input: [{ role: 'user', content: [{ type: 'input_text', text: 'hi' }] }] };
    const json = (await (await post('/v1/responses', body)).json()) as Record<string, unknown>;
    expect(json).toEqual({
      id: expect.stringMatching(/^resp_/),
      object: 'response',
      created_at: expect.any(Number),
      model: 'gpt-4o-mini',
      status: 'completed',
      incomplete_details: null,
      error: null,
      output: [{ type: 'message', id: expect.stringMatching(/^msg_/), status: 'completed', role: 'assistant', content: [{ type: 'output_text', text: 'Echo: hi', annotations: [] }] }],
      usage: { input_tokens: 2, input_tokens_details: { cached_tokens: 0 }, output_tokens: 2, output_tokens_details: { reasoning_tokens: 0 }, total_tokens: 4 },
    });
    const frames = await events(await post('/v1/responses', { ...body, stream: true }));
    expect(frames[0]!.event).toBe('response.created');
    expect(frames.at(-1)!.event).toBe('response.completed');
    expect(frames.every((f, i) => (f.data as { type: string; sequence_number: number }).type === f.event && (f.data as { sequence_number: number }).sequence_number === i)).toBe(true);
    const text = frames.filter((f) => f.event === 'response.output_text.delta').map((f) => (f.data as { delta: string }).delta).join('');
    expect(text).toBe('Echo: hi');

    const structured = (await (await post('/v1/responses', { model: 'm', input: 'x', text: { format: { type: 'json_schema', name: 'u', strict: true, schema: SCHEMA } } })).json()) as {
      output: { content: { text: string }[] }[];
    };
    expect(ajv.validate(SCHEMA, JSON.parse(structured.output[0]!.content[0]!.text))).toBe(true);
    const tool = { type: 'function', name: 'save_user', parameters: SCHEMA, strict: true };
    const toolFrames = await events(await post('/v1/responses', { model: 'm', input: 'x', tools: [tool], tool_choice: { type: 'function', name: 'save_user' }, stream: true }));
    const done = toolFrames.find((f) => f.event === 'response.output_item.done')!.data as { item: { type: string; name: string; arguments: string; call_id: string } };
    expect(done.item).toMatchObject({ type: 'function_call', name: 'save_user', call_id: expect.stringMatching(/^call_/) });
    const args = toolFrames.filter((f) => f.event === 'response.function_call_arguments.delta').map((f) => (f.data as { delta: string }).delta).join('');
    expect(args).toBe(done.item.arguments);
    expect(ajv.validate(SCHEMA, JSON.parse(args))).toBe(true);
  });

  it('embeds deterministically: identical texts cosine 1, similar above dissimilar', async () => {
    await start();
    const input = ['the cat sat on the mat', 'the cat sat on the mat', 'the cat sat on the red mat', 'quarterly revenue grew sharply'];
    const res = await post('/v1/embeddings', { model: 'text-embedding-3-small', input, encoding_format: 'float' });
    const json = (await res.json()) as { object: string; model: string; data: { object: string; index: number; embedding: number[] }[]; usage: unknown };
    expect(json).toMatchObject({ object: 'list', model: 'text-embedding-3-small', usage: { prompt_tokens: 25, total_tokens: 25 } });
    expect(json.data.map((d) => [d.object, d.index, d.embedding.length])).toEqual([0, 1, 2, 3].map((i) => ['embedding', i, 64]));
    const [a, b, c, d] = json.data.map((x) => x.embedding) as [number[], number[], number[], number[]];
    expect(cosine(a, a)).toBeCloseTo(1, 10);
    expect(cosine(a, b)).toBeCloseTo(1, 10);
    expect(cosine(a, c)).toBeGreaterThan(0.9);
    expect(cosine(a, c)).toBeGreaterThan(cosine(a, d));
    expect(a).toEqual(fakeEmbedding('the cat sat on the mat'));
    // A single string, `dimensions`, and base64 (what the official `openai` package asks for).
    const b64 = (await (await post('/v1/embeddings', { model: 'e', input: 'the cat', dimensions: 16, encoding_format: 'base64' })).json()) as { data: { embedding: string }[] };
    const decoded = Array.from(new Float32Array(Uint8Array.from(Buffer.from(b64.data[0]!.embedding, 'base64')).buffer));
    expect(decoded).toHaveLength(16);
    fakeEmbedding('the cat', 16).forEach((x, i) => expect(decoded[i]).toBeCloseTo(x, 6));
  });

  it('lists models and checks the bearer key', async () => {
    await start({ models: { 'gpt-slow': { latencyMs: 1 } } });
    const list = await fetch(`${fake!.url}/v1/models`, { headers: { authorization: `Bearer ${KEY}` } });
    expect(await list.json()).toEqual({
      object: 'list',
      data: ['gpt-4o-mini', 'text-embedding-3-small', 'gpt-slow'].map((id) => ({ id, object: 'model', created: expect.any(Number), owned_by: 'fake-openai' })),
    });
    const wrong = await post('/v1/chat/completions', chat('x'), { key: 'sk-wrong' });
    expect(wrong.status).toBe(401);
    expect(await wrong.json()).toEqual({ error: { message: expect.stringContaining('Incorrect API key'), type: 'invalid_request_error', param: null, code: 'invalid_api_key' } });
    const missing = await post('/v1/chat/completions', chat('x'), { key: null });
    expect(missing.status).toBe(401);
    expect(await missing.json()).toMatchObject({ error: { type: 'invalid_request_error', param: null } });
    expect(wrong.headers.get('x-ratelimit-remaining-requests')).not.toBeNull();
    // Without a configured key any bearer is accepted.
    await fake!.close();
    fake = await startFakeOpenAI();
    expect((await post('/v1/chat/completions', chat('x'), { key: 'anything' })).status).toBe(200);
  });
});

describe('fake OpenAI: moderations', () => {
  it('answers the moderation shape per input, flagging texts that contain a trigger word', async () => {
    await start();
    const res = await post('/v1/moderations', { model: 'omni-moderation-latest', input: ['I will kill the process', 'A calm sentence about tea'] });
    expect(res.status).toBe(200);
    const body = (await res.json()) as { id: string; model: string; results: { flagged: boolean; categories: Record<string, boolean>; category_scores: Record<string, number>; category_applied_input_types: Record<string, string[]> }[] };
    expect(body.id).toMatch(/^modr-/);
    expect(body.model).toBe('omni-moderation-latest');
    expect(body.results).toHaveLength(2);
    const [violent, calm] = body.results;
    expect(Object.keys(violent!.categories).sort()).toEqual([...MODERATION_CATEGORIES].sort());
    expect(violent).toMatchObject({ flagged: true, categories: { violence: true, hate: false }, category_scores: { violence: FAKE_FLAGGED_SCORE }, category_applied_input_types: { violence: ['text'] } });
    expect(violent!.category_scores.hate).toBeLessThan(0.01);
    expect(calm!.flagged).toBe(false);
    expect(Object.values(calm!.categories).some(Boolean)).toBe(false);
    expect(fake!.callsByKind.get('moderations')).toBe(1);
  });

  it('takes a single string or text parts, defaults the model, and is deterministic', async () => {
    await start();
    const one = await (await post('/v1/moderations', { input: 'how to launder money' })).json();
    expect(one).toMatchObject({ model: 'omni-moderation-latest', results: [{ flagged: true, categories: { illicit: true } }] });
    const parts = await (await post('/v1/moderations', { model: 'omni-moderation-latest', input: [{ type: 'text', text: 'how to launder money' }] })).json();
    expect((parts as { results: unknown[] }).results[0]).toEqual((one as { results: unknown[] }).results[0]);
    // The legacy text-moderation models have no illicit categories and no applied input types.
    const legacy = (await (await post('/v1/moderations', { model: 'text-moderation-stable', input: 'x' })).json()) as { results: Record<string, object>[] };
    expect(Object.keys(legacy.results[0]!.categories!)).not.toContain('illicit');
    expect(legacy.results[0]).not.toHaveProperty('category_applied_input_types');
  });

  it('refuses a missing or malformed input and a missing key', async () => {
    await start();
    for (const input of [undefined, [], [42]]) {
      const res = await post('/v1/moderations', { model: 'omni-moderation-latest', input });
      expect(res.status).toBe(400);
      expect(await res.json()).toMatchObject({ error: { type: 'invalid_request_error' } });
    }
    expect((await post('/v1/moderations', { input: 'x' }, { key: null })).status).toBe(401);
  });
});

describe('fake OpenAI: misbehaviour and counters', () => {
  it('fails with 429 + retry headers and 5xx with OpenAI error bodies', async () => {
    await start({ failRate: 1, retryAfter: 2, retryAfterMs: 1500 });
    const limited = await post('/v1/chat/completions', chat('x'));
    expect(limited.status).toBe(429);
    expect([limited.headers.get('retry-after'), limited.headers.get('retry-after-ms'), limited.headers.get('x-ratelimit-remaining-requests')]).toEqual(['2', '1500', '0']);
    expect(await limited.json()).toEqual({ error: { message: expect.any(String), type: 'requests', param: null, code: 'rate_limit_exceeded' } });
    fake!.setBehaviour({ failStatus: 500, retryAfter: undefined, retryAfterMs: undefined });
    const broken = await post('/v1/chat/completions', chat('x'));
    expect(broken.status).toBe(500);
    expect(broken.headers.get('retry-after')).toBeNull();
    expect(await broken.json()).toMatchObject({ error: { type: 'server_error', code: null } });
    fake!.setBehaviour({ failStatus: 503 });
    expect((await post('/v1/embeddings', { model: 'e', input: 'x' })).status).toBe(503);
  });

  it('hangs until the client aborts or close(), resets connections, and sends malformed bodies and streams', async () => {
    await start({ hangRate: 1 });
    await expect(post('/v1/chat/completions', chat('x'), { signal: AbortSignal.timeout(50) })).rejects.toThrow();
    const hung = post('/v1/chat/completions', chat('y')).catch((e: unknown) => e);
    fake!.setBehaviour({ hangRate: 0, resetRate: 1 });
    await expect(post('/v1/chat/completions', chat('x'))).rejects.toThrow();
    fake!.setBehaviour({ resetRate: 0, malformedRate: 1 });
    const bad = await post('/v1/chat/completions', chat('x'));
    expect(bad.status).toBe(200);
    await expect(bad.json()).rejects.toThrow();
    const stream = await (await post('/v1/chat/completions', chat('one two three four five six', { stream: true }))).text();
    const frames = stream.split('\n\n').filter(Boolean);
    expect(frames.at(-1)).not.toBe('data: [DONE]');
    expect(() => JSON.parse(frames.at(-1)!.slice(6))).toThrow();
    expect(frames.slice(0, -1).every((f) => JSON.parse(f.slice(6)) !== undefined)).toBe(true);
    await fake!.close();
    expect(await hung).toBeInstanceOf(Error);
    fake = undefined;
  });

  it('throttles one model while another stays healthy, reproducibly per seed', async () => {
    const run = async () => {
      await start({ seed: 3, models: { 'gpt-slow': { failRate: 0.5, latencyMs: 5 } } });
      const statuses: Record<string, number[]> = { 'gpt-slow': [], 'gpt-ok': [] };
      for (let i = 0; i < 20; i++) {
        for (const model of ['gpt-slow', 'gpt-ok']) {
          const res = await post('/v1/chat/completions', { ...chat(String(i)), model });
          await res.arrayBuffer();
          statuses[model]!.push(res.status);
        }
      }
      await fake!.close();
      return statuses;
    };
    const first = await run();
    expect(first['gpt-ok']!.every((s) => s === 200)).toBe(true);
    const failed = first['gpt-slow']!.filter((s) => s === 429).length;
    expect(failed).toBeGreaterThan(3);
    expect(failed).toBeLessThan(17);
    expect(await run()).toEqual(first);
    fake = undefined;
  });

  it('waits latencyMs before answering and chunkDelayMs between chunks', async () => {
    // Latencies far apart, so a busy machine cannot blur which model waited.
    await start({ latencyMs: 1_500, models: { fast: { latencyMs: 0 } } });
    await (await post('/v1/chat/completions', { ...chat('warm-up'), model: 'fast' })).json();
    let t = Date.now();
    await (await post('/v1/chat/completions', { ...chat('x'), model: 'fast' })).json();
    expect(Date.now() - t).toBeLessThan(750);
    t = Date.now();
    await (await post('/v1/chat/completions', chat('x'))).json();
    expect(Date.now() - t).toBeGreaterThanOrEqual(1_495);
    fake!.setBehaviour({ latencyMs: 0, chunkDelayMs: 15 });
    t = Date.now();
    const res = await post('/v1/chat/completions', chat('a b c d', { stream: true }));
    await res.text();
    // 8 frames (role, 5 words, finish, [DONE]) → 7 gaps of 15 ms.
    expect(Date.now() - t).toBeGreaterThanOrEqual(7 * 15 - 5);
  });

  it('counts calls by model and kind, keeps recent requests and arrival times', async () => {
    await start({ keepRequests: 3 });
    await post('/v1/chat/completions', chat('a'));
    await post('/v1/chat/completions', chat('b', { stream: true }));
    await post('/v1/embeddings', { model: 'emb', input: 'x' });
    await post('/v1/chat/completions', chat('c'), { key: 'bad' });
    await fetch(`${fake!.url}/v1/models`, { headers: { authorization: `Bearer ${KEY}` } });
    expect(fake!.calls).toBe(5);
    expect(fake!.callsByModel).toEqual(new Map([['gpt-4o-mini', 3], ['emb', 1]]));
    expect(fake!.callsByKind).toEqual(new Map([['chat', 2], ['stream', 1], ['embeddings', 1], ['models', 1]]));
    expect(fake!.requests.map((r) => r.kind)).toEqual(['embeddings', 'chat', 'models']);
    expect(fake!.requests[1]!.body).toEqual(chat('c'));
    const times = fake!.arrivals.get('gpt-4o-mini')!;
    expect(times).toHaveLength(3);
    expect([...times].sort((x, y) => x - y)).toEqual(times);
  });
});

describe('schema values and stream pieces', () => {
  it('generates schema-valid values for many seeds and keeps stream pieces lossless', () => {
    for (let i = 0; i < 50; i++) expect(ajv.validate(SCHEMA, generateFromSchema(SCHEMA, `seed ${i}`)), ajv.errorsText()).toBe(true);
    const recursive = { $defs: { node: { type: 'object', properties: { kids: { type: 'array', items: { $ref: '#/$defs/node' } } }, required: ['kids'] } }, $ref: '#/$defs/node' };
    expect(ajv.validate(recursive, generateFromSchema(recursive))).toBe(true);
    expect(generateFromSchema({ allOf: [{ properties: { a: { const: 1 } } }, { properties: { b: { type: 'boolean' } } }] })).toMatchObject({ a: 1, b: expect.any(Boolean) });
    for (const text of ['', 'one', '  lead and trail  ', '{"a":"' + 'x'.repeat(60) + '"}', 'multi\nline\n\ntext']) {
      expect(streamPieces(text).join('')).toBe(text);
    }
  });
});
