// Project secrets and provider settings. Both hold only sealed values (the app layer seals and
// opens them with the Cipher port); writes are single upserts, so concurrent writers never see
// a half-written row.
import type { Kysely, Selectable } from 'kysely';
import type { ProviderChange, ProviderStore, SecretMeta, SecretStore, StoredProvider, StoredSecret } from '../core/ports.js';
import type { Database, ProjectSecretsTable, ProviderSettingsTable } from './schema.js';

/** Code-point order in both databases (PostgreSQL collations would otherwise differ from SQLite's). */
function byName<T extends { name: string }>(items: T[]): T[] {
  return items.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

function originsOf(text: string | null): { allowedOrigins?: string[] } {
  return text === null ? {} : { allowedOrigins: JSON.parse(text) as string[] };
}

function toSecret(r: Selectable<ProjectSecretsTable>): StoredSecret {
  return { name: r.name, sealedValue: r.sealed_value, createdAt: r.created_at, updatedAt: r.updated_at, ...originsOf(r.allowed_origins) };
}

function toProvider(r: Selectable<ProviderSettingsTable>): StoredProvider {
  return {
    name: r.name,
    sealedApiKey: r.sealed_api_key,
    baseUrl: r.base_url,
    sealedHeaders: r.sealed_headers,
    prices: r.prices === null ? null : (JSON.parse(r.prices) as StoredProvider['prices']),
    // PostgreSQL's integer comes back as a number too; Number() only guards a driver that widens it.
    maxConcurrency: r.max_concurrency === null ? null : Number(r.max_concurrency),
    createdAt: r.created_at,
    updatedAt: r.updated_at,
  };
}

export class SqlSecretStore implements SecretStore {
  constructor(private readonly db: Kysely<Database>) {}

  async put(projectId: string, name: string, sealedValue: string, at: number, allowedOrigins?: string[] | null): Promise<SecretMeta> {
    const origins = allowedOrigins == null ? null : JSON.stringify(allowedOrigins);
    // Origins left out keep the stored binding: one statement, so a concurrent PUT cannot slip between a read and the write.
    const r = await this.db
      .insertInto('project_secrets')
      .values({ project_id: projectId, name, sealed_value: sealedValue, allowed_origins: origins, created_at: at, updated_at: at })
      .onConflict((oc) => oc.columns(['project_id', 'name']).doUpdateSet({ sealed_value: sealedValue, updated_at: at, ...(allowedOrigins !== undefined ? { allowed_origins: origins } : {}) }))
      .returning(['allowed_origins'])
      .executeTakeFirstOrThrow();
    return { name, updatedAt: at, ...originsOf(r.allowed_origins) };
  }

  async get(projectId: string, name: string): Promise<StoredSecret | null> {
    const r = await this.db.selectFrom('project_secrets').selectAll().where('project_id', '=', projectId).where('name', '=', name).executeTakeFirst();
    return r ? toSecret(r) : null;
  }

  async list(projectId: string): Promise<SecretMeta[]> {
    const rows = await this.db.selectFrom('project_secrets').select(['name', 'updated_at', 'allowed_origins']).where('project_id', '=', projectId).execute();
    return byName(rows.map((r) => ({ name: r.name, updatedAt: r.updated_at, ...originsOf(r.allowed_origins) })));
  }

  async values(projectId: string): Promise<StoredSecret[]> {
    const rows = await this.db.selectFrom('project_secrets').selectAll().where('project_id', '=', projectId).execute();
    return byName(rows.map(toSecret));
  }

  async remove(projectId: string, name: string): Promise<boolean> {
    const r = await this.db.deleteFrom('project_secrets').where('project_id', '=', projectId).where('name', '=', name).executeTakeFirst();
    return Number(r.numDeletedRows) > 0;
  }
}

export class SqlProviderStore implements ProviderStore {
  constructor(private readonly db: Kysely<Database>) {}

  async put(projectId: string, name: string, change: ProviderChange): Promise<StoredProvider> {
    const set: Partial<Selectable<ProviderSettingsTable>> = { updated_at: change.at };
    if (change.sealedApiKey !== undefined) set.sealed_api_key = change.sealedApiKey;
    if (change.baseUrl !== undefined) set.base_url = change.baseUrl;
    if (change.sealedHeaders !== undefined) set.sealed_headers = change.sealedHeaders;
    if (change.prices !== undefined) set.prices = change.prices === null ? null : JSON.stringify(change.prices);
    if (change.maxConcurrency !== undefined) set.max_concurrency = change.maxConcurrency;
    const r = await this.db
      .insertInto('provider_settings')
      .values({
        project_id: projectId,
        name,
        sealed_api_key: change.sealedApiKey ?? null,
        base_url: change.baseUrl ?? null,
        sealed_headers: change.sealedHeaders ?? null,
        prices: change.prices ? JSON.stringify(change.prices) : null,
        max_concurrency: change.maxConcurrency ?? null,
        created_at: change.at,
        updated_at: change.at,
      })
      .onConflict((oc) => oc.columns(['project_id', 'name']).doUpdateSet(set))
      .returningAll()
      .executeTakeFirstOrThrow();
    return toProvider(r);
  }

  async get(projectId: string, name: string): Promise<StoredProvider | null> {
    const r = await this.db.selectFrom('provider_settings').selectAll().where('project_id', '=', projectId).where('name', '=', name).executeTakeFirst();
    return r ? toProvider(r) : null;
  }

  async list(projectId: string): Promise<StoredProvider[]> {
    const rows = await this.db.selectFrom('provider_settings').selectAll().where('project_id', '=', projectId).execute();
    return byName(rows.map(toProvider));
  }

  async remove(projectId: string, name: string): Promise<boolean> {
    const r = await this.db.deleteFrom('provider_settings').where('project_id', '=', projectId).where('name', '=', name).executeTakeFirst();
    return Number(r.numDeletedRows) > 0;
  }
}
