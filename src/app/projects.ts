// Projects and API keys: creation, revocation, authentication and first-start bootstrap.
import { AssayError, NotFoundError, SlugTakenError } from '../core/errors.js';
import type { ApiKeyRecord, Project } from '../core/model/records.js';
import { projectSlugSchema, RESERVED_PROJECT_SLUGS, slugify } from '../core/model/slug.js';
import type { Clock, Stores } from '../core/ports.js';
import { generateApiKey, hashApiKey, keyDisplayPrefix } from './api-keys.js';
import { newId } from './ids.js';

export interface CreatedKey {
  id: string;
  /** The key itself, shown once. */
  apiKey: string;
}

/** How long one answer of `keyActive` is shared. */
const KEY_ACTIVE_TTL_MS = 1_000;

export class ProjectService {
  private readonly keyChecks = new Map<string, { at: number; active: Promise<boolean> }>();

  constructor(
    private readonly stores: Pick<Stores, 'projects' | 'apiKeys'>,
    private readonly clock: Clock,
  ) {}

  /** Creates a project and its first key. An explicit slug that is taken → SlugTakenError. */
  async createProject(name: string, slug?: string): Promise<{ project: Project; key: CreatedKey }> {
    let chosen = slug;
    if (chosen === undefined) {
      const derived = slugify(name, 'project');
      const base = RESERVED_PROJECT_SLUGS.has(derived) ? `${derived}-1` : derived;
      chosen = base;
      for (let n = 2; await this.stores.projects.getBySlug(chosen); n++) chosen = `${base}-${n}`;
    } else {
      const ok = projectSlugSchema.safeParse(chosen);
      if (!ok.success) throw new AssayError('validation_error', `Invalid slug: ${ok.error.issues[0]?.message}`, { issues: [{ path: ['slug'], message: ok.error.issues[0]?.message ?? 'invalid' }] });
    }
    const project = await this.stores.projects.create({ id: newId('proj'), slug: chosen, name, createdAt: this.clock.now() });
    const key = await this.createKey(project.id);
    return { project, key };
  }

  /** A new key for an existing project. */
  async createKey(projectId: string, apiKey = generateApiKey()): Promise<CreatedKey> {
    const project = await this.stores.projects.get(projectId);
    if (!project) throw new NotFoundError('project_not_found', `Project not found: ${projectId}`, { id: projectId });
    const record: ApiKeyRecord & { hash: string } = {
      id: newId('key'),
      projectId,
      hash: hashApiKey(apiKey),
      prefix: keyDisplayPrefix(apiKey),
      createdAt: this.clock.now(),
      revokedAt: null,
    };
    await this.stores.apiKeys.create(record);
    return { id: record.id, apiKey };
  }

  async revokeKey(id: string): Promise<void> {
    if (!(await this.stores.apiKeys.revoke(id, this.clock.now()))) {
      throw new NotFoundError('api_key_not_found', `API key not found: ${id}`, { id });
    }
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
  async bootstrap(apiKey: string | undefined): Promise<{ project: Project; createdKey?: string } | null> {
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
    return { project, createdKey: key.apiKey };
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
