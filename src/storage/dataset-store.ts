// Datasets are append-only: version v holds rows 0 … row_count(v)-1. A new dataset's rows are
// written under its id before the dataset exists (create); appends stream into a staging table
// and are copied into dataset_rows in one transaction at the end (in steps, see COPY_CHUNK).
// Either way a failed or interrupted upload leaves nothing visible.
import { randomUUID } from 'node:crypto';
import { type Kysely, type Selectable, sql } from 'kysely';
import { SlugTakenError } from '../core/errors.js';
import type { Row } from '../core/model/experiment.js';
import { countWithin } from '../core/model/paging.js';
import { nextTurn, yieldIfBusy } from '../core/turns.js';
import type { DatasetRecord } from '../core/model/records.js';
import type { DatasetStore, NewDataset, PageRequest, Paged, RowBatches } from '../core/ports.js';
import type { Database, DatasetsTable } from './schema.js';
import { isUniqueViolation, parseJson } from './sql-errors.js';

const INSERT_CHUNK = 500;
/**
 * Staged rows copied by one statement. better-sqlite3 runs a statement synchronously, so one
 * INSERT … SELECT of a million rows held the event loop for 3.2 s (measured, embedded mode);
 * in steps of 20,000 with a turn of the event loop between them, requests that do not need
 * the database are answered while a large upload is made visible.
 */
const COPY_CHUNK = 20_000;
/**
 * And at most this many characters of rows past a step's first: rows can be 1 MB, and 20,000
 * of them were one statement (an append of 300 rows of 1 MB held the event loop 1.5 s).
 */
const COPY_CHARS = 8 * 1024 * 1024;
/** The marker of a create in progress: upload_id `new:<dataset id>`, seq -1 (staged rows count from 0). */
const NEW_DATASET_PREFIX = 'new:';
const NEW_DATASET_SEQ = -1;

function toRecord(r: Selectable<DatasetsTable>): DatasetRecord {
  return {
    id: r.id, projectId: r.project_id, slug: r.slug, name: r.name, version: r.version,
    rowCount: r.row_count, columns: parseJson<string[]>(r.columns), createdAt: r.created_at, updatedAt: r.updated_at,
  };
}

interface Staged {
  uploadId: string;
  count: number;
  columns: string[];
  /** Where each step of the copy (and of a removal) begins: seqs, from 0, as writeRows cut them. */
  steps: number[];
  /** Characters of the rows in the last step so far. */
  stepChars: number;
}

const newStaged = (uploadId: string): Staged => ({ uploadId, count: 0, columns: [], steps: [0], stepChars: 0 });

/** The [from, to) seq ranges of the steps of what was written. */
function* stepRanges(staged: Staged): Generator<[number, number]> {
  for (let i = 0; i < staged.steps.length && staged.steps[i]! < staged.count; i++) yield [staged.steps[i]!, staged.steps[i + 1] ?? staged.count];
}

export class SqlDatasetStore implements DatasetStore {
  constructor(private readonly db: Kysely<Database>) {}

  /**
   * Serialises every batch and hands it to `write` in chunks numbered from 0. `into.count` and
   * `into.columns` are kept up to date as it goes, so a caller knows what was written even
   * when it throws; columns the source declared (`batches.columns`) are added at the end.
   */
  private async writeRows(batches: RowBatches, into: Staged, write: (values: { seq: number; data: string }[]) => Promise<unknown>): Promise<void> {
    const seen = new Set(into.columns);
    for await (const batch of batches) {
      for (let i = 0; i < batch.length; i += INSERT_CHUNK) {
        await yieldIfBusy();
        const values = batch.slice(i, i + INSERT_CHUNK).map((row) => {
          for (const k of Object.keys(row)) {
            if (!seen.has(k)) {
              seen.add(k);
              into.columns.push(k);
            }
          }
          const data = JSON.stringify(row);
          // A step ends at COPY_CHUNK rows or once past COPY_CHARS.
          const stepStart = into.steps[into.steps.length - 1]!;
          if (into.count > stepStart && (into.count - stepStart >= COPY_CHUNK || into.stepChars >= COPY_CHARS)) {
            into.steps.push(into.count);
            into.stepChars = 0;
          }
          into.stepChars += data.length;
          return { seq: into.count++, data };
        });
        if (values.length > 0) await write(values);
      }
    }
    // A CSV header with no rows under it still names the dataset's columns.
    for (const k of batches.columns ?? []) {
      if (!seen.has(k)) {
        seen.add(k);
        into.columns.push(k);
      }
    }
  }

