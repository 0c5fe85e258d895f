// Webhook attempts on the wire: one POST through the process's shared Agents (agents.ts), the
// guarded one unless the operator allows private networks, since a project chose the URL.
// Redirects are not followed (a 3xx is a failed attempt), no credential of the server is ever
// added, and only the first bytes of the answer are read before the connection is dropped.
import { CallError } from '../core/model/results.js';
import type { WebhookAnswer, WebhookPost, WebhookRequest } from '../core/webhook-store.js';
import { sharedAgent } from './agents.js';
import { request } from './undici.js';

/** Bytes of the receiver's answer read at most (the log keeps a shorter, redacted excerpt). */
const HEAD_BYTES = 1024;

function header(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}

function isAbort(error: unknown): boolean {
  return error instanceof Error && (error.name === 'AbortError' || error.name === 'TimeoutError');
}

/** A WebhookPost on the guarded Agent (`allowPrivateNetworks` false) or the open one. */
export function webhookPost(allowPrivateNetworks: boolean): WebhookPost {
  return async (req: WebhookRequest): Promise<WebhookAnswer> => {
    let res;
    try {
      res = await request(sharedAgent(!allowPrivateNetworks), req.url, { method: 'POST', headers: req.headers, body: req.body, signal: req.signal });
    } catch (error) {
      if (error instanceof CallError) throw error;
      if (req.signal.aborted || isAbort(error)) throw req.signal.reason ?? error;
      const code = (error as { code?: unknown }).code;
      throw new CallError(`could not reach ${new URL(req.url).origin}: ${typeof code === 'string' ? code : error instanceof Error ? error.message : 'network error'}`, { retryable: true, cause: error });
    }
    const chunks: Buffer[] = [];
    let size = 0;
    try {
      for await (const chunk of res.body) {
        const buf = chunk as Buffer;
        chunks.push(buf.subarray(0, HEAD_BYTES - size));
        size += buf.length;
        if (size >= HEAD_BYTES) break;
      }
    } catch {
      // The status is what counts; a body cut short is fine.
    } finally {
      res.body.destroy();
    }
    return {
      status: res.statusCode,
      retryAfter: header(res.headers['retry-after']),
      retryAfterMs: header(res.headers['retry-after-ms']),
      head: Buffer.concat(chunks).toString('utf8'),
    };
  };
}
