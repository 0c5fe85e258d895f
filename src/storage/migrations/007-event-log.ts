// The event log's counters live in storage (docs/architecture.md, "Events"): a commit reserves
// its cells' sequence numbers and commit order on the run row in the same transaction, so any
// number of executors (cluster shards) can commit without sharing a counter in memory.
// - runs.commit_count: cells ever committed, never decreasing (re-run cells get new, unique
//   completed_order values; before, a resume with retryErrors could hand out an order twice).
// - run_cells.last_seq: the cell's last event, indexed: events after N are read as the cells
//   whose last_seq > N, in last_seq order (a cell's events are one contiguous block).
// - run_cells.progress: the `completed` of the cell's progress event (cells committed once it
//   was), which is no longer its completed_order once cells are re-run.
import { type Kysely, sql } from 'kysely';

export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('runs').addColumn('commit_count', 'integer', (c) => c.notNull().defaultTo(0)).execute();
  await db.schema.alterTable('run_cells').addColumn('last_seq', 'integer', (c) => c.notNull().defaultTo(0)).execute();
  await db.schema.alterTable('run_cells').addColumn('progress', 'integer', (c) => c.notNull().defaultTo(0)).execute();
  await sql`UPDATE run_cells SET last_seq = first_seq + event_count - 1, progress = completed_order`.execute(db);
  await sql`UPDATE runs SET commit_count = COALESCE((SELECT MAX(completed_order) FROM run_cells WHERE run_cells.run_id = runs.id), 0)`.execute(db);
  await db.schema.createIndex('run_cells_last_seq').on('run_cells').columns(['run_id', 'last_seq']).execute();
  await db.schema.dropIndex('run_cells_seq').execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.createIndex('run_cells_seq').on('run_cells').columns(['run_id', 'first_seq']).execute();
  await db.schema.dropIndex('run_cells_last_seq').execute();
  await db.schema.alterTable('run_cells').dropColumn('progress').execute();
  await db.schema.alterTable('run_cells').dropColumn('last_seq').execute();
  await db.schema.alterTable('runs').dropColumn('commit_count').execute();
}
