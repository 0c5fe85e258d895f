// Storage for the composition root: the key that encrypts stored secrets (loaded or generated,
// with the warnings an operator must see at start-up), the cipher made from it, and the stores
// on SQLite or PostgreSQL. Both are opened together because a database is useless without the
// key its secrets were written with.
import { constants } from 'node:fs';
import { access, mkdir, open, stat } from 'node:fs/promises';
import path from 'node:path';
import { maskCredentials } from '../core/mask-credentials.js';
import type { Logger, Stores } from '../core/ports.js';
import { AesGcmCipher, isPostgresUrl, openStores } from '../storage/index.js';
import { type Config, ConfigError } from './env.js';
import { settleSecretKey } from './key-check.js';
import { dataDirError, type SecretKey } from './secret-key.js';

/** The SQLite database's file name in ASSAY_DATA_DIR. */
export const SQLITE_FILE = 'assay.db';

/** Where the SQLite database of `dataDir` is. */
export const sqlitePath = (dataDir: string): string => path.join(dataDir, SQLITE_FILE);

/** The opened stores and the cipher of the secrets they hold. */
export interface Storage {
  cipher: AesGcmCipher;
  stores: Stores & { dialect: 'sqlite' | 'postgres' };
}

/**
 * Opens the stores, then settles the secret key against what they hold (config/key-check.ts:
 * a missing or wrong key stops start-up rather than sealing beside values it cannot open), with
 * the warnings an operator must see.
 */
export async function openStorage(config: Config, logger: Logger): Promise<Storage> {
  // The data directory holds the generated secret key and, on SQLite, the database.
  if (config.databaseUrl === undefined || config.secretKey === undefined) await makeDataDir(config.dataDir);
  if (config.databaseUrl === undefined) {
    await checkWritable(config.dataDir);
    await createPrivateFile(sqlitePath(config.dataDir));
  }
  const stores = await openStores({ databaseUrl: config.databaseUrl, schema: config.dbSchema, dataDir: config.dataDir, sqliteFile: SQLITE_FILE }).catch((error: unknown) => {
    throw databaseFailure(config.databaseUrl, error);
  });
  let secretKey: SecretKey;
  try {
    secretKey = await settleSecretKey({ secretKey: config.secretKey, dataDir: config.dataDir, sealed: stores.sealed, logger });
  } catch (error) {
    await stores.close();
    throw error;
  }
  if (secretKey.created) logger.info({ file: secretKey.file }, 'generated the key that encrypts stored secrets; keep it with the database');
  if (secretKey.looseMode) logger.warn({ file: secretKey.file }, 'the secret key file is readable by other users; chmod 600 it');
  if (secretKey.source === 'file' && config.databaseUrl !== undefined) {
    logger.warn({ file: secretKey.file }, 'ASSAY_SECRET_KEY is not set: with a shared database every server and worker must use the same key, so set it everywhere (values sealed with this key file do not open under it; store them again after: docs/deployment.md, "Backups and the secret key")');
  }
  return { cipher: new AesGcmCipher(secretKey.key), stores };
}

/**
 * SQLite's database and temporary files go in the data directory. With ASSAY_SECRET_KEY set
 * nothing else has written there yet, so a read-only folder is caught here, by name, rather
 * than as a bare EROFS or ENOENT from deep inside opening the database.
 */
async function checkWritable(dataDir: string): Promise<void> {
  try {
    await access(dataDir, constants.W_OK);
  } catch (error) {
    throw dataDirError(dataDir, error);
  }
}

/**
 * Makes the data directory and its missing parents one at a time. Node 20's recursive mkdir
 * never returns for a folder that cannot be made in a parent that exists (ASSAY_DATA_DIR=/proc/x:
 * ENOENT, so it makes the parent, which exists, and tries again, forever), so start-up hung
 * without a word. A plain mkdir answers at once, and the folder is named in the error.
 */
export async function makeDataDir(dataDir: string): Promise<void> {
  const missing: string[] = [];
  try {
    for (let dir = path.resolve(dataDir); ; dir = path.dirname(dir)) {
      const found = await stat(dir).catch((error: NodeJS.ErrnoException) => {
        if (error.code === 'ENOENT') return null;
        throw error;
      });
      if (found) {
        if (!found.isDirectory()) throw Object.assign(new Error(`${dir} is not a folder`), { code: 'ENOTDIR' });
        break;
      }
      missing.unshift(dir);
      if (path.dirname(dir) === dir) break;
    }
    for (const dir of missing) {
      await mkdir(dir).catch((error: NodeJS.ErrnoException) => {
        if (error.code !== 'EEXIST') throw error;
      });
    }
  } catch (error) {
    throw dataDirError(dataDir, error);
  }
}

/**
 * Creates `file` empty, readable by its owner only, unless it exists. SQLite opens an empty file
 * as a new database and gives its -wal and -shm files the database's mode, so none of the three
 * is readable by other users (they hold every prompt, output and key hash). An existing file's
 * mode is left as the operator set it.
 */
export async function createPrivateFile(file: string): Promise<void> {
  try {
    await (await open(file, 'wx', 0o600)).close();
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw dataDirError(path.dirname(file), error);
  }
}

/** SQLSTATE classes that mean the database cannot be reached or entered, not that a statement failed. */
const CONNECTION_SQLSTATE = /^(08|28|3D|53|57P0)/;

/**
 * What to throw for a failure to open the configured database. One that is about reaching it
 * (no such database or role, wrong password, refused or unknown host) becomes a ConfigError
 * naming DATABASE_URL, its credentials masked, with the driver's reason; anything else (a
 * migration's statement) is returned as it came.
 */
export function databaseFailure(databaseUrl: string | undefined, error: unknown): unknown {
  if (!isPostgresUrl(databaseUrl)) return error;
  let root: unknown = error;
  while (root instanceof Error && root.cause !== undefined) root = root.cause;
  const failure = root as (Error & { code?: unknown; syscall?: unknown; errors?: unknown[] }) | null;
  const code = typeof failure?.code === 'string' ? failure.code : '';
  const systemError = typeof failure?.syscall === 'string' || /^E[A-Z]+$/.test(code);
  if (!(failure instanceof Error) || !(systemError || CONNECTION_SQLSTATE.test(code))) return error;
  // A refused connection to a name with several addresses is an AggregateError with no message of its own.
  const first = failure.errors?.[0];
  const reason = failure.message || (first instanceof Error ? first.message : '') || code;
  return new ConfigError([`DATABASE_URL=${maskCredentials(databaseUrl)}: cannot connect to the database: ${reason}${code !== '' && !reason.includes(code) ? ` (${code})` : ''}`]);
}
