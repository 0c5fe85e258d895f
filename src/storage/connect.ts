// Chooses the database: SQLite (better-sqlite3, WAL, a file under the data dir) by default,
// PostgreSQL when the URL says postgres://. Both are reached only through Kysely.
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import SQLite from 'better-sqlite3';
import { type DatabaseConnection, type Driver, Kysely, type SqliteDatabase, SqliteDialect, SqliteDriver } from 'kysely';
import { OwnSchemaPostgresDialect } from './own-schema-introspector.js';
import { nulSafeClient } from './pg-text.js';
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

/** The pg driver, loaded with the first PostgreSQL connection (an embedded server never needs it). */
async function loadPg(): Promise<typeof import('pg').default> {
  const pg = (await import('pg')).default;
  // PostgreSQL returns int8 (our ms timestamps, COUNT(*)) as strings; all ours fit in a double.
  pg.types.setTypeParser(20, (v: string) => Number(v));
  return pg;
}

export function isPostgresUrl(url: string | undefined): url is string {
  return url !== undefined && /^postgres(ql)?:\/\//.test(url);
}

/**
 * When SQLite fails a statement inside a transaction (disk I/O error, read-only file) it may
 * roll the transaction back itself; Kysely then issues ROLLBACK, which throws "no transaction
 * is active" and replaces the real error. This driver skips a ROLLBACK that has nothing to do.
 */
class SqliteDriverKeepingErrors extends SqliteDriver {
  constructor(
    config: ConstructorParameters<typeof SqliteDriver>[0],
    private readonly sqlite: SQLite.Database,
  ) {
    super(config);
  }

  override async rollbackTransaction(connection: DatabaseConnection): Promise<void> {
    if (!this.sqlite.inTransaction) return;
    await super.rollbackTransaction(connection);
  }
}

class SqliteDialectKeepingErrors extends SqliteDialect {
  constructor(
    private readonly sqlite: SQLite.Database,
    private readonly database: SqliteDatabase,
  ) {
    super({ database });
  }

  override createDriver(): Driver {
    return new SqliteDriverKeepingErrors({ database: this.database }, this.sqlite);
  }
}

export async function openDb(options: DbOptions): Promise<Db> {
  if (isPostgresUrl(options.databaseUrl)) {
    const pg = await loadPg();
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
      Client: nulSafeClient(pg),
      connectionString: options.databaseUrl,
      max: options.poolSize ?? 10,
      ...(schema !== undefined ? { options: `-c search_path=${schema}` } : {}),
    });
    // An idle client losing its connection must not crash the process.
    pool.on('error', () => {});
    // Nor a checked-out one: pg fails its query *and* emits 'error' on the client, which the
    // pool only listens to while the client is idle, so a connection dropped mid-query was an
    // uncaught exception (found by /readyz's test, src/http/routes/readyz.test.ts).
    pool.on('connect', (client) => client.on('error', () => {}));
    return { db: new Kysely<Database>({ dialect: new OwnSchemaPostgresDialect({ pool }) }), dialect: 'postgres' };
  }
  mkdirSync(options.dataDir, { recursive: true });
  const file = path.join(options.dataDir, options.sqliteFile ?? 'assay.db');
  keepSqliteTempFilesIn(options.dataDir);
  const sqlite = new SQLite(file);
  sqlite.pragma('journal_mode = WAL');
  // NORMAL is crash-safe for the process in WAL mode (a killed process loses nothing committed).
  sqlite.pragma('synchronous = NORMAL');
  sqlite.pragma('busy_timeout = 5000');
  sqlite.pragma('foreign_keys = ON');
  // A 2 MB page cache instead of better-sqlite3's 16 MB: every run writes new pages, so the
  // cache filled by ≈ 1.5 MB a run until it held 16 MB, and a server's RSS climbed with it
  // (docs/decisions.md, "SQLite's page cache: 2 MB"). Pages it no longer holds are read back
  // from the OS's file cache.
  sqlite.pragma(`cache_size = -${SQLITE_CACHE_KIB}`);
  return { db: new Kysely<Database>({ dialect: new SqliteDialectKeepingErrors(sqlite, withStatementCache(sqlite)) }), dialect: 'sqlite' };
}

/**
 * SQLite writes some temporary files: the journal of one large statement (a 64-cell commit's
 * INSERT spills it past 64 KiB, ≈ 45 times a 2,000-cell run) and the sort of a large query. By
 * default it looks for /var/tmp, /usr/tmp, /tmp and then the working directory. A container
 * with a read-only root filesystem often has none of those writable, only the data volume, and
 * there a run failed on its first large commit with "disk I/O error". So they go under the data
 * directory, which is writable wherever Assay can run. SQLite reads SQLITE_TMPDIR once, when
 * the process opens its first database, so it is set before that. A value the operator set is
 * kept. The files are deleted as soon as they are opened, so nothing stays in the folder.
 */
function keepSqliteTempFilesIn(dataDir: string): void {
  if (process.env.SQLITE_TMPDIR) return;
  const dir = path.join(dataDir, 'tmp');
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  process.env.SQLITE_TMPDIR = dir;
}

/** SQLite's page cache of the connection, KiB. */
const SQLITE_CACHE_KIB = 2048;

/** Prepared statements kept per SQL text, at most this many (the oldest goes first). */
const STATEMENT_CACHE = 500;

/**
 * better-sqlite3 for Kysely, with prepared statements reused by SQL text: Kysely prepares every
 * query anew, ≈ 5% of a loaded server's CPU (docs/benchmarks.md, "Load"). Kysely runs one query
 * at a time on the connection; a statement still iterating (`busy`) is never handed out twice.
 */
function withStatementCache(sqlite: SQLite.Database): SqliteDatabase {
  const cache = new Map<string, SQLite.Statement>();
  return {
    close() {
      cache.clear();
      sqlite.close();
    },
    prepare(sql) {
      const cached = cache.get(sql);
      if (cached && !cached.busy) return cached;
      const statement = sqlite.prepare(sql);
      if (!cached) {
        if (cache.size >= STATEMENT_CACHE) cache.delete(cache.keys().next().value!);
        cache.set(sql, statement);
      }
      return statement;
    },
  };
}
