// Per-project secrets ({{secrets.NAME}}) and provider settings. Values that are secret are
// stored sealed (AES-256-GCM text from src/storage/crypto.ts), never in the clear.
import { type Kysely } from 'kysely';

export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('project_secrets')
    .addColumn('project_id', 'text', (c) => c.notNull().references('projects.id'))
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('sealed_value', 'text', (c) => c.notNull())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('updated_at', 'bigint', (c) => c.notNull())
    .addPrimaryKeyConstraint('project_secrets_pk', ['project_id', 'name'])
    .execute();

  await db.schema
    .createTable('provider_settings')
    .addColumn('project_id', 'text', (c) => c.notNull().references('projects.id'))
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('sealed_api_key', 'text')
    .addColumn('base_url', 'text')
    .addColumn('sealed_headers', 'text')
    // Per-model price overrides (USD per million tokens), JSON; not secret.
    .addColumn('prices', 'text')
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('updated_at', 'bigint', (c) => c.notNull())
    .addPrimaryKeyConstraint('provider_settings_pk', ['project_id', 'name'])
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  for (const t of ['provider_settings', 'project_secrets']) await db.schema.dropTable(t).ifExists().execute();
}
