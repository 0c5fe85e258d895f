// Experiments: a header row per experiment plus one immutable document per version.
import type { Kysely } from 'kysely';
import { SlugTakenError } from '../core/errors.js';
import { definitionOf, type ExperimentDocument } from '../core/model/experiment.js';
import type { ExperimentHeader, ExperimentRecord } from '../core/model/records.js';
import type { ExperimentStore, NewExperiment, PageRequest, Paged } from '../core/ports.js';
import { yieldIfBusy } from '../core/turns.js';
import type { Database } from './schema.js';
import { isUniqueViolation, parseJson } from './sql-errors.js';

interface JoinedRow {
  id: string;
  project_id: string;
  slug: string;
  created_at: number;
  updated_at: number;
  archived_at: number | null;
  v_version: number;
  v_name: string;
  document: string;
}

function toHeader(r: { id: string; project_id: string; slug: string; name: string; version: number; created_at: number; updated_at: number; archived_at: number | null }): ExperimentHeader {
  return { id: r.id, projectId: r.project_id, slug: r.slug, name: r.name, version: r.version, createdAt: r.created_at, updatedAt: r.updated_at, archivedAt: r.archived_at };
}

function toRecord(r: JoinedRow): ExperimentRecord {
  return {
    id: r.id,
    projectId: r.project_id,
    slug: r.slug,
    name: r.v_name,
    version: r.v_version,
    document: parseJson<ExperimentDocument>(r.document),
    createdAt: r.created_at,
    updatedAt: r.updated_at,
    archivedAt: r.archived_at,
  };
}

/**
 * A document's stored text, in a turn of its own. A document with 10 MB of inline rows takes
 * ≈ 15 ms to serialize, SQLite's INSERT of it ≈ 50 ms and the COMMIT (which may checkpoint the
 * WAL) up to 45 ms more on this machine; the writes yield between these steps (core/turns.ts)
 * so other requests are served in between, not after all three.
 */
async function documentText(document: ExperimentDocument): Promise<{ document: string; definition: string }> {
  await yieldIfBusy();
  const text = JSON.stringify(document);
  await yieldIfBusy();
  return { document: text, definition: JSON.stringify(definitionOf(document)) };
}

export class SqlExperimentStore implements ExperimentStore {
  constructor(private readonly db: Kysely<Database>) {}

  private joined(version?: number) {
    return this.db
      .selectFrom('experiments as e')
      .innerJoin('experiment_versions as v', (j) => {
        const on = j.onRef('v.experiment_id', '=', 'e.id');
        return version === undefined ? on.onRef('v.version', '=', 'e.version') : on.on('v.version', '=', version);
      })
      .select(['e.id', 'e.project_id', 'e.slug', 'e.created_at', 'e.updated_at', 'e.archived_at', 'v.version as v_version', 'v.name as v_name', 'v.document']);
  }

  async create(input: NewExperiment): Promise<ExperimentRecord> {
    const { document, definition } = await documentText(input.document);
    try {
      await this.db.transaction().execute(async (trx) => {
        await trx
          .insertInto('experiments')
          .values({ id: input.id, project_id: input.projectId, slug: input.slug, name: input.name, version: 1, created_at: input.at, updated_at: input.at, archived_at: null })
          .execute();
        await trx
          .insertInto('experiment_versions')
          .values({ experiment_id: input.id, version: 1, name: input.name, document, definition, created_at: input.at })
          .execute();
        await yieldIfBusy();
      });
    } catch (error) {
      if (isUniqueViolation(error)) throw new SlugTakenError(input.slug);
      throw error;
    }
    return {
      id: input.id, projectId: input.projectId, slug: input.slug, name: input.name, version: 1,
      document: input.document, createdAt: input.at, updatedAt: input.at, archivedAt: null,
    };
  }

  async slugsLike(projectId: string, base: string): Promise<string[]> {
    const rows = await this.db
      .selectFrom('experiments')
      .select('slug')
      .where('project_id', '=', projectId)
      .where('archived_at', 'is', null)
      .where((eb) => eb.or([eb('slug', '=', base), eb('slug', 'like', `${base}-%`)]))
      .execute();
    return rows.map((r) => r.slug);
  }

