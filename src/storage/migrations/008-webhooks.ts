// Webhooks (docs/webhooks.md) and what the runs list shows while a run goes:
// - webhook_secrets: one signing secret per project, sealed like project secrets.
// - webhook_deliveries: the durable outbox. A run's finish inserts its delivery in the same
//   transaction as the final status, so a process killed at any point after the finish leaves
//   a pending row that the next process sends. `locked_until` fences one sender at a time.
// - webhook_attempts: the delivery log (status code, error, a short redacted excerpt).
// - runs.live_summary: the summary so far, written by each cell commit (the list reads it).
// - runs.metadata: the run's metadata as its own column (the spec can be megabytes), for
//   `?metadata.key=value` on the runs list; old runs are backfilled from their spec.
import { type Kysely } from 'kysely';

const BACKFILL_PAGE = 500;

/** The columns the backfill touches, as this migration sees them. */
interface BackfillDb {
  runs: { id: string; spec: string; metadata: string };
}

export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('webhook_secrets')
    .addColumn('project_id', 'text', (c) => c.primaryKey().references('projects.id'))
    .addColumn('sealed_secret', 'text', (c) => c.notNull())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    // When the secret was shown (GET once, or the answer of a rotation); null: never shown yet.
    .addColumn('revealed_at', 'bigint')
    .execute();

  await db.schema
    .createTable('webhook_deliveries')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('project_id', 'text', (c) => c.notNull())
    .addColumn('run_id', 'text', (c) => c.notNull())
    .addColumn('url', 'text', (c) => c.notNull())
    .addColumn('event', 'text', (c) => c.notNull())
    .addColumn('payload', 'text', (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('attempts', 'integer', (c) => c.notNull())
    .addColumn('next_attempt_at', 'bigint')
    .addColumn('locked_until', 'bigint')
    .addColumn('last_status_code', 'integer')
    .addColumn('last_error', 'text')
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('updated_at', 'bigint', (c) => c.notNull())
    .addColumn('delivered_at', 'bigint')
    .execute();
  await db.schema.createIndex('webhook_deliveries_due').on('webhook_deliveries').columns(['status', 'next_attempt_at']).execute();
  await db.schema.createIndex('webhook_deliveries_run').on('webhook_deliveries').columns(['run_id', 'created_at']).execute();

  await db.schema
    .createTable('webhook_attempts')
    .addColumn('delivery_id', 'text', (c) => c.notNull())
    .addColumn('attempt', 'integer', (c) => c.notNull())
    .addColumn('at', 'bigint', (c) => c.notNull())
    .addColumn('duration_ms', 'integer', (c) => c.notNull())
    .addColumn('status_code', 'integer')
    .addColumn('error', 'text')
    .addColumn('response_excerpt', 'text')
    .addPrimaryKeyConstraint('webhook_attempts_pk', ['delivery_id', 'attempt'])
    .execute();

  await db.schema.alterTable('runs').addColumn('live_summary', 'text').execute();
  await db.schema.alterTable('runs').addColumn('metadata', 'text', (c) => c.notNull().defaultTo('{}')).execute();
  // Portable backfill (no JSON functions, which differ between SQLite and PostgreSQL).
  const runs = db as unknown as Kysely<BackfillDb>;
  for (let after = ''; ; ) {
    const page = await runs.selectFrom('runs').select(['id', 'spec']).where('id', '>', after).orderBy('id').limit(BACKFILL_PAGE).execute();
    for (const r of page) {
      const metadata = (JSON.parse(r.spec) as { metadata?: unknown }).metadata;
      if (metadata && typeof metadata === 'object' && Object.keys(metadata).length > 0) {
        await runs.updateTable('runs').set({ metadata: JSON.stringify(metadata) }).where('id', '=', r.id).execute();
      }
    }
    if (page.length < BACKFILL_PAGE) break;
    after = page[page.length - 1]!.id;
  }
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('runs').dropColumn('metadata').execute();
  await db.schema.alterTable('runs').dropColumn('live_summary').execute();
  for (const t of ['webhook_attempts', 'webhook_deliveries', 'webhook_secrets']) await db.schema.dropTable(t).ifExists().execute();
}
