// A lean `fetch` for the AI SDK's providers (and the moderation call), on undici's request():
// the global fetch builds Request objects, web streams and abort plumbing for every call, which
// made model calls cost ≈ 1.5 ms of CPU each under load. Bodies are read whole (generateText and
// embedMany do not stream) and handed back as a standard Response, which is all the SDK reads.
// Two of them: `open` for URLs the operator chose (server-level provider settings), `guarded`
// for URLs a project chose when private networks are not allowed (agents.ts, network guard).
// An answer is read up to a bound, as on the lean paths (models/json-post.ts): a provider a
// project registered could otherwise send gigabytes into the server's memory.
import { CallError } from '../core/model/results.js';
import { sharedAgent } from './agents.js';
import { request } from './undici.js';

function headerRecord(headers: RequestInit['headers']): Record<string, string> {
  if (!headers) return {};
  if (headers instanceof Headers) return Object.fromEntries(headers.entries());
  if (Array.isArray(headers)) return Object.fromEntries(headers);
  return { ...(headers as Record<string, string>) };
}

/** Bytes of a 2xx answer read at most: a model's answer is kilobytes; memory stays bounded. */
export const MAX_ANSWER_BYTES = 32 * 1024 * 1024;
/** Bytes of an error answer kept (its message is at the start); the rest is not read. */
export const MAX_ERROR_BYTES = 64 * 1024;

/** A web stream's chunks as Buffers, and a way to stop reading it. */
function webChunks(stream: ReadableStream<Uint8Array>): AsyncIterable<Buffer> & { destroy(): unknown } {
  const reader = stream.getReader();
  return {
    async *[Symbol.asyncIterator]() {
      for (;;) {
        const { done, value } = await reader.read();
        if (done) return;
        yield Buffer.from(value.buffer, value.byteOffset, value.byteLength);
      }
    },
    destroy: () => reader.cancel().catch(() => {}),
  };
}

/** The answer's body up to its bound; a 2xx answer past it is a non-retryable CallError. */
async function boundedBody(status: number, body: AsyncIterable<Buffer> & { destroy(): unknown }): Promise<Buffer> {
  const ok = status >= 200 && status <= 299;
  const limit = ok ? MAX_ANSWER_BYTES : MAX_ERROR_BYTES;
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of body) {
    if (size + chunk.length > limit) {
      body.destroy();
      if (ok) throw new CallError(`model call failed: the answer is over ${MAX_ANSWER_BYTES / 1024 / 1024} MiB`, { retryable: false });
      chunks.push(chunk.subarray(0, limit - size));
      break;
    }
    chunks.push(chunk);
    size += chunk.length;
  }
  return Buffer.concat(chunks);
}

function isAbort(error: unknown): boolean {
  return error instanceof Error && (error.name === 'AbortError' || error.name === 'TimeoutError');
}

/**
 * A fetch through the shared models Agent, guarded or open. Failures keep fetch's contract, which
 * the AI SDK classifies: an abort rejects with the signal's reason, a network failure is a
 * `TypeError('fetch failed')` with the cause (retryable "Cannot connect to API"), and the network
 * guard's refusal stays the non-retryable CallError that says why.
 */
function leanFetchVia(guarded: boolean): typeof fetch {
  const fallback = globalThis.fetch;
  return async (input, init) => {
    const url = typeof input === 'string' ? input : input instanceof URL ? input.href : input.url;
    const body = init?.body;
    const dispatcher = sharedAgent(guarded, 'models');
    if (body !== undefined && body !== null && typeof body !== 'string' && !(body instanceof Uint8Array)) {
      // Anything unusual (forms, streams) goes through the standard fetch, on the same Agent,
      // its answer read within the same bounds.
      const res = await fallback(input, { ...init, dispatcher } as unknown as RequestInit);
      const bytes = res.body ? await boundedBody(res.status, webChunks(res.body)) : null;
      return new Response(bytes, { status: res.status, headers: res.headers });
    }
    let res;
    try {
      res = await request(dispatcher, url, {
        method: (init?.method ?? 'GET') as 'GET',
        headers: headerRecord(init?.headers),
        ...(body !== undefined && body !== null ? { body } : {}),
        ...(init?.signal ? { signal: init.signal } : {}),
      });
    } catch (error) {
      if (error instanceof CallError || isAbort(error) || init?.signal?.aborted) throw error;
      throw new TypeError('fetch failed', { cause: error });
    }
    const bytes = await boundedBody(res.statusCode, res.body);
    const headers = new Headers();
    for (const [k, v] of Object.entries(res.headers)) {
      if (Array.isArray(v)) for (const item of v) headers.append(k, item);
      else if (v !== undefined) headers.set(k, String(v));
    }
    const nullBody = res.statusCode === 204 || res.statusCode === 304;
    return new Response(nullBody ? null : bytes, { status: res.statusCode, headers });
  };
}

/** For URLs the operator configured (OPENAI_BASE_URL, the providers' own hosts). */
export const openFetch: typeof fetch = leanFetchVia(false);
/** For URLs a project configured, when private networks are not allowed. */
export const guardedFetch: typeof fetch = leanFetchVia(true);
