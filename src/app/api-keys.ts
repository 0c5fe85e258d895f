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

/**
 * Whether a value presented as an id holds a key itself (`sk-lw-…`, in any case or wrapped in
 * other text): such a value is refused before any lookup and never quoted back, since error
 * bodies and logs are read by more people than the key's owner.
 */
export function looksLikeApiKey(value: string): boolean {
  return /sk-lw-/i.test(value);
}

/** Shape of a key record's id (`key_` + ULID): only a value of this shape is quoted in a 404. */
export const KEY_ID_PATTERN = /^key_[0-9A-Za-z]{1,64}$/;
