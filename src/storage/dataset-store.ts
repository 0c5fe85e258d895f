// Datasets are append-only: version v holds rows 0 … row_count(v)-1. A new dataset's rows are
// written under its id before the dataset exists (create); appends stream into a staging table
// and are copied into dataset_rows at the end (in steps: src/storage/dataset-rows.ts), inside
// the new version's transaction on PostgreSQL, in place past the row count on SQLite (append).
// Either way a failed or interrupted upload leaves nothing visible.
import { type Kysely, type Selectable, sql } from 'kysely';
import { SlugTakenError, TooManyColumnsError } from '../core/errors.js';
import type { Row } from '../core/model/experiment.js';
import { countWithin } from '../core/model/paging.js';
import type { DatasetVersion } from '../core/model/dataset-api.js';
import type { DatasetRecord } from '../core/model/records.js';
import type { DatasetStore, NewDataset, PageRequest, Paged, RowBatches } from '../core/ports.js';
import { copyStaged, discard, dropRows, newStaged, type Staged, stage, writeRows } from './dataset-rows.js';
import type { Database, DatasetsTable } from './schema.js';
import { isUniqueViolation, parseJson, parseRows } from './sql-errors.js';

/** The marker of a create in progress: upload_id `new:<dataset id>`, seq -1 (staged rows count from 0). */
const NEW_DATASET_PREFIX = 'new:';
const NEW_DATASET_SEQ = -1;

function toRecord(r: Selectable<DatasetsTable>): DatasetRecord {
  return {
    id: r.id, projectId: r.project_id, slug: r.slug, name: r.name, version: r.version,
    rowCount: r.row_count, columns: parseJson<string[]>(r.columns), createdAt: r.created_at, updatedAt: r.updated_at,
  };
}

export class SqlDatasetStore implements DatasetStore {
  /** The append running for each dataset in this process (in place: see append). */
  private readonly appending = new Map<string, Promise<unknown>>();

  constructor(
    private readonly db: Kysely<Database>,
    /** Appends copy their rows in place, outside the version's transaction (SQLite: see append). */
    private readonly appendInPlace = false,
  ) {}

  /**
   * Removes what uploads that died with their process left (older than `before`): staged rows,
   * and the rows of new datasets whose marker is still there but whose dataset never appeared.
   */
  async purgeStaging(before: number): Promise<void> {
    const markers = await this.db.selectFrom('dataset_staging').select('upload_id').where('seq', '=', NEW_DATASET_SEQ).where('created_at', '<', before).execute();
    for (const { upload_id } of markers) {
      const id = upload_id.slice(NEW_DATASET_PREFIX.length);
      const visible = await this.db.selectFrom('datasets').select('id').where('id', '=', id).executeTakeFirst();
      if (!visible) await this.db.deleteFrom('dataset_rows').where('dataset_id', '=', id).execute();
    }
    await this.db.deleteFrom('dataset_staging').where('created_at', '<', before).execute();
  }

  /**
   * A new dataset's rows go straight into dataset_rows under its id, which nothing can read
   * until the datasets row exists (no version, no rows): no copy at the end, half the writes,
   * and no million-row transaction whose commit checkpoints SQLite's WAL in one go (2.8 s, the
   * longest pause of such an upload through staging). A marker in dataset_staging lets a later
   * start remove the rows of an upload its process died in (purgeStaging).
   */
  async create(input: NewDataset, rows: RowBatches): Promise<DatasetRecord> {
    const marker = { upload_id: `${NEW_DATASET_PREFIX}${input.id}`, seq: NEW_DATASET_SEQ, data: '', created_at: input.at };
    await this.db.insertInto('dataset_staging').values(marker).execute();
    const written = newStaged(marker.upload_id);
    try {
      await writeRows(rows, written, (values) =>
        this.db.insertInto('dataset_rows').values(values.map((v) => ({ dataset_id: input.id, idx: v.seq, data: v.data }))).execute());
      const columns = JSON.stringify(written.columns);
      await this.db.transaction().execute(async (trx) => {
        await trx
          .insertInto('datasets')
          .values({
            id: input.id, project_id: input.projectId, slug: input.slug, name: input.name, version: 1,
            row_count: written.count, columns, created_at: input.at, updated_at: input.at, deleted_at: null,
          })
          .execute();
        await trx.insertInto('dataset_versions').values({ dataset_id: input.id, version: 1, row_count: written.count, columns, created_at: input.at }).execute();
      });
    } catch (error) {
      await dropRows(this.db, input.id, written);
      await this.db.deleteFrom('dataset_staging').where('upload_id', '=', marker.upload_id).execute();
      if (isUniqueViolation(error)) throw new SlugTakenError(input.slug);
      throw error;
    }
    await this.db.deleteFrom('dataset_staging').where('upload_id', '=', marker.upload_id).execute();
    return {
      id: input.id, projectId: input.projectId, slug: input.slug, name: input.name, version: 1,
      rowCount: written.count, columns: written.columns, createdAt: input.at, updatedAt: input.at,
    };
  }

