// The typed client for Assay's HTTP API and its SSE event stream: the one HTTP client of the
// CLI, the benchmarks, the fault-injection suite and the web page. Its types are inferred from
// the schemas the server declares its answers with (src/core/model), never restated. Only fetch
// and eventsource-parser: no Node-specific APIs, so the page can bundle it.
import { createParser } from 'eventsource-parser';
import type { LiveEvent, RunEvent } from '../core/events.js';
import { isFinalEvent } from '../core/final-event.js';
import type { Comparison } from '../core/model/compare.js';
import type { Review, ReviewInput, ReviewList } from '../core/model/reviews.js';
import type { ResultsPage, RunList, RunStarted, RunStatusBody } from '../core/model/run-api.js';

export type { ResultsPage, RunList, RunStarted, RunStatusBody } from '../core/model/run-api.js';
export type { RunSummary } from '../core/model/summary.js';
export type { Comparison } from '../core/model/compare.js';
export type { Review, ReviewInput, ReviewList } from '../core/model/reviews.js';
export type { LiveEvent, RunEvent } from '../core/events.js';

/**
 * What a run's stream delivers: committed events (with `seq`, the SSE id) and live-only events
 * (`cell_started`, `retrying` as they happen; no seq). Each is delivered once.
 */
export type StreamEvent = RunEvent | LiveEvent;

export interface ClientOptions {
  endpoint: string;
  apiKey?: string | undefined;
  /** Another fetch (tests pass the server's in-process `app.request`). */
  fetch?: (input: string, init: RequestInit) => Promise<Response> | Response;
  /** Extra headers on every request. */
  headers?: Record<string, string>;
  /**
   * How long a request may wait for the answer's headers (default 30 s): a server that accepts
   * the connection and never answers must not hang the CLI. Only the headers: an export or an
   * event stream may then take as long as it takes.
   */
  requestTimeoutMs?: number;
  /** Aborts every request of this client (the CLI's --timeout and Ctrl-C). */
  signal?: AbortSignal;
}

/** The default of `ClientOptions.requestTimeoutMs`. */
export const REQUEST_TIMEOUT_MS = 30_000;

/** A non-2xx answer: the status and the server's JSON error body. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    /** `code`: the stable error code where `error` carries LangWatch's text instead (run starts). */
    readonly body: { error?: string; code?: string; message?: string; issues?: { path: (string | number)[]; message: string }[] },
  ) {
    super(`${status} ${body.message ?? body.error ?? 'request failed'}`);
    this.name = 'ApiError';
  }
}

/** The server could not be reached at all. */
export class UnreachableError extends Error {
  constructor(endpoint: string, cause: unknown) {
    const code = (cause as { cause?: { code?: string } })?.cause?.code;
    super(`Cannot reach ${endpoint}${code ? ` (${code})` : ''}`);
    this.name = 'UnreachableError';
  }
}

/** The server took the connection but sent no answer within the request timeout. */
export class NoAnswerError extends Error {
  constructor(endpoint: string, method: string, path: string, timeoutMs: number) {
    super(`${endpoint} did not answer ${method} ${path.split('?')[0]} within ${timeoutMs / 1000} s`);
    this.name = 'NoAnswerError';
  }
}

/** A 2xx answer that is not what an Assay server sends (an HTML page, another API): the wrong endpoint, most likely. */
export class NotAssayError extends Error {
  constructor(endpoint: string, what: string) {
    super(`${endpoint} did not answer like an Assay server (${what})`);
    this.name = 'NotAssayError';
  }
}

/** A request given up because the caller's signal aborted it (the caller knows why). */
export class AbortedError extends Error {
  constructor() {
    super('The request was aborted');
    this.name = 'AbortedError';
  }
}

/** Body of POST /{slug}/run: LangWatch's fields plus Assay's extensions. */
export interface StartRunBody {
  data?: Record<string, unknown>[];
  dataset_id?: string;
  parameters?: Record<string, string | number | boolean>;
  row_indices?: number[];
  [key: string]: unknown;
}

/** A JSON answer with its status (201 vs 200 tells a create from an update). */
export interface Answer<T> {
  status: number;
  body: T;
}

const enc = encodeURIComponent;

export class AssayClient {
  readonly endpoint: string;
  private readonly doFetch: NonNullable<ClientOptions['fetch']>;