  /** Writes every batch to staging; on any error removes what was staged and rethrows. */
  private async stage(batches: RowBatches, at: number): Promise<Staged> {
    const staged = newStaged(randomUUID());
    try {
      await this.writeRows(batches, staged, (values) =>
        this.db.insertInto('dataset_staging').values(values.map((v) => ({ upload_id: staged.uploadId, seq: v.seq, data: v.data, created_at: at }))).execute());
    } catch (error) {
      await this.discard(staged);
      throw error;
    }
    return staged;
  }

  /** Deletes rows [0, count) of a dataset that never became visible, in the copy's steps. */
  private async dropRows(datasetId: string, written: Staged): Promise<void> {
    for (const [from, to] of stepRanges(written)) {
      if (from > 0) await nextTurn();
      await this.db.deleteFrom('dataset_rows').where('dataset_id', '=', datasetId).where('idx', '>=', from).where('idx', '<', to).execute();
    }
  }

  /**
   * Deletes what an upload staged, after its rows were copied or when it failed: in the same
   * steps as the copy (a million-row DELETE is as long a statement), outside the copy's
   * transaction, since staged rows are never read by anything else; a process that dies
   * before this leaves them to purgeStaging.
   */
  private async discard(staged: Staged): Promise<void> {
    for (const [from, to] of stepRanges(staged)) {
      if (from > 0) await nextTurn();
      await this.db.deleteFrom('dataset_staging').where('upload_id', '=', staged.uploadId).where('seq', '>=', from).where('seq', '<', to).execute();
    }
  }

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

  private async copyStaged(trx: Kysely<Database>, staged: Staged, datasetId: string, base: number): Promise<void> {
    for (const [from, to] of stepRanges(staged)) {
      if (from > 0) await nextTurn();
      await trx
        .insertInto('dataset_rows')
        .columns(['dataset_id', 'idx', 'data'])
        .expression((eb) =>
          eb
            .selectFrom('dataset_staging')
            .select([sql<string>`cast(${datasetId} as text)`.as('dataset_id'), sql<number>`seq + ${base}`.as('idx'), 'data'])
            .where('upload_id', '=', staged.uploadId)
            .where('seq', '>=', from)
            .where('seq', '<', to),
        )
        .execute();
    }
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
      await this.writeRows(rows, written, (values) =>
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
      await this.dropRows(input.id, written);
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

  async append(projectId: string, id: string, rows: RowBatches, at: number): Promise<DatasetRecord | null> {
    if (!(await this.get(projectId, id))) return null;
    const staged = await this.stage(rows, at);
    try {
      const updated = await this.db.transaction().execute(async (trx) => {
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
        const merged = parseJson<string[]>(bumped.columns);
        for (const c of staged.columns) if (!merged.includes(c)) merged.push(c);
        const columns = JSON.stringify(merged);
        await trx.updateTable('datasets').set({ columns }).where('id', '=', id).execute();
        await trx.insertInto('dataset_versions').values({ dataset_id: id, version: bumped.version, row_count: bumped.row_count, columns, created_at: at }).execute();
        await this.copyStaged(trx, staged, id, bumped.row_count - staged.count);
        return toRecord({ ...bumped, columns });
      });
      await this.discard(staged);
      return updated;
    } catch (error) {
      await this.discard(staged);
      throw error;
    }
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
    return rows.map((r) => parseJson<Row>(r.data));
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

  async remove(projectId: string, idOrSlug: string, at: number): Promise<boolean> {
    const found = await this.get(projectId, idOrSlug);
    if (!found) return false;
    const r = await this.db.updateTable('datasets').set({ deleted_at: at }).where('id', '=', found.id).where('deleted_at', 'is', null).executeTakeFirst();
    return Number(r.numUpdatedRows) > 0;
  }
}
