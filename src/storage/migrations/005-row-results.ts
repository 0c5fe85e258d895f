// Results of row-scoped evaluators (N-way comparisons), one per row, repeat and evaluator.
import type { Kysely } from 'kysely';

export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('run_row_results')
    .addColumn('run_id', 'text', (c) => c.notNull())
    .addColumn('row_pos', 'integer', (c) => c.notNull())
    .addColumn('repeat', 'integer', (c) => c.notNull())
    .addColumn('evaluator_id', 'text', (c) => c.notNull())
    .addColumn('row_index', 'integer', (c) => c.notNull())
    .addColumn('seq', 'integer', (c) => c.notNull())
    .addColumn('ok', 'integer', (c) => c.notNull())
    .addColumn('data', 'text', (c) => c.notNull())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addPrimaryKeyConstraint('run_row_results_pk', ['run_id', 'row_pos', 'repeat', 'evaluator_id'])
    .execute();
  await db.schema.createIndex('run_row_results_seq').on('run_row_results').columns(['run_id', 'seq']).execute();
  await db.schema.createIndex('run_row_results_row').on('run_row_results').columns(['run_id', 'row_index']).execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('run_row_results').ifExists().execute();
}
