// Streams of request bytes → batches of dataset rows, for CSV and JSON Lines uploads. Bytes
// are decoded as strict UTF-8 and parsed incrementally, so an upload is never held whole.
import { pipeline, Readable } from 'node:stream';
import { CsvError, parse as parseCsv } from 'csv-parse';
import { AssayError, ValidationError } from '../core/errors.js';
import type { Row } from '../core/model/experiment.js';
import { parseUntrustedJson } from './json.js';

export const ROW_BATCH = 1000;
const FORBIDDEN_KEYS = new Set(['__proto__', 'constructor', 'prototype']);

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

/** CSV with a header line → rows of strings. A malformed line → 400 naming that line. */
export async function* csvRows(bytes: AsyncIterable<Uint8Array>, batchSize = ROW_BATCH): AsyncIterable<Row[]> {
  const parser = parseCsv({ columns: checkHeader, bom: true, skip_empty_lines: true, relax_column_count: false });
  // pipeline (not pipe) so an error of the source (bad UTF-8, 413) destroys the parser too,
  // and the loop below rejects instead of waiting forever.
  pipeline(Readable.from(decodeUtf8(bytes)), parser, () => {});
  let batch: Row[] = [];
  try {
    for await (const record of parser as AsyncIterable<Row>) {
      batch.push(record);
      if (batch.length >= batchSize) {
        yield batch;
        batch = [];
      }
    }
  } catch (error) {
    throw csvError(error);
  }
  if (batch.length > 0) yield batch;
}

function csvError(error: unknown): unknown {
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

/** JSON Lines: one JSON object per non-blank line. A bad line → 400 naming its number. */
export async function* jsonlRows(bytes: AsyncIterable<Uint8Array>, batchSize = ROW_BATCH): AsyncIterable<Row[]> {
  let pending = '';
  let lineNo = 0;
  let batch: Row[] = [];
  const take = (line: string): void => {
    lineNo++;
    if (line.trim() === '') return;
    let value: unknown;
    try {
      value = parseUntrustedJson(line, `line ${lineNo}`);
    } catch (error) {
      const reason = error instanceof Error ? error.message : String(error);
      throw new ValidationError(`Malformed JSON Lines at line ${lineNo}: ${reason}`, [{ path: ['line', lineNo], message: reason }]);
    }
    if (typeof value !== 'object' || value === null || Array.isArray(value)) {
      throw new ValidationError(`Malformed JSON Lines at line ${lineNo}: each line must be a JSON object`, [{ path: ['line', lineNo], message: 'expected a JSON object' }]);
    }
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
      if (batch.length >= batchSize) {
        yield batch;
        batch = [];
      }
    }
    pending = pending.slice(start);
  }
  if (pending.length > 0) take(pending);
  if (batch.length > 0) yield batch;
}

/** Inline JSON rows (already parsed and validated) as batches. */
export async function* arrayRows(rows: Row[], batchSize = ROW_BATCH): AsyncIterable<Row[]> {
  for (let i = 0; i < rows.length; i += batchSize) yield rows.slice(i, i + batchSize);
}
