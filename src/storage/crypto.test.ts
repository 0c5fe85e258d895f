// AES-256-GCM sealing: round trips, a fresh IV every time, and any change to the sealed text,
// the AAD or the key makes open() throw a clear error instead of returning garbage.
import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { isAssayError, SecretUnreadableError } from '../core/errors.js';
import { AesGcmCipher } from './crypto.js';

const key = randomBytes(32);
const cipher = new AesGcmCipher(key);
const AAD = 'proj_1/secret/BOT_TOKEN';
const PLAIN = 'sk-live-0123456789abcdefghij 🔑 ünïcödé';

function openError(fn: () => string): SecretUnreadableError {
  try {
    const value = fn();
    throw new Error(`opened to ${JSON.stringify(value)}`);
  } catch (error) {
    expect(error).toBeInstanceOf(SecretUnreadableError);
    return error as SecretUnreadableError;
  }
}

describe('AesGcmCipher', () => {
  it('round-trips any text, empty included, with a fresh IV every time', () => {
    for (const text of [PLAIN, '', 'x'.repeat(16 * 1024), '\u0000\n"quoted"']) expect(cipher.open(cipher.seal(text, AAD), AAD)).toBe(text);
    const a = cipher.seal(PLAIN, AAD);
    const b = cipher.seal(PLAIN, AAD);
    expect(a).not.toBe(b);
    expect(a).toMatch(/^v1\.[A-Za-z0-9_-]{16}\.[A-Za-z0-9_-]{22}\.[A-Za-z0-9_-]+$/);
    expect(a).not.toContain('sk-live');
  });

  it('refuses a sealed value with any single byte flipped, in every part', () => {
    const sealed = cipher.seal(PLAIN, AAD);
    const [version, ...parts] = sealed.split('.');
    for (let p = 0; p < parts.length; p++) {
      const bytes = Buffer.from(parts[p]!, 'base64url');
      for (let i = 0; i < bytes.length; i++) {
        const flipped = Buffer.from(bytes);
        flipped[i] = flipped[i]! ^ 0x01;
        const copy = [...parts];
        copy[p] = flipped.toString('base64url');
        const error = openError(() => cipher.open([version, ...copy].join('.'), AAD));
        expect(error.code).toBe('secret_unreadable');
      }
    }
  });

  it('refuses a value moved to another row (wrong AAD) or opened with another key, naming the row only', () => {
    const sealed = cipher.seal(PLAIN, AAD);
    const moved = openError(() => cipher.open(sealed, 'proj_2/secret/BOT_TOKEN'));
    expect(isAssayError(moved)).toBe(true);
    expect(moved.message).toContain('proj_2/secret/BOT_TOKEN');
    expect(moved.message).not.toContain(PLAIN);
    expect(moved.message).not.toContain(sealed);
    openError(() => cipher.open(sealed, 'proj_1/secret/OTHER'));
    openError(() => new AesGcmCipher(randomBytes(32)).open(sealed, AAD));
  });

  it('refuses malformed text, truncations and other versions', () => {
    const sealed = cipher.seal(PLAIN, AAD);
    const [, iv, tag, ct] = sealed.split('.');
    for (const bad of [
      '', 'v1', 'v1...', `v2.${iv}.${tag}.${ct}`, `v1.${iv}.${tag}`, `v1.${iv}.${tag}.${ct}.x`, `v1.${iv}.${tag!.slice(0, 10)}.${ct}`,
      `v1.${iv}.${tag}.${ct!.slice(0, -2)}`, `v1.${iv}.${tag}.`, `v1.${iv}.${tag}.${ct}==`, `v1.${iv}+.${tag}.${ct}`, sealed.toUpperCase(),
    ]) {
      openError(() => cipher.open(bad, AAD));
    }
  });

  it('wants a 32-byte key', () => {
    expect(() => new AesGcmCipher(randomBytes(16))).toThrow(/32-byte/);
  });
});
