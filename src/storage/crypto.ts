// AES-256-GCM for stored secrets and provider keys (the Cipher port). Text format, one line:
//   v1.<iv>.<tag>.<ciphertext>    (base64url, no padding; 12-byte random IV, 16-byte tag)
// The version prefix leaves room for another algorithm or key later. The caller's AAD
// (`projectId/kind/name`) is authenticated, not stored: a value copied to another row fails.
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { SecretUnreadableError } from '../core/errors.js';
import type { Cipher } from '../core/ports.js';

const VERSION = 'v1';
const IV_BYTES = 12;
const TAG_BYTES = 16;
const KEY_BYTES = 32;
const PART = /^[A-Za-z0-9_-]*$/;

export class AesGcmCipher implements Cipher {
  private readonly key: Buffer;

  constructor(key: Uint8Array) {
    if (key.length !== KEY_BYTES) throw new Error(`AES-256-GCM needs a ${KEY_BYTES}-byte key`);
    this.key = Buffer.from(key);
  }

  seal(plaintext: string, aad: string): string {
    const iv = randomBytes(IV_BYTES);
    const cipher = createCipheriv('aes-256-gcm', this.key, iv, { authTagLength: TAG_BYTES });
    cipher.setAAD(Buffer.from(aad, 'utf8'));
    const ct = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
    return [VERSION, iv.toString('base64url'), cipher.getAuthTag().toString('base64url'), ct.toString('base64url')].join('.');
  }

  open(sealed: string, aad: string): string {
    const parts = sealed.split('.');
    const unreadable = () => new SecretUnreadableError(`The stored value ${aad}`);
    if (parts.length !== 4 || parts[0] !== VERSION || !parts.every((p) => PART.test(p))) throw unreadable();
    const iv = Buffer.from(parts[1]!, 'base64url');
    const tag = Buffer.from(parts[2]!, 'base64url');
    const ct = Buffer.from(parts[3]!, 'base64url');
    if (iv.length !== IV_BYTES || tag.length !== TAG_BYTES) throw unreadable();
    try {
      const decipher = createDecipheriv('aes-256-gcm', this.key, iv, { authTagLength: TAG_BYTES });
      decipher.setAAD(Buffer.from(aad, 'utf8'));
      decipher.setAuthTag(tag);
      // final() verifies the tag; nothing is returned unless it holds.
      const plain = Buffer.concat([decipher.update(ct), decipher.final()]);
      return new TextDecoder('utf-8', { fatal: true }).decode(plain);
    } catch {
      throw unreadable();
    }
  }
}
