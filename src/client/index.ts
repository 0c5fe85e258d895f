// A typed client for Assay's HTTP API and its SSE event stream, used by the CLI and the web
// page (web/). Only fetch and the shared event schema: no Node-specific APIs.
import { createParser } from 'eventsource-parser';
import type { RunEvent } from '../core/events.js';

export interface ClientOptions {
  endpoint: string;
  apiKey?: string | undefined;
  fetch?: typeof fetch;
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

export interface RunStatusBody {
  runId: string;
  status: 'running' | 'completed' | 'failed' | 'stopped';
  progress: number;
  total: number;
  startedAt: number;
  finishedAt?: number;
  summary?: Record<string, any>;
  error?: string;
  message?: string;
}

export interface StartRunBody {
  data?: Record<string, unknown>[];
  dataset_id?: string;
  parameters?: Record<string, string | number | boolean>;
  row_indices?: number[];
  [key: string]: unknown;
}

export class AssayClient {
  private readonly endpoint: string;
  private readonly doFetch: typeof fetch;

  constructor(private readonly options: ClientOptions) {
    this.endpoint = options.endpoint.replace(/\/+$/, '');
    // Called through a wrapper: browsers refuse window.fetch invoked as another object's method
    // ("Illegal invocation"), which `this.doFetch(…)` would be.
    this.doFetch = options.fetch ?? ((input, init) => fetch(input, init));
  }

  private headers(extra: Record<string, string> = {}): Record<string, string> {
    return { ...(this.options.apiKey ? { authorization: `Bearer ${this.options.apiKey}` } : {}), ...extra };
  }

  private async send(method: string, path: string, init: { body?: string; headers?: Record<string, string>; signal?: AbortSignal } = {}): Promise<Response> {
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

  async json<T>(method: string, path: string, body?: unknown, contentType = 'application/json'): Promise<T> {
    const res = await this.send(method, path, {
      ...(body !== undefined ? { body: typeof body === 'string' ? body : JSON.stringify(body), headers: { 'content-type': contentType } } : {}),
    });
    return (res.status === 204 ? {} : await res.json()) as T;
  }

  startRun(slug: string, body: StartRunBody = {}): Promise<{ runId: string; status: 'running'; total: number; runUrl: string }> {
    return this.json('POST', `/api/experiments/${encodeURIComponent(slug)}/run`, body);
  }

  getRun(runId: string): Promise<RunStatusBody> {
    return this.json('GET', `/api/experiments/runs/${encodeURIComponent(runId)}`);
  }

  abortRun(runId: string): Promise<unknown> {
    return this.json('POST', `/api/experiments/runs/${encodeURIComponent(runId)}/abort`);
  }

  /** The run's export in one of the formats, as text. */
  async exportRun(runId: string, format: 'jsonl' | 'csv' | 'junit'): Promise<string> {
    return (await this.send('GET', `/api/experiments/runs/${encodeURIComponent(runId)}/export?format=${format}`)).text();
  }

  /**
   * The run's events after `afterSeq`, until the stream ends. Reconnects (with Last-Event-ID)
   * when the connection drops before the run's final event.
   */
  async *events(runId: string, options: { afterSeq?: number; signal?: AbortSignal } = {}): AsyncGenerator<RunEvent> {
    let cursor = options.afterSeq ?? 0;
    for (let attempt = 0; attempt < 20; attempt++) {
      const res = await this.send('GET', `/api/experiments/runs/${encodeURIComponent(runId)}/events`, {
        headers: { accept: 'text/event-stream', 'last-event-id': String(cursor) },
        ...(options.signal ? { signal: options.signal } : {}),
      });
      const queue: RunEvent[] = [];
      const parser = createParser({ onEvent: (e) => queue.push(JSON.parse(e.data) as RunEvent) });
      const decoder = new TextDecoder();
      let final = false;
      try {
        for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
          parser.feed(decoder.decode(chunk, { stream: true }));
          while (queue.length > 0) {
            const event = queue.shift()!;
            cursor = event.seq;
            if (event.type === 'done' || event.type === 'stopped' || (event.type === 'error' && event.rowIndex === undefined)) final = true;
            yield event;
          }
        }
      } catch (error) {
        if (options.signal?.aborted) return;
        if (attempt === 19) throw error;
      }
      if (final) return;
      // The connection dropped before the end: pick up after the last event we saw.
      await new Promise((r) => setTimeout(r, 250));
    }
  }
}
