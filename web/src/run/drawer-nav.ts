// The drawer's previous and next cell: in the grid's order as the reader sees it (its filters
// and sort, its shown target columns), row by row, skipping cells a filter leaves out. Keys:
// "[" and "]" (not while typing in a field), or Alt+↑ and Alt+↓ anywhere but a select.
import type { CellRef } from './run-state.js';
import type { GridView } from './run-view.js';

/** The cell `step` cells away from `at` (−1: previous, +1: next); null at either end or when `at` is not in the grid. */
export function neighbourCell(grid: GridView, targetIds: readonly string[], at: CellRef, step: -1 | 1): CellRef | null {
  const cells: CellRef[] = [];
  for (const gr of grid.rows) for (const targetId of targetIds) if (gr.shown.has(targetId)) cells.push({ rowIndex: gr.row.index, targetId });
  const i = cells.findIndex((c) => c.rowIndex === at.rowIndex && c.targetId === at.targetId);
  return i < 0 ? null : (cells[i + step] ?? null);
}

/** The move a key asks for in the drawer, or 0 for none. */
export function navKey(e: { key: string; altKey: boolean; ctrlKey: boolean; metaKey: boolean; target: EventTarget | null }): -1 | 0 | 1 {
  if (e.ctrlKey || e.metaKey) return 0;
  const tag = e.target instanceof Element ? e.target.tagName : '';
  const typing = tag === 'TEXTAREA' || tag === 'INPUT' || tag === 'SELECT' || (e.target instanceof HTMLElement && e.target.isContentEditable);
  if (e.altKey && tag !== 'SELECT') {
    if (e.key === 'ArrowUp') return -1;
    if (e.key === 'ArrowDown') return 1;
    return 0;
  }
  if (typing || e.altKey) return 0;
  return e.key === '[' ? -1 : e.key === ']' ? 1 : 0;
}
