// The client's failures, one class per thing that went wrong, so the CLI and the web page can
// say what happened in one line: the server refused (ApiError), could not be reached, did not
// answer in time, cut the connection, or is not an Assay server at all.

/** A non-2xx JSON error answer from an Assay server: the status and its error body. */
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

/** The network error's code (ECONNREFUSED, UND_ERR_SOCKET, …) that fetch hides in `cause`, or its own message. */
export function networkReason(error: unknown): string | undefined {
  if (typeof error === 'string') return error;
  const cause = (error as { cause?: { code?: string; message?: string } } | undefined)?.cause;
  // An errno code says it best (ECONNREFUSED); undici's own codes less than their words ("other side closed").
  if (cause?.code && !cause.code.startsWith('UND_ERR')) return cause.code;
  return cause?.message ?? cause?.code ?? (error instanceof Error && error.message !== 'fetch failed' ? error.message : undefined);
}

/** The server could not be reached at all. */
export class UnreachableError extends Error {
  constructor(endpoint: string, cause: unknown) {
    const code = networkReason(cause);
    super(`Cannot reach ${endpoint}${code ? ` (${code})` : ''}`);
    this.name = 'UnreachableError';
  }
}

/** The request's path without its query, as messages name it. */
export const shownPath = (path: string): string => path.split('?')[0]!;

/**
 * The server took the connection but did not answer within the request timeout: no status at
 * all, or (`partial`) a status and headers and then not the whole body.
 */
export class NoAnswerError extends Error {
  constructor(endpoint: string, method: string, path: string, timeoutMs: number, partial = false) {
    super(
      partial
        ? `${endpoint} started answering ${method} ${shownPath(path)} but did not finish within ${timeoutMs / 1000} s (the body stalled)`
        : `${endpoint} did not answer ${method} ${shownPath(path)} within ${timeoutMs / 1000} s`,
    );
    this.name = 'NoAnswerError';
  }
}

/** The connection broke while the answer's body was on its way (a server killed mid-answer, a proxy's cut); `cause` may be the reason in words. */
export class ConnectionLostError extends Error {
  constructor(endpoint: string, method: string, path: string, cause: unknown) {
    const reason = networkReason(cause);
    super(`${endpoint} closed the connection before it finished answering ${method} ${shownPath(path)}${reason ? ` (${reason})` : ''}`);
    this.name = 'ConnectionLostError';
  }
}

/**
 * An answer that is not what an Assay server sends (an HTML page, another API, gigabytes): the
 * wrong endpoint, most likely. `status` is the HTTP status it came with.
 */
export class NotAssayError extends Error {
  constructor(
    endpoint: string,
    what: string,
    readonly status?: number,
  ) {
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

/** A run's event stream that could not be picked up again within the reconnect window. */
export class StreamLostError extends Error {
  constructor(
    runId: string,
    readonly last: Error,
    attempts: number,
    failingMs: number,
  ) {
    super(`Lost the event stream of run ${runId}: ${last.message}; gave up after ${attempts} attempt${attempts === 1 ? '' : 's'} in ${Math.round(failingMs / 1000)} s`);
    this.name = 'StreamLostError';
  }
}
