// The response cache table: one stored answer per project and call fingerprint.
import type { Kysely } from 'kysely';
import type { ResponseCacheStore } from '../core/ports.js';
import type { Database } from './schema.js';

export class SqlResponseCache implements ResponseCacheStore {
  constructor(private readonly db: Kysely<Database>) {}

  async get(projectId: string, key: string): Promise<string | null> {
    const r = await this.db.selectFrom('response_cache').select('value').where('project_id', '=', projectId).where('key', '=', key).executeTakeFirst();
    return r?.value ?? null;
  }

  async put(projectId: string, key: string, value: string, at: number): Promise<void> {
    await this.db
      .insertInto('response_cache')
      .values({ project_id: projectId, key, value, created_at: at })
      .onConflict((oc) => oc.columns(['project_id', 'key']).doNothing())
      .execute();
  }
}
