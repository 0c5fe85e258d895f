// What "Re-run failed rows" sends. `row_indices` alone re-runs the experiment's saved rows at
// those positions, which are the rows that failed only when the run read those same rows: not
// for a run started with inline `data` or a `dataset_id`, with `parameters`, or before the
// experiment's rows were edited. The run's API answers do not say where its rows came from, so
// the page compares instead: the failed rows' inputs as evaluated (the results' `entry`)
// against the saved rows at their indices; when any differs it sends the inputs as `data`.
import type { StartRunBody } from '../api-types.js';

export type Row = Record<string, unknown>;

/** A row to run again: its index in the run and its inputs as evaluated (unknown until a results page brought them). */
export interface FailedRow {
  index: number;
  entry?: Row | undefined;
}

/** Equal as JSON values (key order aside): rows come from JSON on both sides. */
function sameJson(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  if (Array.isArray(a) || Array.isArray(b)) {
    return Array.isArray(a) && Array.isArray(b) && a.length === b.length && a.every((v, i) => sameJson(v, b[i]));
  }
  const x = a as Row;
  const y = b as Row;
  const keys = Object.keys(x);
  return keys.length === Object.keys(y).length && keys.every((k) => Object.hasOwn(y, k) && sameJson(x[k], y[k]));
}

/**
 * The start body that runs `failed` again: `row_indices` when the experiment's saved rows at
 * those indices are the very inputs that failed (the new run keeps the rows' indices, so it
 * pairs with this one by index), else the inputs themselves as `data`. Null while the inputs
 * of any failed row are unknown, since then neither can be checked.
 */
export function rerunRequest(failed: readonly FailedRow[], savedRows: readonly Row[] | undefined): StartRunBody | null {
  const data: Row[] = [];
  for (const row of failed) {
    if (!row.entry) return null;
    data.push(row.entry);
  }
  const saved = failed.every((row) => sameJson(row.entry, savedRows?.[row.index]));
  return saved ? { row_indices: failed.map((r) => r.index) } : { data };
}

/** Why the re-run is off, or undefined when it is on: it needs every failed row's inputs. */
export function rerunBlocked(failed: readonly FailedRow[]): string | undefined {
  const unknown = failed.filter((r) => !r.entry).length;
  if (unknown === 0) return undefined;
  return `The inputs of ${unknown} failed ${unknown === 1 ? 'row' : 'rows'} have not loaded yet, so the page cannot tell what to run again`;
}
