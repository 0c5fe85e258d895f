// Projects and their API keys.
import type { Kysely, Selectable } from 'kysely';
import { SlugTakenError } from '../core/errors.js';
import type { ApiKeyRecord, Project } from '../core/model/records.js';
import type { ApiKeyStore, PageRequest, Paged, ProjectStore } from '../core/ports.js';
import type { ApiKeysTable, Database, ProjectsTable } from './schema.js';
import { isUniqueViolation } from './sql-errors.js';

function toProject(r: Selectable<ProjectsTable>): Project {
  return { id: r.id, slug: r.slug, name: r.name, createdAt: r.created_at };
}

function toKey(r: Omit<Selectable<ApiKeysTable>, 'key_hash'>): ApiKeyRecord {
  return { id: r.id, projectId: r.project_id, prefix: r.prefix, createdAt: r.created_at, revokedAt: r.revoked_at };
}

export class SqlProjectStore implements ProjectStore {
  constructor(private readonly db: Kysely<Database>) {}

  async create(p: Project): Promise<Project> {
    try {
      await this.db.insertInto('projects').values({ id: p.id, slug: p.slug, name: p.name, created_at: p.createdAt }).execute();
    } catch (error) {
      if (isUniqueViolation(error)) throw new SlugTakenError(p.slug, 'by another project');
      throw error;
    }
    return p;
  }

  async get(id: string): Promise<Project | null> {
    const r = await this.db.selectFrom('projects').selectAll().where('id', '=', id).executeTakeFirst();
    return r ? toProject(r) : null;
  }

  async getBySlug(slug: string): Promise<Project | null> {
    const r = await this.db.selectFrom('projects').selectAll().where('slug', '=', slug).executeTakeFirst();
    return r ? toProject(r) : null;
  }

  async list(): Promise<Project[]> {
    const rows = await this.db.selectFrom('projects').selectAll().orderBy('created_at').orderBy('id').execute();
    return rows.map(toProject);
  }

  async count(): Promise<number> {
    const r = await this.db.selectFrom('projects').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow();
    return Number(r.n);
  }
}

export class SqlApiKeyStore implements ApiKeyStore {
  constructor(private readonly db: Kysely<Database>) {}

  async create(k: ApiKeyRecord & { hash: string }): Promise<ApiKeyRecord> {
    await this.db
      .insertInto('api_keys')
      .values({ id: k.id, project_id: k.projectId, key_hash: k.hash, prefix: k.prefix, created_at: k.createdAt, revoked_at: k.revokedAt })
      .execute();
    return { id: k.id, projectId: k.projectId, prefix: k.prefix, createdAt: k.createdAt, revokedAt: k.revokedAt };
  }

  async findActiveByHash(hash: string): Promise<{ key: ApiKeyRecord; project: Project } | null> {
    const r = await this.db
      .selectFrom('api_keys as k')
      .innerJoin('projects as p', 'p.id', 'k.project_id')
      .select([
        'k.id', 'k.project_id', 'k.key_hash', 'k.prefix', 'k.created_at', 'k.revoked_at',
        'p.slug as p_slug', 'p.name as p_name', 'p.created_at as p_created_at',
      ])
      .where('k.key_hash', '=', hash)
      .where('k.revoked_at', 'is', null)
      .executeTakeFirst();
    if (!r) return null;
    return {
      key: toKey(r),
      project: { id: r.project_id, slug: r.p_slug, name: r.p_name, createdAt: r.p_created_at },
    };
  }

  async get(id: string): Promise<ApiKeyRecord | null> {
    const r = await this.db.selectFrom('api_keys').selectAll().where('id', '=', id).executeTakeFirst();
    return r ? toKey(r) : null;
  }

  async revoke(id: string, at: number): Promise<boolean> {
    const existing = await this.get(id);
    if (!existing) return false;
    await this.db.updateTable('api_keys').set({ revoked_at: at }).where('id', '=', id).where('revoked_at', 'is', null).execute();
    return true;
  }

  async listForProject(projectId: string): Promise<ApiKeyRecord[]> {
    const rows = await this.db.selectFrom('api_keys').selectAll().where('project_id', '=', projectId).orderBy('created_at').execute();
    return rows.map(toKey);
  }

  async pageForProject(projectId: string, page: PageRequest): Promise<Paged<ApiKeyRecord>> {
    const total = await this.db
      .selectFrom('api_keys')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .where('project_id', '=', projectId)
      .executeTakeFirstOrThrow();
    // Never the hash: what leaves this method is shown to admins.
    const rows = await this.db
      .selectFrom('api_keys')
      .select(['id', 'project_id', 'prefix', 'created_at', 'revoked_at'])
      .where('project_id', '=', projectId)
      .orderBy('created_at')
      .orderBy('id')
      .limit(page.pageSize)
      .offset((page.page - 1) * page.pageSize)
      .execute();
    return { items: rows.map(toKey), total: Number(total.n) };
  }
}
