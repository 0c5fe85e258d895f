// Streams of request bytes → batches of dataset rows, for CSV and JSON Lines uploads. Bytes
// are decoded as strict UTF-8 and parsed incrementally, so an upload is never held whole.
// Every source enforces the row limits (ASSAY_MAX_ROWS, ASSAY_MAX_ROW_BYTES) and MAX_COLUMNS as
// it goes, and a refusal names the row as the client wrote it (`rows[3]`, `line 5`).
import { pipeline, Readable } from 'node:stream';
import type { CsvError as CsvErrorClass } from 'csv-parse';
import { AssayError, ValidationError } from '../core/errors.js';
import type { Row } from '../core/model/experiment.js';
import type { RowBatches } from '../core/model/paging.js';
import { yieldIfBusy } from '../core/turns.js';
import { nonFinitePath, OUT_OF_RANGE, parseUntrustedJson } from './json.js';

export const ROW_BATCH = 1000;
/**
 * Characters of source text (a JSON Lines line, a CSV record's bytes) a batch holds at most,
 * past its first row. Rows can be 1 MB (ASSAY_MAX_ROW_BYTES): by count alone a batch was up to
 * 1,000 of them, a gigabyte parsed and then serialized again for its INSERT, and an upload of
 * 300 MB of such rows grew the heap to 930 MB. As the executor's pages (docs/decisions.md,
 * "Pages bounded in bytes").
 */
export const BATCH_CHARS = 4 * 1024 * 1024;
/**
 * Most columns a dataset upload (or a run's inline data) may have: a CSV record's fields, and
 * the distinct keys of JSON and JSON Lines rows together. Real datasets have tens; a CSV header
 * of a million columns (8.9 MB) held the thread 1.5 s and then overflowed the stack (a 500), and
 * every column is a key in every stored row.
 */
export const MAX_COLUMNS = 10_000;
const FORBIDDEN_KEYS = new Set(['__proto__', 'constructor', 'prototype']);

/** How many rows one upload (or one run's inline data) may have, and how large one row may be. */
export interface RowLimits {
  maxRows: number;
  /** UTF-8 bytes of the row's JSON (for JSON Lines: of its line). */
  maxRowBytes: number;
}

export const NO_ROW_LIMITS: RowLimits = { maxRows: Infinity, maxRowBytes: Infinity };

/** Where a row is, for messages: `rows[3]`, or `line 5` (plus its 0-based index) for text uploads. */
interface RowPlace {
  index: number;
  /** `rows[3]` / `data[3]`, or undefined for a line of a text upload. */
  path?: string;
  line?: number;
}

function describePlace(place: RowPlace): string {
  return place.path ?? `the row at line ${place.line} (row index ${place.index})`;
}

function placeIssue(place: RowPlace, message: string) {
  return { path: place.line !== undefined ? ['line', place.line] : [...(place.path ? [place.path.replace(/\[\d+\]$/, '')] : []), place.index], message };
}

/** 413 for the first row past `maxRows`. */
function tooManyRows(place: RowPlace, max: number): AssayError {
  const message = `Too many rows: at most ${max} are accepted in one upload or run; ${describePlace(place)} is over the limit`;
  return new AssayError('payload_too_large', message, {
    meta: { rowIndex: place.index, ...(place.line !== undefined ? { line: place.line } : {}), limitRows: max },
    issues: [placeIssue(place, `more than ${max} rows`)],
  });
}

/** 413 for a row larger than `maxRowBytes`; `bytes` undefined when it was refused before it was all read. */
function rowTooLarge(place: RowPlace, bytes: number | undefined, max: number): AssayError {
  const message = `${place.path ?? `The row at line ${place.line} (row index ${place.index})`} is ${bytes ?? `more than ${max}`} bytes as JSON; a row may have at most ${max} bytes`;
  return new AssayError('payload_too_large', message, {
    meta: { rowIndex: place.index, ...(place.line !== undefined ? { line: place.line } : {}), ...(bytes !== undefined ? { rowBytes: bytes } : {}), limitBytes: max },
    issues: [placeIssue(place, `row larger than ${max} bytes`)],
  });
}

/** 400 for a row (or CSV header) that takes the upload past MAX_COLUMNS. */
function tooManyColumns(where: string, issuePath: (string | number)[]): AssayError {
  const limit = MAX_COLUMNS.toLocaleString('en-US');
  return new ValidationError(`Too many columns: ${where} takes the upload past ${limit} columns; a dataset may have at most ${limit}`, [{ path: issuePath, message: `more than ${limit} columns` }], {
    meta: { limitColumns: MAX_COLUMNS },
  });
}

/** The distinct keys of an upload's rows so far, refused past MAX_COLUMNS. */
class ColumnCount {
  private readonly seen = new Set<string>();

