// The typed client for Assay's HTTP API and its SSE event stream: the one HTTP client of the
// CLI, the benchmarks, the fault-injection suite and the web page. Its types are inferred from
// the schemas the server declares its answers with (src/core/model), never restated. Only fetch,
// web streams and eventsource-parser: no Node-specific APIs, so the page can bundle it.
import type { Comparison } from '../core/model/compare.js';
import type { Review, ReviewInput, ReviewList } from '../core/model/reviews.js';
import type { CellRequest, ResultsPage, RunList, RunRowsPage, RunStarted, RunStatusBody } from '../core/model/run-api.js';
import type { RunEstimate } from '../core/model/estimate.js';
import { BodyCutError, bytesShown, eachChunk, readBody, TooLargeError } from './body.js';
import { AbortedError, ApiError, ConnectionLostError, NoAnswerError, NotAssayError, shownPath, UnreachableError } from './errors.js';
import { type EventsOptions, followEvents, STREAM_SILENCE_MS, type StreamEvent } from './events.js';

export type { CellRequest, ResultsPage, RunList, RunRowsPage, RunStarted, RunStatusBody } from '../core/model/run-api.js';
export type { RunSummary } from '../core/model/summary.js';
export type { Comparison } from '../core/model/compare.js';
export type { EvaluatorEstimate, RunEstimate, TargetEstimate } from '../core/model/estimate.js';
export type { Review, ReviewInput, ReviewList } from '../core/model/reviews.js';
export type { LiveEvent, RunEvent } from '../core/events.js';
export { AbortedError, ApiError, ConnectionLostError, NoAnswerError, NotAssayError, StreamLostError, UnreachableError } from './errors.js';
export { RETRY_FOR_MS, STREAM_SILENCE_MS, type EventsOptions, type RetryNotice, type StreamEvent } from './events.js';

export interface ClientOptions {
  endpoint: string;
  apiKey?: string | undefined;
  /** Another fetch (tests pass the server's in-process `app.request`). */
  fetch?: (input: string, init: RequestInit) => Promise<Response> | Response;
  /** Extra headers on every request. */
  headers?: Record<string, string>;
  /**
   * How long a request may take, from sending it to the last byte of its answer (default 30 s):
   * a server that takes the connection and never answers, or sends its headers and then stalls,
   * must not hang the CLI. Two exceptions, whose length is not the server's to bound: an
   * export's body may take as long as it keeps coming (the time restarts at each chunk), and an
   * event stream is bounded until its headers, then by its silence (`streamSilenceMs`).
   */
  requestTimeoutMs?: number;
  /** The largest JSON answer read (default MAX_ANSWER_BYTES); past it the server is not taken for Assay. */
  maxAnswerBytes?: number;
  /** Silence after which an event stream's connection is taken for dead and replaced (default STREAM_SILENCE_MS, and at least the request timeout). */
  streamSilenceMs?: number;
  /** Aborts every request of this client (the CLI's --timeout and Ctrl-C). */
  signal?: AbortSignal;
}

/** The default of `ClientOptions.requestTimeoutMs`. */
export const REQUEST_TIMEOUT_MS = 30_000;

/**
 * The default of `ClientOptions.maxAnswerBytes`. The server's largest JSON answers are results
 * pages: PAGE_BYTES (4 MiB, src/core/model/paging.ts) of stored cell text past the page's first
 * cell, which is sent whole — at most a 32 MiB model answer (src/net/lean-fetch.ts) or a 10 MiB
 * HTTP target answer (src/targets/http-response.ts) and its 1 MiB row (ASSAY_MAX_ROW_BYTES), so
 * ≈ 40 MiB; an experiment answers with its document, at most ASSAY_MAX_BODY_BYTES (10 MiB by
 * default). 256 MiB leaves six times that, and stays half of the longest string V8 can make
 * (2^29 − 24 characters), which JSON.parse needs the answer as.
 */
export const MAX_ANSWER_BYTES = 256 * 1024 * 1024;

/** Of an error answer (non-2xx), what is read at most: an Assay error is a small JSON object (its issues included). */
const MAX_ERROR_BYTES = 1024 * 1024;

/** An export is text of any length, but a string cannot be longer than V8's limit (2^29 − 24 characters; UTF-8 has at least one byte a character). */
const MAX_TEXT_BYTES = 2 ** 29 - 24;

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

const typeOf = (res: Response) => res.headers.get('content-type')?.split(';')[0]?.trim() || 'no content type';
const decode = (bytes: Uint8Array) => new TextDecoder().decode(bytes);

/** How an answer's body is read: within the request's `signal`, `restart` starting its time again (exports). */
type BodyReader<T> = (res: Response, signal: AbortSignal, restart: () => void) => Promise<T>;

const enc = encodeURIComponent;

