// Plumbing shared by the fake LLM providers (fake-openai.ts, fake-anthropic.ts): a real HTTP
// server on 127.0.0.1 that counts calls, sends rate-limit headers, and decides per call —
// from a seeded generator per model, so one model's traffic does not shift another's draws —
// whether to hang, reset, fail, send a broken body or answer properly. The providers only
// describe their routes, auth and body shapes. Also here: JSON-schema value generation (for
// structured output and forced tool calls), the ~4-chars-a-token count and the cost rule.
import http from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

/** What a call was for; streamed generations of any endpoint count as `stream`. */
export type CallKind = 'chat' | 'stream' | 'embeddings' | 'moderations' | 'messages' | 'responses' | 'models' | 'other';

export type JsonSchema = Record<string, unknown>;

/** A generation request as the `respond` hook sees it (same shape for every provider). */
export interface FakeChatRequest {
  provider: 'openai' | 'anthropic';
  /** `chat` (Chat Completions), `responses` (OpenAI Responses API) or `messages` (Anthropic). */
  endpoint: 'chat' | 'responses' | 'messages';
  model: string;
  /** Every message (system prompt included) flattened to its text, in order. */
  messages: { role: string; content: string }[];
  /** Text of the last user message ('' when there is none). */
  prompt: string;
  /** The schema the answer must satisfy: the structured-output schema or the forced tool's. */
  schema?: JsonSchema | undefined;
  /** Name of the forced tool when the answer is a tool call. */
  toolName?: string | undefined;
  /** JSON was asked for without a schema (OpenAI `json_object`). */
  json: boolean;
  stream: boolean;
  /** The raw request body. */
  body: Record<string, unknown>;
}

/**
 * Produces the assistant's answer, or a promise of it. `undefined` falls back to the default
 * (`defaultReply`); a string is used verbatim (also as the JSON text of a structured answer or
 * tool call, so tests can send invalid JSON); anything else is JSON-encoded. A throw answers 500.
 */
export type Respond = (request: FakeChatRequest) => unknown;

export type CostFn = (usage: { inputTokens: number; outputTokens: number }, model: string) => number;

/** Behaviour that can differ per model. Rates are 0–1. */
export interface FakeModelBehaviour {
  /** Delay before answering (streams: before the first chunk), ms. Not applied to hangs. */
  latencyMs: number;
  /** Delay between stream chunks, ms. */
  chunkDelayMs: number;
  /** Share of calls answered with `failStatus` and the provider's error body. */
  failRate: number;
  /** Default 429. */
  failStatus: number;
  /** `retry-after` header (seconds) sent with failures. */
  retryAfter?: number | undefined;
  /** `retry-after-ms` header sent with failures. */
  retryAfterMs?: number | undefined;
  /** Share of calls never answered (until the client gives up or `close()`). */
  hangRate: number;
  /** Share of calls whose connection is reset. */
  resetRate: number;
  /** Share of calls answered 200 with a truncated JSON body, or a stream cut mid-chunk. */
  malformedRate: number;
  respond?: Respond | undefined;
  /**
   * Adds an OpenRouter-style `usage.cost` (USD). `true` prices tokens at $1 per million
   * input and $4 per million output; a function computes it.
   */
  reportCost: boolean | CostFn;
  /**
   * Prompt-cache tokens reported beside the uncached input. Anthropic: `cache_read_input_tokens`
   * and `cache_creation_input_tokens`. OpenAI: `read` as `cached_tokens`, counted within the
   * prompt tokens as OpenAI counts them; OpenAI reports no cache writes, so `write` is not sent
   * there. Default none.
   */
  promptCache?: { read: number; write: number } | undefined;
}

export interface FakeProviderBehaviour extends FakeModelBehaviour {
  /** Per-model overrides, merged over the rest. `setBehaviour({models})` replaces the map. */
  models: Record<string, Partial<FakeModelBehaviour>>;
}

export interface FakeProviderOptions extends Partial<FakeProviderBehaviour> {
  /** When set, only this key is accepted; otherwise any non-empty key is. */
  apiKey?: string;
  /** Seed of the misbehaviour draws (reproducible runs). Default 1. */
  seed?: number;
  /** How many recent requests `requests` keeps. Default 100. */
  keepRequests?: number;
  /** Requests per minute announced in the rate-limit headers. Default 10 000. */
  rateLimitRequests?: number;
}

