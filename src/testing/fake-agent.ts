// A real HTTP "agent" on 127.0.0.1 for tests and benchmarks of HTTP targets. It answers
// `POST {message, …}` with `{reply}` after an optional latency, and can misbehave on purpose
// at set rates: error statuses (with Retry-After), hangs, connection resets and malformed
// JSON. It counts calls (in total and per row key) and records when each key's calls arrived,
// so tests can check retries and backoff against what the server asked for.
import http from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

/** What a custom handler answers; `reset` destroys the connection instead. */
export interface FakeResponse {
  status?: number;
  headers?: Record<string, string>;
  /** A string is sent as is; anything else as JSON. */
  body?: unknown;
  reset?: boolean;
}

/** The request as the agent saw it (for handlers and assertions). */
export interface FakeRequest {
  method: string;
  /** Path and query. */
  url: string;
  headers: http.IncomingHttpHeaders;
  /** Raw body text. */
  text: string;
  /** Parsed JSON body, or undefined when the body is not JSON. */
  body: unknown;
}

/** How the agent behaves; change it at any time with `setBehaviour`. Rates are 0–1. */
export interface FakeAgentBehaviour {
  /** Delay before every answer (not before hangs), ms. Default 0. */
  latencyMs: number;
  /** Share of calls answered with `failStatus`. */
  failRate: number;
  /** Status of those failures. Default 429. */
  failStatus: number;
  /** `Retry-After` header (seconds) sent with failures. */
  retryAfter?: number | undefined;
  /** `retry-after-ms` header sent with failures. */
  retryAfterMs?: number | undefined;
  /** Share of calls never answered (until `close()`). */
  hangRate: number;
  /** Share of calls whose connection is reset (ECONNRESET on the client). */
  resetRate: number;
  /** Share of calls answered 200 with a body that is not valid JSON. */
  malformedRate: number;
  /** The reply for a message. Default: the message itself (an echo). */
  reply: (message: unknown, request: FakeRequest) => unknown;
  /** Key counted per call (per dataset row). Default: `body.message` as a string. */
  keyOf: (body: unknown) => string;
  /**
   * Runs first on every request; an answer it returns is sent instead of the default
   * behaviour (the call is still counted). For redirects, echoes of headers, etc.
   */
  handler?: ((request: FakeRequest) => FakeResponse | undefined) | undefined;
}

export interface FakeAgentOptions extends Partial<FakeAgentBehaviour> {
  /** Seed of the generator that decides which calls misbehave (reproducible runs). Default 1. */
  seed?: number;
  /** How many recent requests `requests` keeps. Default 100. */
  keepRequests?: number;
}

export interface FakeAgent {
  /** `http://127.0.0.1:<port>`. */
  readonly url: string;
  readonly port: number;
  /** Requests received (every kind of answer counts). */
  readonly calls: number;
  readonly callsByKey: Map<string, number>;
  /** Arrival times (Date.now()) of each key's calls, in order. */
  readonly arrivals: Map<string, number[]>;
  /** The most recent requests, oldest first. */
  readonly requests: FakeRequest[];
  /** Calls received and not yet answered (or abandoned by the caller) now… */
  readonly inFlight: number;
  /** …and at most at once since the start or the last `resetPeak()` (a run's concurrency across all workers). */
  readonly peakInFlight: number;
  resetPeak(): void;
  setBehaviour(change: Partial<FakeAgentBehaviour>): void;
  /**
   * Holds every answer (requests are still received and counted) until `release()`: a test
   * that must see a server's state before it makes progress, such as right after a restart.
   */
  hold(): void;
  release(): void;
  /** Stops the server and destroys every open connection (hung calls included). */
  close(): Promise<void>;
}

const defaultKeyOf = (body: unknown): string => {
  const message = (body as { message?: unknown } | null)?.message;
  return typeof message === 'string' ? message : JSON.stringify(message ?? null);
};

/** mulberry32: small, fast, seedable. */
function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function send(res: http.ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = typeof body === 'string' ? body : JSON.stringify(body ?? null);
  const type = typeof body === 'string' ? 'text/plain; charset=utf-8' : 'application/json';
  res.writeHead(status, { 'content-type': type, 'content-length': Buffer.byteLength(text), ...headers });
  res.end(text);
}

