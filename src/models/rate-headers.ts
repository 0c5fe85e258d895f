// Reads providers' rate-limit headers: when no request is left in the current window, how long
// until it resets. OpenAI sends durations ("1s", "6m0s", "120ms"); Anthropic sends RFC 3339
// times. Retry-After (seconds or HTTP date) and retry-after-ms also count.
import { parseRetryAfter } from '../core/engine/retry-after.js';

function duration(text: string): number | undefined {
  let ms = 0;
  let matched = false;
  for (const m of text.matchAll(/(\d+(?:\.\d+)?)(ms|h|m|s)/g)) {
    matched = true;
    const n = Number(m[1]);
    ms += m[2] === 'ms' ? n : m[2] === 's' ? n * 1000 : m[2] === 'm' ? n * 60_000 : n * 3_600_000;
  }
  return matched ? ms : undefined;
}

/** Milliseconds until the server allows a retry (Retry-After or retry-after-ms), if it said. */
export function retryAfterMs(headers: Record<string, string | undefined>, now: number): number | undefined {
  return parseRetryAfter({ retryAfterMs: headers['retry-after-ms'], retryAfter: headers['retry-after'] }, now);
}

/** Milliseconds until the request window resets when the provider says none is left. */
export function exhaustedForMs(headers: Record<string, string | undefined>, now: number): number | undefined {
  const openaiLeft = headers['x-ratelimit-remaining-requests'];
  if (openaiLeft !== undefined && Number(openaiLeft) === 0) {
    return duration(headers['x-ratelimit-reset-requests'] ?? '') ?? 1000;
  }
  const anthropicLeft = headers['anthropic-ratelimit-requests-remaining'];
  if (anthropicLeft !== undefined && Number(anthropicLeft) === 0) {
    const at = Date.parse(headers['anthropic-ratelimit-requests-reset'] ?? '');
    return Number.isNaN(at) ? 1000 : Math.max(0, at - now);
  }
  return undefined;
}

/** Lower-cased header map from whatever the SDK hands back. */
export function lowerHeaders(headers: unknown): Record<string, string | undefined> {
  const out: Record<string, string | undefined> = {};
  if (headers && typeof headers === 'object') {
    for (const [k, v] of Object.entries(headers as Record<string, unknown>)) out[k.toLowerCase()] = typeof v === 'string' ? v : v === undefined ? undefined : String(v);
  }
  return out;
}