/** A request as the fake saw it. */
export interface FakeLlmRequest {
  method: string;
  url: string;
  headers: http.IncomingHttpHeaders;
  text: string;
  /** Parsed JSON body (undefined when absent or not JSON). */
  body: unknown;
  kind: CallKind;
  model?: string | undefined;
  /** Date.now() at arrival. */
  at: number;
}

export interface FakeLlmProvider {
  /** `http://127.0.0.1:<port>`. */
  readonly url: string;
  /** `url + '/v1'`: what the SDKs take as `baseURL`. */
  readonly baseURL: string;
  readonly port: number;
  /** Every request received, whatever the answer. */
  readonly calls: number;
  readonly callsByModel: Map<string, number>;
  readonly callsByKind: Map<CallKind, number>;
  /** Arrival times (Date.now()) of each model's calls, in order. */
  readonly arrivals: Map<string, number[]>;
  /** Calls of each model being answered right now (counted until the response is closed). */
  readonly inFlight: Map<string, number>;
  /** The most calls of each model in flight at once (clear it to measure a new period). */
  readonly peakInFlight: Map<string, number>;
  /** The most calls of any models in flight at once, all together (set it to 0 to measure a new period). */
  peakAllInFlight: number;
  /** The most recent requests, oldest first. */
  readonly requests: FakeLlmRequest[];
  setBehaviour(change: Partial<FakeProviderBehaviour>): void;
  /** Stops the server and destroys every open connection (hung calls included). */
  close(): Promise<void>;
}

/** A request the real API would refuse (status and message); the provider shapes the body. */
export class FakeHttpError extends Error {
  constructor(
    readonly status: number,
    message?: string,
    /** A machine-readable code, for providers whose error bodies carry one. */
    readonly code?: string | null,
  ) {
    super(message ?? `HTTP ${status}`);
  }
}

/** A JSON body, or server-sent-event frames (already formatted, each ending in a blank line). */
export type Answer = { json: unknown } | { sse: string[] };

export interface EndpointCall {
  body: Record<string, unknown>;
  model: string;
  behaviour: FakeModelBehaviour;
  /** Per-server sequence number, for deterministic ids. */
  seq: number;
}

export interface Endpoint {
  kind: CallKind;
  /** Builds the success answer; throws FakeHttpError for a request the real API rejects. */
  answer(call: EndpointCall): Answer | Promise<Answer>;
}

export interface ProviderSpec {
  /** `path` has its query and any `/v1` prefix removed. */
  route(method: string, path: string, body: Record<string, unknown>): Endpoint | undefined;
  /** The error for missing or wrong credentials (or required headers), if any. */
  authenticate(headers: http.IncomingHttpHeaders): FakeHttpError | undefined;
  errorBody(status: number, message?: string, code?: string | null): unknown;
  rateLimitHeaders(limit: number, remaining: number, resetMs: number): Record<string, string>;
  requestIdHeader: string;
}

// ---- small deterministic helpers -------------------------------------------------------------

/** mulberry32: small, fast, seedable. */
export function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** FNV-1a, 32 bits. */
export function hashString(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 0x01000193);
  return h >>> 0;
}

/** The usual rule of thumb: about four characters a token. */
export const approxTokens = (text: string): number => Math.ceil(text.length / 4);

/** Cuts `text` to what `maxTokens` tokens hold under the same rule. */
export function truncateToTokens(text: string, maxTokens: unknown): { text: string; truncated: boolean } {
  if (typeof maxTokens !== 'number' || approxTokens(text) <= maxTokens) return { text, truncated: false };
  return { text: text.slice(0, Math.max(0, maxTokens) * 4), truncated: true };
}

/** Stream pieces: words with their leading space, long runs (JSON) cut every 24 characters. */
export function streamPieces(text: string): string[] {
  const words: string[] = [...(text.match(/\s*\S+/g) ?? [])];
  const tail = text.slice(words.join('').length);
  if (tail) words.push(tail);
  return words.flatMap((w) => w.match(/[\s\S]{1,24}/g) ?? []);
}

