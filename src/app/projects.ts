// Projects and API keys: creation, revocation, authentication and first-start bootstrap.
import { AssayError, NotFoundError, ProjectExistsError, SlugTakenError } from '../core/errors.js';
import type { ApiKeyRecord, Project } from '../core/model/records.js';
import { projectSlugSchema, RESERVED_PROJECT_SLUGS, SLUG_PATTERN, slugify } from '../core/model/slug.js';
import type { Clock, PageRequest, Paged, Stores } from '../core/ports.js';
import { generateApiKey, hashApiKey, KEY_ID_PATTERN, keyDisplayPrefix, looksLikeApiKey } from './api-keys.js';
import { newId } from './ids.js';

export interface CreatedKey {
  id: string;
  /** The key itself, shown once. */
  apiKey: string;
}

/** What revoking a key did: the record as it is now, and whether it had been revoked before. */
export interface RevokedKey {
  key: ApiKeyRecord;
  alreadyRevoked: boolean;
}

/** A project as the admin list shows it: with how many keys it has, revoked ones included, and how many work. */
export interface ProjectSummary extends Project {
  keyCount: number;
  activeKeyCount: number;
}

/** Shape of a project id (`proj_` + ULID): with slugs, the only values quoted in a 404. */
const PROJECT_ID_PATTERN = /^proj_[0-9A-Za-z]{1,64}$/;

/** Where the ids a refusal asks for are listed: a project's, or a key's. */
const INSTEAD = {
  project: "Pass the project's id (proj_…) or slug instead: `assay projects list` or GET /api/admin/projects lists them",
  key: "Pass the key's id (key_…) instead: `assay keys list --project P` or GET /api/admin/projects/{id}/api-keys lists them",
};

/** Refuses a key where an id is expected, naming where ids are shown; never quotes the value. */
function refuseKeyAsId(value: string, field: string, expected: string, instead: keyof typeof INSTEAD): void {
  if (!looksLikeApiKey(value)) return;
  throw new AssayError('validation_error', `Expected ${expected}, got what looks like an API key (sk-lw-…), which is not shown back. ${INSTEAD[instead]}`, {
    issues: [{ path: [field], message: `must be ${expected}, not an API key` }],
  });
}

/** How long one answer of `keyActive` is shared. */
const KEY_ACTIVE_TTL_MS = 1_000;

export class ProjectService {
  private readonly keyChecks = new Map<string, { at: number; active: Promise<boolean> }>();

  constructor(
    private readonly stores: Pick<Stores, 'projects' | 'apiKeys'>,
    private readonly clock: Clock,
  ) {}

  /**
   * Creates a project and its first key. A slug another project holds, given or derived from
   * the name, is refused with ProjectExistsError naming that project: a name is never
   * deduplicated into `name-2`, so a provisioning script run twice makes one project, not two
   * (docs/decisions.md, "Project names are not deduplicated").
   */
  async createProject(name: string, slug?: string): Promise<{ project: Project; key: CreatedKey }> {
    let chosen: string;
    if (slug === undefined) {
      const derived = slugify(name, '');
      // A name with nothing to make a slug of ("中文", "!!!") all became `project`, so the second
      // such project was refused as that unrelated one: asked for a slug instead.
      if (derived === '') {
        throw new AssayError('validation_error', `No slug can be made from the name "${name.slice(0, 80)}" (it has no Latin letters or digits): pass \`slug\` too (lowercase letters, digits and hyphens; \`assay projects create NAME --slug S\`)`, { issues: [{ path: ['slug'], message: 'required: the name gives no slug' }] });
      }
      chosen = RESERVED_PROJECT_SLUGS.has(derived) ? `${derived}-1` : derived;
    } else {
      const ok = projectSlugSchema.safeParse(slug);
      if (!ok.success) throw new AssayError('validation_error', `Invalid slug: ${ok.error.issues[0]?.message}`, { issues: [{ path: ['slug'], message: ok.error.issues[0]?.message ?? 'invalid' }] });
      chosen = slug;
    }
    const existing = await this.stores.projects.getBySlug(chosen);
    if (existing) throw new ProjectExistsError(existing);
    let project: Project;
    try {
      project = await this.stores.projects.create({ id: newId('proj'), slug: chosen, name, createdAt: this.clock.now() });
    } catch (error) {
      // Two creations at once: the loser names the project the winner made.
      if (!(error instanceof SlugTakenError)) throw error;
      const raced = await this.stores.projects.getBySlug(chosen);
      throw raced ? new ProjectExistsError(raced) : error;
    }
    const key = await this.createKey(project.id);
    return { project, key };
  }

  /**
   * A project by id (`proj_…`) or slug (ids hold an underscore, slugs cannot, so they never
   * collide). A value that looks like an API key is refused unread; an unknown one is quoted
   * in the 404 only when it has the shape of an id or slug.
   */
  async resolveProject(idOrSlug: string): Promise<Project> {
    refuseKeyAsId(idOrSlug, 'id', "a project's id (proj_…) or slug", 'project');
    const project = (await this.stores.projects.get(idOrSlug)) ?? (await this.stores.projects.getBySlug(idOrSlug));
    if (project) return project;
    const quotable = PROJECT_ID_PATTERN.test(idOrSlug) || SLUG_PATTERN.test(idOrSlug);
    throw new NotFoundError('project_not_found', quotable ? `Project not found: ${idOrSlug}` : 'Project not found', quotable ? { id: idOrSlug } : {});
  }

