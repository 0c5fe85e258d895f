// The client's one HTTP exchange: a request and its answer read within a timeout, with bounds on
// what is read, and every way it can fail turned into one of errors.ts's errors (the CLI words
// each differently). Kept apart from the typed endpoints (index.ts), which only name paths and
// types: the transport changes with the network's failure modes, the endpoints with the API.
// Only fetch and web streams: no Node-specific APIs, so the page can bundle it.
import { BodyCutError, bytesShown, readBody, TooLargeError } from './body.js';
import { AbortedError, ApiError, ConnectionLostError, NoAnswerError, NotAssayError, shownPath, UnreachableError } from './errors.js';

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

/** A JSON answer with its status (201 vs 200 tells a create from an update). */
export interface Answer<T> {
  status: number;
  body: T;
}

const typeOf = (res: Response) => res.headers.get('content-type')?.split(';')[0]?.trim() || 'no content type';
/** An answer's bytes as text (UTF-8). */
export const decode = (bytes: Uint8Array) => new TextDecoder().decode(bytes);

/** How an answer's body is read: within the request's `signal`, `restart` starting its time again (exports). */
export type BodyReader<T> = (res: Response, signal: AbortSignal, restart: () => void) => Promise<T>;

/** Requests to one Assay server: its endpoint, its key and headers, and the bounds of ClientOptions. */
export class HttpTransport {
  readonly endpoint: string;
  private readonly doFetch: NonNullable<ClientOptions['fetch']>;

  constructor(protected readonly options: ClientOptions) {
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
  protected async exchange<T>(method: string, path: string, init: { body?: string; headers?: Record<string, string>; signal?: AbortSignal }, read: BodyReader<T>): Promise<T> {
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
}
