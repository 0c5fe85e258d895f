// Node's request and response behind @hono/node-server (its `c.env`): the client's socket, and
// a response written straight to Node (event streams, headers set past Hono's). Both are
// undefined under app.request() (tests, other runtimes), where there is no socket.
import { type IncomingMessage, ServerResponse } from 'node:http';
import type { Context } from 'hono';

export function incomingOf(c: Context): IncomingMessage | undefined {
  return (c.env as { incoming?: IncomingMessage } | undefined)?.incoming;
}

export function outgoingOf(c: Context): ServerResponse | undefined {
  const outgoing: unknown = (c.env as { outgoing?: unknown } | undefined)?.outgoing;
  return outgoing instanceof ServerResponse ? outgoing : undefined;
}
