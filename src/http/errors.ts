// The one error handler: AssayErrors become their JSON body and status; anything else is a
// 500 with a generic JSON body (details go to the log, never to the client).
import type { Context } from 'hono';
import { HTTPException } from 'hono/http-exception';
import { AssayError, isAssayError } from '../core/errors.js';
import type { Logger } from '../core/ports.js';
import { errorBody, STATUS_BY_CODE } from './error-status.js';

export function errorResponse(c: Context, err: AssayError): Response {
  const status = STATUS_BY_CODE[err.code];
  const headers: Record<string, string> = {};
  const retryAfter = err.meta.retryAfterSeconds;
  if (typeof retryAfter === 'number') headers['Retry-After'] = String(Math.ceil(retryAfter));
  return c.json(errorBody(err), status as 400, headers);
}

export function makeErrorHandler(logger: Logger) {
  return (err: Error, c: Context): Response => {
    if (isAssayError(err)) return errorResponse(c, err);
    if (err instanceof HTTPException) {
      const status = err.status;
      const code = status === 413 ? 'payload_too_large' : status === 401 ? 'invalid_credentials' : status >= 500 ? 'internal_error' : 'validation_error';
      return errorResponse(c, new AssayError(code, err.message || 'Request refused'));
    }
    logger.error({ err: { name: err?.name, message: err?.message, stack: err?.stack }, method: c.req.method, path: c.req.path }, 'unhandled error');
    return c.json({ error: 'internal_error', message: 'An unexpected error occurred' }, 500);
  };
}
