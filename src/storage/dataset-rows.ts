// Writing an upload's rows: serialized in chunks of INSERT_CHUNK (or INSERT_CHARS), numbered from 0, and cut into
// the steps (COPY_CHUNK rows or COPY_CHARS) in which an append's staged rows are later copied
// and removed, a statement a step with a turn of the event loop between them. Used by
// src/storage/dataset-store.ts for creates (straight into dataset_rows) and appends (staged).
import { randomUUID } from 'node:crypto';
import { type Kysely, sql } from 'kysely';
import type { RowBatches } from '../core/ports.js';
import { nextTurn, turnBudget, turnElapsed, yieldIfBusy } from '../core/turns.js';
import type { Database } from './schema.js';

const INSERT_CHUNK = 500;
/**
 * And at most this many characters of rows past a chunk's first: one INSERT is one synchronous
 * statement, and 500 rows of 10,000 columns (10 MB) held the event loop ≈ 130 ms in it (security
 * review of 2026-12-07).
 */
const INSERT_CHARS = 1024 * 1024;
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

export interface Staged {
  uploadId: string;
  count: number;
  columns: string[];
  /** Where each step of the copy (and of a removal) begins: seqs, from 0, as writeRows cut them. */
  steps: number[];
  /** Characters of the rows in the last step so far. */
  stepChars: number;
}

export const newStaged = (uploadId: string): Staged => ({ uploadId, count: 0, columns: [], steps: [0], stepChars: 0 });

/** The [from, to) seq ranges of the steps of what was written. */
function* stepRanges(staged: Staged): Generator<[number, number]> {
  for (let i = 0; i < staged.steps.length && staged.steps[i]! < staged.count; i++) yield [staged.steps[i]!, staged.steps[i + 1] ?? staged.count];
}

/**
 * Serialises every batch and hands it to `write` in chunks numbered from 0. `into.count` and
 * `into.columns` are kept up to date as it goes, so a caller knows what was written even
 * when it throws; columns the source declared (`batches.columns`) are added at the end.
 */
export async function writeRows(batches: RowBatches, into: Staged, write: (values: { seq: number; data: string }[]) => Promise<unknown>): Promise<void> {
  const seen = new Set(into.columns);
  for await (const batch of batches) {
    let values: { seq: number; data: string }[] = [];
    let chars = 0;
    for (const row of batch) {
      // Each row is checked and serialized on its own: a row of 10,000 columns takes 1–3 ms, and
      // a chunk of 500 of them held the event loop 0.5 s before it gave a turn away.
      if (turnElapsed() >= turnBudget()) await yieldIfBusy();
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
      values.push({ seq: into.count++, data });
      chars += data.length;
      if (values.length >= INSERT_CHUNK || chars >= INSERT_CHARS) {
        await yieldIfBusy();
        await write(values);
        values = [];
        chars = 0;
      }
    }
    if (values.length > 0) {
      await yieldIfBusy();
      await write(values);
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
export async function stage(db: Kysely<Database>, batches: RowBatches, at: number): Promise<Staged> {
  const staged = newStaged(randomUUID());
  try {
    await writeRows(batches, staged, (values) =>
      db.insertInto('dataset_staging').values(values.map((v) => ({ upload_id: staged.uploadId, seq: v.seq, data: v.data, created_at: at }))).execute());
  } catch (error) {
    await discard(db, staged);
    throw error;
  }
  return staged;
}


/** Deletes the rows `written` put at `base` onwards (never visible: a failed upload), in its steps. */
export async function dropRows(db: Kysely<Database>, datasetId: string, written: Staged, base = 0): Promise<void> {
  for (const [from, to] of stepRanges(written)) {
    if (from > 0) await nextTurn();
    await db.deleteFrom('dataset_rows').where('dataset_id', '=', datasetId).where('idx', '>=', base + from).where('idx', '<', base + to).execute();
  }
}


/**
 * Deletes what an upload staged, after its rows were copied or when it failed: in the same
 * steps as the copy (a million-row DELETE is as long a statement), outside the copy's
 * transaction, since staged rows are never read by anything else; a process that dies
 * before this leaves them to purgeStaging.
 */
export async function discard(db: Kysely<Database>, staged: Staged): Promise<void> {
  for (const [from, to] of stepRanges(staged)) {
    if (from > 0) await nextTurn();
    await db.deleteFrom('dataset_staging').where('upload_id', '=', staged.uploadId).where('seq', '>=', from).where('seq', '<', to).execute();
  }
}


/** Copies the staged rows into dataset_rows from index `base`, a statement a step, in `trx` (or autocommitted). */
export async function copyStaged(trx: Kysely<Database>, staged: Staged, datasetId: string, base: number): Promise<void> {
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

