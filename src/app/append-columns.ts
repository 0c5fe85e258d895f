// An append's rows have the dataset's columns: `assay datasets append questions other.csv`
// with a file of `foo,bar` made version 2 of `question, expected, product, foo, bar`, and an
// experiment running the latest version read an empty `question` from the new rows (found by a
// user walkthrough, 2026-12-06). A dataset's columns are fixed, as LangWatch's are: the rows of
// an append must bring every one of them and no other, unless the caller lets them add columns
// (`?newColumns=allow`, `assay datasets append --new-columns`).
//
// The columns of an append are read as an upload's are: a CSV's header, or the keys of its JSON
// or JSON Lines rows taken together. A JSON row may leave a key out (its cell is empty, as an
// empty CSV field is), but some row must have it. docs/decisions.md, "Appends keep the
// dataset's columns".
import { ValidationError } from '../core/errors.js';
import type { Row } from '../core/model/experiment.js';
import type { RowBatches } from '../core/ports.js';
import { suggestKey } from './key-suggestions.js';

/** Names a message lists at most (a dataset may have 10,000 columns). */
const LISTED = 20;
/** Names the error's `missingColumns` / `unexpectedColumns` hold at most. */
const IN_META = 100;

const quoted = (names: readonly string[]): string =>
  names.slice(0, LISTED).map((n) => JSON.stringify(n)).join(', ') + (names.length > LISTED ? ` (and ${names.length - LISTED} more)` : '');

/** What the refusal says about the dataset, and how columns are added. */
interface Dataset {
  slug: string;
  columns: readonly string[];
}

const didYouMean = (name: string, near: readonly string[]): string => {
  const guess = suggestKey(name, near);
  return guess === undefined ? JSON.stringify(name) : `${JSON.stringify(name)} (did you mean ${JSON.stringify(guess)}?)`;
};

/** Columns brought, each with a did-you-mean when it is a near-typo of one of `near`. */
function brought(unexpected: readonly string[], near: readonly string[]): string {
  const more = unexpected.length > LISTED ? ` (and ${unexpected.length - LISTED} more)` : '';
  return `${unexpected.length === 1 ? 'column' : 'columns'} ${unexpected.slice(0, LISTED).map((n) => didYouMean(n, near)).join(', ')}${more}`;
}

const ADD = 'to add columns, append with ?newColumns=allow (assay datasets append --new-columns): the rows already there read them as empty';
const EMPTY = 'a row may leave a value empty: an empty CSV field, "" or null in JSON';

function refusal(message: string, path: (string | number)[], issue: string, missing: readonly string[], unexpected: readonly string[]): ValidationError {
  return new ValidationError(message, [{ path, message: issue }], {
    meta: { missingColumns: missing.slice(0, IN_META), unexpectedColumns: unexpected.slice(0, IN_META) },
  });
}

/**
 * The 400 of an append whose columns together are not the dataset's: those it lacks, those it
 * brings (a near-typo of a column it lacks gets a did-you-mean), and what to do.
 */
function mismatch(dataset: Dataset, missing: readonly string[], unexpected: readonly string[], allowNew: boolean): ValidationError {
  const parts: string[] = [];
  if (missing.length > 0) parts.push(`lack ${missing.length === 1 ? 'column' : 'columns'} ${quoted(missing)}`);
  if (unexpected.length > 0) parts.push(`bring ${brought(unexpected, missing.length > 0 ? missing : dataset.columns)}, which it does not have`);
  const how = missing.length === 0
    ? ADD
    : `rows appended to a dataset have each of its columns (${EMPTY})${allowNew ? '; --new-columns only lets them bring new ones' : `; ${ADD}`}`;
  const message = `The appended rows' columns do not match dataset "${dataset.slug}" (${quoted(dataset.columns)}): they ${parts.join(' and ')}; nothing was appended. ` +
    `${how[0]!.toUpperCase()}${how.slice(1)}`;
  return refusal(message, ['columns'], `they ${parts.join(' and ')}`, missing, unexpected);
}

/**
 * Throws the 400 when the columns an upload names (a CSV header, or a JSON body's keys together)
 * are not the dataset's. A dataset with no columns yet takes any.
 */
export function checkAppendColumns(dataset: Dataset, named: readonly string[], allowNew: boolean): void {
  if (dataset.columns.length === 0) return;
  const mine = new Set(dataset.columns);
  const theirs = new Set(named);
  const missing = dataset.columns.filter((c) => !theirs.has(c));
  const unexpected = allowNew ? [] : named.filter((c) => !mine.has(c));
  if (missing.length > 0 || unexpected.length > 0) throw mismatch(dataset, missing, unexpected, allowNew);
}

/**
 * The rows, refused as they stream when they are not the dataset's columns: a row with a column
 * the dataset lacks at once (naming the row, without reading on), one the rows never had once
 * the last is read. Throwing from the stream leaves nothing stored (the store's append is all or
 * nothing). Columns the source names apart from its rows (a CSV header) count as the rows'.
 */
export function appendColumnsChecked(rows: RowBatches, dataset: Dataset, allowNew: boolean): RowBatches {
  if (dataset.columns.length === 0) return rows;
  const mine = new Set(dataset.columns);
  async function* checked(): AsyncGenerator<Row[]> {
    const seen = new Set<string>();
    let index = 0;
    for await (const batch of rows) {
      for (const row of batch) {
        for (const key in row) {
          if (!Object.hasOwn(row, key) || seen.has(key)) continue;
          seen.add(key);
          if (!mine.has(key) && !allowNew) throw rowMismatch(dataset, row, index);
        }
        index++;
      }
      yield batch;
    }
    for (const name of rows.columns ?? []) seen.add(name);
    const missing = dataset.columns.filter((c) => !seen.has(c));
    if (missing.length > 0) throw mismatch(dataset, missing, [], allowNew);
  }
  return Object.assign(checked(), { columns: rows.columns });
}

/**
 * The refusal of one streamed row that brings a column the dataset lacks, found before the rows
 * after it are read: what it brings (a did-you-mean from the columns it lacks).
 */
function rowMismatch(dataset: Dataset, row: Row, index: number): ValidationError {
  const mine = new Set(dataset.columns);
  const keys = Object.keys(row);
  const has = new Set(keys);
  const unexpected = keys.filter((k) => !mine.has(k));
  const lacks = dataset.columns.filter((c) => !has.has(c));
  const message = `Appended row ${index + 1} (counting from 1) brings ${brought(unexpected, lacks.length > 0 ? lacks : dataset.columns)}, which dataset "${dataset.slug}" (${quoted(dataset.columns)}) does not have; ` +
    `nothing was appended. ${ADD[0]!.toUpperCase()}${ADD.slice(1)}`;
  return refusal(message, ['rows', index], `brings ${brought(unexpected, lacks.length > 0 ? lacks : dataset.columns)}`, [], unexpected);
}
