// A project's cap on the calls to one provider at once (`maxConcurrency` of
// PUT /api/providers/{name}): a local model on one GPU takes 2 while OpenAI takes 50
// (docs/decisions.md, "A cap per provider"). Null: no cap of the project's own.
import type { Kysely } from 'kysely';

export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('provider_settings').addColumn('max_concurrency', 'integer').execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('provider_settings').dropColumn('max_concurrency').execute();
}
