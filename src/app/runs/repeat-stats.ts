// Repeats as statistics in the summary (execution.repeats > 1): once a run ends, its cells are
// read back in row order (row-stream.ts) and each row × target's repeats folded into the
// evaluators' spread (core/compare/repeats.ts, loaded on the first run with repeats). One pass
// over storage at the end of the run, nothing kept per cell while it goes.
import { addCell, type RowValues } from '../../core/compare/row-values.js';
import type { RunRecord, RunSummary } from '../../core/model/run.js';
import type { RunStore } from '../../core/run-store.js';
import { rowGroups } from './row-stream.js';

export async function withRepeatStats(
  runs: Pick<RunStore, 'cellsInRowOrder'>,
  run: Pick<RunRecord, 'id' | 'spec'>,
  applicable: (targetId: string) => readonly string[],
  summary: RunSummary,
): Promise<RunSummary> {
  if (run.spec.repeats <= 1) return summary;
  // Loaded here, not at start-up: the spread's intervals need the statistics packages (≈ 4 MB of heap).
  const { RepeatSpread } = await import('../../core/compare/repeats.js');
  const spread = new RepeatSpread();
  for await (const group of rowGroups(runs, run, false)) {
    const values: RowValues = { rowIndex: group.rowIndex, targets: new Map() };
    for (const c of group.cells) addCell(values, c, applicable);
    for (const t of values.targets.values()) spread.add(t.evals);
  }
  return { ...summary, evaluators: summary.evaluators.map((e) => ({ ...e, ...spread.of(e.evaluatorId) })) };
}
