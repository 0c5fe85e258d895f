// Saved datasets: uploads (JSON rows, CSV, JSON Lines), versions, paged reads, append, delete.
import { z } from 'zod';
import { AssayError, datasetNotFound, NotFoundError, SlugTakenError, TooManyColumnsError, ValidationError } from '../core/errors.js';
import { type Row, rowsSchema } from '../core/model/experiment.js';
import { PAGE_BYTES } from '../core/model/paging.js';
import type { DatasetVersion } from '../core/model/dataset-api.js';
import type { DatasetRecord, Project } from '../core/model/records.js';
import { NO_NUL, nextFreeSlug, slugify, slugSchema } from '../core/model/slug.js';
import type { Clock, PageRequest, Paged, RowBatches, Stores } from '../core/ports.js';
import { appendColumnsChecked, checkAppendColumns } from './append-columns.js';
import { newId } from './ids.js';
import { MAX_COLUMNS, tooManyColumns } from './row-limits.js';
import { parseOrThrow } from './validation.js';

export const MAX_PAGE_LIMIT = 1000;
/** Experiments a refused delete names. */
const USERS_NAMED = 5;

/**
 * The rows of a JSON upload, checked in one loop (zod's per-row record parse of 60,000 rows held
 * the main thread ≈ 50 ms). Numbers out of JSON's range (1e400 reads as Infinity and would be
 * stored as null) are refused by the body's parser already (app/json.ts), naming the row.
 */
const uploadRowsSchema = rowsSchema();

/** The JSON form of an upload. */
export const datasetCreateSchema = z.strictObject({
  name: z.string().trim().min(1).max(200).regex(...NO_NUL),
  slug: slugSchema.optional(),
  rows: uploadRowsSchema,
});

export const datasetAppendSchema = z.strictObject({ rows: uploadRowsSchema });

export class DatasetService {
  constructor(
    private readonly stores: Pick<Stores, 'datasets' | 'experiments'>,
    private readonly clock: Clock,
  ) {}

  /**
   * Creates a dataset from streamed rows. An explicit slug that is taken → 409 before any row
   * is read; a derived slug gets -2, -3…
   */
  async create(project: Project, meta: { name: string; slug?: string | undefined }, rows: RowBatches): Promise<DatasetRecord> {
    const name = parseOrThrow(datasetCreateSchema.shape.name, meta.name, 'dataset', ['name']);
    let slug = meta.slug;
    if (slug !== undefined) {
      parseOrThrow(slugSchema, slug, 'dataset', ['slug']);
      if ((await this.stores.datasets.get(project.id, slug)) !== null) throw new SlugTakenError(slug);
    } else {
      const base = slugify(name, 'dataset');
      slug = nextFreeSlug(base, await this.stores.datasets.slugsLike(project.id, base));
    }
    return this.stores.datasets.create({ id: newId('ds'), projectId: project.id, slug, name, at: this.clock.now() }, rows);
  }

  /**
   * Appends rows as a new version. Their columns are the dataset's (append-columns.ts): a CSV
   * header or a JSON body's keys (`rows.columns`) are checked before anything is stored, JSON
   * Lines rows as they stream. `newColumns`: they may bring columns the dataset lacks.
   */
  async append(project: Project, idOrSlug: string, rows: RowBatches, options: { newColumns?: boolean } = {}): Promise<DatasetRecord> {
    const found = await this.stores.datasets.get(project.id, idOrSlug);
    if (!found) throw datasetNotFound(idOrSlug);
    const allowNew = options.newColumns === true;
    // A version is a change: an append of no row (`{"rows": []}`, a CSV of the dataset's own
    // header alone) made a version of the same rows. A header that brings new columns is one.
    const some = await withFirstBatch(rows);
    const named = rows.columns ?? [];
    if (named.length > 0) checkAppendColumns(found, named, allowNew);
    if (!some && !named.some((c) => !found.columns.includes(c))) {
      throw new ValidationError('Nothing to append: the body has no row and no new column; a new version is made only for a change', [{ path: ['rows'], message: 'no rows' }]);
    }
    let updated: DatasetRecord | null;
    try {
      updated = await this.stores.datasets.append(project.id, found.id, appendColumnsChecked(some ?? rows, found, allowNew), this.clock.now(), MAX_COLUMNS);
    } catch (error) {
      if (error instanceof TooManyColumnsError) throw tooManyColumns(`these rows' columns, with the dataset's ${found.columns.length.toLocaleString('en-US')},`, ['columns']);
      throw error;
    }
    if (!updated) throw datasetNotFound(idOrSlug);
    return updated;
  }