export function costOf(b: FakeModelBehaviour, model: string, inputTokens: number, outputTokens: number): number | undefined {
  if (b.reportCost === false) return undefined;
  if (b.reportCost === true) return (inputTokens * 1 + outputTokens * 4) / 1_000_000;
  return b.reportCost({ inputTokens, outputTokens }, model);
}

export const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** The default answer: the schema's generated value, `{echo}` for bare JSON mode, else an echo. */
export function defaultReply(request: FakeChatRequest): unknown {
  if (request.schema) return generateFromSchema(request.schema, request.prompt);
  if (request.json) return { echo: request.prompt };
  return `Echo: ${request.prompt}`;
}

/** Runs the hook (or the default) and turns the result into the text that is sent. */
export async function replyText(request: FakeChatRequest, respond: Respond | undefined): Promise<string> {
  const custom: unknown = await respond?.(request);
  const value = custom === undefined ? defaultReply(request) : custom;
  return typeof value === 'string' ? value : JSON.stringify(value);
}

// ---- JSON-schema value generation --------------------------------------------------------------

const WORDS = ['alpha', 'bravo', 'cedar', 'delta', 'ember', 'fjord', 'gamma', 'harbor', 'indigo', 'juniper'];
/** Past this depth only required properties and minItems elements are generated (recursion). */
const MAX_DEPTH = 6;

/**
 * A value satisfying `schema` (types, required/all properties, enum/const, numeric bounds and
 * multipleOf, string length and common formats, array bounds, $ref, anyOf/oneOf/allOf). Not
 * covered: `pattern`, `not`, if/then. Deterministic in `seedText`.
 */
export function generateFromSchema(schema: unknown, seedText = ''): unknown {
  return generate(schema, schema, random(hashString(seedText)), 'value', 0);
}

function resolveRef(root: unknown, ref: string): unknown {
  if (!ref.startsWith('#')) return {};
  let node: unknown = root;
  for (const part of ref.slice(1).split('/').filter(Boolean)) {
    node = isRecord(node) ? node[part.replace(/~1/g, '/').replace(/~0/g, '~')] : undefined;
  }
  return node ?? {};
}

function generate(schema: unknown, root: unknown, rng: () => number, name: string, depth: number): unknown {
  if (!isRecord(schema)) return schema === false ? null : `${name}`;
  // A schema whose required properties recurse without end gets nulls past this point.
  if (depth > MAX_DEPTH * 3) return null;
  if (typeof schema.$ref === 'string') return generate(resolveRef(root, schema.$ref), root, rng, name, depth + 1);
  if ('const' in schema) return schema.const;
  if (Array.isArray(schema.enum) && schema.enum.length > 0) return schema.enum[Math.floor(rng() * schema.enum.length)];
  const choices = schema.anyOf ?? schema.oneOf;
  if (Array.isArray(choices) && choices.length > 0) {
    const { anyOf: _a, oneOf: _o, ...rest } = schema;
    // The first alternative that is not plain null, merged with sibling keywords.
    const pick = choices.find((c) => !(isRecord(c) && c.type === 'null')) ?? choices[0];
    return generate({ ...rest, ...(isRecord(pick) ? pick : {}) }, root, rng, name, depth);
  }
  if (Array.isArray(schema.allOf)) {
    const { allOf, ...rest } = schema;
    const merged = (allOf as unknown[]).filter(isRecord).reduce<JsonSchema>(
      (acc, part) => ({
        ...acc,
        ...part,
        properties: { ...(acc.properties as object), ...(part.properties as object) },
        required: [...((acc.required as string[]) ?? []), ...((part.required as string[]) ?? [])],
      }),
      rest,
    );
    return generate(merged, root, rng, name, depth);
  }
  const types = Array.isArray(schema.type) ? (schema.type as string[]) : [schema.type];
  const type =
    types.find((t) => typeof t === 'string' && t !== 'null') ??
    (types.includes('null') ? 'null' : schema.properties ? 'object' : schema.items ? 'array' : 'string');
  switch (type) {
    case 'object': {
      const props = isRecord(schema.properties) ? schema.properties : {};
      const required = Array.isArray(schema.required) ? (schema.required as string[]) : [];
      // All declared properties: OpenAI's strict mode requires every one of them anyway.
      const keys = depth >= MAX_DEPTH ? required : [...new Set([...Object.keys(props), ...required])];
      const extra = isRecord(schema.additionalProperties) ? schema.additionalProperties : {};
      return Object.fromEntries(keys.map((k) => [k, generate(props[k] ?? extra, root, rng, k, depth + 1)]));
    }
    case 'array':
      return generateArray(schema, root, rng, name, depth);
    case 'integer':
    case 'number':
      return generateNumber(schema, rng, type === 'integer');
    case 'boolean':
      return rng() < 0.5;
    case 'null':
      return null;
    default:
      return generateString(schema, rng, name);
  }
}

