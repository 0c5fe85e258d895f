// experiment_versions.definition: the document without its inline rows, written at save. The
// results page, comparisons and the poll's reviewed figures need a version's targets and
// evaluators, not its rows, and parsing a document with 10 MB of rows took ≈ 30 ms on every
// read. Null for versions saved before this migration: those read the whole document, as before.
import type { Kysely } from 'kysely';

export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('experiment_versions').addColumn('definition', 'text').execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('experiment_versions').dropColumn('definition').execute();
}
