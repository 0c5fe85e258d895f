// The limits on the rows of a dataset upload (or of a run's inline data), and the errors that
// refuse a row past them, naming it as the client wrote it (`rows[3]`, `line 5`). Both the row
// sources (row-sources.ts) and the CSV pre-scan (csv-records.ts) refuse rows, so the errors live
// here, where each can import them without importing the other.
import { AssayError, ValidationError } from '../core/errors.js';

/**
 * Most columns a dataset upload (or a run's inline data) may have: a CSV record's fields, and
 * the distinct keys of JSON and JSON Lines rows together. Real datasets have tens; a CSV header
 * of a million columns (8.9 MB) held the thread 1.5 s and then overflowed the stack (a 500), and
 * every column is a key in every stored row.
 */
export const MAX_COLUMNS = 10_000;

/** How many rows one upload (or one run's inline data) may have, and how large one row may be. */
export interface RowLimits {
  maxRows: number;
  /** UTF-8 bytes of the row's JSON (for JSON Lines: of its line). */
  maxRowBytes: number;
}

export const NO_ROW_LIMITS: RowLimits = { maxRows: Infinity, maxRowBytes: Infinity };

/** Where a row is, for messages: `rows[3]`, or `line 5` (plus its 0-based index) for text uploads. */
export interface RowPlace {
  index: number;
  /** `rows[3]` / `data[3]`, or undefined for a line of a text upload. */
  path?: string;
  line?: number;
}

/** The row as a sentence names it. */
export function describePlace(place: RowPlace): string {
  return place.path ?? `the row at line ${place.line} (row index ${place.index})`;
}

/** The issue (path and message) that points at the row. */
export function placeIssue(place: RowPlace, message: string) {
  return { path: place.line !== undefined ? ['line', place.line] : [...(place.path ? [place.path.replace(/\[\d+\]$/, '')] : []), place.index], message };
}

/** 413 for the first row past `maxRows`. */
export function tooManyRows(place: RowPlace, max: number): AssayError {
  const message = `Too many rows: at most ${max} are accepted in one upload or run; ${describePlace(place)} is over the limit`;
  return new AssayError('payload_too_large', message, {
    meta: { rowIndex: place.index, ...(place.line !== undefined ? { line: place.line } : {}), limitRows: max },
    issues: [placeIssue(place, `more than ${max} rows`)],
  });
}

/** 413 for a row larger than `maxRowBytes`; `bytes` undefined when it was refused before it was all read. */
export function rowTooLarge(place: RowPlace, bytes: number | undefined, max: number): AssayError {
  const message = `${place.path ?? `The row at line ${place.line} (row index ${place.index})`} is ${bytes ?? `more than ${max}`} bytes as JSON; a row may have at most ${max} bytes`;
  return new AssayError('payload_too_large', message, {
    meta: { rowIndex: place.index, ...(place.line !== undefined ? { line: place.line } : {}), ...(bytes !== undefined ? { rowBytes: bytes } : {}), limitBytes: max },
    issues: [placeIssue(place, `row larger than ${max} bytes`)],
  });
}

/** 400 for a row (or CSV header) that takes the upload past MAX_COLUMNS. */
export function tooManyColumns(where: string, issuePath: (string | number)[]): AssayError {
  const limit = MAX_COLUMNS.toLocaleString('en-US');
  return new ValidationError(`Too many columns: ${where} takes the upload past ${limit} columns; a dataset may have at most ${limit}`, [{ path: issuePath, message: `more than ${limit} columns` }], {
    meta: { limitColumns: MAX_COLUMNS },
  });
}
