// A lean `fetch` for the AI SDK's providers (and the moderation call), on undici's request():
// the global fetch builds Request objects, web streams and abort plumbing for every call, which
// made model calls cost ≈ 1.5 ms of CPU each under load. Bodies are read whole (generateText and
// embedMany do not stream) and handed back as a standard Response, which is all the SDK reads.
// Two of them: `open` for URLs the operator chose (server-level provider settings), `guarded`
// for URLs a project chose when private networks are not allowed (agents.ts, network guard).
// An answer is read up to a bound, as on the lean paths (models/json-post.ts): a provider a
// project registered could otherwise send gigabytes into the server's memory. And its shape is
// looked at before anything parses it (`answerRefusal`), as an HTTP target's is: JSON.parse runs
// on the main thread, and a chat completion padded with 10 million `[]` (28.6 MiB) held it 7.2 s
// and took the process to 733 MB for one cell.
import { type JsonShapeLimits, jsonShapeProblem } from '../core/json-scan.js';
import { CallError } from '../core/model/results.js';
import { sharedAgent } from './agents.js';
import { request } from './undici.js';

function headerRecord(headers: RequestInit['headers']): Record<string, string> {
  if (!headers) return {};
  if (headers instanceof Headers) return Object.fromEntries(headers.entries());
  if (Array.isArray(headers)) return Object.fromEntries(headers);
  return { ...(headers as Record<string, string>) };
}

/**
 * Bytes of a 2xx answer read at most. The largest real answers are a completion at the longest
 * output models allow (128k tokens: ≈ 0.5 MB of text, ≈ 1 MB escaped, more with a gateway's
 * reasoning text beside it) and a batch of embeddings (Assay embeds a handful of texts at a time;
 * 64 × 4,096 numbers are ≈ 5.5 MB): 8 MiB holds both. It was 32 MiB, where on a busy 2-core
 * machine the shape scan alone took ≈ 160 ms, decoding ≈ 110 ms and parsing one long string
 * ≈ 130 ms; at 8 MiB each is ≈ 30–40 ms.
 */
export const MAX_ANSWER_BYTES = 8 * 1024 * 1024;
/** Bytes of an error answer kept (its message is at the start); the rest is not read. */
export const MAX_ERROR_BYTES = 64 * 1024;

/**
 * The shape a model's 2xx answer may have (core/json-scan.ts), on every path: the lean ones
 * (models/json-post.ts) and the AI SDK's (this fetch). A chat completion or a Messages answer
 * has tens of arrays, objects and keys; embeddings two containers, three keys and their numbers
 * per text. Brackets, commas and colons inside strings count too: a structured answer arrives as
 * JSON text in a string, which the SDK parses in turn; the longest real completion holds far
 * fewer. The worst JSON.parse within these bounds, on a busy 2-core machine: 50,000 distinct
 * keys ≈ 40 ms, 300,000 numbers ≈ 30 ms, 8 MiB mixing every bound ≈ 90 ms (a chat completion
 * padded with 10 million `[]`: 7.2 s).
 */
export const MODEL_ANSWER_SHAPE: JsonShapeLimits = { maxDepth: 64, maxContainers: 100_000, maxValues: 300_000, maxKeys: 50_000, maxDistinctKeys: 20_000, inStrings: true };

/**
 * A model's 2xx answer refused before it is parsed: larger than MAX_ANSWER_BYTES, or of a shape
 * past MODEL_ANSWER_SHAPE. Never retried (the provider would answer alike). `detail` says what
 * was refused; the fetch does not know the provider, so the model client names it (client.ts).
 */
export class RefusedAnswer extends CallError {
  constructor(
    readonly detail: string,
    provider = 'model',
  ) {
    super(`${provider} call failed: ${detail}`, { retryable: false });
  }
}

/** The refusal of an answer over MAX_ANSWER_BYTES. */
export const tooLarge = (provider?: string): RefusedAnswer => new RefusedAnswer(`the answer is over ${MAX_ANSWER_BYTES / 1024 / 1024} MiB`, provider);

/**
 * The refusal of a 2xx answer whose shape is past MODEL_ANSWER_SHAPE, or null. `text` may be the
 * body's bytes read as latin1 (one character a byte): JSON's structure is ASCII and every byte of
 * a multi-byte UTF-8 character is ≥ 0x80, so the scan counts the same as on the decoded text,
 * without decoding it (≈ 30 ms for 8 MiB, which the SDK then does once more).
 */
export function answerRefusal(text: string, provider?: string): RefusedAnswer | null {
  const problem = jsonShapeProblem(text, MODEL_ANSWER_SHAPE);
  if (problem === null) return null;
  const what = problem.startsWith('nested') ? problem : `made of ${problem} (JSON inside its strings included)`;
  return new RefusedAnswer(`the answer is ${what}, the limit for a model's answer`, provider);
}

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

/**
 * The answer's body up to its bound; a 2xx answer past it, or of a shape past MODEL_ANSWER_SHAPE,
 * is a RefusedAnswer. Every 2xx body is looked at: the SDK parses all of them as JSON (Assay makes
 * no call whose answer is anything else).
 */
async function boundedBody(status: number, body: AsyncIterable<Buffer> & { destroy(): unknown }): Promise<Buffer> {
  const ok = status >= 200 && status <= 299;
  const limit = ok ? MAX_ANSWER_BYTES : MAX_ERROR_BYTES;
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of body) {
    if (size + chunk.length > limit) {
      body.destroy();
      if (ok) throw tooLarge();
      chunks.push(chunk.subarray(0, limit - size));
      break;
    }
    chunks.push(chunk);
    size += chunk.length;
  }
  const bytes = Buffer.concat(chunks);
  if (ok) {
    const refusal = answerRefusal(bytes.toString('latin1'));
    if (refusal) throw refusal;
  }
  return bytes;
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
