// Builds every SQL-backed store over one Kysely instance.
import type { SealedValueStore, Stores } from '../core/ports.js';
import { type DbOptions, openDb } from './connect.js';
import { SqlDatasetStore } from './dataset-store.js';
import { SqlExperimentStore } from './experiment-store.js';
import { migrateToLatest } from './migrate.js';
import { SqlApiKeyStore, SqlProjectStore } from './project-store.js';
import { SqlResponseCache } from './response-cache.js';
import { SqlReviewStore } from './review-store.js';
import { SqlRunShards } from './run-shards.js';
import { SqlRunStore } from './run-store.js';
import { SqlSealedValues } from './sealed-values.js';
import { SqlProviderStore, SqlSecretStore } from './secret-store.js';
import { SqlWebhookStore } from './webhook-store.js';
import { sql } from 'kysely';

export type { DbOptions } from './connect.js';
export { isPostgresUrl } from './connect.js';

export interface OpenStoresOptions extends DbOptions {
  /** Apply migrations before returning (default true). */
  migrate?: boolean;
}

const STAGING_MAX_AGE_MS = 60 * 60 * 1000;

/** The SQL stores, with the dialect chosen and the sealed values across them (for the key check). */
export type SqlStores = Stores & { dialect: 'sqlite' | 'postgres'; sealed: SealedValueStore };

export async function openStores(options: OpenStoresOptions): Promise<SqlStores> {
  const { db, dialect } = await openDb(options);
  try {
    if (options.migrate !== false) await migrateToLatest(db, dialect === 'postgres' ? options.schema : undefined);
  } catch (error) {
    await db.destroy();
    throw error;
  }
  const datasets = new SqlDatasetStore(db, dialect === 'sqlite');
  const runs = new SqlRunStore(db);
  // Uploads interrupted by a crash leave staged rows; they are invisible, but take space.
  await datasets.purgeStaging(Date.now() - STAGING_MAX_AGE_MS);
  return {
    dialect,
    projects: new SqlProjectStore(db),
    apiKeys: new SqlApiKeyStore(db),
    experiments: new SqlExperimentStore(db),
    datasets,
    runs,
    shards: new SqlRunShards(db, runs),
    responses: new SqlResponseCache(db),
    secrets: new SqlSecretStore(db),
    providers: new SqlProviderStore(db),
    webhooks: new SqlWebhookStore(db),
    reviews: new SqlReviewStore(db),
    sealed: new SqlSealedValues(db),
    ping: async () => {
      await sql`select 1`.execute(db);
    },
    close: () => db.destroy(),
  };
}

export { migrateToLatest } from './migrate.js';
export { AesGcmCipher } from './crypto.js';
