// A run's running time (docs/decisions.md, "A resumed run's running time"): the summary's
// `duration` runs from the run's start, pauses between a stop and a resume included; these two
// columns let its `runningTime` leave the pauses out.
// - runs.running_ms_before: ms the run's executions that ended before the current one ran
//   (each from its beginning to its finish); a reopen adds the ended one's. 0 until a resume.
// - runs.execution_started_at: when the current execution began (the run's start, then the
//   time of each reopen); null for runs stored before this migration, which count from their start.
import type { Kysely } from 'kysely';

export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('runs').addColumn('running_ms_before', 'bigint', (c) => c.notNull().defaultTo(0)).execute();
  await db.schema.alterTable('runs').addColumn('execution_started_at', 'bigint').execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('runs').dropColumn('execution_started_at').execute();
  await db.schema.alterTable('runs').dropColumn('running_ms_before').execute();
}