/** Which cells and (CSV) columns an export holds: GET …/export's `only` and `columns`. */
export interface ExportChoice {
  only?: 'failed' | 'errors';
  columns?: readonly string[];
}

function exportPath(runId: string, format: 'jsonl' | 'csv' | 'junit', { only, columns }: ExportChoice): string {
  let path = `/api/experiments/runs/${enc(runId)}/export?format=${format}`;
  if (only) path += `&only=${only}`;
  if (columns) path += `&columns=${columns.map(enc).join(',')}`;
  return path;
}

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
   * One exchange: the request, then its answer's body read by `read`, all within the request
   * timeout (`read` may restart it). A non-2xx answer is an ApiError (Assay's JSON error) or a
   * NotAssayError (anything else: a proxy's HTML page); no answer at all an UnreachableError; no
   * answer in time a NoAnswerError; a connection cut mid-answer a ConnectionLostError; an abort
   * by the caller's or the client's signal an AbortedError.
   */
  private async exchange<T>(method: string, path: string, init: { body?: string; headers?: Record<string, string>; signal?: AbortSignal }, read: BodyReader<T>): Promise<T> {
    const timeoutMs = this.options.requestTimeoutMs ?? REQUEST_TIMEOUT_MS;
    const late = new AbortController();
    let timer = setTimeout(() => late.abort(), timeoutMs);
    const restart = () => {
      clearTimeout(timer);
      timer = setTimeout(() => late.abort(), timeoutMs);
    };
    const callers = [init.signal, this.options.signal].filter((s): s is AbortSignal => s !== undefined);
    const signal = AbortSignal.any([late.signal, ...callers]);
    let res: Response | undefined;
    try {
      res = await this.doFetch(this.endpoint + path, {
        method,
        headers: this.headers(init.headers),
        ...(init.body !== undefined ? { body: init.body } : {}),
        signal,
      });
      if (!res.ok) throw await this.failure(method, path, res, signal);
      return await read(res, signal, restart);
    } catch (error) {
      if (callers.some((s) => s.aborted)) throw new AbortedError();
      if (late.signal.aborted) throw new NoAnswerError(this.endpoint, method, path, timeoutMs, res !== undefined);
      if (res === undefined) throw new UnreachableError(this.endpoint, error);
      if (error instanceof BodyCutError) throw new ConnectionLostError(this.endpoint, method, path, error.cause);
      throw error;
    } finally {
      clearTimeout(timer);
    }
  }

  /** A non-2xx answer as an error: Assay's JSON error body, or, from anything else, a NotAssayError naming its status and type. */
  private async failure(method: string, path: string, res: Response, signal: AbortSignal): Promise<Error> {
    const request = `${method} ${shownPath(path)}`;
    let body: unknown;
    try {
      body = JSON.parse(decode(await readBody(res, { maxBytes: MAX_ERROR_BYTES, signal })));
    } catch (error) {
      if (!(error instanceof TooLargeError || error instanceof SyntaxError)) throw error;
      return new NotAssayError(this.endpoint, `${request} answered ${res.status} with ${typeOf(res)}${error instanceof TooLargeError ? ` over ${bytesShown(MAX_ERROR_BYTES)}` : ''}, not an Assay error`, res.status);
    }
    const fields = typeof body === 'object' && body !== null ? (body as Record<string, unknown>) : {};
    // Every Assay error says what went wrong in `error` or `message`; another API's JSON need not.
    if (typeof fields.error !== 'string' && typeof fields.message !== 'string') {
      return new NotAssayError(this.endpoint, `${request} answered ${res.status} with JSON that is not an Assay error`, res.status);
    }
    return new ApiError(res.status, fields as ApiError['body']);
  }

  /**
   * A request whose answer's headers must come within the request timeout; its body is the
   * caller's to read, as long as it takes (an event stream). Failures as in `exchange`.
   */
  async send(method: string, path: string, init: { body?: string; headers?: Record<string, string>; signal?: AbortSignal } = {}): Promise<Response> {
    return this.exchange(method, path, init, async (res) => res);
  }

  /** A JSON request and its answer with the status. `body` may be text (YAML, CSV) with its content type. */
  async request<T>(method: string, path: string, body?: unknown, contentType = 'application/json'): Promise<Answer<T>> {
    const maxBytes = this.options.maxAnswerBytes ?? MAX_ANSWER_BYTES;
    const init = body !== undefined ? { body: typeof body === 'string' ? body : JSON.stringify(body), headers: { 'content-type': contentType } } : {};
    return this.exchange(method, path, init, async (res, signal) => {
      if (res.status === 204) return { status: 204, body: {} as T };
      let bytes: Uint8Array;
      try {
        bytes = await readBody(res, { maxBytes, signal });
      } catch (error) {
        if (!(error instanceof TooLargeError)) throw error;
        throw new NotAssayError(this.endpoint, `${method} ${shownPath(path)} answered with more than ${bytesShown(maxBytes)}; Assay's largest answers are tens of MiB`, res.status);
      }
      try {
        return { status: res.status, body: JSON.parse(decode(bytes)) as T };
      } catch {
        throw new NotAssayError(this.endpoint, `${method} ${shownPath(path)} answered ${res.status} with ${typeOf(res)}, not JSON`, res.status);
      }
    });
  }

  async json<T>(method: string, path: string, body?: unknown, contentType = 'application/json'): Promise<T> {
    return (await this.request<T>(method, path, body, contentType)).body;
  }

  startRun(slug: string, body: StartRunBody = {}): Promise<RunStarted> {
    return this.json('POST', `/api/experiments/${enc(slug)}/run`, body);
  }

  /** What a run with this body would cost, from the experiment's earlier runs; nothing is started. */
  estimateRun(slug: string, body: StartRunBody = {}): Promise<RunEstimate> {
    return this.json('POST', `/api/experiments/${enc(slug)}/estimate`, body);
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

  /**
   * The run's rows with an index in [offset, offset + limit), as its targets saw them (the rows
   * sent as `data` included); fewer past 4 MB: follow `nextOffset` until it is null.
   */
  runRows(runId: string, page: { offset?: number; limit?: number } = {}): Promise<RunRowsPage> {
    const q = Object.entries(page).filter(([, v]) => v !== undefined).map(([k, v]) => `${k}=${enc(String(v))}`).join('&');
    return this.json('GET', `/api/experiments/runs/${enc(runId)}/rows${q ? `?${q}` : ''}`);
  }

  /** What a prompt target sent for one row of the run: its messages, model and parameters. */
  cellRequest(runId: string, rowIndex: number, targetId: string): Promise<CellRequest> {
    return this.json('GET', `/api/experiments/runs/${enc(runId)}/request?rowIndex=${rowIndex}&targetId=${enc(targetId)}`);
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

  /** A page of a run's reviews: the first without `cursor`, then each answer's `nextCursor` until it is null. */
  reviews(runId: string, page: { cursor?: string; limit?: number } = {}): Promise<ReviewList> {
    const q = Object.entries(page).filter(([, v]) => v !== undefined).map(([k, v]) => `${k}=${enc(String(v))}`).join('&');
    return this.json('GET', `/api/experiments/runs/${enc(runId)}/reviews${q ? `?${q}` : ''}`);
  }

  /**
   * The run's export in one of the formats, as text. Its length follows the run's, so the
   * request timeout bounds the wait for each chunk rather than the whole.
   */
  async exportRun(runId: string, format: 'jsonl' | 'csv' | 'junit', options: ExportChoice = {}): Promise<string> {
    const path = exportPath(runId, format, options);
    return this.exchange('GET', path, {}, async (res, signal, restart) => {
      try {
        return decode(await readBody(res, { maxBytes: MAX_TEXT_BYTES, signal, onChunk: restart }));
      } catch (error) {
        if (!(error instanceof TooLargeError)) throw error;
        throw new Error(`The ${format} export of run ${runId} is larger than ${bytesShown(MAX_TEXT_BYTES)}, more than can be held as text here; download it from ${this.endpoint}${path}`);
      }
    });
  }

  /**
   * The run's export in one of the formats, chunk by chunk to `write` (awaited before the next
   * chunk is read), never held whole: a report file of any size. Answers the bytes written.
   */
  async exportRunTo(runId: string, format: 'jsonl' | 'csv' | 'junit', write: (chunk: Uint8Array) => Promise<void>, options: ExportChoice = {}): Promise<number> {
    const path = exportPath(runId, format, options);
    return this.exchange('GET', path, {}, async (res, signal, restart) => {
      let bytes = 0;
      await eachChunk(res, { maxBytes: Number.MAX_SAFE_INTEGER, signal, onChunk: restart }, async (chunk) => {
        bytes += chunk.byteLength;
        await write(chunk);
      });
      return bytes;
    });
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
   * The run's events after `afterSeq`, until its final event. Reconnects (with Last-Event-ID)
   * when a connection drops, and retries failing connections with backoff (events.ts).
   */
  events(runId: string, options: EventsOptions = {}): AsyncGenerator<StreamEvent> {
    const timeoutMs = this.options.requestTimeoutMs ?? REQUEST_TIMEOUT_MS;
    return followEvents(
      {
        endpoint: this.endpoint,
        open: (path, headers, signal) => this.send('GET', path, { headers, ...(signal ? { signal } : {}) }),
        silenceMs: this.options.streamSilenceMs ?? Math.max(STREAM_SILENCE_MS, timeoutMs),
        maxEventBytes: this.options.maxAnswerBytes ?? MAX_ANSWER_BYTES,
      },
      runId,
      options,
    );
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
