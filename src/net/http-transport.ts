// How HTTP targets reach the network: undici's dispatcher API with process-wide Agents, not
// fetch. fetch builds Request/Response objects, web streams and AbortSignal plumbing for every
// call, which cost more CPU than everything else a cell does; here the answer's bytes go
// straight from the HTTP parser into a bounded list of chunks. The guarded Agent checks every
// address at connect time, on the address the socket actually uses (agents.ts).
import type { IncomingHttpHeaders } from 'node:http';
import type { Dispatcher } from 'undici';

/** What one exchange sends; redirects rewrite it hop by hop. Header names are lower case. */
export interface Outgoing {
  url: URL;
  method: Dispatcher.HttpMethod;
  headers: Record<string, string>;
  body: string | undefined;
}

/** A final answer (1xx interim answers are skipped), its body read as UTF-8 up to a limit. */
export interface Answer {
  status: number;
  headers: IncomingHttpHeaders;
  text: string;
  /** The body was longer than the limit: `text` is its head and the connection was dropped. */
  truncated: boolean;
}

/** How many body bytes to keep: `success` for 2xx answers, `other` for the rest (only quoted). */
export interface BodyLimits {
  success: number;
  other: number;
}

/** Collects one answer; `stop` settles it at once, whatever undici is doing at the time. */
class AnswerHandler implements Dispatcher.DispatchHandler {
  private controller: Dispatcher.DispatchController | null = null;
  private status = 0;
  private headers: IncomingHttpHeaders = {};
  private chunks: Buffer[] = [];
  private size = 0;
  private limit = 0;
  private settled = false;

  constructor(
    private readonly limits: BodyLimits,
    private readonly resolve: (answer: Answer) => void,
    private readonly reject: (reason: unknown) => void,
  ) {}

  onRequestStart(controller: Dispatcher.DispatchController): void {
    // Stopped while the request waited for a connection: it must not be sent at all.
    if (this.settled) controller.abort(new Error('call stopped before it was sent'));
    else this.controller = controller;
  }

  onResponseStart(_controller: Dispatcher.DispatchController, status: number, headers: IncomingHttpHeaders): void {
    if (status < 200) return;
    this.status = status;
    this.headers = headers;
    this.chunks = [];
    this.size = 0;
    this.limit = status <= 299 ? this.limits.success : this.limits.other;
  }

  onResponseData(controller: Dispatcher.DispatchController, chunk: Buffer): void {
    if (this.settled) return;
    if (this.size + chunk.length > this.limit) {
      this.chunks.push(chunk.subarray(0, this.limit - this.size));
      this.finish(true);
      // Stop reading: undici destroys the connection rather than drain an oversized body.
      controller.abort(new Error('answer body over the limit'));
      return;
    }
    this.size += chunk.length;
    this.chunks.push(chunk);
  }

  onResponseEnd(): void {
    this.finish(false);
  }

  onResponseError(_controller: Dispatcher.DispatchController, error: Error): void {
    if (this.settled) return;
    this.settled = true;
    this.reject(error);
  }

  stop(reason: unknown): void {
    if (this.settled) return;
    this.settled = true;
    this.reject(reason);
    this.controller?.abort(new Error('call stopped'));
  }

  private finish(truncated: boolean): void {
    if (this.settled) return;
    this.settled = true;
    const { chunks } = this;
    const text = chunks.length === 1 ? chunks[0]!.toString('utf8') : Buffer.concat(chunks).toString('utf8');
    this.resolve({ status: this.status, headers: this.headers, text, truncated });
  }
}

/**
 * The exchanges of one call (one per redirect hop). `stop` fails the exchange in flight at
 * once, even one still waiting for its connection (undici's request() would wait for it), and
 * every later one.
 */
export class Exchanges {
  private current: AnswerHandler | null = null;
  private stopped = false;
  private reason: unknown;

  constructor(
    private readonly dispatcher: Dispatcher,
    private readonly limits: BodyLimits,
  ) {}

  send(outgoing: Outgoing): Promise<Answer> {
    if (this.stopped) return Promise.reject(this.reason as Error);
    return new Promise<Answer>((resolve, reject) => {
      const handler = new AnswerHandler(this.limits, resolve, reject);
      this.current = handler;
      const { url } = outgoing;
      // Errors, synchronous ones included, reach the handler's onResponseError.
      this.dispatcher.dispatch(
        { origin: url.origin, path: url.pathname + url.search, method: outgoing.method, headers: outgoing.headers, body: outgoing.body ?? null },
        handler,
      );
    });
  }

  stop(reason: unknown): void {
    if (this.stopped) return;
    this.stopped = true;
    this.reason = reason;
    this.current?.stop(reason);
  }
}
