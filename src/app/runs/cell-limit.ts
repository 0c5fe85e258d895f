// The cap on one run's cells (ASSAY_MAX_CELLS_PER_RUN). A run is numbered, never materialised
// (core/engine/plan.ts), so starting a huge one is cheap; running it is not: `row_indices` of a
// million zeros with `repeats: 100` planned 100,000,000 cells from a 2 MB body, each a call to
// pay for and a result row to store. Refused like the other size limits (ASSAY_MAX_ROWS): 413.
import { AssayError } from '../../core/errors.js';
import { planTotal, rowsInScope } from '../../core/engine/plan.js';
import type { RunSpec } from '../../core/model/run.js';

/** Throws 413 `payload_too_large` naming the planned total, how it is made, and the limit. */
export function checkCellLimit(spec: Pick<RunSpec, 'rowIndices' | 'sourceRowCount' | 'targetIds' | 'repeats'>, maxCells: number): void {
  const total = planTotal(spec);
  if (total <= maxCells) return;
  const rows = rowsInScope(spec);
  const targets = spec.targetIds.length;
  const plan = `${rows} ${rows === 1 ? 'row' : 'rows'} × ${targets} ${targets === 1 ? 'target' : 'targets'} × ${spec.repeats} ${spec.repeats === 1 ? 'repeat' : 'repeats'}`;
  throw new AssayError('payload_too_large', `Too many cells: this run would have ${total} cells (${plan}); at most ${maxCells} are accepted in one run`, {
    meta: { totalCells: total, limitCells: maxCells, rows, targets, repeats: spec.repeats },
    issues: [{ path: [], message: `${total} cells, more than ${maxCells}` }],
  });
}
