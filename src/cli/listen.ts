// Opening and closing an HTTP listener, shared by `assay serve` (the API) and `assay worker`
// (its probes and metrics on ASSAY_WORKER_PORT).
import type { Server } from 'node:http';
import { serve } from '@hono/node-server';
import { answerClientErrors } from '../http/client-errors.js';
import { CliError } from './cli-error.js';

type Fetch = (request: Request) => Response | Promise<Response>;

/** Listens on `port` (0: any free one) and answers Node's parser errors as JSON; resolves with the port bound. */
export async function listen(fetch: Fetch, port: number, host: string): Promise<{ server: Server; port: number }> {
  const server = await new Promise<Server>((resolve, reject) => {
    const s = serve({ fetch, port, hostname: host }, () => resolve(s as Server));
    (s as Server).once('error', reject);
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
 * Binds `port` before start-up opens anything, so a port in use stops a process with one line
 * (exit code 2) before it has created a project, printed a key or taken a run. Requests that
 * arrive during start-up wait for it. `variable` is the setting that chose the port.
 */
export async function listenEarly(port: number, host: string, variable: string): Promise<EarlyListener> {
  let resolve!: (fetch: Fetch) => void;
  let reject!: (error: unknown) => void;
  const app = new Promise<Fetch>((res, rej) => ((resolve = res), (reject = rej)));
  // Handled here, so a start-up that fails with no request waiting is no unhandled rejection.
  app.catch(() => {});
  // Swapped for the app itself once it is up, so no request after start-up awaits anything more.
  let handle: Fetch = async (request) => (await app)(request);
  let bound: { server: Server; port: number };
  try {
    bound = await listen((request) => handle(request), port, host);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EADDRINUSE') {
      throw new CliError(`port ${port} is already in use — set ${variable} to another port, or stop what listens on it`);
    }
    throw error;
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
 * idle rather than at their keep-alive timeout; after `timeoutMs` closes whatever is left.
 */
export async function closeServer(server: Server, timeoutMs: number): Promise<void> {
  const closed = new Promise<void>((resolve) => server.close(() => resolve()));
  server.closeIdleConnections();
  const sweep = setInterval(() => server.closeIdleConnections(), 50);
  const timer = setTimeout(() => server.closeAllConnections(), timeoutMs);
  await closed;
  clearInterval(sweep);
  clearTimeout(timer);
}

/** How a listener's address is printed: 0.0.0.0 as localhost. */
export const shownHost = (host: string): string => (host === '0.0.0.0' ? 'localhost' : host);