function generateArray(schema: JsonSchema, root: unknown, rng: () => number, name: string, depth: number): unknown[] {
  const min = typeof schema.minItems === 'number' ? schema.minItems : 0;
  const max = typeof schema.maxItems === 'number' ? schema.maxItems : Math.max(min, 3);
  const want = depth >= MAX_DEPTH ? min : Math.min(max, Math.max(min, 2));
  const prefix = Array.isArray(schema.prefixItems) ? schema.prefixItems : [];
  const out: unknown[] = [];
  const seen = new Set<string>();
  // uniqueItems: redraw a few times; a schema with too few distinct values yields fewer items.
  for (let i = 0, tries = 0; out.length < want && tries < want * 6; tries++) {
    const item = generate(prefix[i] ?? schema.items ?? {}, root, rng, `${name} ${out.length + 1}`, depth + 1);
    const key = JSON.stringify(item);
    if (schema.uniqueItems === true && seen.has(key)) continue;
    seen.add(key);
    out.push(item);
    i++;
  }
  return out;
}

function generateNumber(schema: JsonSchema, rng: () => number, integer: boolean): number {
  const num = (v: unknown): number | undefined => (typeof v === 'number' ? v : undefined);
  // Draft 4 spells exclusive bounds as booleans next to minimum/maximum.
  const exMin = schema.exclusiveMinimum === true ? num(schema.minimum) : num(schema.exclusiveMinimum);
  const exMax = schema.exclusiveMaximum === true ? num(schema.maximum) : num(schema.exclusiveMaximum);
  const step = integer ? 1 : 0.01;
  let lo = exMin !== undefined ? exMin + step : (num(schema.minimum) ?? 0);
  let hi = exMax !== undefined ? exMax - step : (num(schema.maximum) ?? lo + 100);
  if (hi < lo) hi = lo;
  const m = num(schema.multipleOf);
  if (m && m > 0) {
    const first = Math.ceil(lo / m);
    const count = Math.max(0, Math.floor(hi / m) - first);
    return (first + Math.floor(rng() * (count + 1))) * m;
  }
  if (integer) {
    lo = Math.ceil(lo);
    hi = Math.floor(hi);
    return lo + Math.floor(rng() * (hi - lo + 1));
  }
  const value = Math.round((lo + (hi - lo) * rng()) * 100) / 100;
  return Math.min(hi, Math.max(lo, value));
}

function generateString(schema: JsonSchema, rng: () => number, name: string): string {
  const word = WORDS[Math.floor(rng() * WORDS.length)] ?? 'alpha';
  const n = Math.floor(rng() * 1e6);
  const day = new Date(Date.UTC(2024, 0, 1) + (n % 365) * 86_400_000).toISOString();
  const hex = (hashString(`${word}${n}`).toString(16).padStart(8, '0') + n.toString(16).padStart(8, '0')).repeat(2);
  const formatted: Record<string, string> = {
    'date-time': day,
    date: day.slice(0, 10),
    time: '12:00:00Z',
    email: `${word}${n % 100}@example.com`,
    uri: `https://example.com/${word}`,
    url: `https://example.com/${word}`,
    uuid: `${hex.slice(0, 8)}-${hex.slice(8, 12)}-4${hex.slice(13, 16)}-8${hex.slice(17, 20)}-${hex.slice(20, 32)}`,
    hostname: `${word}.example.com`,
    ipv4: `192.0.2.${n % 255}`,
  };
  if (typeof schema.format === 'string' && formatted[schema.format]) return formatted[schema.format] as string;
  let text = `${name} ${word}`;
  const min = typeof schema.minLength === 'number' ? schema.minLength : 0;
  while (text.length < min) text += ` ${word}`;
  return typeof schema.maxLength === 'number' ? text.slice(0, schema.maxLength) : text;
}

