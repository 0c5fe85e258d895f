// Applies the schema migrations in order. Migrations are plain modules listed here, so the
// set is fixed at build time and identical for SQLite and PostgreSQL.
import { type Kysely, type Migration, Migrator } from 'kysely';
import * as m001 from './migrations/001-foundation.js';
import * as m002 from './migrations/002-runs.js';
import * as m003 from './migrations/003-secrets.js';
import * as m004 from './migrations/004-response-cache.js';
import * as m005 from './migrations/005-row-results.js';
import * as m006 from './migrations/006-secret-origins.js';
import * as m007 from './migrations/007-event-log.js';
import * as m008 from './migrations/008-webhooks.js';
import * as m009 from './migrations/009-reviews.js';
import * as m010 from './migrations/010-worker-id.js';
import * as m011 from './migrations/011-run-shards.js';
import * as m012 from './migrations/012-experiment-definitions.js';
import * as m013 from './migrations/013-review-stamp.js';
import * as m014 from './migrations/014-running-time.js';
import * as m015 from './migrations/015-provider-concurrency.js';

/** Every migration by name, in order (exported for the tests of a migration's data changes). */
export const MIGRATIONS: Record<string, Migration> = {
  '001-foundation': m001,
  '002-runs': m002,
  '003-secrets': m003,
  '004-response-cache': m004,
  '005-row-results': m005,
  '006-secret-origins': m006,
  '007-event-log': m007,
  '008-webhooks': m008,
  '009-reviews': m009,
  '010-worker-id': m010,
  '011-run-shards': m011,
  '012-experiment-definitions': m012,
  '013-review-stamp': m013,
  '014-running-time': m014,
  '015-provider-concurrency': m015,
};

export interface MigrationReport {
  applied: string[];
}

/** `schema` pins the migration bookkeeping tables to one PostgreSQL schema. */
export async function migrateToLatest(db: Kysely<any>, schema?: string): Promise<MigrationReport> {
  const migrator = new Migrator({
    db,
    provider: { getMigrations: async () => MIGRATIONS },
    ...(schema !== undefined ? { migrationTableSchema: schema } : {}),
  });
  const { error, results } = await migrator.migrateToLatest();
  if (error !== undefined) {
    const failed = results?.find((r) => r.status === 'Error')?.migrationName;
    throw new Error(`Migration ${failed ?? ''} failed: ${error instanceof Error ? error.message : String(error)}`, { cause: error });
  }
  return { applied: (results ?? []).filter((r) => r.status === 'Success').map((r) => r.migrationName) };
}