  /** A new key for an existing project (by id or slug). */
  async createKey(projectIdOrSlug: string, apiKey = generateApiKey()): Promise<CreatedKey> {
    const project = await this.resolveProject(projectIdOrSlug);
    const record: ApiKeyRecord & { hash: string } = {
      id: newId('key'),
      projectId: project.id,
      hash: hashApiKey(apiKey),
      prefix: keyDisplayPrefix(apiKey),
      createdAt: this.clock.now(),
      revokedAt: null,
    };
    await this.stores.apiKeys.create(record);
    return { id: record.id, apiKey };
  }

  /**
   * A page of every project, oldest first (new projects never shift earlier pages), each with
   * its key counts. The store's port lists projects whole and keys per project: a server holds
   * few projects, and a page of 200 costs 200 small key reads (admin use only).
   */
  async listProjects(page: PageRequest): Promise<Paged<ProjectSummary>> {
    const all = await this.stores.projects.list();
    const start = (page.page - 1) * page.pageSize;
    const items = await Promise.all(
      all.slice(start, start + page.pageSize).map(async (project) => {
        const keys = await this.stores.apiKeys.listForProject(project.id);
        return { ...project, keyCount: keys.length, activeKeyCount: keys.filter((k) => k.revokedAt === null).length };
      }),
    );
    return { items, total: all.length };
  }

  /** A page of a project's keys (by id or slug), oldest first: revoked ones included, never a secret. */
  async listKeys(projectIdOrSlug: string, page: PageRequest): Promise<{ project: Project } & Paged<ApiKeyRecord>> {
    const project = await this.resolveProject(projectIdOrSlug);
    return { project, ...(await this.stores.apiKeys.pageForProject(project.id, page)) };
  }

  /**
   * Revokes a key by its record id (`key_…`). The key itself is refused before any lookup (it
   * would have been echoed in the 404); revoking twice keeps the first time and says so.
   */
  async revokeKey(id: string): Promise<RevokedKey> {
    refuseKeyAsId(id, 'id', "an API key's id (key_…)", 'key');
    const before = await this.stores.apiKeys.get(id);
    if (!before || !(await this.stores.apiKeys.revoke(id, this.clock.now()))) {
      const quotable = KEY_ID_PATTERN.test(id);
      throw new NotFoundError('api_key_not_found', quotable ? `API key not found: ${id}` : "API key not found (a key's id looks like key_…)", quotable ? { id } : {});
    }
    if (before.revokedAt !== null) return { key: before, alreadyRevoked: true };
    this.keyChecks.delete(id);
    return { key: (await this.stores.apiKeys.get(id)) ?? before, alreadyRevoked: false };
  }

  /** The project a presented key belongs to, or null for an unknown or revoked key. */
  async authenticate(apiKey: string): Promise<Project | null> {
    return (await this.identify(apiKey))?.project ?? null;
  }

  /**
   * Whether a key record is still active (not revoked), for long-lived requests (SSE streams)
   * that authenticated once. Answers are shared for a second across callers: a hundred streams
   * of one key cost one query per second, not a hundred.
   */
  keyActive(keyId: string): Promise<boolean> {
    const now = this.clock.now();
    const hit = this.keyChecks.get(keyId);
    if (hit && now - hit.at < KEY_ACTIVE_TTL_MS) return hit.active;
    if (this.keyChecks.size > 10_000) this.keyChecks.clear();
    const active = this.stores.apiKeys.get(keyId).then((k) => k !== null && k.revokedAt === null);
    this.keyChecks.set(keyId, { at: now, active });
    active.catch(() => this.keyChecks.delete(keyId));
    return active;
  }

  /** The project and the key record's id (per-key limits count by it), or null for an unknown or revoked key. */
  /** The project of an active key, the key record's id and its display prefix (a key's only name). */
  async identify(apiKey: string): Promise<{ project: Project; keyId: string; keyName: string } | null> {
    const found = await this.stores.apiKeys.findActiveByHash(hashApiKey(apiKey));
    return found ? { project: found.project, keyId: found.key.id, keyName: found.key.prefix } : null;
  }

  /**
   * Start-up: with `apiKey`, make sure project `default` exists and accepts that key; with
   * no project at all, create `default` with a fresh key and return it (to be shown once).
   * Safe when several processes start at once.
   */
  async bootstrap(apiKey: string | undefined): Promise<{ project: Project; createdKey?: string; createdKeyId?: string } | null> {
    if (apiKey !== undefined) {
      const project = await this.ensureDefault();
      const existing = await this.stores.apiKeys.findActiveByHash(hashApiKey(apiKey));
      if (existing && existing.project.id !== project.id) {
        throw new AssayError('conflict', 'ASSAY_API_KEY already belongs to another project');
      }
      if (!existing) await this.createKey(project.id, apiKey);
      return { project };
    }
    if ((await this.stores.projects.count()) > 0) return null;
    const project = await this.ensureDefault();
    if ((await this.stores.apiKeys.listForProject(project.id)).length > 0) return { project };
    const key = await this.createKey(project.id);
    return { project, createdKey: key.apiKey, createdKeyId: key.id };
  }

  private async ensureDefault(): Promise<Project> {
    const existing = await this.stores.projects.getBySlug('default');
    if (existing) return existing;
    try {
      return await this.stores.projects.create({ id: newId('proj'), slug: 'default', name: 'Default', createdAt: this.clock.now() });
    } catch (error) {
      if (!(error instanceof SlugTakenError)) throw error;
      const raced = await this.stores.projects.getBySlug('default');
      if (!raced) throw error;
      return raced;
    }
  }
}
