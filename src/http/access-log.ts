// The access log (ASSAY_ACCESS_LOG=true): one JSON line per request once its answer is written,
// with the client's address. Behind a reverse proxy named in ASSAY_TRUSTED_PROXIES the client
// is the address the proxy forwarded, and the proxy is logged as `peer` (http/client-address.ts).
// A stream (SSE) is logged when it ends, so `ms` is how long it was open. Only what the server
// already knows is written: the path without its query (a query may carry what a client meant
// to keep), an API key pasted into a path cut to its prefix, and the project by id.
import { performance } from 'node:perf_hooks';
import type { Context, MiddlewareHandler } from 'hono';
import type { Logger } from '../core/ports.js';
import type { ClientAddresses } from './client-address.js';
import type { HttpEnv } from './context.js';
import { incomingOf, outgoingOf } from './node-env.js';
import { routeOf } from './observe.js';

/** Characters of a path written at most: a path is the client's to choose. */
const MAX_PATH_CHARS = 512;

/** A path with an API key pasted into it (`DELETE /api/admin/api-keys/sk-lw-…`) cut to the prefix. */
export function withoutKeys(path: string): string {
  return path.replace(/sk-lw-[^/]*/gi, 'sk-lw-…');
}

/** A path as it may be logged: without keys, and at most MAX_PATH_CHARS. */
export function loggedPath(path: string): string {
  const shown = withoutKeys(path);
  return shown.length > MAX_PATH_CHARS ? `${shown.slice(0, MAX_PATH_CHARS)}…` : shown;
}

/** Where a request came from, for a log line: the client, and the proxy it came through. */
export function requestOrigin(c: Context, addresses: ClientAddresses): { client: string | undefined; peer: string | undefined } {
  const incoming = incomingOf(c);
  const peer = incoming?.socket?.remoteAddress;
  const client = addresses.client(incoming);
  return { client, peer: client === peer ? undefined : peer };
}

export function accessLog(logger: Logger, addresses: ClientAddresses): MiddlewareHandler<HttpEnv> {
  return async (c, next) => {
    const started = performance.now();
    try {
      await next();
    } finally {
      // As the request counter reports it: an error thrown past the handlers is answered 500.
      const status = c.error && c.res.status < 400 ? 500 : c.res.status;
      const { client, peer } = requestOrigin(c, addresses);
      const line = {
        method: c.req.method,
        path: loggedPath(c.req.path),
        route: routeOf(c),
        status,
        ms: 0,
        client,
        peer,
        project: c.get('project')?.id,
        requestId: c.get('requestId'),
        /** False when the connection closed before the whole answer was written (a client that went away). */
        complete: true,
      };
      const outgoing = outgoingOf(c);
      const write = (): void => {
        line.ms = Math.round((performance.now() - started) * 10) / 10;
        logger.info(line, 'request');
      };
      // The answer is written after the app returns (and a stream long after): logged once it is.
      if (outgoing && !outgoing.writableFinished) {
        outgoing.once('close', () => {
          line.complete = outgoing.writableFinished;
          write();
        });
      } else write();
    }
  };
}
