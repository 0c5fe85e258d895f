// The reviews' stamp (their count and latest time, read on every poll of a reviewed run) from an
// index of its own. `reviewed_at` sits after `comment` in the row, so reading it from the table
// walked every comment's overflow pages on SQLite: 20,000 reviews with 10 KB comments held each
// poll ≈ 150 ms. The index answers count and max without touching the rows.
import type { Kysely } from 'kysely';

export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema.createIndex('run_reviews_stamp').on('run_reviews').columns(['run_id', 'reviewed_at']).execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropIndex('run_reviews_stamp').execute();
}
