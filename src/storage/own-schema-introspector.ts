// Kysely's migrator asks the dialect's introspector whether its tables exist, and the PostgreSQL
// one lists every table of every schema, resolving each schema by name
// (`has_schema_privilege(name, …)`, `pg_get_serial_sequence`). A schema dropped by someone else
// while that query runs is still in its snapshot but no longer resolves by name: the start-up
// migration failed with `schema "…" does not exist`, naming a schema that was not ours (CI,
// 2026-12-06: two test files at once, one dropping its schema as the other started). Assay only
// ever uses the tables of its own schema (search_path), so this introspector reads only those,
// by oid, and nothing another tenant of the database does can fail it. (It also took another
// schema's `kysely_migration` table for its own: an Assay sharing a database with another
// Kysely application failed its first migration.)
import { type DatabaseIntrospector, type DatabaseMetadata, type DatabaseMetadataOptions, type Kysely, PostgresDialect, type SchemaMetadata, sql, type TableMetadata } from 'kysely';

/** Kysely's own bookkeeping tables, left out unless asked for (as Kysely's introspectors do). */
const KYSELY_TABLES = new Set(['kysely_migration', 'kysely_migration_lock']);

export class OwnSchemaIntrospector implements DatabaseIntrospector {
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- Kysely's introspectors take any database
  constructor(private readonly db: Kysely<any>) {}

  async getSchemas(): Promise<SchemaMetadata[]> {
    const { rows } = await sql<{ name: string }>`select current_schema() as name`.execute(this.db);
    return rows.filter((r) => r.name !== null);
  }

  async getTables(options: DatabaseMetadataOptions = { withInternalKyselyTables: false }): Promise<TableMetadata[]> {
    const { rows } = await sql<{ name: string; schema: string; kind: string }>`
      select c.relname as name, ns.nspname as schema, c.relkind as kind
      from pg_catalog.pg_class c join pg_catalog.pg_namespace ns on ns.oid = c.relnamespace
      where ns.nspname = current_schema() and c.relkind in ('r', 'v', 'p')
      order by c.relname`.execute(this.db);
    return rows
      .filter((r) => options.withInternalKyselyTables || !KYSELY_TABLES.has(r.name))
      .map((r) => ({ name: r.name, schema: r.schema, isView: r.kind === 'v', columns: [] }));
  }

  async getMetadata(options?: DatabaseMetadataOptions): Promise<DatabaseMetadata> {
    return { tables: await this.getTables(options) };
  }
}

/** PostgreSQL through Kysely, introspecting only the schema in use. */
export class OwnSchemaPostgresDialect extends PostgresDialect {
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- the signature is Kysely's
  override createIntrospector(db: Kysely<any>): DatabaseIntrospector {
    return new OwnSchemaIntrospector(db);
  }
}
