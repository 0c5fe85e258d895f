// Cluster mode, one run on many workers (docs/deployment.md, "Shards"): a run's rows are cut
// into shards that workers claim and execute at the same time.
// - run_shards: one row per shard of a run, with its cell range [from_cell, to_cell) (whole
//   rows), `done` once every cell of it is committed, the lease that fences its commits
//   (owner and expiry, like runs.lease_*), and `claims` (how often it was taken: the id of the
//   queue job that hands it out next, so a shard whose holder died gets a fresh job).
import type { Kysely } from 'kysely';

export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('run_shards')
    .addColumn('run_id', 'text', (c) => c.notNull())
    .addColumn('shard', 'integer', (c) => c.notNull())
    .addColumn('from_cell', 'integer', (c) => c.notNull())
    .addColumn('to_cell', 'integer', (c) => c.notNull())
    .addColumn('done', 'integer', (c) => c.notNull())
    .addColumn('lease_owner', 'text')
    .addColumn('lease_expires_at', 'bigint')
    .addColumn('claims', 'integer', (c) => c.notNull())
    .addPrimaryKeyConstraint('run_shards_pk', ['run_id', 'shard'])
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('run_shards').execute();
}
