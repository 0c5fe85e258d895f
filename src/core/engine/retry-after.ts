// When a server allows the next attempt, from `retry-after-ms` (OpenAI, Azure: milliseconds)
// or `Retry-After` (RFC 9110: delay-seconds or an HTTP-date). Pure: header values and the
// current time in, a delay out.

/** Upper bound on a delay we honour: a day. Anything larger is treated as a mistake. */
const MAX_DELAY_MS = 24 * 60 * 60 * 1000;

const NUMBER = /^\s*\d+(?:\.\d+)?\s*$/;
/** IMF-fixdate, RFC 850 and asctime all name a month or weekday and carry hh:mm:ss. */
const DATE_SHAPE = /[A-Za-z]{3}.*\d{1,2}:\d{2}:\d{2}/;

function bounded(ms: number): number | undefined {
  if (!Number.isFinite(ms) || ms < 0 || ms > MAX_DELAY_MS) return undefined;
  return Math.ceil(ms);
}

/**
 * Milliseconds to wait before retrying, or undefined when neither header holds a usable
 * value. `retry-after-ms` wins when valid; an HTTP-date in the past means "now" (0).
 */
export function parseRetryAfter(
  headers: { retryAfterMs?: string | null | undefined; retryAfter?: string | null | undefined },
  nowMs: number,
): number | undefined {
  const ms = headers.retryAfterMs;
  if (typeof ms === 'string' && NUMBER.test(ms)) {
    const value = bounded(Number(ms));
    if (value !== undefined) return value;
  }
  const after = headers.retryAfter;
  if (typeof after !== 'string') return undefined;
  if (NUMBER.test(after)) return bounded(Number(after) * 1000);
  if (!DATE_SHAPE.test(after)) return undefined;
  const at = Date.parse(after);
  if (!Number.isFinite(at)) return undefined;
  return bounded(Math.max(0, at - nowMs));
}