  /** Counts the row's keys; a 400 naming `place` when they take the upload past MAX_COLUMNS. */
  add(row: object, place: RowPlace): void {
    for (const key of Object.keys(row)) {
      if (this.seen.has(key)) continue;
      this.seen.add(key);
      if (this.seen.size > MAX_COLUMNS) throw tooManyColumns(describePlace(place), placeIssue(place, '').path);
    }
  }
}

/**
 * UTF-8 bytes of `text`, computed only when it could be over `max` (a UTF-16 unit is at most
 * 3 UTF-8 bytes), so small rows cost one length read.
 */
function bytesOver(text: string, max: number): number | null {
  if (text.length * 3 <= max) return null;
  const bytes = Buffer.byteLength(text, 'utf8');
  return bytes > max ? bytes : null;
}

/** Checks one row against the limits; `json` is its JSON text when the source already has it. */
function checkRow(row: Row, place: RowPlace, limits: RowLimits, json?: string): void {
  if (place.index >= limits.maxRows) throw tooManyRows(place, limits.maxRows);
  if (limits.maxRowBytes === Infinity) return;
  const bytes = bytesOver(json ?? JSON.stringify(row), limits.maxRowBytes);
  if (bytes !== null) throw rowTooLarge(place, bytes, limits.maxRowBytes);
}

/**
 * Checks already-parsed rows (a JSON upload's `rows`, a run's `data`) before anything is stored:
 * the count first (naming the first row over), then each row's size. `field` names the array.
 */
export async function checkRowArray(rows: readonly Row[], limits: RowLimits, field: string): Promise<void> {
  if (rows.length > limits.maxRows) throw tooManyRows({ index: limits.maxRows, path: `${field}[${limits.maxRows}]` }, limits.maxRows);
  const columns = new ColumnCount();
  for (let index = 0; index < rows.length; index++) {
    // Sizing 60,000 rows takes ≈ 20 ms (each is serialized): in turns (core/turns.ts).
    if (index % 1024 === 1023) await yieldIfBusy();
    const place = { index, path: `${field}[${index}]` };
    columns.add(rows[index]!, place);
    if (limits.maxRowBytes !== Infinity) checkRow(rows[index]!, place, limits);
  }
}

export { nonFinitePath, OUT_OF_RANGE };

/** Decodes UTF-8 strictly, chunk by chunk; invalid bytes → 400 invalid_encoding. */
export async function* decodeUtf8(bytes: AsyncIterable<Uint8Array>): AsyncIterable<string> {
  const decoder = new TextDecoder('utf-8', { fatal: true });
  let offset = 0;
  try {
    for await (const chunk of bytes) {
      const text = decoder.decode(chunk, { stream: true });
      offset += chunk.byteLength;
      if (text.length > 0) yield text;
    }
    const tail = decoder.decode();
    if (tail.length > 0) yield tail;
  } catch (error) {
    if (error instanceof TypeError) {
      throw new AssayError('invalid_encoding', `The body is not valid UTF-8 (near byte ${offset})`);
    }
    throw error;
  }
}

function checkHeader(header: string[]): string[] {
  const seen = new Set<string>();
  header.forEach((name, i) => {
    const column = name.trim();
    if (column === '') throw new ValidationError(`Malformed CSV at line 1: column ${i + 1} has an empty name`, [{ path: ['line', 1], message: 'empty column name' }]);
    if (FORBIDDEN_KEYS.has(column)) throw new ValidationError(`Malformed CSV at line 1: "${column}" is not allowed as a column name`, [{ path: ['line', 1], message: 'forbidden column name' }]);
    if (seen.has(column)) throw new ValidationError(`Malformed CSV at line 1: column "${column}" appears twice`, [{ path: ['line', 1], message: 'duplicate column name' }]);
    seen.add(column);
  });
  return header.map((h) => h.trim());
}

/**
 * CSV with a header line → rows of strings, and the header's names as `columns` (so a header
 * with no rows under it still gives the dataset its columns). A malformed line, or a record of
 * more than MAX_COLUMNS fields → 400 naming that line; a row over the limits → 413 naming its
 * line (a record too long for them is refused before it is parsed: csvRecords).
 */
export function csvRows(bytes: AsyncIterable<Uint8Array>, limits: RowLimits = NO_ROW_LIMITS, batchSize = ROW_BATCH): RowBatches {
  const columns: string[] = [];
  const header = (names: string[]): string[] => {
    // csvRecords has refused a longer record already; this keeps the bound where it is used.
    if (names.length > MAX_COLUMNS) throw tooManyColumns('the CSV header at line 1', ['line', 1]);
    const checked = checkHeader(names);
    for (const name of checked) columns.push(name);
    return checked;
  };
  return Object.assign(csvBatches(bytes, limits, batchSize, header), { columns });
}

