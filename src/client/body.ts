// Reading an answer's body within bounds: at most `maxBytes` (a body past them is refused as
// soon as it passes them, the rest never read: a multi-gigabyte answer made `res.text()` crash
// V8 with a native fatal error), and no longer than `signal` allows (a server that sends its
// status and headers and then stalls must not hang the caller). Web streams only: the web
// page bundles this too.

/** The body passed `limit` bytes (by its content-length, or as it was read). */
export class TooLargeError extends Error {
  constructor(readonly limit: number) {
    super(`the answer is larger than ${limit} bytes`);
    this.name = 'TooLargeError';
  }
}

/** `signal` aborted while the body was being read. */
export class BodyAbortedError extends Error {
  constructor() {
    super('reading the answer was aborted');
    this.name = 'BodyAbortedError';
  }
}

/** The stream failed while being read (the connection was cut); `cause` is the stream's error. */
export class BodyCutError extends Error {
  constructor(override readonly cause: unknown) {
    super('the answer was cut short');
    this.name = 'BodyCutError';
  }
}

/** Sizes as messages say them: 256 MiB, 64 KiB. */
export const bytesShown = (n: number): string => (n >= 1024 * 1024 ? `${+(n / 1024 / 1024).toFixed(1)} MiB` : `${+(n / 1024).toFixed(1)} KiB`);

export interface BodyBounds {
  maxBytes: number;
  /** Ends the read (BodyAbortedError): the request's deadline, or the caller's stop. */
  signal: AbortSignal;
  /** Called after each chunk (an export's timer starts again on each). */
  onChunk?: () => void;
}

/** The body's bytes, read as a stream and never past `maxBytes`; a stream that fails is a BodyCutError. */
export async function readBody(res: Response, bounds: BodyBounds): Promise<Uint8Array> {
  const chunks: Uint8Array[] = [];
  let size = 0;
  await eachChunk(res, bounds, (chunk) => {
    chunks.push(chunk);
    size += chunk.byteLength;
  });
  if (chunks.length === 1) return chunks[0]!;
  const bytes = new Uint8Array(size);
  let at = 0;
  for (const chunk of chunks) {
    bytes.set(chunk, at);
    at += chunk.byteLength;
  }
  return bytes;
}

/**
 * The body chunk by chunk to `each` (awaited before the next is read: a file writer keeps up),
 * never past `maxBytes`; a stream that fails is a BodyCutError.
 */
export async function eachChunk(res: Response, { maxBytes, signal, onChunk }: BodyBounds, each: (chunk: Uint8Array) => void | Promise<void>): Promise<void> {
  const declared = Number(res.headers.get('content-length') ?? NaN);
  if (declared > maxBytes) {
    await res.body?.cancel().catch(() => {});
    throw new TooLargeError(maxBytes);
  }
  if (!res.body) return;
  const reader = res.body.getReader();
  // A fetch given the same signal errors its stream on abort; another fetch (the server's
  // in-process app.request in tests) may not, so the abort is raced with each read too.
  let onAbort: (() => void) | undefined;
  const aborted = new Promise<never>((_resolve, reject) => {
    onAbort = () => reject(new BodyAbortedError());
    if (signal.aborted) onAbort();
    else signal.addEventListener('abort', onAbort, { once: true });
  });
  aborted.catch(() => {});
  let size = 0;
  /** What `each` threw: its own error (a full disk), not the connection's. */
  let sinkError: { error: unknown } | undefined;
  try {
    for (;;) {
      const { done, value } = await Promise.race([reader.read(), aborted]);
      if (done) break;
      size += value.byteLength;
      if (size > maxBytes) throw new TooLargeError(maxBytes);
      try {
        await each(value);
      } catch (error) {
        sinkError = { error };
        throw error;
      }
      onChunk?.();
    }
  } catch (error) {
    void reader.cancel().catch(() => {});
    if (error instanceof TooLargeError) throw error;
    if (sinkError) throw sinkError.error;
    throw signal.aborted ? new BodyAbortedError() : new BodyCutError(error);
  } finally {
    signal.removeEventListener('abort', onAbort!);
  }
}
