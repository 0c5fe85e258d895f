// Reading a run's committed cells for results pages: a page in row order within a byte budget,
// the row-scoped results that belong to it, and with repeats every repeat's verdicts of the
// page's rows (SPEC §5 results). Apart from service.ts, which decides what to read.
import { addCell, repeatCounts, type RowValues } from '../../core/compare/row-values.js';
import type { DatasetEntry } from '../../core/model/run-api.js';
import type { ExperimentDocument } from '../../core/model/experiment.js';
import type { ResultsStart } from '../../core/run-store.js';
import { PAGE_BYTES } from '../../core/model/paging.js';
import type { CellResult, RowResult, RunRecord } from '../../core/model/run.js';
import type { Stores } from '../../core/ports.js';
import { yieldIfBusy } from '../../core/turns.js';
import { type EvaluatorCatalogue, evaluatorsOfTarget } from './prepare.js';

/** Cells read by one statement for a results page (fewer when their text passes PAGE_BYTES). */
const RESULTS_CHUNK = 500;

/**
 * Cells [offset, offset+limit) in row order, stopping early once PAGE_BYTES of stored text
 * have been read (`cut`). When every cell is committed and rows run in dataset order (no
 * row_indices), row order is cell order and the offset-th cell is cell number `offset`: a
 * range of the primary key. Otherwise an OFFSET, which steps over every earlier cell (366 ms
 * for the last page of a million-cell run; docs/large-datasets.md).
 */
export async function resultsPage(runs: Stores['runs'], run: RunRecord, offset: number, limit: number): Promise<{ cells: CellResult[]; cut: boolean }> {
  const byKey = !run.spec.rowIndices && run.progress === run.total;
  // In reads of RESULTS_CHUNK cells, a turn of the event loop between them when due: 5,000
  // cells of 9 KB read and parsed at once held the main thread 157–342 ms.
  const cells: CellResult[] = [];
  let budget = PAGE_BYTES;
  for (let from = offset; from < offset + limit; from += RESULTS_CHUNK) {
    await yieldIfBusy();
    const size = Math.min(RESULTS_CHUNK, offset + limit - from);
    const last = cells.at(-1);
    // After the first chunk, by key: an OFFSET again would step over every earlier cell again.
    const start: ResultsStart = last ? { after: { rowIndex: last.rowIndex, cell: last.cell } } : byKey ? { fromCell: from } : { offset: from };
    const chunk = await runs.resultsWithin(run.id, start, size, budget, last ? 0 : 1);
    cells.push(...chunk.cells);
    budget -= chunk.bytes;
    if (chunk.cut) return { cells, cut: true };
    if (chunk.cells.length < size) break;
  }
  return { cells, cut: false };
}

/**
 * Row-scoped results (comparisons) of the row positions that start on this page: a row whose
 * cells a page boundary splits lists them on the page of its first committed cell, not on
 * both (pages cut by bytes split rows anywhere). Cells are numbered row position, then
 * target, then repeat, so a row position's cells are consecutive in row order.
 */
export async function rowResultsOnPage(runs: Stores['runs'], run: RunRecord, cells: CellResult[]): Promise<RowResult[]> {
  const perRow = run.spec.targetIds.length * run.spec.repeats;
  const positions = new Set(cells.map((c) => Math.floor(c.cell / perRow)));
  const first = cells[0]!;
  const firstPos = Math.floor(first.cell / perRow);
  if (first.cell % perRow !== 0) {
    const before = Array.from({ length: first.cell - firstPos * perRow }, (_, k) => firstPos * perRow + k);
    if ((await runs.cellsAt(run.id, before)).length > 0) positions.delete(firstPos);
  }
  const rows = await runs.rowResultsOfRows(run.id, [...new Set(cells.map((c) => c.rowIndex))]);
  return rows.filter((r) => positions.has(r.rowPos));
}

/**
 * With repeats: the verdicts of every repeat of each row × target on the page, per evaluator.
 * A page may hold only some repeats of its first and last rows; the others are read too.
 */
export async function repeatVerdicts(runs: Stores['runs'], catalogue: EvaluatorCatalogue | undefined, run: RunRecord, experiment: { document: ExperimentDocument } | null, cells: CellResult[]): Promise<(c: CellResult) => DatasetEntry['repeats']> {
  const { repeats } = run.spec;
  const unitOf = (cell: number) => Math.floor(cell / repeats);
  const onPage = new Set(cells.map((c) => c.cell));
  const missing = [...new Set(cells.map((c) => unitOf(c.cell)))].flatMap((u) => Array.from({ length: repeats }, (_, r) => u * repeats + r)).filter((n) => !onPage.has(n));
  const all = missing.length === 0 ? cells : [...cells, ...(await runs.cellsAt(run.id, missing))];
  const applicable = evaluatorsOfTarget(experiment?.document, run.spec, catalogue ?? { find: () => undefined });
  // A unit is one row position × target: cells are numbered row, then target, then repeat.
  const units = new Map<number, RowValues>();
  for (const c of all) {
    const u = unitOf(c.cell);
    let values = units.get(u);
    if (!values) units.set(u, (values = { rowIndex: c.rowIndex, targets: new Map() }));
    addCell(values, c, applicable);
  }
  return (c) => {
    const evals = units.get(unitOf(c.cell))?.targets.get(c.targetId)?.evals;
    return evals ? Object.fromEntries([...evals].map(([id, v]) => [id, repeatCounts(v)])) : undefined;
  };
}
