// Reviews (docs/reviews.md): the latest verdict a person gave per run × row × target × repeat ×
// evaluator ('' = the cell as a whole). A table of its own beside run_cells: reviews never
// rewrite evaluator results. `cells` keeps the cell numbers the key names, found when the
// review is written, so the summary's reviewed figures read those cells by number.
import { type Kysely } from 'kysely';

export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('run_reviews')
    .addColumn('run_id', 'text', (c) => c.notNull())
    .addColumn('row_index', 'integer', (c) => c.notNull())
    .addColumn('target_id', 'text', (c) => c.notNull())
    .addColumn('repeat', 'integer', (c) => c.notNull())
    .addColumn('evaluator_id', 'text', (c) => c.notNull())
    .addColumn('cells', 'text', (c) => c.notNull())
    .addColumn('verdict', 'text', (c) => c.notNull())
    .addColumn('comment', 'text')
    .addColumn('reviewer', 'text', (c) => c.notNull())
    .addColumn('reviewer_key_id', 'text', (c) => c.notNull())
    .addColumn('reviewed_at', 'bigint', (c) => c.notNull())
    .addPrimaryKeyConstraint('run_reviews_pk', ['run_id', 'row_index', 'target_id', 'repeat', 'evaluator_id'])
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('run_reviews').ifExists().execute();
}