  /**
   * Stages the rows, then makes them a new version. On PostgreSQL the copy runs inside the
   * version's transaction, whose row lock serialises concurrent appends (from any process). On
   * SQLite that transaction's COMMIT checkpointed the write-ahead log the copy had filled, in one
   * piece on the main thread (300 rows of 1 MB: 0.9–1.2 s), so there appends to one dataset take
   * turns in this process (the only one using the file) and copy their rows in place, past the
   * dataset's row count, where no version reads, each step committed on its own; the version's
   * transaction then only raises the count.
   */
  async append(projectId: string, id: string, rows: RowBatches, at: number, maxColumns = Number.POSITIVE_INFINITY): Promise<DatasetRecord | null> {
    if (!(await this.get(projectId, id))) return null;
    const staged = await stage(this.db, rows, at);
    try {
      if (!this.appendInPlace) return await this.db.transaction().execute((trx) => this.newVersion(trx, projectId, id, staged, at, maxColumns, (base) => copyStaged(trx, staged, id, base)));
      return await this.oneAtATime(id, () => this.appendCopiedInPlace(projectId, id, staged, at, maxColumns));
    } finally {
      await discard(this.db, staged);
    }
  }

  /** Runs `work` once the appends to `datasetId` that came before it in this process are done. */
  private async oneAtATime<T>(datasetId: string, work: () => Promise<T>): Promise<T> {
    const before = this.appending.get(datasetId) ?? Promise.resolve();
    const mine = before.then(work, work);
    const settled = mine.catch(() => {});
    this.appending.set(datasetId, settled);
    try {
      return await mine;
    } finally {
      if (this.appending.get(datasetId) === settled) this.appending.delete(datasetId);
    }
  }

  private async appendCopiedInPlace(projectId: string, id: string, staged: Staged, at: number, maxColumns: number): Promise<DatasetRecord | null> {
    const current = await this.db.selectFrom('datasets').select('row_count').where('project_id', '=', projectId).where('id', '=', id).where('deleted_at', 'is', null).executeTakeFirst();
    if (!current) return null;
    const base = current.row_count;
    // Rows past the count are what an append interrupted by a crash copied: no version reads
    // them, and they would collide with this copy.
    await this.db.deleteFrom('dataset_rows').where('dataset_id', '=', id).where('idx', '>=', base).execute();
    try {
      await copyStaged(this.db, staged, id, base);
      const updated = await this.db.transaction().execute((trx) => this.newVersion(trx, projectId, id, staged, at, maxColumns, async (start) => {
        // Only appends move the count, and they take turns here: anything else is a bug.
        if (start !== base) throw new Error(`dataset ${id} grew from ${base} to ${start} rows during an append`);
      }));
      if (!updated) await dropRows(this.db, id, staged, base);
      return updated;
    } catch (error) {
      await dropRows(this.db, id, staged, base);
      throw error;
    }
  }

  /**
   * In `trx`: raises the dataset's version and row count by what was staged, merges its columns
   * and records the version; `copy` gets the index of the first new row. Null when the dataset
   * is gone.
   */
  private async newVersion(trx: Kysely<Database>, projectId: string, id: string, staged: Staged, at: number, maxColumns: number, copy: (base: number) => Promise<void>): Promise<DatasetRecord | null> {
    // The version bump takes the row lock first, so concurrent appends serialise.
    const bumped = await trx
      .updateTable('datasets')
      .set((eb) => ({ version: eb('version', '+', 1), row_count: eb('row_count', '+', staged.count), updated_at: at }))
      .where('project_id', '=', projectId)
      .where('id', '=', id)
      .where('deleted_at', 'is', null)
      .returningAll()
      .executeTakeFirst();
    if (!bumped) return null;
    // A set: with `includes`, 210,000 columns merged over 21 appends took 3 s an append.
    const merged = new Set(parseJson<string[]>(bumped.columns));
    for (const c of staged.columns) merged.add(c);
    // The bound is the dataset's, not only each upload's; throwing here rolls the version back.
    if (merged.size > maxColumns) throw new TooManyColumnsError(merged.size);
    const columns = JSON.stringify([...merged]);
    await trx.updateTable('datasets').set({ columns }).where('id', '=', id).execute();
    await trx.insertInto('dataset_versions').values({ dataset_id: id, version: bumped.version, row_count: bumped.row_count, columns, created_at: at }).execute();
    await copy(bumped.row_count - staged.count);
    return toRecord({ ...bumped, columns });
  }

  async slugsLike(projectId: string, base: string): Promise<string[]> {
    const rows = await this.db
      .selectFrom('datasets')
      .select('slug')
      .where('project_id', '=', projectId)
      .where('deleted_at', 'is', null)
      .where((eb) => eb.or([eb('slug', '=', base), eb('slug', 'like', `${base}-%`)]))
      .execute();
    return rows.map((r) => r.slug);
  }