async function* csvBatches(bytes: AsyncIterable<Uint8Array>, limits: RowLimits, batchSize: number, header: (names: string[]) => string[]): AsyncIterable<Row[]> {
  // Loaded on the first CSV upload: an idle server does not hold the parser (docs/benchmarks.md, "Memory").
  const { CsvError, parse: parseCsv } = await import('csv-parse');
  const parser = parseCsv({ columns: header, bom: true, skip_empty_lines: true, relax_column_count: false, info: true });
  // pipeline (not pipe) so an error of the source (bad UTF-8, 413, too many columns) destroys
  // the parser too, and the loop below rejects instead of waiting forever.
  pipeline(Readable.from(csvRecords(decodeUtf8(bytes), limits)), parser, () => {});
  let batch: Row[] = [];
  let index = 0;
  // Where the batch began in the source, in bytes (the parser counts them).
  let batchFrom = 0;
  try {
    for await (const { record, info } of parser as AsyncIterable<{ record: Row; info: { lines: number; bytes: number } }>) {
      checkRow(record, { index, line: info.lines }, limits);
      index++;
      batch.push(record);
      if (batch.length >= batchSize || info.bytes - batchFrom >= BATCH_CHARS) {
        yield batch;
        batch = [];
        batchFrom = info.bytes;
      }
    }
  } catch (error) {
    // Leaving the loop destroys the parser, and pipeline the body stream: a refused row stops
    // the upload at once.
    throw csvError(error, CsvError);
  }
  if (batch.length > 0) yield batch;
}

const QUOTE = 0x22;
const COMMA = 0x2c;
const LF = 0x0a;
const CR = 0x0d;

/**
 * CSV text passed on to the parser, a record refused before the parser builds it when it has
 * more than MAX_COLUMNS fields (400) or more than twice `maxRowBytes` characters (413; its JSON
 * is at least as long). csv-parse collects a record whole and only then are its fields counted and
 * its size checked: a header of a million columns (8.9 MB) held the thread 1.5 s and overflowed
 * the stack, and a field of hundreds of megabytes would be built before it was refused. This
 * reads the text the way csv-parse does with the options used here: `"` quotes (`""` inside
 * quotes is one, which toggles the state twice), `,` separates fields, and records end at the
 * line break it discovers first outside quotes (`\r\n`, `\n` or `\r`), the others being data.
 * One pass of comparisons, ≈ 1% of csv-parse's own time on the same text.
 */
async function* csvRecords(texts: AsyncIterable<string>, limits: RowLimits): AsyncIterable<string> {
  let quoting = false;
  /** The record delimiter, once discovered; `pendingCr`: a CR outside quotes came first, and what follows it decides. */
  let delimiter: 'crlf' | 'lf' | 'cr' | undefined;
  let pendingCr = false;
  /** The previous character was a CR (for CRLF, and for line numbers). */
  let afterCr = false;
  let fields = 1;
  /** Characters of the current record in earlier chunks. */
  let carried = 0;
  /** Line numbers as csv-parse counts them (a CR, an LF, a CRLF: one line break each), for messages. */
  let line = 1;
  let recordLine = 1;
  /** Records with characters in them so far (csv-parse skips empty lines): the first is the header. */
  let records = 0;
  const max = limits.maxRowBytes;
  // A record up to twice the limit is parsed, so that checkRow names its size exactly; past that
  // it is refused unread.
  const maxChars = 2 * max;
  const tooLong = (): AssayError =>
    records === 0
      ? new AssayError('payload_too_large', `The CSV header at line ${recordLine} is more than ${max} bytes; a row may have at most ${max}, and every row holds the header's names`, {
          meta: { line: recordLine, limitBytes: max },
          issues: [{ path: ['line', recordLine], message: `header larger than ${max} bytes` }],
        })
      : rowTooLarge({ index: records - 1, line: recordLine }, undefined, max);
  for await (const text of texts) {
    let start = 0;
    /** The record ends with its delimiter at `at`; the next one begins at `next`. */
    const end = (at: number, next: number): void => {
      const chars = carried + at - start;
      if (chars > maxChars) throw tooLong();
      if (chars > 0) records++;
      fields = 1;
      carried = 0;
      start = next;
      recordLine = line;
    };
    for (let i = 0; i < text.length; i++) {
      const c = text.charCodeAt(i);
      if (pendingCr) {
        pendingCr = false;
        if (c === LF) {
          delimiter = 'crlf';
          afterCr = false;
          end(i - 1, i + 1);
          continue;
        }
        // csv-parse settles on CR: the record ended there, and this character begins the next.
        delimiter = 'cr';
        end(i - 1, i);
      }
      const crBefore = afterCr;
      afterCr = c === CR;
      if (c === CR || (c === LF && !crBefore)) line++;
      if (quoting) {
        if (c === QUOTE) quoting = false;
        continue;
      }
      if (c === QUOTE) quoting = true;
      else if (c === COMMA) {
        if (++fields > MAX_COLUMNS) throw tooManyColumns(`${records === 0 ? 'the CSV header' : 'the record'} at line ${recordLine}`, ['line', recordLine]);
      } else if (c === CR) {
        if (delimiter === undefined) pendingCr = true;
        else if (delimiter === 'cr') end(i, i + 1);
      } else if (c === LF) {
        if (delimiter === undefined || delimiter === 'lf') {
          delimiter = 'lf';
          end(i, i + 1);
        } else if (delimiter === 'crlf' && crBefore) end(i - 1, i + 1);
      }
    }
    carried += text.length - start;
    if (carried > maxChars) throw tooLong();
    yield text;
  }
}

