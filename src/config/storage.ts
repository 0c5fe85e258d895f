// Storage for the composition root: the key that encrypts stored secrets (loaded or generated,
// with the warnings an operator must see at start-up), the cipher made from it, and the stores
// on SQLite or PostgreSQL. Both are opened together because a database is useless without the
// key its secrets were written with.
import { constants } from 'node:fs';
import { access, mkdir } from 'node:fs/promises';
import type { Logger, Stores } from '../core/ports.js';
import { AesGcmCipher, openStores } from '../storage/index.js';
import type { Config } from './env.js';
import { dataDirError, loadSecretKey } from './secret-key.js';

/** The opened stores and the cipher of the secrets they hold. */
export interface Storage {
  cipher: AesGcmCipher;
  stores: Stores & { dialect: 'sqlite' | 'postgres' };
}

/** Loads the secret key (warning about what an operator must fix) and opens the stores. */
export async function openStorage(config: Config, logger: Logger): Promise<Storage> {
  const secretKey = await loadSecretKey({ secretKey: config.secretKey, dataDir: config.dataDir });
  if (secretKey.created) logger.info({ file: secretKey.file }, 'generated the key that encrypts stored secrets; keep it with the database');
  if (secretKey.looseMode) logger.warn({ file: secretKey.file }, 'the secret key file is readable by other users; chmod 600 it');
  if (secretKey.source === 'file' && config.databaseUrl !== undefined) {
    logger.warn({ file: secretKey.file }, 'ASSAY_SECRET_KEY is not set: with a shared database every server and worker must use the same key, so set it everywhere');
  }
  const cipher = new AesGcmCipher(secretKey.key);
  if (config.databaseUrl === undefined) await checkWritable(config.dataDir);
  const stores = await openStores({ databaseUrl: config.databaseUrl, schema: config.dbSchema, dataDir: config.dataDir });
  return { cipher, stores };
}

/**
 * SQLite's database and temporary files go in the data directory. With ASSAY_SECRET_KEY set
 * nothing else has written there yet, so a read-only folder is caught here, by name, rather
 * than as a bare EROFS or ENOENT from deep inside opening the database.
 */
async function checkWritable(dataDir: string): Promise<void> {
  try {
    await mkdir(dataDir, { recursive: true });
    await access(dataDir, constants.W_OK);
  } catch (error) {
    throw dataDirError(dataDir, error);
  }
}
