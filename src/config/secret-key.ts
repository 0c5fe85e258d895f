// The 32-byte key that encrypts stored secrets and provider keys (AES-256-GCM, see
// src/storage/crypto.ts). From ASSAY_SECRET_KEY when set: the string (any text of at least 32
// characters, used as given, not base64-decoded) goes through HKDF-SHA256 with a fixed salt and
// info, so every process given the same string derives the same key. Otherwise from the
// generated file ASSAY_DATA_DIR/secret-key (32 random bytes, base64, mode 0600). The file is
// written to a temporary name and hard-linked into place, which fails when the name exists, so
// processes starting at once all end up reading the one key that won.
import { randomBytes, hkdfSync } from 'node:crypto';
import { mkdir, readFile, stat, unlink, writeFile, link, chmod } from 'node:fs/promises';
import path from 'node:path';
import { ConfigError } from './env.js';

export const KEY_BYTES = 32;
export const SECRET_KEY_FILE = 'secret-key';

/** HKDF parameters: changing either changes every derived key (stored values would not open). */
const HKDF_SALT = 'assay/secret-key/v1';
const HKDF_INFO = 'assay aes-256-gcm stored secrets';

export interface SecretKey {
  key: Buffer;
  /** Where it came from, for the start-up log (never the key itself). */
  source: 'env' | 'file';
  /** The key file, when source is 'file'. */
  file?: string;
  /** True when this call created the key file. */
  created?: boolean;
  /** True when the key file is readable by others than its owner (mode looser than 0600). */
  looseMode?: boolean;
}

/** A key file that exists but does not hold a key (its content is never quoted). */
export class SecretKeyFileError extends Error {
  constructor(readonly file: string, reason: string) {
    super(`The secret key file ${file} is unusable: ${reason}. Restore it, or set ASSAY_SECRET_KEY to the key secrets were stored with.`);
    this.name = 'SecretKeyFileError';
  }
}

/**
 * The data directory cannot be written, so the key file cannot be made: say which folder and
 * why, not only the temporary file's path that the system call names.
 */
export class DataDirNotWritable extends ConfigError {
  constructor(readonly dataDir: string, readonly code: string) {
    super([`ASSAY_DATA_DIR ${dataDir} is not writable (${code}): Assay keeps the generated secret key there, and on SQLite the database and its temporary files. Point ASSAY_DATA_DIR at a writable folder (in a container, a volume), or set ASSAY_SECRET_KEY when the database is PostgreSQL.`]);
  }
}

/**
 * What to throw for an error from making a folder or file in the data directory: any system
 * error (EROFS, EACCES, ENOSPC, ENOTDIR…) means the folder cannot take it, so it is named.
 */
export function dataDirError(dataDir: string, error: unknown): unknown {
  const code = (error as NodeJS.ErrnoException | null)?.code;
  return typeof code === 'string' ? new DataDirNotWritable(dataDir, code) : error;
}

/** ASSAY_SECRET_KEY (validated to ≥ 32 characters by env.ts) → 32 bytes, with HKDF-SHA256. */
export function deriveSecretKey(secret: string): Buffer {
  return Buffer.from(hkdfSync('sha256', Buffer.from(secret, 'utf8'), HKDF_SALT, HKDF_INFO, KEY_BYTES));
}

/** The encryption key: derived from `secretKey` when given, else read or created in `dataDir`. */
export async function loadSecretKey(options: { secretKey: string | undefined; dataDir: string }): Promise<SecretKey> {
  return (await findSecretKey(options)) ?? createSecretKey(options.dataDir);
}

/**
 * The key there is: derived from `secretKey` when given, else read from `dataDir`'s key file;
 * null when neither exists. Nothing is created, so start-up can look at the database first.
 */
export async function findSecretKey(options: { secretKey: string | undefined; dataDir: string }): Promise<SecretKey | null> {
  if (options.secretKey !== undefined) return { key: deriveSecretKey(options.secretKey), source: 'env' };
  const file = secretKeyFile(options.dataDir);
  const existing = await readKeyFile(file);
  return existing ? { key: existing, source: 'file', file, created: false, looseMode: await isLoose(file) } : null;
}

/** Where the generated key of `dataDir` is kept. */
export const secretKeyFile = (dataDir: string): string => path.join(dataDir, SECRET_KEY_FILE);

/** Generates `dataDir`'s key file, or reads the one another process made first. */
export async function createSecretKey(dataDir: string): Promise<SecretKey> {
  const file = secretKeyFile(dataDir);
  let created: boolean;
  try {
    await mkdir(dataDir, { recursive: true });
    created = await createKeyFile(file);
  } catch (error) {
    throw dataDirError(dataDir, error);
  }
  // Whoever won the race, everyone uses what is in the file now.
  const key = await readKeyFile(file, true);
  if (!key) throw new SecretKeyFileError(file, 'it disappeared while starting');
  return { key, source: 'file', file, created, looseMode: await isLoose(file) };
}

/**
 * The key in `file`, or null when there is no file. `settle`: a file still being written by a
 * process without hard-link support is retried for a moment before being called unusable.
 */
async function readKeyFile(file: string, settle = false): Promise<Buffer | null> {
  for (let attempt = 0; ; attempt++) {
    let text: string;
    try {
      text = await readFile(file, 'utf8');
    } catch (error) {
      // ENOTDIR: the data directory's path goes through a file; creating the key says so.
      const code = (error as NodeJS.ErrnoException).code;
      if (code === 'ENOENT' || code === 'ENOTDIR') return null;
      throw new SecretKeyFileError(file, `it cannot be read (${(error as NodeJS.ErrnoException).code ?? 'error'})`);
    }
    const trimmed = text.trim();
    const key = /^[A-Za-z0-9+/]+={0,2}$/.test(trimmed) ? Buffer.from(trimmed, 'base64') : null;
    if (key?.length === KEY_BYTES) return key;
    if (settle && attempt < 20) {
      await new Promise((resolve) => setTimeout(resolve, 25));
      continue;
    }
    throw new SecretKeyFileError(file, `it does not hold ${KEY_BYTES} base64-encoded bytes`);
  }
}

/** Creates `file` with a fresh key unless it exists; true when this call created it. */
async function createKeyFile(file: string): Promise<boolean> {
  const content = `${randomBytes(KEY_BYTES).toString('base64')}\n`;
  const temp = `${file}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`;
  await writeFile(temp, content, { mode: 0o600, flag: 'wx' });
  try {
    await chmod(temp, 0o600);
    await link(temp, file);
    return true;
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'EEXIST') return false;
    if (code !== 'EPERM' && code !== 'ENOTSUP' && code !== 'EXDEV' && code !== 'ENOSYS') throw error;
    // No hard links here: exclusive create instead (readers retry while it is being written).
    try {
      await writeFile(file, content, { mode: 0o600, flag: 'wx' });
      await chmod(file, 0o600);
      return true;
    } catch (fallback) {
      if ((fallback as NodeJS.ErrnoException).code === 'EEXIST') return false;
      throw fallback;
    }
  } finally {
    await unlink(temp).catch(() => {});
  }
}

async function isLoose(file: string): Promise<boolean> {
  if (process.platform === 'win32') return false;
  return ((await stat(file)).mode & 0o077) !== 0;
}
