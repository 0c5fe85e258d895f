// Migration 014 on a database that already has runs (SQLite and PostgreSQL): a run stored before
// it has no beginning of its current execution, so its running time counts from its start; a
// resume of it then adds that execution's time and begins the next at the resume.
import { Migrator } from 'kysely';
import { afterAll, describe, expect, it } from 'vitest';
import { allDatabases } from '../../testing/databases.js';
import { openDb } from '../connect.js';
import { MIGRATIONS, migrateToLatest } from '../migrate.js';
import { SqlRunStore } from '../run-store.js';

describe.each(allDatabases())('migration 014 on $name', (db) => {
  afterAll(() => db.cleanup());

  it('counts a run stored before it from its start', async () => {
    const options = await db.options();
    const { db: k, dialect } = await openDb(options);
    try {
      const schema = dialect === 'postgres' ? options.schema : undefined;
      const migrator = new Migrator({ db: k, provider: { getMigrations: async () => MIGRATIONS }, ...(schema !== undefined ? { migrationTableSchema: schema } : {}) });
      expect((await migrator.migrateTo('013-review-stamp')).error).toBeUndefined();
      await k.insertInto('projects').values({ id: 'p1', slug: 'one', name: 'One', created_at: 1 }).execute();
      // Inserted as 013 knew the table: stopped after running 1,000 → 5,000.
      await k
        .insertInto('runs')
        .values({
          id: 'r1', project_id: 'p1', experiment_id: 'e1', experiment_slug: 'exp', status: 'stopped', total: 1, progress: 0, started_at: 1_000, finished_at: 5_000,
          spec: JSON.stringify({ metadata: {}, runUrl: 'u' }), summary: null, error: null, error_message: null, stop_reason: 'user', next_seq: 3, abort_requested: 0,
          lease_owner: null, lease_expires_at: null, executions: 1, updated_at: 5_000, commit_count: 0, live_summary: null, metadata: '{}',
        } as never)
        .execute();
      await migrateToLatest(k, schema);
      expect(await k.selectFrom('runs').select(['running_ms_before', 'execution_started_at']).executeTakeFirst()).toEqual({ running_ms_before: 0, execution_started_at: null });
      const runs = new SqlRunStore(k);
      expect(await runs.get('p1', 'r1')).toMatchObject({ earlierRunningMs: 0, executionStartedAt: 1_000 });
      expect(await runs.reopen('p1', 'r1', false, 90_000)).toMatchObject({ status: 'running', earlierRunningMs: 4_000, executionStartedAt: 90_000 });
    } finally {
      await k.destroy();
    }
  });
});
