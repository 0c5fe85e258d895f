// Every sealed value in the database, whichever table keeps it (project_secrets,
// provider_settings' key and headers, webhook_secrets), for the start-up key check and
// `assay secrets drop-unreadable` (the port: SealedValueStore in core/ports.ts).
import type { Kysely } from 'kysely';
import type { SealedKind, SealedValue, SealedValueStore } from '../core/ports.js';
import type { Database } from './schema.js';

const PROVIDER_COLUMN = { 'provider-api-key': 'sealed_api_key', 'provider-headers': 'sealed_headers' } as const;

export class SqlSealedValues implements SealedValueStore {
  constructor(private readonly db: Kysely<Database>) {}

  async count(): Promise<number> {
    const one = async (query: { executeTakeFirstOrThrow(): Promise<{ n: number | string | bigint }> }) => Number((await query.executeTakeFirstOrThrow()).n);
    const counts = await Promise.all([
      one(this.db.selectFrom('project_secrets').select((eb) => eb.fn.countAll<number>().as('n'))),
      one(this.db.selectFrom('provider_settings').select((eb) => eb.fn.countAll<number>().as('n')).where('sealed_api_key', 'is not', null)),
      one(this.db.selectFrom('provider_settings').select((eb) => eb.fn.countAll<number>().as('n')).where('sealed_headers', 'is not', null)),
      one(this.db.selectFrom('webhook_secrets').select((eb) => eb.fn.countAll<number>().as('n'))),
    ]);
    return counts.reduce((a, b) => a + b, 0);
  }

  newest(limit: number): Promise<SealedValue[]> {
    return this.read(limit);
  }

  all(): Promise<SealedValue[]> {
    return this.read(null);
  }

  /** Each table's newest `limit` (all with null), merged and cut to `limit`, newest first. */
  private async read(limit: number | null): Promise<SealedValue[]> {
    const cap = <Q extends { limit(n: number): Q }>(q: Q): Q => (limit === null ? q : q.limit(limit));
    const [secrets, apiKeys, headers, webhooks] = await Promise.all([
      cap(this.db.selectFrom('project_secrets').select(['project_id', 'name', 'sealed_value', 'updated_at']).orderBy('updated_at', 'desc')).execute(),
      cap(this.db.selectFrom('provider_settings').select(['project_id', 'name', 'sealed_api_key', 'updated_at']).where('sealed_api_key', 'is not', null).orderBy('updated_at', 'desc')).execute(),
      cap(this.db.selectFrom('provider_settings').select(['project_id', 'name', 'sealed_headers', 'updated_at']).where('sealed_headers', 'is not', null).orderBy('updated_at', 'desc')).execute(),
      cap(this.db.selectFrom('webhook_secrets').select(['project_id', 'sealed_secret', 'created_at']).orderBy('created_at', 'desc')).execute(),
    ]);
    const values: SealedValue[] = [
      ...secrets.map((r) => value('secret', r.project_id, r.name, r.sealed_value, r.updated_at)),
      ...apiKeys.map((r) => value('provider-api-key', r.project_id, r.name, r.sealed_api_key!, r.updated_at)),
      ...headers.map((r) => value('provider-headers', r.project_id, r.name, r.sealed_headers!, r.updated_at)),
      ...webhooks.map((r) => value('webhook-secret', r.project_id, '', r.sealed_secret, r.created_at)),
    ].sort((a, b) => b.storedAt - a.storedAt);
    return limit === null ? values : values.slice(0, limit);
  }

  async drop(v: SealedValue): Promise<boolean> {
    switch (v.kind) {
      case 'secret': {
        const r = await this.db.deleteFrom('project_secrets').where('project_id', '=', v.projectId).where('name', '=', v.name).where('sealed_value', '=', v.sealed).executeTakeFirst();
        return Number(r.numDeletedRows) > 0;
      }
      case 'provider-api-key':
      case 'provider-headers': {
        const column = PROVIDER_COLUMN[v.kind];
        const r = await this.db.updateTable('provider_settings').set({ [column]: null }).where('project_id', '=', v.projectId).where('name', '=', v.name).where(column, '=', v.sealed).executeTakeFirst();
        return Number(r.numUpdatedRows) > 0;
      }
      case 'webhook-secret': {
        const r = await this.db.deleteFrom('webhook_secrets').where('project_id', '=', v.projectId).where('sealed_secret', '=', v.sealed).executeTakeFirst();
        return Number(r.numDeletedRows) > 0;
      }
    }
  }
}

function value(kind: SealedKind, projectId: string, name: string, sealed: string, storedAt: number | string): SealedValue {
  // PostgreSQL's int8 comes back as a number (connect.ts's parser); Number() keeps either safe.
  return { kind, projectId, name, sealed, storedAt: Number(storedAt) };
}