  constructor(private readonly options: ClientOptions) {
    this.endpoint = options.endpoint.replace(/\/+$/, '');
    // Called through a wrapper: browsers refuse window.fetch invoked as another object's method
    // ("Illegal invocation"), which `this.doFetch(…)` would be.
    this.doFetch = options.fetch ?? ((input, init) => fetch(input, init));
  }

  private headers(extra: Record<string, string> = {}): Record<string, string> {
    return { ...(this.options.apiKey ? { authorization: `Bearer ${this.options.apiKey}` } : {}), ...this.options.headers, ...extra };
  }

  /**
   * One request; a non-2xx answer is an ApiError, no answer at all an UnreachableError, no
   * answer in time a NoAnswerError, and an abort by the caller's or the client's signal an
   * AbortedError.
   */
  async send(method: string, path: string, init: { body?: string; headers?: Record<string, string>; signal?: AbortSignal } = {}): Promise<Response> {
    const timeoutMs = this.options.requestTimeoutMs ?? REQUEST_TIMEOUT_MS;
    const late = new AbortController();
    const timer = setTimeout(() => late.abort(), timeoutMs);
    const callers = [init.signal, this.options.signal].filter((s): s is AbortSignal => s !== undefined);
    let res: Response;
    try {
      res = await this.doFetch(this.endpoint + path, {
        method,
        headers: this.headers(init.headers),
        ...(init.body !== undefined ? { body: init.body } : {}),
        signal: AbortSignal.any([late.signal, ...callers]),
      });
    } catch (error) {
      if (callers.some((s) => s.aborted)) throw new AbortedError();
      if (late.signal.aborted) throw new NoAnswerError(this.endpoint, method, path, timeoutMs);
      throw new UnreachableError(this.endpoint, error);
    } finally {
      clearTimeout(timer);
    }
    if (!res.ok) {
      let body: ApiError['body'] = {};
      try {
        body = (await res.json()) as ApiError['body'];
      } catch {
        // a non-JSON error page: keep the status only
      }
      throw new ApiError(res.status, body);
    }
    return res;
  }

  /** A JSON request and its answer with the status. `body` may be text (YAML, CSV) with its content type. */
  async request<T>(method: string, path: string, body?: unknown, contentType = 'application/json'): Promise<Answer<T>> {
    const res = await this.send(method, path, {
      ...(body !== undefined ? { body: typeof body === 'string' ? body : JSON.stringify(body), headers: { 'content-type': contentType } } : {}),
    });
    if (res.status === 204) return { status: 204, body: {} as T };
    const text = await res.text();
    try {
      return { status: res.status, body: JSON.parse(text) as T };
    } catch {
      const type = res.headers.get('content-type')?.split(';')[0] ?? 'no content type';
      throw new NotAssayError(this.endpoint, `${method} ${path.split('?')[0]} answered ${res.status} with ${type}, not JSON`);
    }
  }

  async json<T>(method: string, path: string, body?: unknown, contentType = 'application/json'): Promise<T> {
    return (await this.request<T>(method, path, body, contentType)).body;
  }

  startRun(slug: string, body: StartRunBody = {}): Promise<RunStarted> {
    return this.json('POST', `/api/experiments/${enc(slug)}/run`, body);
  }

  getRun(runId: string): Promise<RunStatusBody> {
    return this.json('GET', `/api/experiments/runs/${enc(runId)}`);
  }

  abortRun(runId: string): Promise<{ success: boolean; runId: string; message: string }> {
    return this.json('POST', `/api/experiments/runs/${enc(runId)}/abort`);
  }

  resumeRun(runId: string, retryErrors = false): Promise<RunStarted> {
    return this.json('POST', `/api/experiments/runs/${enc(runId)}/resume`, { retryErrors });
  }

  listRuns(experimentSlug: string, page = 1, pageSize = 50): Promise<RunList> {
    return this.json('GET', `/api/experiments/runs?experimentSlug=${enc(experimentSlug)}&page=${page}&pageSize=${pageSize}`);
  }

  /** One page of results. */
  results(runId: string, offset = 0, limit = 1000): Promise<ResultsPage> {
    return this.json('GET', `/api/experiments/runs/${enc(runId)}/results?offset=${offset}&limit=${limit}`);
  }

