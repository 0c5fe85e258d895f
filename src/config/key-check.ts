// The secret key against the database, at every start (serve and worker), before a key is
// generated or used. A data directory lost with its key file (a new container on PostgreSQL, a
// SQLite database restored without the file) used to make a new key without a word, and every
// stored secret then failed at run time; a wrong ASSAY_SECRET_KEY did the same. Both now stop
// start-up naming the ways out (docs/deployment.md, "Backups and the secret key").
import { type KeyCheck, checkKey, describeSealed } from '../app/sealed-values.js';
import type { Logger, SealedValue, SealedValueStore } from '../core/ports.js';
import { AesGcmCipher } from '../storage/index.js';
import { ConfigError } from './env.js';
import { createSecretKey, findSecretKey, type SecretKey, secretKeyFile } from './secret-key.js';

/** The command that lists what the key does not open and, with --yes, deletes it; named in every refusal. */
export const DROP_COMMAND = 'assay secrets drop-unreadable';

const HEADING = 'Refusing to start';
const KINDS = 'project secrets, provider API keys and headers, webhook signing secrets';

/** The database holds sealed values and there is no key: making one would leave them unreadable. */
export class SecretKeyMissingError extends ConfigError {
  constructor(readonly file: string, readonly sealedCount: number) {
    super(
      [
        `the database holds ${sealedCount} sealed value${sealedCount === 1 ? '' : 's'} (${KINDS}), and the key they were sealed with is missing: ASSAY_SECRET_KEY is not set and there is no key file at ${file}. A new key would leave every one of them unreadable, so none is made.`,
        `Restore the key file to ${file} (from the old data directory or a backup; mode 0600), or set ASSAY_SECRET_KEY to the value the servers used before.`,
        `If the key is lost for good: \`${DROP_COMMAND}\` (with the same DATABASE_URL and ASSAY_DATA_DIR) lists the values no key opens, and with --yes deletes them; then start again and store them anew.`,
      ],
      HEADING,
    );
    this.name = 'SecretKeyMissingError';
  }
}

/** None of the newest sealed values opens with the configured key: it is not the one they were sealed with. */
export class SecretKeyWrongError extends ConfigError {
  constructor(readonly key: SecretKey, readonly checked: number, hint: string | null) {
    const what = key.source === 'env' ? 'ASSAY_SECRET_KEY' : `The key file ${key.file}`;
    super(
      [
        `${what} opens none of the ${checked} most recently stored sealed value${checked === 1 ? '' : 's'} (${KINDS}): it is not the key they were sealed with.`,
        ...(hint ? [hint] : []),
        key.source === 'env'
          ? 'Set ASSAY_SECRET_KEY to the value the servers used when the values were stored.'
          : `Restore ${key.file} from the backup taken with this database (mode 0600), or set ASSAY_SECRET_KEY to the value the servers used before, if they used one.`,
        `If that key is lost for good: \`${DROP_COMMAND}\` (with this same configuration) lists the values this key does not open, and with --yes deletes them; then start again and store them anew.`,
      ],
      HEADING,
    );
    this.name = 'SecretKeyWrongError';
  }
}

/**
 * The key to seal with: the configured or existing one once it opens what the database holds,
 * or a new key file when there is neither key nor sealed value. Logs older values another key
 * sealed (a warning: the key is right for the newest), refuses a missing or wrong key.
 */
export async function settleSecretKey(options: { secretKey: string | undefined; dataDir: string; sealed: SealedValueStore; logger: Logger }): Promise<SecretKey> {
  const { sealed, logger } = options;
  const found = await findSecretKey(options);
  if (found === null) {
    const count = await sealed.count();
    if (count > 0) throw new SecretKeyMissingError(secretKeyFile(options.dataDir), count);
    return createSecretKey(options.dataDir);
  }
  const check = await checkKey(sealed, new AesGcmCipher(found.key));
  if (check.status === 'none') throw new SecretKeyWrongError(found, check.checked, await fileKeyHint(found, options.dataDir, sealed));
  if (check.status === 'partly') logger.warn(partlyLine(check, found.source === 'env' ? 'ASSAY_SECRET_KEY' : `The key file ${found.file}`));
  return found;
}

/**
 * With ASSAY_SECRET_KEY wrong, the key file it replaced may be the one the values need (an
 * operator who followed "set ASSAY_SECRET_KEY everywhere" with a new value): say so.
 */
async function fileKeyHint(found: SecretKey, dataDir: string, sealed: SealedValueStore): Promise<string | null> {
  if (found.source !== 'env') return null;
  const fileKey = await findSecretKey({ secretKey: undefined, dataDir }).catch(() => null);
  if (fileKey === null || (await checkKey(sealed, new AesGcmCipher(fileKey.key))).status === 'none') return null;
  return `The key file ${fileKey.file} opens them: unset ASSAY_SECRET_KEY to use it (a key file's content is not an ASSAY_SECRET_KEY value; the variable's string is turned into a key).`;
}

const MAX_NAMED = 5;

function partlyLine(check: Extract<KeyCheck, { status: 'partly' }>, what: string): string {
  const named = check.unreadable.slice(0, MAX_NAMED).map(place).join(', ');
  const more = check.unreadable.length > MAX_NAMED ? ` and ${check.unreadable.length - MAX_NAMED} more` : '';
  return `${what} does not open ${check.unreadable.length} of the ${check.checked} most recently stored sealed values (${named}${more}): they were sealed with another key, and the runs and deliveries that need them fail. Store them again, or \`${DROP_COMMAND} --yes\` deletes every value this key does not open`;
}

const place = (v: SealedValue): string => `project ${v.projectId}: ${describeSealed(v)}`;
