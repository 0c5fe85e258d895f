// How a failed model call reaches its caller: provider failures become CallErrors that say what
// to do (401/403: which key; 429/5xx: retryable, with the server's Retry-After), a 429 lowers the
// model's limit, and the call's credentials are taken out of the text (client.ts makes the calls).
import { APICallError } from '@ai-sdk/provider';
import type { ModelLimiter } from '../core/engine/adaptive-limiter.js';
import { isRetryableStatus } from '../core/engine/retry.js';
import type { ProviderSettings } from '../core/model/adapters.js';
import { CallError } from '../core/model/results.js';
import type { Clock } from '../core/ports.js';
import type { ModelCallEnd } from '../core/observe.js';
import { RefusedAnswer } from '../net/lean-fetch.js';
import { KEY_VARIABLE } from './providers.js';
import { lowerHeaders, retryAfterMs } from './rate-headers.js';

/** How a failed call ends for observers, from the error the caller will see. */
export function failureEnd(error: unknown): ModelCallEnd {
  if (isAbort(error)) return { outcome: 'cancelled' };
  const status = error instanceof CallError ? error.status : undefined;
  return { outcome: status === 429 ? 'throttled' : 'error', ...(status !== undefined ? { status } : {}) };
}

export function isAbort(error: unknown): boolean {
  return error instanceof Error && (error.name === 'AbortError' || error.name === 'TimeoutError' || error.name === 'ResponseAborted');
}

/** What turning an error into a CallError needs: the limit a 429 lowers, the clock, the AI SDK if loaded. */
export interface ErrorDeps {
  limiter: ModelLimiter;
  clock: Clock;
  /** The AI SDK, once a call loaded it (its structured-output error is recognised by its class). */
  ai: () => typeof import('ai') | undefined;
}

/** Provider failures → CallError, feeding the limiter on throttling. */
export function toCallError(error: unknown, provider: string, key: string, deps: ErrorDeps): unknown {
  if (isAbort(error)) return error;
  if (APICallError.isInstance(error)) {
    const headers = lowerHeaders(error.responseHeaders);
    const status = error.statusCode;
    if (status === 401 || status === 403) {
      const variable = KEY_VARIABLE[provider];
      return new CallError(
        `${provider} refused the API key (HTTP ${status}): the key is missing or invalid` +
          (variable ? `; set ${variable} or PUT /api/providers/${provider}` : `; PUT /api/providers/${provider} with a valid apiKey`),
        { retryable: false, status },
      );
    }
    const retryAfter = retryAfterMs(headers, deps.clock.now());
    if (status === 429) deps.limiter.throttled(key, retryAfter);
    const retryable = status === undefined ? error.isRetryable : isRetryableStatus(status);
    const detail = (error.message || 'request failed').split('\n')[0];
    return new CallError(`${provider} ${status === undefined ? 'request failed' : `HTTP ${status}`}: ${detail}`, {
      retryable,
      status,
      retryAfterMs: retryAfter,
      cause: error,
    });
  }
  // An answer refused before parsing (net/lean-fetch.ts): the SDK's fetch does not know whose it was.
  if (error instanceof RefusedAnswer) return new RefusedAnswer(error.detail, provider);
  if (error instanceof CallError) return error;
  // fetch's network failure (see src/net/lean-fetch.ts): worth retrying, like a 5xx.
  if (error instanceof TypeError && error.message === 'fetch failed') {
    const cause = (error as { cause?: { code?: unknown } }).cause;
    const code = typeof cause?.code === 'string' ? ` (${cause.code})` : '';
    return new CallError(`${provider} request failed: cannot connect${code}`, { retryable: true, cause: error });
  }
  if (deps.ai()?.NoObjectGeneratedError.isInstance(error)) {
    return new CallError(`${provider} did not return valid structured output: ${error.message.split('\n')[0]}`, { retryable: true, cause: error });
  }
  const message = error instanceof Error ? error.message.split('\n')[0] : String(error);
  return new CallError(`${provider} call failed: ${message}`, { retryable: false, cause: error });
}

/** A target call refused because its provider's settings changed quota during the run (client.ts, `once`). */
export function quotaChanged(provider: string): CallError {
  return new CallError(
    `the settings of provider "${provider}" changed during the run (the project's own key, base URL or headers were set or removed); resume the run to call it with them`,
    { retryable: false },
  );
}

/**
 * The error with the call's credentials (API key, header values) removed from its message: an
 * endpoint may echo what it was sent, and error texts reach results, events and exports. Done
 * before anything shortens the text, so no cut can leave a prefix of a credential behind.
 */
export function withoutCredentials(error: unknown, settings: ProviderSettings): unknown {
  if (!(error instanceof CallError)) return error;
  const values = [settings.apiKey, ...Object.values(settings.headers ?? {})].filter((v): v is string => typeof v === 'string' && v.length >= 4);
  if (values.length === 0) return error;
  let message = error.message;
  for (const value of values) message = message.split(value).join('[redacted]');
  if (message === error.message) return error;
  return new CallError(message, { retryable: error.retryable, retryAfterMs: error.retryAfterMs, status: error.status });
}
