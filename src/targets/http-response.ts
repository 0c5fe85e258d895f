// Reading an HTTP target's answer: bounded body reads, JSON detection, output selection by
// JSONPath, and turning failures (HTTP status, network, timeout) into CallErrors that carry
// the retry decision.
import { JSONPath } from 'jsonpath-plus';
import { CallError } from '../core/model/results.js';
import { parseRetryAfter } from './retry-after.js';

/** Largest successful body we read (10 MiB); a larger answer is an error, not an output. */
export const MAX_BODY_BYTES = 10 * 1024 * 1024;
/** How much of an error body we read, only to quote it. */
const MAX_ERROR_BODY_BYTES = 64 * 1024;
const EXCERPT_CHARS = 200;

/** Reads the body as UTF-8 text, at most `maxBytes`; `truncated` when there was more. */
export async function readText(response: Response, maxBytes: number): Promise<{ text: string; truncated: boolean }> {
  const declared = Number(response.headers.get('content-length'));
  if (response.body === null) return { text: '', truncated: false };
  if (Number.isFinite(declared) && declared > 0 && declared <= maxBytes) {
    return { text: await response.text(), truncated: false };
  }
  const reader = response.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    if (size + value.byteLength > maxBytes) {
      chunks.push(value.subarray(0, maxBytes - size));
      await reader.cancel().catch(() => undefined);
      return { text: Buffer.concat(chunks).toString('utf8'), truncated: true };
    }
    size += value.byteLength;
    chunks.push(value);
  }
  return { text: Buffer.concat(chunks).toString('utf8'), truncated: false };
}

/** A short one-line quote of a body for error messages (redact it before use). */
export function excerpt(text: string): string {
  const flat = text.replace(/\s+/g, ' ').trim();
  if (flat === '') return '(empty body)';
  return flat.length > EXCERPT_CHARS ? `${flat.slice(0, EXCERPT_CHARS)}…` : flat;
}

function isJsonType(contentType: string | null): boolean {
  return contentType !== null && /^application\/(?:[\w.+-]+\+)?json\b|^text\/json\b/i.test(contentType.trim());
}

/**
 * The body as a value: parsed JSON when the content type says JSON (invalid JSON is then an
 * error) or when the text happens to parse; otherwise the text itself.
 */
export function bodyValue(text: string, contentType: string | null, origin: string): unknown {
  if (isJsonType(contentType)) {
    try {
      return JSON.parse(text) as unknown;
    } catch {
      throw new CallError(`invalid JSON from ${origin}: ${excerpt(text)}`, { retryable: false });
    }
  }
  const trimmed = text.trim();
  if (trimmed !== '' && /^[[{"\d-]|^(?:true|false|null)$/.test(trimmed)) {
    try {
      return JSON.parse(trimmed) as unknown;
    } catch {
      // Not JSON after all: the text is the output.
    }
  }
  return text;
}

// One evaluator for every call: calling JSONPath() as a function builds and throws an Error
// internally on each use, about 20× slower. Paths are parsed once and cached by the library.
const JSON_PATH = JSONPath({ autostart: false, wrap: false, eval: 'safe', path: '$', json: null });

/** Applies `outputPath`; undefined when it matches nothing. Throws on an invalid path. */
export function selectOutput(path: string, value: unknown): unknown {
  if (path.trim() === '$') return value;
  if (value === null || typeof value !== 'object') return undefined;
  try {
    return JSON_PATH.evaluate(path, value as object, undefined, undefined) as unknown;
  } catch (error) {
    throw new CallError(`invalid outputPath ${path}: ${error instanceof Error ? error.message : 'cannot be evaluated'}`, {
      retryable: false,
    });
  }
}

/** 408, 425, 429 and 5xx are worth retrying; other 4xx are the request's fault. */
export function isRetryableStatus(status: number): boolean {
  return status === 408 || status === 425 || status === 429 || status >= 500;
}

/** The CallError for a non-2xx answer (its body is read, bounded, for the message). */
export async function statusError(response: Response, origin: string, nowMs: number): Promise<CallError> {
  const { text } = await readText(response, MAX_ERROR_BODY_BYTES).catch(() => ({ text: '' }));
  const retryAfterMs = parseRetryAfter(
    { retryAfterMs: response.headers.get('retry-after-ms'), retryAfter: response.headers.get('retry-after') },
    nowMs,
  );
  return new CallError(`HTTP ${response.status} from ${origin}: ${excerpt(text)}`, {
    retryable: isRetryableStatus(response.status),
    retryAfterMs,
    status: response.status,
  });
}

/** The first string `code` along an error's cause chain (undici puts it on the cause). */
function errorCode(error: unknown): { code: string | undefined; message: string | undefined } {
  let current: unknown = error;
  let message: string | undefined;
  for (let depth = 0; depth < 5 && current !== null && typeof current === 'object'; depth++) {
    const { code, message: text, cause } = current as { code?: unknown; message?: unknown; cause?: unknown };
    if (depth > 0 && typeof text === 'string' && text !== '') message ??= text;
    if (typeof code === 'string') return { code, message: typeof text === 'string' ? text : message };
    current = cause;
  }
  return { code: undefined, message };
}

/** A failed connection, reset, hang-up or DNS error: retryable, naming its code. */
export function networkError(error: unknown, origin: string): CallError {
  const { code, message } = errorCode(error);
  const detail = message && message !== code ? `${message.replace(/\s+/g, ' ').slice(0, 200)} ` : '';
  return new CallError(`network error calling ${origin}: ${detail}(${code ?? 'no code'})`, { retryable: true, cause: error });
}

export function timeoutError(ms: number): CallError {
  return new CallError(`timed out after ${ms} ms`, { retryable: true });
}
