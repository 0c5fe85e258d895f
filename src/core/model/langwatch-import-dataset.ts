// The dataset of a LangWatch workbenchState (langwatch-import.ts): a saved dataset becomes a
// reference by id, an inline one (stored column-first) becomes rows, built in steps that give
// the event loop its turns, with its JSON-typed cells parsed once as LangWatch's /run does.
import sjson from 'secure-json-parse';
import { jsonShape } from '../json-scan.js';
import { yieldIfBusy } from '../turns.js';
import type { DatasetRef, Row } from './experiment.js';
import type { WorkbenchState } from './langwatch-workbench.js';

/** Where an issue is, below `workbenchState`. */
export type Path = (string | number)[];
export type Report = (path: Path, message: string) => void;

/** Column types whose string cells LangWatch's /run JSON-parses; we do the same once, up front. */
const JSON_COLUMN_TYPES = new Set(['chat_messages', 'json', 'list', 'spans', 'rag_contexts']);

/**
 * Most records and cells an inline dataset may expand to. Records are stored column-first, so
 * 8 MB of short strings in a few arrays (well within a body's bounds) expanded to 900,000 row
 * objects, a 21.6 MB document and 0.6–0.7 s of the main thread (review of 2026-12-05). Larger
 * datasets are uploaded as CSV or JSON Lines and referred to by id.
 */
export const MAX_IMPORTED_RECORDS = 100_000;
export const MAX_IMPORTED_CELLS = 1_000_000;
/** A JSON-typed cell is parsed only when its nesting and size are within a body's bounds; else it stays text. */
const CELL_SHAPE = { maxDepth: 64, maxContainers: 10_000, maxValues: 100_000, maxDistinctKeys: 20_000 };
/** Rows built between two questions to the event loop (core/turns.ts). */
const ROWS_PER_STEP = 100;

/**
 * The first dataset's rows. An inline one may hold a million cells, which take ≈ 0.4 s to build
 * (more when they are JSON): rows are built in steps that give the event loop its turns.
 */
export async function importDataset(ref: WorkbenchState['datasets'][number] | undefined, report: Report): Promise<DatasetRef> {
  if (ref === undefined) return { rows: [] };
  const at = ['datasets', 0];
  if (ref.type === 'saved') {
    if (!ref.datasetId) {
      report([...at, 'datasetId'], 'a saved dataset reference needs a datasetId');
    } else if (ref.datasetId.length > 200) {
      report([...at, 'datasetId'], 'is longer than 200 characters');
    } else {
      return { datasetId: ref.datasetId };
    }
    return { rows: [] };
  }
  if (!ref.inline) {
    report([...at, 'inline'], 'an inline dataset reference needs its inline columns and records');
    return { rows: [] };
  }
  const { columns, records } = ref.inline;
  // Records are stored column-first and keyed by column id; mappings name columns, so rows do too.
  // Columns may have been edited to different lengths: the longest decides, gaps become "".
  const values = columns.map((c) => own(records, c.id) ?? []);
  const count = values.reduce((n, v) => Math.max(n, v.length), 0);
  if (count > MAX_IMPORTED_RECORDS || count * columns.length > MAX_IMPORTED_CELLS) {
    report([...at, 'inline', 'records'], `has ${count} records × ${columns.length} columns; at most ${MAX_IMPORTED_RECORDS} records and ${MAX_IMPORTED_CELLS} cells are imported (upload larger datasets as CSV or JSON Lines, then refer to them)`);
    return { rows: [] };
  }
  const rows: Row[] = [];
  for (let r = 0; r < count; r++) {
    if (r % ROWS_PER_STEP === 0) await yieldIfBusy();
    const entries: [string, unknown][] = [];
    for (let k = 0; k < columns.length; k++) {
      const raw: unknown = values[k]![r] ?? '';
      if (typeof raw !== 'string') {
        report([...at, 'inline', 'records', columns[k]!.id, r], 'expected a string');
        return { rows: [] };
      }
      entries.push([columns[k]!.name, cell(columns[k]!.type, raw)]);
    }
    // fromEntries defines own properties, so a column named __proto__ stays a column.
    rows.push(Object.fromEntries(entries));
  }
  return { rows };
}

function cell(type: string, raw: string): unknown {
  if (!JSON_COLUMN_TYPES.has(type)) return raw;
  // Nested 5,000 deep, a parsed cell overflowed the stack of the checks after it (a 500).
  if (jsonShape(raw, CELL_SHAPE).problem !== null) return raw;
  try {
    // secure-json-parse refuses __proto__ keys; such a cell stays a plain string.
    return sjson.parse(raw) as unknown;
  } catch {
    return raw;
  }
}

/** The record's own property `k` (never one inherited from Object.prototype). */
export function own<T>(record: Record<string, T> | undefined, k: string | undefined): T | undefined {
  return record !== undefined && k !== undefined && Object.hasOwn(record, k) ? record[k] : undefined;
}
