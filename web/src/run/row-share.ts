// How many rows a listed run ran, for the lists that set runs side by side (the compare picker,
// the experiments list): "3 rows", or "1 of 3 rows" for a run of part of its rows (a "Re-run
// failed rows", `--rows`), whose pass rate is not the whole suite's.
import type { RunListItem } from '../api-types.js';
import { int } from '../lib/format.js';

/** "3 rows" / "1 of 3 rows"; undefined from a server that does not send the row counts. */
export function rowShare(run: Pick<RunListItem, 'rowCount' | 'rowIndices'>): string | undefined {
  if (run.rowCount === undefined) return undefined;
  const of = run.rowCount;
  if (run.rowIndices === null || run.rowIndices === undefined) return `${int(of)} ${of === 1 ? 'row' : 'rows'}`;
  return `${int(run.rowIndices)} of ${int(of)} ${of === 1 ? 'row' : 'rows'}`;
}

/** True for a run of part of its source's rows (row_indices). */
export function isPartial(run: Pick<RunListItem, 'rowIndices'>): boolean {
  return run.rowIndices !== null && run.rowIndices !== undefined;
}
