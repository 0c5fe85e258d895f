// Streams of request bytes → batches of dataset rows, for CSV and JSON Lines uploads. Bytes
// are decoded as strict UTF-8 and parsed incrementally, so an upload is never held whole.
// Every source enforces the row limits (ASSAY_MAX_ROWS, ASSAY_MAX_ROW_BYTES) and MAX_COLUMNS as
// it goes, and a refusal names the row as the client wrote it (`rows[3]`, `line 5`). The limits
// and those refusals are in row-limits.ts, the pre-scan of CSV text in csv-records.ts.
import { encodingHint, firstInvalidUtf8 } from '../core/utf8.js';
import { pipeline, Readable } from 'node:stream';
import type { CsvError as CsvErrorClass } from 'csv-parse';
import { AssayError, ValidationError } from '../core/errors.js';
import type { Row } from '../core/model/experiment.js';
import type { RowBatches } from '../core/model/paging.js';
import { turnBudget, turnElapsed, yieldIfBusy } from '../core/turns.js';
import { csvRecords } from './csv-records.js';
import { nonFinitePath, OUT_OF_RANGE, parseUntrustedJson } from './json.js';
import { describePlace, MAX_COLUMNS, NO_ROW_LIMITS, placeIssue, type RowLimits, type RowPlace, rowTooLarge, tooManyColumns, tooManyRows } from './row-limits.js';

// Callers of the row sources pass and check these limits: they take them from here, with the sources.

export const ROW_BATCH = 1000;
/**
 * Characters of source text (a JSON Lines line, a CSV record's bytes) a batch holds at most,
 * past its first row. Rows can be 1 MB (ASSAY_MAX_ROW_BYTES): by count alone a batch was up to
 * 1,000 of them, a gigabyte parsed and then serialized again for its INSERT, and an upload of
 * 300 MB of such rows grew the heap to 930 MB. As the executor's pages (docs/decisions.md,
 * "Pages bounded in bytes").
 */
export const BATCH_CHARS = 4 * 1024 * 1024;
const FORBIDDEN_KEYS = new Set(['__proto__', 'constructor', 'prototype']);

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
    // Sizing 60,000 rows takes ≈ 20 ms (each is serialized), one row of 10,000 columns 1–3 ms: in turns (core/turns.ts).
    if (turnElapsed() >= turnBudget()) await yieldIfBusy();
    const place = { index, path: `${field}[${index}]` };
    columns.add(rows[index]!, place);
    if (limits.maxRowBytes !== Infinity) checkRow(rows[index]!, place, limits);
  }
}

export { nonFinitePath, OUT_OF_RANGE };

/** Decodes UTF-8 strictly, chunk by chunk; invalid bytes → 400 invalid_encoding. */
export async function* decodeUtf8(bytes: AsyncIterable<Uint8Array>): AsyncIterable<string> {
  const decoder = new TextDecoder('utf-8', { fatal: true });
  // Where the failing chunk starts: bytes before it, and lines (newlines decoded) before it.
  let offset = 0;
  let lines = 1;
  let first: Uint8Array | undefined;
  let current: Uint8Array | undefined;
  try {
    for await (const chunk of bytes) {
      first ??= chunk;
      current = chunk;
      const text = decoder.decode(chunk, { stream: true });
      offset += chunk.byteLength;
      if (text.length > 0) {
        for (let at = text.indexOf('\n'); at !== -1; at = text.indexOf('\n', at + 1)) lines++;
        yield text;
      }
    }
    current = undefined;
    const tail = decoder.decode();
    if (tail.length > 0) yield tail;
  } catch (error) {
    if (error instanceof TypeError) throw notUtf8(offset, lines, current, first);
    throw error;
  }
}

/**
 * The refusal of a body that is not UTF-8, naming the byte and line of the first bad sequence
 * (the failing chunk's own; one cut between two chunks is placed at the chunk's start) and what
 * the file probably is.
 */
function notUtf8(offset: number, lines: number, chunk: Uint8Array | undefined, first: Uint8Array | undefined): AssayError {
  const start = offset;
  const within = chunk ? firstInvalidUtf8(chunk) : 0;
  const before = chunk ? chunk.subarray(0, within) : new Uint8Array();
  let line = lines;
  for (const b of before) if (b === 0x0a) line++;
  return new AssayError('invalid_encoding', `The body is not valid UTF-8: the first invalid byte sequence is at byte ${start + within} (line ${line}); ${encodingHint(first ?? new Uint8Array())}`, {
    meta: { byte: start + within, line },
  });
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
 * line (a record too long for them is refused before it is parsed: csv-records.ts).
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
  let sawHeader = false;
  const columns = (names: string[]): string[] => {
    sawHeader = true;
    // Spreadsheets in some locales separate columns with semicolons: the file read as one
    // column named "question;expected", and every row as one text.
    if (names.length === 1 && /[;\t]/.test(names[0]!)) {
      const sep = names[0]!.includes(';') ? 'semicolons' : 'tabs';
      throw new ValidationError(`Malformed CSV at line 1: one column named "${names[0]!.slice(0, 80)}": its columns are separated by ${sep}; save the file with commas between columns`, [{ path: ['line', 1], message: `separated by ${sep}` }]);
    }
    return header(names);
  };
  const parser = parseCsv({ columns, bom: true, skip_empty_lines: true, relax_column_count: false, info: true });
  // pipeline (not pipe) so an error of the source (bad UTF-8, 413, too many columns) destroys
  // the parser too, and the loop below rejects instead of waiting forever.
  pipeline(Readable.from(csvRecords(decodeUtf8(bytes), limits)), parser, () => {});
  let batch: Row[] = [];
  let index = 0;
  // Where the batch began in the source, in bytes (the parser counts them).
  let batchFrom = 0;
  try {
    for await (const { record, info } of parser as AsyncIterable<{ record: Row; info: { lines: number; bytes: number } }>) {
      // Records arrive through promises, which never let the event loop turn: a body already
      // received was parsed and checked in one stretch (0.5–0.9 s for records of 10,000 columns).
      if (turnElapsed() >= turnBudget()) await yieldIfBusy();
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
  if (!sawHeader) throw new ValidationError('The CSV is empty: it needs a header line (the column names), then a row a line', [{ path: ['line', 1], message: 'no header line' }]);
  if (batch.length > 0) yield batch;
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
      // The parser's message names the line too ("The line 2 is not valid JSON: …"): said once.
      const reason = (error instanceof Error ? error.message : String(error)).replace(`The line ${lineNo} `, 'it ');
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
      // As for CSV records: lines of a body already received are parsed in turns.
      if (turnElapsed() >= turnBudget()) await yieldIfBusy();
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
