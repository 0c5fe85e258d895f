// The store backends a test of the run machinery loops over, as Kysely's own tests loop over
// dialects: SQLite and PostgreSQL (databases.ts) opened with openStores, and the in-memory stores
// (memory-stores.ts) that the unit tests of the executor and the host use.
import type { Project } from '../core/model/records.js';
import type { Stores } from '../core/ports.js';
import { openStores, type SqlStores } from '../storage/index.js';
import { allDatabases, type TestDatabase } from './databases.js';
import { memoryStores } from './memory-stores.js';

/** Fresh, migrated SQL stores on `db` with `projects` created. */
export async function openTestStores(db: TestDatabase, projects: Project[]): Promise<SqlStores> {
  const stores = await openStores(await db.options());
  for (const project of projects) await stores.projects.create(project);
  return stores;
}

/** What every backend opens: the stores memoryStores() has, and a close. */
export type BackendStores = Pick<Stores, 'runs' | 'experiments' | 'datasets' | 'responses' | 'reviews'> & { close(): Promise<void> };

/** One backend, for `describe.each`. */
export interface StoreBackend {
  name: TestDatabase['name'] | 'memory';
  /** Fresh, empty stores. */
  open(): Promise<BackendStores>;
  /** Removes everything open() created. */
  cleanup(): Promise<void>;
}

/** SQLite, PostgreSQL and memory; the SQL stores open with `projects` created (the memory stores keep no projects). */
export function storeBackends(projects: Project[]): StoreBackend[] {
  const sql = (db: TestDatabase): StoreBackend => ({ name: db.name, open: () => openTestStores(db, projects), cleanup: () => db.cleanup() });
  return [...allDatabases().map(sql), { name: 'memory', open: async () => ({ ...memoryStores(), close: async () => {} }), cleanup: async () => {} }];
}
