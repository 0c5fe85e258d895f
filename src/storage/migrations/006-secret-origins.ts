// A secret may be bound to the origins it may be sent to (docs/security.md): a JSON array of
// `scheme://host[:port]`, or null for any origin (every secret stored before this migration).
import type { Kysely } from 'kysely';

export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('project_secrets').addColumn('allowed_origins', 'text').execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('project_secrets').dropColumn('allowed_origins').execute();
}
