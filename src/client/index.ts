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
}

/** A non-2xx answer: the status and the server's JSON error body. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly body: { error?: string; message?: string; issues?: { path: (string | number)[]; message: string }[] },
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

  /** One request; a non-2xx answer is an ApiError, no answer at all an UnreachableError. */
  async send(method: string, path: string, init: { body?: string; headers?: Record<string, string>; signal?: AbortSignal } = {}): Promise<Response> {
    let res: Response;
    try {
      res = await this.doFetch(this.endpoint + path, {
        method,
        headers: this.headers(init.headers),
        ...(init.body !== undefined ? { body: init.body } : {}),
        ...(init.signal ? { signal: init.signal } : {}),
      });
    } catch (error) {
      if (init.signal?.aborted) throw error;
      throw new UnreachableError(this.endpoint, error);
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
    return { status: res.status, body: (res.status === 204 ? {} : await res.json()) as T };
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
    for (let offset = 0; ; ) {
      const page = await this.results(runId, offset, 5000);
      dataset.push(...page.dataset);
      evaluations.push(...page.evaluations);
      if (page.dataset.length < 5000) return { dataset, evaluations };
      offset += page.dataset.length;
    }
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
      const res = await this.send('GET', `/api/experiments/runs/${enc(runId)}/events`, {
        headers: { accept: 'text/event-stream', 'last-event-id': String(cursor) },
        ...(options.signal ? { signal: options.signal } : {}),
      });
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