function csvError(error: unknown, CsvError: typeof CsvErrorClass): unknown {
  if (error instanceof AssayError) return error;
  if (error instanceof CsvError) {
    const line = typeof error.lines === 'number' ? error.lines : undefined;
    const reason = error.message.replace(/^Invalid Record Length: /, '');
    return new ValidationError(`Malformed CSV${line !== undefined ? ` at line ${line}` : ''}: ${reason}`, [
      { path: line !== undefined ? ['line', line] : [], message: reason },
    ]);
  }
  // The source stream's own errors (encoding, size) surface here too.
  const cause = (error as { cause?: unknown })?.cause;
  if (cause instanceof AssayError) return cause;
  return error;
}

/**
 * JSON Lines: one JSON object per non-blank line. A bad line → 400 naming its number, as is one
 * whose keys take the upload past MAX_COLUMNS; a row over the limits → 413 naming its line (its
 * size is the line's).
 */
export async function* jsonlRows(bytes: AsyncIterable<Uint8Array>, limits: RowLimits = NO_ROW_LIMITS, batchSize = ROW_BATCH): AsyncIterable<Row[]> {
  let pending = '';
  let lineNo = 0;
  let index = 0;
  let batch: Row[] = [];
  let batchChars = 0;
  const columns = new ColumnCount();
  const take = (line: string): void => {
    lineNo++;
    if (line.trim() === '') return;
    batchChars += line.length;
    // Size and count before parsing: a huge line is refused without building it.
    checkRow({}, { index, line: lineNo }, limits, line);
    index++;
    let value: unknown;
    try {
      // Numbers out of range are named below, with the line's own wording.
      value = parseUntrustedJson(line, `line ${lineNo}`, { numbers: 'caller-checks' });
    } catch (error) {
      const reason = error instanceof Error ? error.message : String(error);
      throw new ValidationError(`Malformed JSON Lines at line ${lineNo}: ${reason}`, [{ path: ['line', lineNo], message: reason }]);
    }
    if (typeof value !== 'object' || value === null || Array.isArray(value)) {
      throw new ValidationError(`Malformed JSON Lines at line ${lineNo}: each line must be a JSON object`, [{ path: ['line', lineNo], message: 'expected a JSON object' }]);
    }
    const outOfRange = nonFinitePath(value);
    if (outOfRange) {
      throw new ValidationError(`Invalid JSON Lines at line ${lineNo}: ${outOfRange.join('.')} ${OUT_OF_RANGE}`, [{ path: ['line', lineNo, ...outOfRange], message: OUT_OF_RANGE }]);
    }
    columns.add(value, { index: index - 1, line: lineNo });
    batch.push(value as Row);
  };
  for await (const text of decodeUtf8(bytes)) {
    pending += text;
    let start = 0;
    let nl = pending.indexOf('\n', start);
    while (nl >= 0) {
      take(pending.slice(start, nl).replace(/\r$/, ''));
      start = nl + 1;
      nl = pending.indexOf('\n', start);
      if (batch.length >= batchSize || batchChars >= BATCH_CHARS) {
        yield batch;
        batch = [];
        batchChars = 0;
      }
    }
    pending = pending.slice(start);
    // A line still without its end may already be too large: refuse it without reading on.
    if (limits.maxRowBytes !== Infinity) {
      const bytes = bytesOver(pending, limits.maxRowBytes);
      if (bytes !== null) throw rowTooLarge({ index, line: lineNo + 1 }, bytes, limits.maxRowBytes);
    }
  }
  if (pending.length > 0) take(pending);
  if (batch.length > 0) yield batch;
}

/** Inline JSON rows (already parsed and validated) as batches. */
export async function* arrayRows(rows: Row[], batchSize = ROW_BATCH): AsyncIterable<Row[]> {
  for (let i = 0; i < rows.length; i += batchSize) yield rows.slice(i, i + batchSize);
}
