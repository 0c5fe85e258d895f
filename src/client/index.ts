// The typed client for Assay's HTTP API and its SSE event stream: the one HTTP client of the
// CLI, the benchmarks, the fault-injection suite and the web page. Its types are inferred from
// the schemas the server declares its answers with (src/core/model), never restated. This file
// names the endpoints; the exchange under them (timeouts, bounds, errors) is transport.ts's, and
// the event stream's reconnects events.ts's. Only fetch, web streams and eventsource-parser: no
// Node-specific APIs, so the page can bundle it.
import type { Comparison } from '../core/model/compare.js';
import type { Review, ReviewInput, ReviewList } from '../core/model/reviews.js';
import type { CellRequest, ResultsPage, RunList, RunRowsPage, RunStarted, RunStatusBody } from '../core/model/run-api.js';
import type { RunEstimate } from '../core/model/estimate.js';
import { bytesShown, eachChunk, readBody, TooLargeError } from './body.js';
import { type EventsOptions, followEvents, STREAM_SILENCE_MS, type StreamEvent } from './events.js';
import { decode, HttpTransport, MAX_ANSWER_BYTES, REQUEST_TIMEOUT_MS } from './transport.js';

export type { CellRequest, ResultsPage, RunList, RunRowsPage, RunStarted, RunStatusBody } from '../core/model/run-api.js';
export type { RunSummary } from '../core/model/summary.js';
export type { Comparison } from '../core/model/compare.js';
export type { EvaluatorEstimate, RunEstimate, TargetEstimate } from '../core/model/estimate.js';
export type { Review, ReviewInput, ReviewList } from '../core/model/reviews.js';
export type { LiveEvent, RunEvent } from '../core/events.js';
export { AbortedError, ApiError, ConnectionLostError, NoAnswerError, NotAssayError, StreamLostError, UnreachableError } from './errors.js';
export { RETRY_FOR_MS, STREAM_SILENCE_MS, type EventsOptions, type RetryNotice, type StreamEvent } from './events.js';
export { type Answer, type ClientOptions, MAX_ANSWER_BYTES, REQUEST_TIMEOUT_MS } from './transport.js';

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

/** The typed endpoints, over the one exchange of HttpTransport (whose send, request and json stay public for calls not named here). */
export class AssayClient extends HttpTransport {
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
