// Does the secret key open what the database holds? Checked at every start (config/storage.ts)
// before a key is generated or used, and walked by `assay secrets drop-unreadable`. A new key
// made beside sealed values, or a wrong one, used to go unnoticed until a run needed a secret
// (docs/decisions.md, "A lost or wrong secret key stops start-up").
import type { Cipher, SealedValue, SealedValueStore } from '../core/ports.js';
import { aad, isUnreadable } from './secrets.js';

/** How many of the newest sealed values start-up tries to open: enough to tell a wrong key, cheap at any size. */
export const KEY_CHECK_SAMPLE = 50;

/** What the key check found; `checked` values were tried, newest first. */
export type KeyCheck =
  | { status: 'empty' }
  | { status: 'opens'; checked: number }
  /** Some open: a key that is right for the newest values, with older ones left from another key. */
  | { status: 'partly'; checked: number; unreadable: SealedValue[] }
  /** None of those checked opens: not the key they were sealed with. */
  | { status: 'none'; checked: number };

/** The associated data `value` was sealed with. */
export function aadOf(value: SealedValue): string {
  switch (value.kind) {
    case 'secret':
      return aad.secret(value.projectId, value.name);
    case 'provider-api-key':
      return aad.apiKey(value.projectId, value.name);
    case 'provider-headers':
      return aad.headers(value.projectId, value.name);
    case 'webhook-secret':
      return aad.webhookSecret(value.projectId);
  }
}

/** True when `cipher` opens `value`. */
export function opens(cipher: Cipher, value: SealedValue): boolean {
  try {
    cipher.open(value.sealed, aadOf(value));
    return true;
  } catch (error) {
    if (isUnreadable(error)) return false;
    throw error;
  }
}

/** Tries the newest `sample` sealed values with `cipher`. */
export async function checkKey(store: SealedValueStore, cipher: Cipher, sample = KEY_CHECK_SAMPLE): Promise<KeyCheck> {
  const values = await store.newest(sample);
  if (values.length === 0) return { status: 'empty' };
  const unreadable = values.filter((v) => !opens(cipher, v));
  if (unreadable.length === 0) return { status: 'opens', checked: values.length };
  if (unreadable.length === values.length) return { status: 'none', checked: values.length };
  return { status: 'partly', checked: values.length, unreadable };
}

/** Every sealed value `cipher` does not open; all of them when there is no key at all (null). */
export async function unreadableValues(store: SealedValueStore, cipher: Cipher | null): Promise<{ total: number; unreadable: SealedValue[] }> {
  const values = await store.all();
  return { total: values.length, unreadable: cipher === null ? values : values.filter((v) => !opens(cipher, v)) };
}

/** `secret BOT_TOKEN`, `provider openai's API key`, `webhook signing secret`: what a value is, for messages. */
export function describeSealed(value: SealedValue): string {
  switch (value.kind) {
    case 'secret':
      return `secret ${value.name}`;
    case 'provider-api-key':
      return `provider ${value.name}'s API key`;
    case 'provider-headers':
      return `provider ${value.name}'s headers`;
    case 'webhook-secret':
      return 'webhook signing secret';
  }
}