// ---- the server -------------------------------------------------------------------------------

const sseHeaders = { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-cache' };

function sendJson(res: http.ServerResponse, status: number, text: string, headers: Record<string, string>): void {
  if (res.destroyed) return;
  res.writeHead(status, { ...headers, 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

/** The frame cut in the middle of its JSON, so a client's parser fails on it. */
function breakFrame(frame: string): string {
  const at = frame.indexOf('data: ') + 6;
  return `${frame.slice(0, at + Math.floor((frame.length - at) / 2))}\n\n`;
}

export async function startFakeProvider(spec: ProviderSpec, options: FakeProviderOptions): Promise<FakeLlmProvider> {
  const { seed = 1, keepRequests = 100, rateLimitRequests = 10_000, apiKey: _key, ...initial } = options;
  let behaviour: FakeProviderBehaviour = {
    latencyMs: 0,
    chunkDelayMs: 0,
    failRate: 0,
    failStatus: 429,
    hangRate: 0,
    resetRate: 0,
    malformedRate: 0,
    reportCost: false,
    models: {},
    ...initial,
  };
  const rngs = new Map<string, () => number>();
  const sockets = new Set<Socket>();
  const timers = new Set<NodeJS.Timeout>();
  const callsByModel = new Map<string, number>();
  const callsByKind = new Map<CallKind, number>();
  const arrivals = new Map<string, number[]>();
  const inFlight = new Map<string, number>();
  const peakInFlight = new Map<string, number>();
  let allInFlight = 0;
  let peakAllInFlight = 0;
  const requests: FakeLlmRequest[] = [];
  let calls = 0;
  let windowStart = Date.now();
  let windowCalls = 0;

  function later(ms: number, fn: () => void): void {
    if (ms <= 0) return fn();
    const timer = setTimeout(() => {
      timers.delete(timer);
      fn();
    }, ms);
    timers.add(timer);
  }

  /** One draw per call decides its fate: hang, reset, fail, malformed, or fine. */
  function fate(model: string, b: FakeModelBehaviour): 'hang' | 'reset' | 'fail' | 'malformed' | 'ok' {
    let rng = rngs.get(model);
    if (!rng) rngs.set(model, (rng = random(seed ^ hashString(model))));
    let r = rng();
    if ((r -= b.hangRate) < 0) return 'hang';
    if ((r -= b.resetRate) < 0) return 'reset';
    if ((r -= b.failRate) < 0) return 'fail';
    if ((r -= b.malformedRate) < 0) return 'malformed';
    return 'ok';
  }

  function writeStream(res: http.ServerResponse, frames: string[], b: FakeModelBehaviour, broken: boolean, headers: Record<string, string>): void {
    res.writeHead(200, { ...headers, ...sseHeaders });
    // A broken stream keeps its first half, then a frame cut mid-JSON, and ends without its end marker.
    const keep = broken ? Math.max(1, Math.floor(frames.length / 2)) : frames.length;
    let i = 0;
    const finish = (): void => {
      res.end(broken && frames[keep] ? breakFrame(frames[keep]) : undefined);
    };
    const tick = (): void => {
      if (res.destroyed) return;
      if (b.chunkDelayMs <= 0) {
        while (i < keep) res.write(frames[i++]);
        finish();
        return;
      }
      res.write(frames[i++]);
      if (i < keep) later(b.chunkDelayMs, tick);
      else finish();
    };
    tick();
  }

  async function handle(request: FakeLlmRequest, endpoint: Endpoint | undefined, path: string, res: http.ServerResponse, seq: number): Promise<void> {
    const now = request.at;
    if (now - windowStart >= 60_000) [windowStart, windowCalls] = [now, 0];
    windowCalls += 1;
    const headers = (remaining = Math.max(0, rateLimitRequests - windowCalls)): Record<string, string> => ({
      [spec.requestIdHeader]: `req_fake${seq.toString(36).padStart(8, '0')}`,
      ...spec.rateLimitHeaders(rateLimitRequests, remaining, windowStart + 60_000 - now),
    });
    const fail = (e: FakeHttpError) => sendJson(res, e.status, JSON.stringify(spec.errorBody(e.status, e.message, e.code)), headers());
    const denied = spec.authenticate(request.headers);
    if (denied) return fail(denied);
    if (!endpoint) return fail(new FakeHttpError(404, `Invalid URL (${request.method} ${path})`));
    if (request.method === 'POST' && !isRecord(request.body)) return fail(new FakeHttpError(400, 'The request body is not a JSON object.'));
    const body = isRecord(request.body) ? request.body : {};
    const model = request.model ?? '';
    const { models, ...global } = behaviour;
    const b: FakeModelBehaviour = { ...global, ...models[model] };
    const outcome = fate(model, b);
    if (outcome === 'hang') return;
    if (outcome === 'reset') return later(b.latencyMs, () => res.socket?.resetAndDestroy());
    if (outcome === 'fail') {
      const extra = headers(b.failStatus === 429 ? 0 : undefined);
      if (b.retryAfter !== undefined) extra['retry-after'] = String(b.retryAfter);
      if (b.retryAfterMs !== undefined) extra['retry-after-ms'] = String(b.retryAfterMs);
      return later(b.latencyMs, () => sendJson(res, b.failStatus, JSON.stringify(spec.errorBody(b.failStatus)), extra));
    }
    let answer: Answer;
    try {
      answer = await endpoint.answer({ body, model, behaviour: b, seq });
    } catch (e) {
      return fail(e instanceof FakeHttpError ? e : new FakeHttpError(500, e instanceof Error ? e.message : String(e)));
    }
    const broken = outcome === 'malformed';
    later(b.latencyMs, () => {
      if (res.destroyed) return;
      if ('sse' in answer) return writeStream(res, answer.sse, b, broken, headers());
      const text = JSON.stringify(answer.json);
      sendJson(res, 200, broken ? text.slice(0, Math.max(1, Math.floor(text.length / 2))) : text, headers());
    });
  }

  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const text = Buffer.concat(chunks).toString('utf8');
      let body: unknown;
      try {
        body = text === '' ? undefined : (JSON.parse(text) as unknown);
      } catch {
        body = undefined;
      }
      const method = req.method ?? 'GET';
      const path = (req.url ?? '/').split('?')[0]!.replace(/^\/v1(?=\/)/, '');
      const endpoint = spec.route(method, path, isRecord(body) ? body : {});
      const model = isRecord(body) && typeof body.model === 'string' ? body.model : undefined;
      const request: FakeLlmRequest = { method, url: req.url ?? '/', headers: req.headers, text, body, kind: endpoint?.kind ?? 'other', model, at: Date.now() };
      calls += 1;
      callsByKind.set(request.kind, (callsByKind.get(request.kind) ?? 0) + 1);
      if (model !== undefined) {
        callsByModel.set(model, (callsByModel.get(model) ?? 0) + 1);
        const times = arrivals.get(model);
        if (times) times.push(request.at);
        else arrivals.set(model, [request.at]);
        const now = (inFlight.get(model) ?? 0) + 1;
        inFlight.set(model, now);
        peakInFlight.set(model, Math.max(peakInFlight.get(model) ?? 0, now));
        peakAllInFlight = Math.max(peakAllInFlight, ++allInFlight);
        res.once('close', () => {
          inFlight.set(model, (inFlight.get(model) ?? 1) - 1);
          allInFlight--;
        });
      }
      if (keepRequests > 0) {
        requests.push(request);
        if (requests.length > keepRequests) requests.shift();
      }
      handle(request, endpoint, path, res, calls).catch(() => res.destroy());
    });
  });
  server.keepAliveTimeout = 30_000;
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;

  return {
    url: `http://127.0.0.1:${port}`,
    baseURL: `http://127.0.0.1:${port}/v1`,
    port,
    get calls() {
      return calls;
    },
    callsByModel,
    callsByKind,
    arrivals,
    inFlight,
    peakInFlight,
    get peakAllInFlight() {
      return peakAllInFlight;
    },
    set peakAllInFlight(value: number) {
      peakAllInFlight = value;
    },
    requests,
    setBehaviour(change) {
      behaviour = { ...behaviour, ...change };
    },
    close() {
      for (const timer of timers) clearTimeout(timer);
      timers.clear();
      for (const socket of sockets) socket.destroy();
      return new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
