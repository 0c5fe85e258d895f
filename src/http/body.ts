// Reading request bodies: bounded by ASSAY_MAX_BODY_BYTES (413 beyond), decoded as strict
// UTF-8, parsed as JSON or YAML with the untrusted-input guards (YAML's expansion bounded by the
// same limit), or streamed for uploads.
import type { Context } from 'hono';
import { AssayError, isAssayError } from '../core/errors.js';
import { yieldIfBusy } from '../core/turns.js';
import { parseUntrustedJsonInTurns } from '../app/json.js';

export interface BodyLimits {
  maxBodyBytes: number;
}

/**
 * The client closed its connection before its body was all sent (a dropped network, a cancelled
 * upload). Not a server failure: the error handler logs it quietly and counts it as 499
 * (errors.ts). Kept to the HTTP layer; it passes through the row sources and stores unchanged.
 */
export class ClientGoneError extends Error {
  constructor(options?: ErrorOptions) {
    super('The client closed the connection before the request body was complete', options);
    this.name = 'ClientGoneError';
  }
}

/**
 * Whether a failed body read means the client went away: Node fails the request stream with
 * code ECONNRESET when the socket closes mid-body, and @hono/node-server aborts the request's
 * signal on the same close (whichever is seen first).
 */
function readFailedAsClientLeft(c: Context, error: unknown): boolean {
  return (error as NodeJS.ErrnoException | null)?.code === 'ECONNRESET' || c.req.raw.signal.aborted;
}

/**
 * Whether a body that reads as ended was in fact cut short. When the socket closed before the
 * server began reading, Node's Readable.toWeb hands over an already-cancelled stream, which
 * reads as an empty, complete body: an abandoned CSV upload was stored as an empty dataset.
 * Fewer bytes than Content-Length means the client left (a whole body is kept even if it then
 * left); without a length, a chunked body can only be judged by the request having aborted.
 */
function endedEarly(c: Context, declared: number, total: number): boolean {
  return Number.isFinite(declared) ? total < declared : c.req.raw.signal.aborted;
}

function tooLarge(max: number): AssayError {
  return new AssayError('payload_too_large', `The request body is larger than the limit of ${max} bytes`, { meta: { limitBytes: max } });
}

/**
 * A body sent with a Content-Encoding other than identity is refused (415): nothing decodes it.
 * Read as it came, a gzip body failed as "not valid UTF-8", and a plain body labelled `br` was
 * taken as if the header were absent.
 */
function refuseEncoded(c: Context): void {
  const codings = (c.req.header('content-encoding') ?? '')
    .split(',')
    .map((coding) => coding.trim().toLowerCase())
    .filter((coding) => coding !== '' && coding !== 'identity');
  if (codings.length === 0) return;
  const named = codings.join(', ').slice(0, 60);
  throw new AssayError('unsupported_media_type', `Content-Encoding ${JSON.stringify(named)} is not supported: send the request body uncompressed`);
}

/** The body as a stream of byte chunks, failing with 413 as soon as it passes the limit. */
export async function* bodyBytes(c: Context, max: number): AsyncIterable<Uint8Array> {
  const declared = Number(c.req.header('content-length') ?? NaN);
  if (Number.isFinite(declared) && declared > max) throw tooLarge(max);
  const body = c.req.raw.body;
  if (!body) return;
  refuseEncoded(c);
  let total = 0;
  const reader = body.getReader();
  try {
    for (;;) {
      const { done, value } = await reader.read().catch((error: unknown) => {
        throw readFailedAsClientLeft(c, error) ? new ClientGoneError({ cause: error }) : error;
      });
      if (done) {
        if (endedEarly(c, declared, total)) throw new ClientGoneError();
        return;
      }
      total += value.byteLength;
      if (total > max) throw tooLarge(max);
      yield value;
    }
  } finally {
    reader.releaseLock();
    // Stop reading an over-long or abandoned body rather than draining it.
    if (total > max) await body.cancel().catch(() => {});
  }
}

/** The whole body as text (strict UTF-8), bounded. */
export async function bodyText(c: Context, max: number): Promise<string> {
  const chunks: Uint8Array[] = [];
  let length = 0;
  for await (const chunk of bodyBytes(c, max)) {
    chunks.push(chunk);
    length += chunk.byteLength;
  }
  const all = new Uint8Array(length);
  let at = 0;
  for (const chunk of chunks) {
    all.set(chunk, at);
    at += chunk.byteLength;
  }
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(all);
  } catch {
    throw new AssayError('invalid_encoding', 'The request body is not valid UTF-8');
  }
}

/** The media type of the request, lower-cased, without parameters. */
export function mediaType(c: Context): string {
  return (c.req.header('content-type') ?? '').split(';')[0]!.trim().toLowerCase();
}

export function isYaml(type: string): boolean {
  return type === 'application/yaml' || type === 'application/x-yaml' || type === 'text/yaml' || type === 'text/x-yaml';
}

/**
 * A JSON body (any content type that is not YAML is read as JSON, as LangWatch does). Empty or
 * whitespace-only bodies give `emptyValue` when provided, else a 400.
 */
export async function jsonBody(c: Context, max: number, emptyValue?: unknown): Promise<unknown> {
  const type = mediaType(c);
  // Sent as YAML where only JSON is read, the body failed as JSON with a hint to send it as
  // YAML, which it had been: said as it is, before the body is read.
  if (isYaml(type)) {
    throw new AssayError('unsupported_media_type', `This endpoint takes JSON, not YAML (Content-Type: ${type}); only experiment documents take YAML (POST /api/experiments, PUT /api/experiments/{slug}, \`assay push FILE\`)`);
  }
  const text = await bodyText(c, max);
  if (text.trim() === '') {
    if (emptyValue !== undefined) return emptyValue;
    throw new AssayError('invalid_json', 'The request body is empty; a JSON object was expected', { compatText: 'Invalid JSON body' });
  }
  // Decoding 10 MB, scanning it and parsing it take ≈ 25–40 ms each: a turn each (core/turns.ts).
  await yieldIfBusy();
  return parseUntrustedJsonInTurns(text);
}

/**
 * Largest YAML body. The yaml library parses 500–650 ms per MB of realistic documents on the
 * server's main thread (measured; JSON.parse does a MB in a few ms), so a 10 MB YAML body would
 * take seconds of it. 128 KiB is ≈ 80 ms of realistic document and up to ≈ 200 ms of hostile
 * keys, most of it lexed in turns (yaml-body.ts); experiment documents are far smaller, and
 * anything larger can be sent as JSON.
 */
export const MAX_YAML_BYTES = 128 * 1024;

/** A document body: YAML when the content type says so (see yaml-body.ts), JSON otherwise. */
export async function documentBody(c: Context, max: number): Promise<unknown> {
  if (!isYaml(mediaType(c))) return jsonBody(c, max);
  const yamlMax = Math.min(max, MAX_YAML_BYTES);
  let text: string;
  try {
    text = await bodyText(c, yamlMax);
  } catch (error) {
    if (isAssayError(error) && error.code === 'payload_too_large' && yamlMax < max) {
      throw new AssayError('payload_too_large', `A YAML body may be at most ${yamlMax} bytes (YAML is parsed slowly); send larger documents as JSON`, { meta: { limitBytes: yamlMax } });
    }
    throw error;
  }
  // The expanded JSON is held to the body limit (yaml-body.ts counts aliases in full).
  // The YAML parser is loaded by the first YAML body, not at start-up (docs/benchmarks.md, "Memory").
  const { parseYamlBody } = await import('./yaml-body.js');
  return parseYamlBody(text, max);
}
