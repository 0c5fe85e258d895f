// Runs, their inline rows, committed cells (with their evaluations) and run-level events.
import { type Kysely } from 'kysely';

export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('runs')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('project_id', 'text', (c) => c.notNull().references('projects.id'))
    .addColumn('experiment_id', 'text', (c) => c.notNull())
    .addColumn('experiment_slug', 'text', (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('total', 'integer', (c) => c.notNull())
    .addColumn('progress', 'integer', (c) => c.notNull())
    .addColumn('started_at', 'bigint', (c) => c.notNull())
    .addColumn('finished_at', 'bigint')
    .addColumn('spec', 'text', (c) => c.notNull())
    .addColumn('summary', 'text')
    .addColumn('error', 'text')
    .addColumn('error_message', 'text')
    .addColumn('stop_reason', 'text')
    .addColumn('next_seq', 'integer', (c) => c.notNull())
    .addColumn('abort_requested', 'integer', (c) => c.notNull())
    .addColumn('lease_owner', 'text')
    .addColumn('lease_expires_at', 'bigint')
    .addColumn('executions', 'integer', (c) => c.notNull())
    .addColumn('updated_at', 'bigint', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('runs_experiment').on('runs').columns(['project_id', 'experiment_id', 'started_at']).execute();
  await db.schema.createIndex('runs_status_lease').on('runs').columns(['status', 'lease_expires_at']).execute();

  await db.schema
    .createTable('run_rows')
    .addColumn('run_id', 'text', (c) => c.notNull())
    .addColumn('idx', 'integer', (c) => c.notNull())
    .addColumn('data', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('run_rows_pk', ['run_id', 'idx'])
    .execute();

  await db.schema
    .createTable('run_cells')
    .addColumn('run_id', 'text', (c) => c.notNull())
    .addColumn('cell', 'integer', (c) => c.notNull())
    .addColumn('row_index', 'integer', (c) => c.notNull())
    .addColumn('target_id', 'text', (c) => c.notNull())
    .addColumn('repeat', 'integer', (c) => c.notNull())
    .addColumn('ok', 'integer', (c) => c.notNull())
    .addColumn('first_seq', 'integer', (c) => c.notNull())
    .addColumn('event_count', 'integer', (c) => c.notNull())
    .addColumn('completed_order', 'integer', (c) => c.notNull())
    .addColumn('entry', 'text', (c) => c.notNull())
    .addColumn('output', 'text')
    .addColumn('error', 'text')
    .addColumn('cost', 'double precision')
    .addColumn('duration_ms', 'integer', (c) => c.notNull())
    .addColumn('tokens', 'text')
    .addColumn('attempts', 'integer', (c) => c.notNull())
    .addColumn('retries', 'text', (c) => c.notNull())
    .addColumn('cached', 'integer', (c) => c.notNull())
    .addColumn('evaluations', 'text', (c) => c.notNull())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addPrimaryKeyConstraint('run_cells_pk', ['run_id', 'cell'])
    .execute();
  await db.schema.createIndex('run_cells_seq').on('run_cells').columns(['run_id', 'first_seq']).execute();
  await db.schema.createIndex('run_cells_row').on('run_cells').columns(['run_id', 'row_index', 'cell']).execute();
  await db.schema.createIndex('run_cells_order').on('run_cells').columns(['run_id', 'completed_order']).execute();

  await db.schema
    .createTable('run_events')
    .addColumn('run_id', 'text', (c) => c.notNull())
    .addColumn('seq', 'integer', (c) => c.notNull())
    .addColumn('data', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('run_events_pk', ['run_id', 'seq'])
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  for (const t of ['run_events', 'run_cells', 'run_rows', 'runs']) await db.schema.dropTable(t).ifExists().execute();
}
