// The secret key against the database on SQLite and PostgreSQL: no key file is made beside
// sealed values, a key that opens none of them is refused, one that opens the newest is used
// with a warning naming the others.
import { existsSync, mkdtempSync, readFileSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import { aad } from '../app/secrets.js';
import { capturingLogger } from '../testing/capture-logger.js';
import { allDatabases } from '../testing/databases.js';
import { AesGcmCipher, openStores, type SqlStores } from '../storage/index.js';
import { SecretKeyMissingError, SecretKeyWrongError, settleSecretKey } from './key-check.js';
import { deriveSecretKey, SECRET_KEY_FILE } from './secret-key.js';

const ENV_KEY = 'an-assay-secret-key-of-at-least-32-chars';
const OTHER_ENV_KEY = 'another-secret-key-of-at-least-32-chars!';

describe.each(allDatabases())('the secret key against the database on $name', (database) => {
  let stores: SqlStores;
  let dataDir: string;
  const dirs: string[] = [];
  afterAll(async () => {
    await stores?.close();
    await database.cleanup();
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  });
  beforeEach(async () => {
    await stores?.close();
    dataDir = mkdtempSync(path.join(os.tmpdir(), 'assay-key-check-'));
    dirs.push(dataDir);
    stores = await openStores({ ...(await database.options()), dataDir });
    await stores.projects.create({ id: 'p1', slug: 'one', name: 'One', createdAt: 1 });
  });
  const settle = (secretKey?: string, logger = capturingLogger()) => settleSecretKey({ secretKey, dataDir, sealed: stores.sealed, logger });
  const keyFile = () => path.join(dataDir, SECRET_KEY_FILE);

  it('makes a key file when the database holds nothing sealed, and reads it after', async () => {
    const made = await settle();
    expect(made).toMatchObject({ source: 'file', created: true, file: keyFile() });
    expect(existsSync(keyFile())).toBe(true);
    expect((await settle()).key.equals(made.key)).toBe(true);
  });

  it('makes no new key beside sealed values of every kind: the file lost, start-up is refused naming it', async () => {
    const key = await settle();
    const cipher = new AesGcmCipher(key.key);
    await stores.secrets.put('p1', 'TOKEN', cipher.seal('t', aad.secret('p1', 'TOKEN')), 10);
    await stores.providers.put('p1', 'openai', { sealedApiKey: cipher.seal('k', aad.apiKey('p1', 'openai')), at: 11 });
    await stores.webhooks.createSecret('p1', cipher.seal('w', aad.webhookSecret('p1')), 12);
    expect((await settle()).key.equals(key.key)).toBe(true);

    unlinkSync(keyFile());
    const error = await settle().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(SecretKeyMissingError);
    expect((error as SecretKeyMissingError).sealedCount).toBe(3);
    const message = (error as Error).message;
    expect(message).toMatch(/^Refusing to start:\n {2}- the database holds 3 sealed values/);
    expect(message).toContain(`there is no key file at ${keyFile()}`);
    expect(message).toContain(`Restore the key file to ${keyFile()}`);
    expect(message).toContain('set ASSAY_SECRET_KEY to the value');
    expect(message).toContain('assay secrets drop-unreadable');
    // Nothing was made: the next start with the file restored still opens them.
    expect(existsSync(keyFile())).toBe(false);
    writeFileSync(keyFile(), `${key.key.toString('base64')}\n`, { mode: 0o600 });
    expect((await settle()).key.equals(key.key)).toBe(true);
  });

  it('refuses an ASSAY_SECRET_KEY that opens none of the sealed values, and says when the key file does', async () => {
    const fileKey = await settle();
    await stores.secrets.put('p1', 'TOKEN', new AesGcmCipher(fileKey.key).seal('t', aad.secret('p1', 'TOKEN')), 10);
    // An operator who followed "set ASSAY_SECRET_KEY everywhere" with a new value.
    const error = await settle(ENV_KEY).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(SecretKeyWrongError);
    expect((error as Error).message).toContain('ASSAY_SECRET_KEY opens none of the 1 most recently stored sealed value ');
    expect((error as Error).message).toContain(`The key file ${keyFile()} opens them: unset ASSAY_SECRET_KEY`);

    // Without the file, no hint; the right variable is used.
    unlinkSync(keyFile());
    await stores.secrets.put('p1', 'TOKEN', new AesGcmCipher(deriveSecretKey(ENV_KEY)).seal('t', aad.secret('p1', 'TOKEN')), 20);
    const wrong = await settle(OTHER_ENV_KEY).catch((e: unknown) => e);
    expect(wrong).toBeInstanceOf(SecretKeyWrongError);
    expect((wrong as Error).message).not.toContain('opens them');
    expect(await settle(ENV_KEY)).toMatchObject({ source: 'env' });
    expect(existsSync(keyFile())).toBe(false);
  });

  it('refuses a restored key file that is not the one the values were sealed with', async () => {
    await settle();
    await stores.secrets.put('p1', 'TOKEN', new AesGcmCipher(deriveSecretKey(ENV_KEY)).seal('t', aad.secret('p1', 'TOKEN')), 10);
    const error = await settle().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(SecretKeyWrongError);
    expect((error as Error).message).toContain(`The key file ${keyFile()} opens none of the 1 most recently stored`);
    expect((error as Error).message).toContain(`Restore ${keyFile()} from the backup taken with this database`);
    expect(readFileSync(keyFile(), 'utf8')).not.toBe('');
  });

  it('uses a key that opens the newest values, warning once about older ones sealed with another', async () => {
    const current = new AesGcmCipher(deriveSecretKey(ENV_KEY));
    const old = new AesGcmCipher(deriveSecretKey(OTHER_ENV_KEY));
    await stores.secrets.put('p1', 'OLD', old.seal('o', aad.secret('p1', 'OLD')), 10);
    await stores.providers.put('p1', 'openai', { sealedHeaders: old.seal('{}', aad.headers('p1', 'openai')), at: 11 });
    await stores.secrets.put('p1', 'NEW', current.seal('n', aad.secret('p1', 'NEW')), 20);
    const logger = capturingLogger();
    expect(await settle(ENV_KEY, logger)).toMatchObject({ source: 'env' });
    expect(logger.messages('warn')).toHaveLength(1);
    expect(logger.messages('warn')[0]).toContain("ASSAY_SECRET_KEY does not open 2 of the 3 most recently stored sealed values (project p1: provider openai's headers, project p1: secret OLD)");
    expect(logger.messages('warn')[0]).toContain('assay secrets drop-unreadable --yes');
  });
});
