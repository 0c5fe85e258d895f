// Assay-Signature (docs/webhooks.md): `t=<unix seconds>,v1=<hex HMAC-SHA256>` over
// "<t>.<raw body>", keyed with the project's signing secret (its UTF-8 bytes). The timestamp is
// signed so a receiver can refuse replays of an old delivery; `v1` names the scheme so another
// can be added next to it during a change-over, as Stripe and Svix do.
import { createHmac } from 'node:crypto';

/** The Assay-Signature header value for `body` sent at `atMs`. */
export function signatureHeader(secret: string, atMs: number, body: string): string {
  const t = Math.floor(atMs / 1000);
  const v1 = createHmac('sha256', secret).update(`${t}.${body}`).digest('hex');
  return `t=${t},v1=${v1}`;
}