  /** Every committed cell of a run, all pages (for finished runs of moderate size). */
  async allResults(runId: string): Promise<{ dataset: ResultsPage['dataset']; evaluations: ResultsPage['evaluations'] }> {
    const dataset: ResultsPage['dataset'] = [];
    const evaluations: ResultsPage['evaluations'] = [];
    for (let offset: number | null = 0; offset !== null; ) {
      const page: ResultsPage = await this.results(runId, offset, 5000);
      dataset.push(...page.dataset);
      evaluations.push(...page.evaluations);
      offset = nextResultsOffset(page, offset, 5000);
    }
    return { dataset, evaluations };
  }

  /** The run compared with a baseline (a run id or `previous`; default: the run's baselineRunId, else previous). */
  compare(runId: string, query: { baseline?: string; alpha?: number; change?: 'regressed' | 'improved' | 'changed' | 'all'; offset?: number; limit?: number } = {}): Promise<Comparison> {
    const q = Object.entries(query).filter(([, v]) => v !== undefined).map(([k, v]) => `${k}=${enc(String(v))}`).join('&');
    return this.json('GET', `/api/experiments/runs/${enc(runId)}/compare${q ? `?${q}` : ''}`);
  }

  /** Marks a cell's verdict (or one evaluator's) passed or failed; the same key again replaces it. */
  review(runId: string, review: ReviewInput): Promise<Review> {
    return this.json('PUT', `/api/experiments/runs/${enc(runId)}/reviews`, review);
  }

  /** A run's reviews. */
  reviews(runId: string): Promise<ReviewList> {
    return this.json('GET', `/api/experiments/runs/${enc(runId)}/reviews`);
  }

  /** The run's export in one of the formats, as text. */
  async exportRun(runId: string, format: 'jsonl' | 'csv' | 'junit'): Promise<string> {
    return (await this.send('GET', `/api/experiments/runs/${enc(runId)}/export?format=${format}`)).text();
  }

  /** Polls the run until it has ended (or `timeoutMs` passed: then throws). */
  async waitForEnd(runId: string, timeoutMs: number, intervalMs = 50): Promise<RunStatusBody> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const run = await this.getRun(runId);
      if (run.status !== 'running') return run;
      if (Date.now() > deadline) throw new Error(`run ${runId} still running at ${run.progress}/${run.total} after ${timeoutMs} ms`);
      await new Promise((r) => setTimeout(r, intervalMs));
    }
  }

  /**
   * The run's events after `afterSeq`, until the stream ends. Reconnects (with Last-Event-ID)
   * when the connection drops before the run's final event.
   */
  async *events(runId: string, options: { afterSeq?: number; signal?: AbortSignal } = {}): AsyncGenerator<StreamEvent> {
    let cursor = options.afterSeq ?? 0;
    for (let attempt = 0; attempt < 20; attempt++) {
      let res: Response;
      try {
        res = await this.send('GET', `/api/experiments/runs/${enc(runId)}/events`, {
          headers: { accept: 'text/event-stream', 'last-event-id': String(cursor) },
          ...(options.signal ? { signal: options.signal } : {}),
        });
      } catch (error) {
        // Stopped while (re)connecting: the caller asked for the end, as when it stops mid-stream.
        if (error instanceof AbortedError && options.signal?.aborted) return;
        throw error;
      }
      const queue: StreamEvent[] = [];
      const parser = createParser({ onEvent: (e) => queue.push(JSON.parse(e.data) as StreamEvent) });
      const decoder = new TextDecoder();
      let final = false;
      try {
        for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
          parser.feed(decoder.decode(chunk, { stream: true }));
          while (queue.length > 0) {
            const event = queue.shift()!;
            if ('seq' in event && typeof event.seq === 'number') cursor = event.seq;
            if (isFinalEvent(event)) final = true;
            yield event;
          }
        }
      } catch (error) {
        if (options.signal?.aborted) return;
        if (attempt === 19) throw error;
      }
      if (final || options.signal?.aborted) return;
      // The connection dropped before the end: pick up after the last event we saw.
      await new Promise((r) => setTimeout(r, 250));
    }
  }
}

/**
 * Where the page after `page` starts, or null after the last: the server's `nextOffset` (a page
 * is cut short when its cells pass 4 MB), or, from a server before it, a page shorter than asked.
 */
export function nextResultsOffset(page: ResultsPage, offset: number, limit: number): number | null {
  const next = page.pagination.nextOffset;
  if (next !== undefined) return next !== null && page.dataset.length > 0 ? next : null;
  return page.dataset.length < limit ? null : offset + page.dataset.length;
}
