// The databases every storage contract test runs against: SQLite in a temp dir and
// PostgreSQL in a fresh schema (dropped afterwards). PostgreSQL is required, not optional:
// set ASSAY_TEST_PG_URL to point elsewhere than the local server.
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import type { DbOptions } from '../storage/connect.js';

export const TEST_PG_URL = process.env.ASSAY_TEST_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

export interface TestDatabase {
  name: 'sqlite' | 'postgres';
  /** Fresh, empty database options. */
  options(): Promise<DbOptions>;
  /** Removes everything options() created. */
  cleanup(): Promise<void>;
}

export function sqliteDatabase(): TestDatabase {
  const dirs: string[] = [];
  return {
    name: 'sqlite',
    async options() {
      const dir = mkdtempSync(path.join(os.tmpdir(), 'assay-test-'));
      dirs.push(dir);
      return { dataDir: dir };
    },
    async cleanup() {
      for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
    },
  };
}

export function postgresDatabase(): TestDatabase {
  const schemas: string[] = [];
  return {
    name: 'postgres',
    async options() {
      const schema = `assay_t_${Date.now().toString(36)}_${Math.random().toString(36).slice(2, 8)}`;
      schemas.push(schema);
      return { dataDir: os.tmpdir(), databaseUrl: TEST_PG_URL, schema };
    },
    async cleanup() {
      if (schemas.length === 0) return;
      const client = new pg.Client({ connectionString: TEST_PG_URL });
      await client.connect();
      try {
        for (const s of schemas.splice(0)) await client.query(`DROP SCHEMA IF EXISTS "${s}" CASCADE`);
      } finally {
        await client.end();
      }
    },
  };
}

/** Both databases, for `describe.each`. */
export function allDatabases(): TestDatabase[] {
  return [sqliteDatabase(), postgresDatabase()];
}
