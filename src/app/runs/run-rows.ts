// The rows a run reads, as its targets saw them (the run's parameters merged), by row index:
// GET …/runs/{runId}/rows. Rows sent with the run request (`data`) live only with the run, so
// this is the one way to read them back (the run page shows a running row's inputs from it);
// for an experiment's or a dataset's rows it saves a client finding the version the run used.
// The reading is the engine's own (row-reader.ts): by stored size first, so a page of large
// rows stops at PAGE_BYTES instead of being read whole.
import type { Row } from '../../core/model/experiment.js';
import type { RunRecord } from '../../core/model/run.js';
import type { Stores } from '../../core/ports.js';
import { rowSourceFor, scopeReader } from './row-reader.js';

/** Rows a page holds by default, and at most. */
export const RUN_ROWS_PAGE = 100;
export const MAX_RUN_ROWS_PAGE = 1000;

export interface RunRowsPage {
  runId: string;
  offset: number;
  limit: number;
  rows: { index: number; entry: Row }[];
  nextOffset: number | null;
}

/**
 * The run's rows with an index in [offset, offset + limit), in index order; rows the run did not
 * select (`row_indices`) are left out. Fewer when they pass PAGE_BYTES of stored text:
 * `nextOffset` is where the next page starts, null once no selected row is left.
 */
export async function runRowsPage(stores: Pick<Stores, 'datasets' | 'runs' | 'experiments'>, run: RunRecord, offset: number, limit: number): Promise<RunRowsPage> {
  const spec = run.spec;
  const end = Math.min(offset + limit, spec.sourceRowCount);
  const selected = spec.rowIndices;
  const wanted = selected === null ? span(offset, end) : [...new Set(selected.filter((i) => i >= offset && i < end))].sort((a, b) => a - b);
  // Read only for a document's rows, and only when a page of them is asked.
  const documentRows = async (): Promise<Row[]> => {
    const experiment = await stores.experiments.getById(run.projectId, spec.experimentId, spec.experimentVersion);
    const dataset = experiment?.document.dataset;
    return dataset && 'rows' in dataset ? dataset.rows : [];
  };
  const read = scopeReader({ ...spec, rowIndices: wanted }, rowSourceFor(run.id, spec, stores, documentRows));
  const rows = wanted.length === 0 ? [] : await read(0, wanted.length);
  const next = rows.length < wanted.length ? wanted[rows.length]! : end;
  const more = next < spec.sourceRowCount && (selected === null || selected.some((i) => i >= next));
  return { runId: run.id, offset, limit, rows: rows.map((entry, i) => ({ index: wanted[i]!, entry })), nextOffset: more ? next : null };
}

function span(from: number, to: number): number[] {
  return Array.from({ length: Math.max(0, to - from) }, (_, i) => from + i);
}
