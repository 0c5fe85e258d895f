// Chooses the database: SQLite (better-sqlite3, WAL, a file under the data dir) by default,
// PostgreSQL when the URL says postgres://. Both are reached only through Kysely.
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import SQLite from 'better-sqlite3';
import { Kysely, PostgresDialect, SqliteDialect } from 'kysely';
import pg from 'pg';
import type { Database } from './schema.js';

export type Dialect = 'sqlite' | 'postgres';

export interface DbOptions {
  /** `postgres://…` for PostgreSQL; otherwise SQLite in `dataDir`. */
  databaseUrl?: string | undefined;
  /** PostgreSQL schema to use (created when missing); tests use a fresh one per run. */
  schema?: string | undefined;
  /** Where the SQLite file lives. */
  dataDir: string;
  /** SQLite file name inside dataDir (default assay.db). */
  sqliteFile?: string;
  /** PostgreSQL pool size. */
  poolSize?: number;
}

export interface Db {
  db: Kysely<Database>;
  dialect: Dialect;
}

// PostgreSQL returns int8 (our ms timestamps, COUNT(*)) as strings; all ours fit in a double.
pg.types.setTypeParser(20, (v: string) => Number(v));

export function isPostgresUrl(url: string | undefined): url is string {
  return url !== undefined && /^postgres(ql)?:\/\//.test(url);
}

export async function openDb(options: DbOptions): Promise<Db> {
  if (isPostgresUrl(options.databaseUrl)) {
    const schema = options.schema;
    if (schema !== undefined) {
      if (!/^[a-z_][a-z0-9_]{0,62}$/.test(schema)) throw new Error(`Invalid PostgreSQL schema name: ${schema}`);
      const admin = new pg.Client({ connectionString: options.databaseUrl });
      await admin.connect();
      try {
        await admin.query(`CREATE SCHEMA IF NOT EXISTS "${schema}"`);
      } finally {
        await admin.end();
      }
    }
    const pool = new pg.Pool({
      connectionString: options.databaseUrl,
      max: options.poolSize ?? 10,
      ...(schema !== undefined ? { options: `-c search_path=${schema}` } : {}),
    });
    // An idle client losing its connection must not crash the process.
    pool.on('error', () => {});
    return { db: new Kysely<Database>({ dialect: new PostgresDialect({ pool }) }), dialect: 'postgres' };
  }
  mkdirSync(options.dataDir, { recursive: true });
  const file = path.join(options.dataDir, options.sqliteFile ?? 'assay.db');
  const sqlite = new SQLite(file);
  sqlite.pragma('journal_mode = WAL');
  // NORMAL is crash-safe for the process in WAL mode (a killed process loses nothing committed).
  sqlite.pragma('synchronous = NORMAL');
  sqlite.pragma('busy_timeout = 5000');
  sqlite.pragma('foreign_keys = ON');
  return { db: new Kysely<Database>({ dialect: new SqliteDialect({ database: sqlite }) }), dialect: 'sqlite' };
}
