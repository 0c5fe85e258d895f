// Project API keys: `sk-lw-` + 40 base62 characters (the legacy LangWatch format, which its
// clients send as Bearer and X-Auth-Token). Keys carry 238 bits of randomness, so a plain
// SHA-256 is a safe stored form (no salt or slow hash needed) and allows an indexed lookup.
import { createHash, randomBytes } from 'node:crypto';

const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
export const KEY_PREFIX = 'sk-lw-';
const KEY_BODY_LENGTH = 40;

/** A fresh key. Rejection sampling keeps every character uniformly likely. */
export function generateApiKey(): string {
  let out = '';
  while (out.length < KEY_BODY_LENGTH) {
    for (const byte of randomBytes(64)) {
      if (byte < 248 && out.length < KEY_BODY_LENGTH) out += ALPHABET[byte % 62];
    }
  }
  return KEY_PREFIX + out;
}

export function hashApiKey(key: string): string {
  return createHash('sha256').update(key, 'utf8').digest('hex');
}

/** What may be shown of a key after creation. */
export function keyDisplayPrefix(key: string): string {
  return `${key.slice(0, KEY_PREFIX.length + 4)}…`;
}
