// Opening and closing an HTTP listener, shared by `assay serve` (the API) and `assay worker`
// (its probes and metrics on ASSAY_WORKER_PORT).
import type { Server } from 'node:http';
import { serve } from '@hono/node-server';
import { answerClientErrors } from '../http/client-errors.js';
import { type ConnectionLimits, guardConnections, serverOptions } from '../http/connections.js';
import { CliError } from './cli-error.js';

/**
 * An app's fetch. `env` is what @hono/node-server passes with each request, `{ incoming,
 * outgoing }`: the app reads the client's address from it (the auth throttle) and writes event
 * streams straight to the response (http/sse.ts). Dropped, every client was one address,
 * `local`, and every stream took the slower web-stream path.
 */
type Fetch = (request: Request, env?: unknown) => Response | Promise<Response>;

/**
 * Listens on `port` (0: any free one) within `limits` (http/connections.ts) and answers Node's
 * parser errors as JSON; resolves with the port bound.
 */
export async function listen(fetch: Fetch, port: number, host: string, limits: ConnectionLimits, warn?: (line: string) => void): Promise<{ server: Server; port: number }> {
  const server = await new Promise<Server>((resolve, reject) => {
    const s = serve({ fetch, port, hostname: host, serverOptions: serverOptions(limits) }, () => {
      (s as Server).off('error', reject);
      resolve(s as Server);
    }) as Server;
    // Before the first connection can arrive (listening is asynchronous).
    guardConnections(s, limits, warn);
    s.once('error', reject);
  });
  answerClientErrors(server);
  const address = server.address();
  return { server, port: typeof address === 'object' && address ? address.port : port };
}

/** A listener bound before its app exists (listenEarly). */
export interface EarlyListener {
  server: Server;
  port: number;
  /** Start-up is over: requests go to `fetch`, those that waited first. */
  ready(fetch: Fetch): void;
  /** Start-up failed: waiting requests fail, and the listener closes. */
  abandon(error: unknown): Promise<void>;
}

/**
 * A HOST that is no address of this machine (a name that does not resolve, an address of
 * another) stops start-up naming HOST, not with the bare "getaddrinfo ENOTFOUND" it was.
 * `variable` is the port's setting (PORT, or ASSAY_WORKER_PORT for a worker's probes).
 */
function hostError(host: string, variable: string, error: unknown): unknown {
  const { code, syscall } = (error ?? {}) as NodeJS.ErrnoException;
  if (syscall !== 'getaddrinfo' && code !== 'EADDRNOTAVAIL') return error;
  const what = variable === 'PORT' ? '' : ` for ${variable}`;
  return new CliError(`HOST=${host} cannot be listened on${what} (${code ?? 'error'}): set HOST to an address of this machine, such as 0.0.0.0 (every interface) or 127.0.0.1 (this machine only)`);
}

/**
 * Binds `port` before start-up opens anything, so a port in use (or a HOST that is not this
 * machine's) stops a process with one line (exit code 2) before it has created a project,
 * printed a key or taken a run. Requests that arrive during start-up wait for it. `variable`
 * is the setting that chose the port.
 */
export async function listenEarly(port: number, host: string, variable: string, limits: ConnectionLimits, warn?: (line: string) => void): Promise<EarlyListener> {
  let resolve!: (fetch: Fetch) => void;
  let reject!: (error: unknown) => void;
  const app = new Promise<Fetch>((res, rej) => ((resolve = res), (reject = rej)));
  // Handled here, so a start-up that fails with no request waiting is no unhandled rejection.
  app.catch(() => {});
  // Swapped for the app itself once it is up, so no request after start-up awaits anything more.
  let handle: Fetch = async (request, env) => (await app)(request, env);
  let bound: { server: Server; port: number };
  try {
    bound = await listen((request, env) => handle(request, env), port, host, limits, warn);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EADDRINUSE') {
      throw new CliError(`port ${port} is already in use — set ${variable} to another port, or stop what listens on it`);
    }
    throw hostError(host, variable, error);
  }
  return {
    ...bound,
    ready(fetch) {
      resolve(fetch);
      handle = fetch;
    },
    async abandon(error) {
      reject(error);
      bound.server.closeAllConnections();
      await new Promise((done) => bound.server.close(done));
    },
  };
}

/**
 * Stops accepting, lets requests in flight finish, and closes connections as soon as they are
 * idle rather than at their keep-alive timeout; after `timeoutMs` closes whatever is left, and
 * tells `onForced` first (a response that never ends held the shutdown that long).
 */
export async function closeServer(server: Server, timeoutMs: number, onForced: () => void = () => {}): Promise<void> {
  const closed = new Promise<void>((resolve) => server.close(() => resolve()));
  server.closeIdleConnections();
  const sweep = setInterval(() => server.closeIdleConnections(), 50);
  const timer = setTimeout(() => {
    onForced();
    server.closeAllConnections();
  }, timeoutMs);
  await closed;
  clearInterval(sweep);
  clearTimeout(timer);
}

/** Logged (warn) when connections still open at ASSAY_SHUTDOWN_TIMEOUT_MS are cut. */
export const forcedClose = (timeoutMs: number): string =>
  `requests still open ${timeoutMs} ms after the shutdown began (ASSAY_SHUTDOWN_TIMEOUT_MS) were cut`;

/** How a listener's address is printed: 0.0.0.0 as localhost. */
export const shownHost = (host: string): string => (host === '0.0.0.0' ? 'localhost' : host);
