// How many of a run's rows the grid does not list yet, for the toolbar beside its row count. A
// row is listed once one of its cells has started, so a run held back by its concurrency or a
// provider's cap listed "1 of 1 rows" for a run of 4: the rest were simply not started. The
// run's rows are its cells over targets × repeats (the plan's order, core/engine/plan.ts).
import { int } from '../lib/format.js';
import type { RunPageState } from './run-state.js';

type Seen = Pick<RunPageState, 'status' | 'total' | 'request'>;

/** Rows of the run: its cells over targets × repeats; undefined while the poll body has not said. */
export function rowsInRun(s: Seen): number | undefined {
  const perRow = (s.request?.targets.length ?? 0) * (s.request?.repeats ?? 0);
  if (perRow === 0 || s.total % perRow !== 0) return undefined;
  return s.total / perRow;
}

/**
 * "3 rows not started yet" while the run goes, "3 rows not run" once it stopped or failed
 * before them; undefined when every row is listed (or the count is not known).
 */
export function rowsLeftText(s: Seen, listed: number): string | undefined {
  const inRun = rowsInRun(s);
  if (inRun === undefined || s.status === undefined || s.status === 'completed') return undefined;
  const left = inRun - listed;
  if (left <= 0) return undefined;
  const rows = `${int(left)} ${left === 1 ? 'row' : 'rows'}`;
  return s.status === 'running' ? `${rows} not started yet` : `${rows} not run`;
}
