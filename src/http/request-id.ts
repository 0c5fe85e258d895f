// X-Request-Id on every answer, and `requestId` on the log lines about the request: the id the
// request sent (a proxy's, such as nginx's $request_id, or a client's) when it is at most 128
// letters, digits, `_`, `-` or `=`, else a new UUID. A user who reports a 500 quotes the id
// the operator finds in the log. Written here rather than with hono/request-id, which does the
// same through the web Request's and Response's headers: setting a header through Hono took
// @hono/node-server off its fast path for plain answers, +0.1 ms of server CPU a request
// (docs/benchmarks.md, "The access log's cost"). Here Node's own request and response are used.
import { randomUUID } from 'node:crypto';
import type { MiddlewareHandler } from 'hono';
import type { HttpEnv } from './context.js';
import { incomingOf, outgoingOf } from './node-env.js';

const USABLE = /^[\w=-]{1,128}$/;

export function requestIds(): MiddlewareHandler<HttpEnv> {
  return async (c, next) => {
    const incoming = incomingOf(c);
    const sent = incoming ? incoming.headers['x-request-id'] : c.req.header('x-request-id');
    const id = typeof sent === 'string' && USABLE.test(sent) ? sent : randomUUID();
    c.set('requestId', id);
    const outgoing = outgoingOf(c);
    // Node's response merges it into whatever the answer writes, streams included.
    if (outgoing) outgoing.setHeader('X-Request-Id', id);
    else c.header('X-Request-Id', id);
    await next();
  };
}