  async get(projectId: string, slug: string, version?: number): Promise<ExperimentRecord | null> {
    const r = await this.joined(version)
      .where('e.project_id', '=', projectId)
      .where('e.slug', '=', slug)
      .where('e.archived_at', 'is', null)
      .executeTakeFirst();
    return r ? toRecord(r) : null;
  }

  async header(projectId: string, slug: string): Promise<ExperimentHeader | null> {
    const r = await this.db
      .selectFrom('experiments')
      .select(['id', 'project_id', 'slug', 'name', 'version', 'created_at', 'updated_at', 'archived_at'])
      .where('project_id', '=', projectId)
      .where('slug', '=', slug)
      .where('archived_at', 'is', null)
      .executeTakeFirst();
    return r ? toHeader(r) : null;
  }

  async getById(projectId: string, id: string, version?: number): Promise<ExperimentRecord | null> {
    const r = await this.joined(version).where('e.project_id', '=', projectId).where('e.id', '=', id).executeTakeFirst();
    return r ? toRecord(r) : null;
  }

  async definitionById(projectId: string, id: string, version: number): Promise<ExperimentDocument | null> {
    const r = await this.db
      .selectFrom('experiments as e')
      .innerJoin('experiment_versions as v', (j) => j.onRef('v.experiment_id', '=', 'e.id').on('v.version', '=', version))
      // One column, not both: the document's text is read only where there is no definition.
      .select((eb) => [eb.fn.coalesce('v.definition', 'v.document').as('text'), eb('v.definition', 'is', null).as('whole')])
      .where('e.project_id', '=', projectId)
      .where('e.id', '=', id)
      .executeTakeFirst();
    if (!r) return null;
    // A version saved before migration 012 has no definition: its whole document, rows left out.
    const doc = parseJson<ExperimentDocument>(r.text);
    return r.whole ? definitionOf(doc) : doc;
  }

  async replace(projectId: string, slug: string, input: { name: string; document: ExperimentDocument; at: number }): Promise<ExperimentRecord | null> {
    const { document, definition } = await documentText(input.document);
    return this.db.transaction().execute(async (trx) => {
      // Bumping the version first takes the row lock (PostgreSQL) so concurrent saves serialise.
      const bumped = await trx
        .updateTable('experiments')
        .set((eb) => ({ version: eb('version', '+', 1), name: input.name, updated_at: input.at }))
        .where('project_id', '=', projectId)
        .where('slug', '=', slug)
        .where('archived_at', 'is', null)
        .returning(['id', 'version', 'created_at'])
        .executeTakeFirst();
      if (!bumped) return null;
      await trx
        .insertInto('experiment_versions')
        .values({ experiment_id: bumped.id, version: bumped.version, name: input.name, document, definition, created_at: input.at })
        .execute();
      await yieldIfBusy();
      return {
        id: bumped.id, projectId, slug, name: input.name, version: bumped.version, document: input.document,
        createdAt: bumped.created_at, updatedAt: input.at, archivedAt: null,
      };
    });
  }

  async archive(projectId: string, slug: string, at: number): Promise<boolean> {
    const r = await this.db
      .updateTable('experiments')
      .set({ archived_at: at })
      .where('project_id', '=', projectId)
      .where('slug', '=', slug)
      .where('archived_at', 'is', null)
      .executeTakeFirst();
    return Number(r.numUpdatedRows) > 0;
  }

  /** Reads no document: a list of experiments with 10 MB of inline rows each parsed them all (≈ 115 ms a page). */
  async list(projectId: string, page: PageRequest): Promise<Paged<ExperimentHeader>> {
    const total = await this.db
      .selectFrom('experiments')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .where('project_id', '=', projectId)
      .where('archived_at', 'is', null)
      .executeTakeFirstOrThrow();
    const rows = await this.db
      .selectFrom('experiments as e')
      .select(['e.id', 'e.project_id', 'e.slug', 'e.name', 'e.version', 'e.created_at', 'e.updated_at', 'e.archived_at'])
      .where('e.project_id', '=', projectId)
      .where('e.archived_at', 'is', null)
      .orderBy('e.updated_at', 'desc')
      .orderBy('e.id', 'desc')
      .limit(page.pageSize)
      .offset((page.page - 1) * page.pageSize)
      .execute();
    return { items: rows.map(toHeader), total: Number(total.n) };
  }
}