  async get(projectId: string, idOrSlug: string, version?: number): Promise<DatasetRecord | null> {
    const r = await this.db
      .selectFrom('datasets')
      .selectAll()
      .where('project_id', '=', projectId)
      .where('deleted_at', 'is', null)
      .where((eb) => eb.or([eb('id', '=', idOrSlug), eb('slug', '=', idOrSlug)]))
      .orderBy(sql`case when id = ${idOrSlug} then 0 else 1 end`)
      .executeTakeFirst();
    if (!r) return null;
    if (version === undefined || version === r.version) return toRecord(r);
    const v = await this.db
      .selectFrom('dataset_versions')
      .selectAll()
      .where('dataset_id', '=', r.id)
      .where('version', '=', version)
      .executeTakeFirst();
    if (!v) return null;
    return { ...toRecord(r), version: v.version, rowCount: v.row_count, columns: parseJson<string[]>(v.columns), updatedAt: v.created_at };
  }

  async rows(datasetId: string, version: number, offset: number, limit: number, maxBytes = Number.POSITIVE_INFINITY): Promise<Row[]> {
    const count = await this.rowCount(datasetId, version);
    if (count === null) return [];
    let end = Math.min(count, offset + limit);
    if (end <= offset) return [];
    // Sizes first (octet_length reads no text: storage/run-log.ts), then the rows that fit.
    if (Number.isFinite(maxBytes)) end = offset + countWithin(await this.sizesIn(datasetId, offset, end), maxBytes);
    const rows = await this.db
      .selectFrom('dataset_rows')
      .select('data')
      .where('dataset_id', '=', datasetId)
      .where('idx', '>=', offset)
      .where('idx', '<', end)
      .orderBy('idx')
      .execute();
    return parseRows<Row>(rows);
  }

  async rowSizes(datasetId: string, version: number, from: number, to: number): Promise<number[]> {
    const count = await this.rowCount(datasetId, version);
    return count === null ? [] : this.sizesIn(datasetId, from, Math.min(to, count));
  }

  /** A version's row count; null when there is no such version. */
  private async rowCount(datasetId: string, version: number): Promise<number | null> {
    const v = await this.db
      .selectFrom('dataset_versions')
      .select('row_count')
      .where('dataset_id', '=', datasetId)
      .where('version', '=', version)
      .executeTakeFirst();
    return v ? v.row_count : null;
  }

  /** Stored sizes of rows [from, to) of the dataset (the caller bounds `to` by a version's count). */
  private async sizesIn(datasetId: string, from: number, to: number): Promise<number[]> {
    const sizes = await this.db
      .selectFrom('dataset_rows')
      .select(sql<number>`octet_length(data)`.as('bytes'))
      .where('dataset_id', '=', datasetId)
      .where('idx', '>=', from)
      .where('idx', '<', to)
      .orderBy('idx')
      .execute();
    return sizes.map((r) => Number(r.bytes));
  }

  async list(projectId: string, page: PageRequest): Promise<Paged<DatasetRecord>> {
    const total = await this.db
      .selectFrom('datasets')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .where('project_id', '=', projectId)
      .where('deleted_at', 'is', null)
      .executeTakeFirstOrThrow();
    const rows = await this.db
      .selectFrom('datasets')
      .selectAll()
      .where('project_id', '=', projectId)
      .where('deleted_at', 'is', null)
      .orderBy('updated_at', 'desc')
      .orderBy('id', 'desc')
      .limit(page.pageSize)
      .offset((page.page - 1) * page.pageSize)
      .execute();
    return { items: rows.map(toRecord), total: Number(total.n) };
  }

  async versions(datasetId: string): Promise<DatasetVersion[]> {
    const rows = await this.db.selectFrom('dataset_versions').selectAll().where('dataset_id', '=', datasetId).orderBy('version', 'desc').execute();
    return rows.map((v) => ({ version: v.version, rowCount: v.row_count, columns: parseJson<string[]>(v.columns), createdAt: v.created_at }));
  }

  async remove(projectId: string, idOrSlug: string, at: number): Promise<boolean> {
    const found = await this.get(projectId, idOrSlug);
    if (!found) return false;
    const r = await this.db.updateTable('datasets').set({ deleted_at: at }).where('id', '=', found.id).where('deleted_at', 'is', null).executeTakeFirst();
    return Number(r.numUpdatedRows) > 0;
  }

  async deletedAt(projectId: string, id: string): Promise<number | null> {
    // By id alone: a slug is free again once its dataset is deleted, and may name another since.
    const r = await this.db.selectFrom('datasets').select('deleted_at').where('project_id', '=', projectId).where('id', '=', id).executeTakeFirst();
    return r?.deleted_at ?? null;
  }
}
