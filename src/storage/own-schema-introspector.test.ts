// Kysely's PostgreSQL introspector resolved every schema of the database by name, so another
// tenant's schema dropped while Assay started failed Assay's migration ("schema … does not
// exist", CI 2026-12-06). A repeatable-read transaction makes that race certain: its snapshot
// still holds the dropped schema, which no longer resolves by name. It also took another
// schema's `kysely_migration` table for its own, and then failed to read it from its own.
import pg from 'pg';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TEST_PG_URL } from '../testing/databases.js';
import { openDb } from './connect.js';
import { migrateToLatest } from './migrate.js';

const suffix = `${Date.now().toString(36)}_${Math.random().toString(36).slice(2, 8)}`;
const mine = `assay_t_own_${suffix}`;
const neighbour = `assay_t_nb_${suffix}`;
let admin: pg.Client;

beforeAll(async () => {
  admin = new pg.Client({ connectionString: TEST_PG_URL });
  await admin.connect();
});
afterAll(async () => {
  for (const s of [mine, neighbour]) await admin.query(`DROP SCHEMA IF EXISTS "${s}" CASCADE`);
  await admin.end();
});

describe('PostgreSQL introspection of the schema in use only', () => {
  it("is not failed by another schema dropped under it, and lists none of that schema's tables", async () => {
    await admin.query(`CREATE SCHEMA "${neighbour}"; CREATE TABLE "${neighbour}".runs (id text); CREATE TABLE "${neighbour}".kysely_migration (name text)`);
    const { db } = await openDb({ dataDir: '/nonexistent', databaseUrl: TEST_PG_URL, schema: mine });
    try {
      await migrateToLatest(db);
      const tables = await db.transaction().setIsolationLevel('repeatable read').execute(async (trx) => {
        await sql`select 1`.execute(trx);
        // Dropped after the transaction's snapshot was taken: still in the catalogue it reads.
        await admin.query(`DROP SCHEMA "${neighbour}" CASCADE`);
        return trx.introspection.getTables({ withInternalKyselyTables: true });
      });
      expect(new Set(tables.map((t) => t.schema))).toEqual(new Set([mine]));
      expect(tables.map((t) => t.name)).toContain('runs');
      expect(tables.map((t) => t.name)).toContain('kysely_migration');
      expect((await db.introspection.getTables()).map((t) => t.name)).not.toContain('kysely_migration');
      // A second start migrates nothing and fails on nothing.
      await migrateToLatest(db);
    } finally {
      await db.destroy();
    }
  });
});
