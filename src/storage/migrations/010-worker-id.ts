// Cluster mode (docs/deployment.md): each committed cell records the process that executed it.
// - run_cells.worker_id: the lease owner that committed the cell (its `workerId` on the results
//   page and on its target_result event); null for cells committed before this migration.
// Numbered 010 because 009 is taken by a migration of another branch.
import type { Kysely } from 'kysely';

export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('run_cells').addColumn('worker_id', 'text').execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('run_cells').dropColumn('worker_id').execute();
}