/**
 * A handler that answers each distinct request body's first call with `refusal` (a 429 with
 * Retry-After, say) and lets every later call through: a row's call is refused once, then answered.
 */
export function refuseFirstCall(refusal: FakeResponse): (request: FakeRequest) => FakeResponse | undefined {
  const seen = new Set<string>();
  return (request) => {
    const key = JSON.stringify(request.body);
    if (seen.has(key)) return undefined;
    seen.add(key);
    return refusal;
  };
}

export async function startFakeAgent(options: FakeAgentOptions = {}): Promise<FakeAgent> {
  const { seed = 1, keepRequests = 100, ...initial } = options;
  let behaviour: FakeAgentBehaviour = {
    latencyMs: 0,
    failRate: 0,
    failStatus: 429,
    hangRate: 0,
    resetRate: 0,
    malformedRate: 0,
    reply: (message) => message,
    keyOf: defaultKeyOf,
    ...initial,
  };
  const next = random(seed);
  const sockets = new Set<Socket>();
  const timers = new Set<NodeJS.Timeout>();
  const callsByKey = new Map<string, number>();
  const arrivals = new Map<string, number[]>();
  const requests: FakeRequest[] = [];
  let calls = 0;
  let inFlight = 0;
  let peakInFlight = 0;
  /** Answers waiting for `release()`, while held. */
  let held: (() => void)[] | null = null;

  function later(ms: number, fn: () => void): void {
    if (ms <= 0) return fn();
    const timer = setTimeout(() => {
      timers.delete(timer);
      fn();
    }, ms);
    timers.add(timer);
  }

  function answer(request: FakeRequest, res: http.ServerResponse): void {
    if (held) {
      held.push(() => answer(request, res));
      return;
    }
    const b = behaviour;
    const custom = b.handler?.(request);
    if (custom) {
      return later(b.latencyMs, () => {
        if (custom.reset) res.socket?.resetAndDestroy();
        else send(res, custom.status ?? 200, custom.body ?? null, custom.headers);
      });
    }
    // One draw decides the fate of the call: hang, reset, failure, malformed, or success.
    let r = next();
    if ((r -= b.hangRate) < 0) return;
    if ((r -= b.resetRate) < 0) return later(b.latencyMs, () => res.socket?.resetAndDestroy());
    if ((r -= b.failRate) < 0) {
      const headers: Record<string, string> = {};
      if (b.retryAfter !== undefined) headers['retry-after'] = String(b.retryAfter);
      if (b.retryAfterMs !== undefined) headers['retry-after-ms'] = String(b.retryAfterMs);
      return later(b.latencyMs, () => send(res, b.failStatus, { error: `fake failure ${b.failStatus}` }, headers));
    }
    if ((r -= b.malformedRate) < 0) {
      return later(b.latencyMs, () => send(res, 200, '{"reply": "unterminated', { 'content-type': 'application/json' }));
    }
    const message = (request.body as { message?: unknown } | null)?.message;
    later(b.latencyMs, () => send(res, 200, { reply: b.reply(message, request) }));
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
      const request: FakeRequest = { method: req.method ?? 'GET', url: req.url ?? '/', headers: req.headers, text, body };
      calls += 1;
      inFlight += 1;
      peakInFlight = Math.max(peakInFlight, inFlight);
      res.once('close', () => (inFlight -= 1));
      const key = behaviour.keyOf(body);
      callsByKey.set(key, (callsByKey.get(key) ?? 0) + 1);
      const times = arrivals.get(key);
      if (times) times.push(Date.now());
      else arrivals.set(key, [Date.now()]);
      if (keepRequests > 0) {
        requests.push(request);
        if (requests.length > keepRequests) requests.shift();
      }
      answer(request, res);
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
    port,
    get calls() {
      return calls;
    },
    callsByKey,
    arrivals,
    requests,
    get inFlight() {
      return inFlight;
    },
    get peakInFlight() {
      return peakInFlight;
    },
    resetPeak() {
      peakInFlight = inFlight;
    },
    setBehaviour(change) {
      behaviour = { ...behaviour, ...change };
    },
    hold() {
      held ??= [];
    },
    release() {
      const waiting = held ?? [];
      held = null;
      for (const go of waiting) go();
    },
    close() {
      held = null;
      for (const timer of timers) clearTimeout(timer);
      timers.clear();
      for (const socket of sockets) socket.destroy();
      return new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
