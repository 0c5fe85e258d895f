// The one error handler: AssayErrors become their JSON body and status; a client that went away
// mid-body is a quiet 499; anything else is a 500 with a generic JSON body (details go to the
// log, never to the client).
import type { Context } from 'hono';
import { HTTPException } from 'hono/http-exception';
import { AssayError, isAssayError } from '../core/errors.js';
import type { Logger } from '../core/ports.js';
import { loggedPath, requestOrigin } from './access-log.js';
import { ClientGoneError } from './body.js';
import { type ClientAddresses, clientAddresses } from './client-address.js';
import { errorBody, STATUS_BY_CODE } from './error-status.js';

export function errorResponse(c: Context, err: AssayError): Response {
  const status = STATUS_BY_CODE[err.code];
  const headers: Record<string, string> = {};
  const retryAfter = err.meta.retryAfterSeconds;
  if (typeof retryAfter === 'number') headers['Retry-After'] = String(Math.ceil(retryAfter));
  return c.json(errorBody(err), status as 400, headers);
}

/** nginx's status for a request whose client closed the connection before the answer. */
export const CLIENT_CLOSED_REQUEST = 499;

/** `addresses` names the client in the log lines (behind a trusted proxy, the one it forwarded). */
export function makeErrorHandler(logger: Logger, addresses: ClientAddresses = clientAddresses([])) {
  return (err: Error, c: Context): Response => {
    if (isAssayError(err)) return errorResponse(c, err);
    if (err instanceof ClientGoneError) {
      // Nobody reads this answer; its status is for the request log and /metrics. 499 is nginx's
      // "client closed request": not a 5xx (the server did nothing wrong, so a flaky network
      // does not page anyone) and not a 4xx the client could have avoided by asking differently.
      logger.info({ method: c.req.method, path: loggedPath(c.req.path), ...requestOrigin(c, addresses), requestId: c.get('requestId') }, 'client went away');
      return new Response(null, { status: CLIENT_CLOSED_REQUEST });
    }
    if (err instanceof HTTPException) {
      const status = err.status;
      const code = status === 413 ? 'payload_too_large' : status === 401 ? 'invalid_credentials' : status >= 500 ? 'internal_error' : 'validation_error';
      return errorResponse(c, new AssayError(code, err.message || 'Request refused'));
    }
    const id: unknown = c.get('requestId');
    logger.error({ err: { name: err?.name, message: err?.message, stack: err?.stack }, method: c.req.method, path: loggedPath(c.req.path), ...requestOrigin(c, addresses), requestId: id }, 'unhandled error');
    // The id the server's log has this error under, for the user to quote.
    return c.json(typeof id === 'string' ? { error: 'internal_error', message: `An unexpected error occurred (request ${id})`, requestId: id } : { error: 'internal_error', message: 'An unexpected error occurred' }, 500);
  };
}
