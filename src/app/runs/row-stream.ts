// A run's committed cells in row order (row index, then cell), grouped by row position (one
// row of the plan: its targets × repeats), read from storage page by page without outputs.
// Comparisons and the repeats' statistics read runs this way, so neither holds a run whole.
import type { LeanCell, RowOrderKey, RunRecord } from '../../core/model/run.js';
import type { RunStore } from '../../core/run-store.js';
import { yieldIfBusy } from '../../core/turns.js';

const PAGE = 2000;

export interface RowGroup {
  /** Position of the row in the run's plan. */
  rowPos: number;
  rowIndex: number;
  cells: LeanCell[];
}

export async function* rowGroups(runs: Pick<RunStore, 'cellsInRowOrder'>, run: Pick<RunRecord, 'id' | 'spec'>, withEntry: boolean): AsyncGenerator<RowGroup> {
  const perRow = run.spec.targetIds.length * run.spec.repeats;
  let current: RowGroup | undefined;
  let after: RowOrderKey | null = null;
  for (;;) {
    // Reading, grouping and folding a page takes milliseconds; a 100,000-cell run takes many
    // pages, which must not run as one turn of the event loop (core/turns.ts).
    await yieldIfBusy();
    const page = await runs.cellsInRowOrder(run.id, after, PAGE, withEntry);
    for (const c of page) {
      const rowPos = Math.floor(c.cell / perRow);
      if (current?.rowPos !== rowPos) {
        if (current) yield current;
        current = { rowPos, rowIndex: c.rowIndex, cells: [] };
      }
      current.cells.push(c);
    }
    if (page.length < PAGE) break;
    const last = page[page.length - 1]!;
    after = { rowIndex: last.rowIndex, cell: last.cell };
  }
  if (current) yield current;
}