  async get(project: Project, idOrSlug: string, version?: number): Promise<DatasetRecord> {
    const found = await this.stores.datasets.get(project.id, idOrSlug, version);
    if (found) return found;
    // A version past the latest said as such: "Dataset not found" sent the reader looking for a
    // dataset that is there.
    const latest = version === undefined ? null : await this.stores.datasets.get(project.id, idOrSlug);
    if (latest) {
      throw new NotFoundError('dataset_not_found', `Dataset ${latest.slug} has no version ${version}: its versions are 1–${latest.version} (GET /api/datasets/${latest.slug}/versions)`, { id: idOrSlug, version });
    }
    // A run page links its dataset by id: after a delete, "not found" read as a broken link.
    const deletedAt = await this.stores.datasets.deletedAt(project.id, idOrSlug);
    if (deletedAt !== null) {
      const at = new Date(deletedAt).toISOString();
      throw new NotFoundError('dataset_not_found', `Dataset not found: ${idOrSlug} was deleted at ${at}; the runs that read it keep their rows and results`, { id: idOrSlug, deletedAt: at });
    }
    throw datasetNotFound(idOrSlug);
  }

  /** One page of rows of a version (the latest by default). */
  async page(project: Project, idOrSlug: string, offset: number, limit: number, version?: number) {
    const dataset = await this.get(project, idOrSlug, version);
    const rows = await this.stores.datasets.rows(dataset.id, dataset.version, offset, Math.min(limit, MAX_PAGE_LIMIT), PAGE_BYTES);
    // Null once the page holds the version's last row; a page of large rows ends early.
    const next = offset + rows.length;
    return { dataset, offset, limit, rows, nextOffset: rows.length > 0 && next < dataset.rowCount ? next : null };
  }

  list(project: Project, page: PageRequest): Promise<Paged<DatasetRecord>> {
    return this.stores.datasets.list(project.id, page);
  }

  /** Every version of a dataset of the project, newest first. */
  async versions(project: Project, idOrSlug: string): Promise<DatasetVersion[]> {
    const dataset = await this.get(project, idOrSlug);
    return this.stores.datasets.versions(dataset.id);
  }

  /** The live experiments whose latest version runs the dataset, as the page lists them. */
  async users(project: Project, idOrSlug: string): Promise<{ slug: string; name: string }[]> {
    return this.usedBy(project, await this.get(project, idOrSlug));
  }

  /**
   * Deletes a dataset no live experiment uses. One that does is a 409 naming them: deleted, its
   * experiments could no longer run, and a new upload under the same name took its slug, so an
   * experiment that named it by slug ran other rows without a word.
   */
  async remove(project: Project, idOrSlug: string): Promise<void> {
    const dataset = await this.stores.datasets.get(project.id, idOrSlug);
    if (!dataset) throw datasetNotFound(idOrSlug);
    const users = (await this.usedBy(project, dataset)).map((u) => u.slug);
    if (users.length > 0) {
      const named = users.slice(0, USERS_NAMED).map((u) => `"${u}"`).join(', ') + (users.length > USERS_NAMED ? ', …' : '');
      // How to archive, said where it is needed: the route and the CLI command, with the slug when there is one.
      const how = users.length === 1
        ? `\`assay experiments archive ${users[0]}\` or DELETE /api/experiments/${users[0]}; its runs stay readable`
        : '`assay experiments archive SLUG` or DELETE /api/experiments/{slug} for each; their runs stay readable';
      throw new AssayError('conflict', `Dataset "${dataset.slug}" is used by ${users.length === 1 ? 'experiment' : 'experiments'} ${named}: point ${users.length === 1 ? 'it' : 'them'} at another dataset, or archive ${users.length === 1 ? 'it' : 'them'} (${how}), then delete it`, {
        meta: { experiments: users.slice(0, USERS_NAMED) },
      });
    }
    if (!(await this.stores.datasets.remove(project.id, idOrSlug, this.clock.now()))) throw datasetNotFound(idOrSlug);
  }

  /**
   * The live experiments whose latest version runs `dataset` (by its id or its slug). One
   * definition read per live experiment: a project's experiments are few (a delete and the
   * dataset page ask; docs/decisions.md, "Datasets in the web page").
   */
  private async usedBy(project: Project, dataset: DatasetRecord): Promise<{ slug: string; name: string }[]> {
    const users: { slug: string; name: string }[] = [];
    for (let page = 1; ; page++) {
      const { items } = await this.stores.experiments.list(project.id, { page, pageSize: 100 });
      for (const header of items) {
        const doc = await this.stores.experiments.definitionById(project.id, header.id, header.version);
        const ref = doc && 'datasetId' in doc.dataset ? doc.dataset.datasetId : undefined;
        if (ref === dataset.id || ref === dataset.slug) users.push({ slug: header.slug, name: header.name });
      }
      if (items.length < 100) return users;
    }
  }
}

/**
 * `rows` with its first non-empty batch read ahead, or null when it has none. The rows are a
 * stream: the batch read is put back in front, and what the batches carry (the CSV's columns)
 * stays on the object.
 */
async function withFirstBatch(rows: RowBatches): Promise<RowBatches | null> {
  const it = rows[Symbol.asyncIterator]();
  let first: IteratorResult<Row[]>;
  do first = await it.next();
  while (!first.done && first.value.length === 0);
  if (first.done) return null;
  const head = first.value;
  async function* all(): AsyncGenerator<Row[]> {
    yield head;
    for (let next = await it.next(); !next.done; next = await it.next()) yield next.value;
  }
  return Object.assign(all(), { columns: rows.columns });
}
