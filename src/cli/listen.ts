// Opening and closing an HTTP listener, shared by `assay serve` (the API) and `assay worker`
// (its probes and metrics on ASSAY_WORKER_PORT).
import type { Server } from 'node:http';
import { serve } from '@hono/node-server';
import { answerClientErrors } from '../http/client-errors.js';

/** Listens on `port` (0: any free one) and answers Node's parser errors as JSON; resolves with the port bound. */
export async function listen(fetch: (request: Request) => Response | Promise<Response>, port: number, host: string): Promise<{ server: Server; port: number }> {
  const server = await new Promise<Server>((resolve, reject) => {
    const s = serve({ fetch, port, hostname: host }, () => resolve(s as Server));
    (s as Server).once('error', reject);
  });
  answerClientErrors(server);
  const address = server.address();
  return { server, port: typeof address === 'object' && address ? address.port : port };
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
