// The grid's rows after the page's filters and sorting, whose meaning is the run's (SPEC §5's
// "did not pass", over repeats of row × target), which a table's per-column filters do not
// express. Pure functions; docs/decisions.md, "Run page".
import { asText } from '../lib/format.js';
import { cellOutcome, type CellView, type RepeatView, type RowView } from './cell-views.js';
import type { RunModel } from './run-model.js';

/** How a row × target changed against the baseline (compare mode). */
export type CellChange = 'regressed' | 'improved';

/** The key of a row × target in compare mode's maps. */
export const cellKey = (rowIndex: number, targetId: string) => `${rowIndex}:${targetId}`;

export type SortKey = 'row' | 'score' | 'latency' | 'cost';

export interface ViewOptions {
  /** Only cells that did not pass (SPEC §5), i.e. exactly the failed cells. */
  failures: boolean;
  /** Only cells with a target or evaluator error. */
  errors: boolean;
  /** Only cells whose repeats disagree (some passed, some did not). */
  flaky: boolean;
  /** One evaluator: its badges only, and failures/errors judged on it alone. */
  evaluatorId: string | null;
  /** One target: its column only. */
  targetId: string | null;
  search: string;
  regex: boolean;
  /** Compare mode: only cells that regressed or improved against the baseline. */
  changed: boolean;
  sort: SortKey;
  descending: boolean;
}

export const DEFAULT_VIEW: ViewOptions = { failures: false, errors: false, flaky: false, evaluatorId: null, targetId: null, search: '', regex: false, changed: false, sort: 'row', descending: false };

/** A grid row: the model row and which of its target cells pass the cell filters. */
export interface GridRow {
  row: RowView;
  /** Target ids whose cell is shown; the others render as filtered out. */
  shown: ReadonlySet<string>;
}

export interface GridView {
  rows: GridRow[];
  /** Targets with a column (after the target filter). */
  targetIds: string[];
  /** Set when the search is an invalid regular expression (nothing is filtered then). */
  searchError?: string;
}

function repeatFails(r: RepeatView, evaluatorId: string | null): boolean {
  if (!r.done) return false;
  if (r.error !== undefined) return true;
  return r.evaluations.some((e) => (evaluatorId === null || e.evaluatorId === evaluatorId) && (e.status === 'error' || (e.status === 'processed' && e.passed === false)));
}

function repeatErrs(r: RepeatView, evaluatorId: string | null): boolean {
  if (!r.done) return false;
  if (r.error !== undefined) return true;
  return r.evaluations.some((e) => (evaluatorId === null || e.evaluatorId === evaluatorId) && e.status === 'error');
}

/** Whether a cell passes the cell filters (failures, errors, flaky). */
export function cellShown(cell: CellView | undefined, o: ViewOptions): boolean {
  if (!o.failures && !o.errors && !o.flaky) return true;
  if (!cell) return false;
  if (o.flaky && !cellOutcome(cell).flaky) return false;
  const reps = cell.repeats.filter(Boolean);
  if (o.failures && !reps.some((r) => repeatFails(r, o.evaluatorId))) return false;
  if (o.errors && !reps.some((r) => repeatErrs(r, o.evaluatorId))) return false;
  return true;
}

function searchText(row: RowView, targetIds: string[]): string {
  let text = row.entry ? asText(row.entry) : '';
  for (const id of targetIds) {
    for (const r of row.cells.get(id)?.repeats ?? []) if (r?.done) text += '\n' + (r.error ?? asText(r.output));
  }
  return text;
}

function sortValue(gr: GridRow, key: SortKey, evaluatorId: string | null): number | undefined {
  let sum = 0;
  let count = 0;
  let costSum = 0;
  let seen = false;
  for (const id of gr.shown) {
    for (const r of gr.row.cells.get(id)?.repeats ?? []) {
      if (!r?.done) continue;
      if (key === 'score') {
        for (const e of r.evaluations) {
          if (evaluatorId !== null && e.evaluatorId !== evaluatorId) continue;
          if (e.status === 'processed' && e.score !== undefined) {
            sum += e.score;
            count++;
          } else if (e.status === 'processed' && e.passed !== undefined) {
            sum += e.passed ? 1 : 0;
            count++;
          }
        }
      } else if (key === 'latency' && r.duration !== undefined) {
        sum += r.duration;
        count++;
      } else if (key === 'cost') {
        costSum += (r.cost ?? 0) + r.evaluations.reduce((s, e) => s + (e.cost ?? 0), 0);
        seen = true;
      }
    }
  }
  if (key === 'cost') return seen ? costSum : undefined;
  return count > 0 ? sum / count : undefined;
}

/**
 * The grid's rows: row-index order unless sorted; rows with no shown cell are left out.
 * `changes` (compare mode) lets "changed against baseline" keep only regressed or improved cells.
 */
export function deriveGrid(model: RunModel, o: ViewOptions, changes?: ReadonlyMap<string, CellChange>): GridView {
  const targetIds = model.targets.map((t) => t.id).filter((id) => o.targetId === null || id === o.targetId);
  let match: ((text: string) => boolean) | null = null;
  let searchError: string | undefined;
  const q = o.search.trim();
  if (q) {
    if (o.regex) {
      try {
        // Multiline: each output is a line of its own, so ^ and $ can anchor to one output.
        const re = new RegExp(q, 'im');
        match = (text) => re.test(text);
      } catch (error) {
        searchError = (error as Error).message;
      }
    } else {
      const needle = q.toLowerCase();
      match = (text) => text.toLowerCase().includes(needle);
    }
  }
  const onlyChanged = o.changed && changes !== undefined;
  const cellFilters = o.failures || o.errors || o.flaky || onlyChanged;
  const rows: GridRow[] = [];
  for (const index of model.rowIndexes()) {
    const row = model.rows.get(index)!;
    let shown: Set<string>;
    if (cellFilters) {
      shown = new Set(targetIds.filter((id) => cellShown(row.cells.get(id), o) && (!onlyChanged || changes.has(cellKey(index, id)))));
      if (shown.size === 0) continue;
    } else {
      shown = new Set(targetIds);
    }
    if (match && !match(searchText(row, [...shown]))) continue;
    rows.push({ row, shown });
  }
  if (o.sort !== 'row') {
    const keyed = rows.map((gr) => ({ gr, v: sortValue(gr, o.sort, o.evaluatorId) }));
    const dir = o.descending ? -1 : 1;
    keyed.sort((a, b) => {
      if (a.v === undefined || b.v === undefined) return a.v === b.v ? a.gr.row.index - b.gr.row.index : a.v === undefined ? 1 : -1;
      return a.v === b.v ? a.gr.row.index - b.gr.row.index : (a.v - b.v) * dir;
    });
    return { rows: keyed.map((k) => k.gr), targetIds, ...(searchError ? { searchError } : {}) };
  }
  return { rows, targetIds, ...(searchError ? { searchError } : {}) };
}

/** Row indexes with at least one failed cell (for "re-run failed rows"). */
export function failedRowIndexes(model: RunModel): number[] {
  const out: number[] = [];
  for (const index of model.rowIndexes()) {
    const row = model.rows.get(index)!;
    if ([...row.cells.values()].some((c) => {
      const o = cellOutcome(c);
      return o.n > o.passed;
    })) out.push(index);
  }
  return out;
}
