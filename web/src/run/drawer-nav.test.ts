import { describe, expect, it } from 'vitest';
import type { RowView } from './cell-views.js';
import { neighbourCell } from './drawer-nav.js';
import type { GridView } from './run-view.js';

const row = (index: number): RowView => ({ index, cells: new Map() });
// Sorted (row 2 first), and the filter left row 0's target b out.
const grid: GridView = {
  rows: [{ row: row(2), shown: new Set(['a', 'b']) }, { row: row(0), shown: new Set(['a']) }, { row: row(5), shown: new Set(['a', 'b']) }],
  targetIds: ['a', 'b'],
};

describe('neighbourCell', () => {
  it('steps through the shown cells in the grid order, row by row', () => {
    const walk: string[] = [];
    for (let at: { rowIndex: number; targetId: string } | null = { rowIndex: 2, targetId: 'a' }; at; at = neighbourCell(grid, ['a', 'b'], at, 1)) walk.push(`${at.rowIndex}:${at.targetId}`);
    expect(walk).toEqual(['2:a', '2:b', '0:a', '5:a', '5:b']);
    expect(neighbourCell(grid, ['a', 'b'], { rowIndex: 5, targetId: 'a' }, -1)).toEqual({ rowIndex: 0, targetId: 'a' });
  });

  it('stops at the ends, skips hidden target columns, and knows no neighbour of a cell the grid does not show', () => {
    expect(neighbourCell(grid, ['a', 'b'], { rowIndex: 2, targetId: 'a' }, -1)).toBeNull();
    expect(neighbourCell(grid, ['a', 'b'], { rowIndex: 5, targetId: 'b' }, 1)).toBeNull();
    expect(neighbourCell(grid, ['b'], { rowIndex: 2, targetId: 'b' }, 1)).toEqual({ rowIndex: 5, targetId: 'b' });
    expect(neighbourCell(grid, ['a', 'b'], { rowIndex: 0, targetId: 'b' }, 1)).toBeNull();
  });
});
