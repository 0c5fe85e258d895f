// Migration 008 on a database that already has runs (SQLite and PostgreSQL): their metadata is
// copied out of the spec into the new column, so the runs list's filter finds old runs too.
import { Migrator } from 'kysely';
import { afterAll, describe, expect, it } from 'vitest';
import { allDatabases } from '../../testing/databases.js';
import { openDb } from '../connect.js';
import { MIGRATIONS, migrateToLatest } from '../migrate.js';
import { SqlRunStore } from '../run-store.js';

describe.each(allDatabases())('migration 008 on $name', (db) => {
  afterAll(() => db.cleanup());

  it('backfills runs.metadata from the spec of existing runs', async () => {
    const options = await db.options();
    const { db: k, dialect } = await openDb(options);
    try {
      const schema = dialect === 'postgres' ? options.schema : undefined;
      const migrator = new Migrator({ db: k, provider: { getMigrations: async () => MIGRATIONS }, ...(schema !== undefined ? { migrationTableSchema: schema } : {}) });
      const to007 = await migrator.migrateTo('007-event-log');
      expect(to007.error).toBeUndefined();
      await k.insertInto('projects').values({ id: 'p1', slug: 'one', name: 'One', created_at: 1 }).execute();
      const run = (id: string, metadata: unknown) => ({
        id, project_id: 'p1', experiment_id: 'e1', experiment_slug: 'exp', status: 'completed', total: 1, progress: 1, started_at: Number(id.slice(1)), finished_at: 2,
        spec: JSON.stringify({ metadata, runUrl: 'u' }), summary: null, error: null, error_message: null, stop_reason: null, next_seq: 3, abort_requested: 0,
        lease_owner: null, lease_expires_at: null, executions: 1, updated_at: 2, commit_count: 1,
      });
      // Inserted as 007 knew the table (no metadata, no live_summary columns yet).
      await k.insertInto('runs').values([run('r1', { suite: 'smoke' }), run('r2', {}), run('r3', undefined)] as never).execute();
      await migrateToLatest(k, schema);
      const rows = await k.selectFrom('runs').select(['id', 'metadata', 'live_summary']).orderBy('id').execute();
      expect(rows).toEqual([
        { id: 'r1', metadata: '{"suite":"smoke"}', live_summary: null },
        { id: 'r2', metadata: '{}', live_summary: null },
        { id: 'r3', metadata: '{}', live_summary: null },
      ]);
      const found = await new SqlRunStore(k).list('p1', 'e1', { page: 1, pageSize: 10 }, { suite: 'smoke' });
      expect(found.items.map((r) => r.id)).toEqual(['r1']);
    } finally {
      await k.destroy();
    }
  });
});
