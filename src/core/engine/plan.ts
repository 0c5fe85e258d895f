// The plan of a run: rows in scope × targets × repeats, in row-major order. Cells are
// numbered, never materialised, so a 100,000-row run costs no memory up front.
import type { RunSpec } from '../model/run.js';

export interface CellRef {
  /** Position in the plan. */
  cell: number;
  /** Position among the rows in scope. */
  rowPos: number;
  /** Index of the row in its source (what results report as `index`). */
  rowIndex: number;
  targetId: string;
  repeat: number;
}

export function rowsInScope(spec: Pick<RunSpec, 'rowIndices' | 'sourceRowCount'>): number {
  return spec.rowIndices ? spec.rowIndices.length : spec.sourceRowCount;
}

export function planTotal(spec: Pick<RunSpec, 'rowIndices' | 'sourceRowCount' | 'targetIds' | 'repeats'>): number {
  return rowsInScope(spec) * spec.targetIds.length * spec.repeats;
}

/** Cell number → its row, target and repeat. Order: row, then target, then repeat. */
export function cellAt(spec: Pick<RunSpec, 'rowIndices' | 'targetIds' | 'repeats'>, cell: number): CellRef {
  const perRow = spec.targetIds.length * spec.repeats;
  const rowPos = Math.floor(cell / perRow);
  const within = cell - rowPos * perRow;
  const targetPos = Math.floor(within / spec.repeats);
  return {
    cell,
    rowPos,
    rowIndex: spec.rowIndices ? spec.rowIndices[rowPos]! : rowPos,
    targetId: spec.targetIds[targetPos]!,
    repeat: within - targetPos * spec.repeats,
  };
}

/** Drops out-of-range indices (LangWatch ignores them); duplicates are kept and run twice. */
export function inRangeIndices(indices: number[], rowCount: number): number[] {
  return indices.filter((i) => i < rowCount);
}

/** Merges run parameters into a row (parameters win, as in LangWatch). */
export function withParameters<R extends Record<string, unknown>>(row: R, parameters: Record<string, string | number | boolean>): R {
  const names = Object.keys(parameters);
  if (names.length === 0) return row;
  // A copy, then each parameter defined on it (as a spread would: a parameter named __proto__ is
  // a plain key). Not `{ ...row, ...parameters }`: docs/decisions.md, "No literal that starts
  // with a spread on the hot path" — this runs for every row read.
  const merged: Record<string, unknown> = { ...row };
  for (const name of names) {
    if (name === '__proto__') Object.defineProperty(merged, name, { value: parameters[name], writable: true, enumerable: true, configurable: true });
    else merged[name] = parameters[name];
  }
  return merged as R;
}
