// Phase 2 of a run: row-scoped evaluators (N-way comparison) run once per row and repeat,
// after every cell is committed, over the committed outputs of the targets they compare.
// Like phase 1 it is resumable (committed row results are skipped) and runs on the one
// scheduler (scheduler.ts): bounded by the run's concurrency, committed in groups before events
// go out, and stopped on abort or budget. Each comparison goes through evaluate.ts.
import type { Row } from '../model/experiment.js';
import type { EvaluationResult } from '../model/results.js';
import type { CellResult, RunSpec, StopReason } from '../model/run.js';
import type { RowDraft } from '../run-store.js';
import { type Clock, SHARED_SIGNAL } from '../ports.js';
import { type BoundEvaluator, evaluate } from './evaluate.js';
import { DEFAULT_GROUP_COMMIT } from './run-loop.js';
import { rowsInScope } from './plan.js';
import { schedule, type ScheduleOutcome } from './scheduler.js';

/** A row-scoped evaluator (N-way comparison): bound (evaluate.ts), comparing some targets. */
export interface PreparedRowEvaluator extends BoundEvaluator {
  /** Target ids compared, in configuration order. */
  variants: string[];
}

export type { RowDraft } from '../run-store.js';

export interface RowPhasePorts {
  spec: Pick<RunSpec, 'rowIndices' | 'sourceRowCount' | 'targetIds' | 'repeats' | 'concurrency'>;
  evaluators: readonly PreparedRowEvaluator[];
  /** Committed cells of scope rows [from, to). */
  readCells(fromRowPos: number, toRowPos: number): Promise<CellResult[]>;
  isDone(rowPos: number, repeat: number, evaluatorId: string): boolean;
  commit(batch: RowDraft[]): Promise<void>;
  stopReason(): StopReason | null;
  signal: AbortSignal;
  clock: Clock;
  timeoutMs: number;
}

const PAGE = 200;

/** A candidate as row evaluators receive it. */
export interface Candidate {
  id: string;
  output: unknown;
  cost?: number | undefined;
  duration: number;
}

/** Judges one row's candidates under its own deadline, through the one evaluation pipeline. */
async function evaluateRow(ev: PreparedRowEvaluator, entry: Row, candidates: Candidate[], ports: RowPhasePorts): Promise<{ result: EvaluationResult; durationMs: number }> {
  // A comparison judges pairs of candidates, each call listening to this signal.
  const deadline = ports.clock.deadline(ports.timeoutMs, ports.signal, SHARED_SIGNAL);
  try {
    const stored = await evaluate(
      ev,
      { row: entry, output: undefined, extra: { candidates }, target: { id: ev.variants[0]!, durationMs: 0 } },
      { signal: deadline.signal, expired: () => deadline.expired, timeoutMs: ports.timeoutMs },
      ports.signal,
      () => ports.clock.now(),
    );
    return { result: stored.result, durationMs: stored.durationMs };
  } finally {
    deadline.clear();
  }
}

/** One comparison to make: an evaluator on the committed cells of one row and repeat. */
interface RowTask {
  rowPos: number;
  repeat: number;
  ev: PreparedRowEvaluator;
  cellsOfRow: Map<string, CellResult>;
}

/** The comparisons still to make, in row order, the committed cells read a page of rows at a time. */
async function* pendingComparisons(ports: RowPhasePorts): AsyncGenerator<RowTask[]> {
  const { spec } = ports;
  const rows = rowsInScope(spec);
  for (let page = 0; page < rows; page += PAGE) {
    const end = Math.min(rows, page + PAGE);
    const cells = await ports.readCells(page, end);
    const byRow = new Map<string, Map<string, CellResult>>();
    for (const c of cells) {
      const rowPos = Math.floor(c.cell / (spec.targetIds.length * spec.repeats));
      const key = `${rowPos}/${c.repeat}`;
      if (!byRow.has(key)) byRow.set(key, new Map());
      byRow.get(key)!.set(c.targetId, c);
    }
    const tasks: RowTask[] = [];
    for (let rowPos = page; rowPos < end; rowPos++) {
      for (let repeat = 0; repeat < spec.repeats; repeat++) {
        const cellsOfRow = byRow.get(`${rowPos}/${repeat}`);
        if (!cellsOfRow) continue;
        for (const ev of ports.evaluators) if (!ports.isDone(rowPos, repeat, ev.id)) tasks.push({ rowPos, repeat, ev, cellsOfRow });
      }
    }
    yield tasks;
  }
}

/** One comparison: the targets of the row that have an output, judged together (at least two). */
async function compareRow({ rowPos, repeat, ev, cellsOfRow }: RowTask, ports: RowPhasePorts): Promise<RowDraft> {
  const present = ev.variants.map((id) => cellsOfRow.get(id)).filter((c): c is CellResult => c !== undefined);
  const entry = present[0]?.entry ?? {};
  const rowIndex = present[0]?.rowIndex ?? rowPos;
  const candidates: Candidate[] = present.flatMap((c) => (c.ok ? [{ id: c.targetId, output: c.output, cost: c.cost, duration: c.durationMs }] : []));
  const missing = ev.variants.filter((id) => !candidates.some((c) => c.id === id));
  const outcome =
    candidates.length >= 2
      ? await evaluateRow(ev, entry, candidates, ports)
      : { result: { status: 'skipped', details: `needs at least two targets with an output; no output from ${missing.join(', ')}` } as EvaluationResult, durationMs: 0 };
  return {
    rowPos, rowIndex, repeat, evaluatorId: ev.id, targetId: ev.variants[0]!, candidates: candidates.map((c) => c.id),
    evaluation: { evaluatorId: ev.id, name: ev.name, result: outcome.result, durationMs: outcome.durationMs },
  };
}

/** Runs phase 2 through the one scheduler; resolves 'finished', or 'stopped' with the reason. */
export function runRowPhase(ports: RowPhasePorts): Promise<ScheduleOutcome> {
  return schedule<RowTask, RowDraft>({
    tasks: pendingComparisons(ports),
    execute: (task) => compareRow(task, ports),
    // Only an abort gets here (evaluate() turns every other failure into an error result): the row is left undone.
    crashed: () => null,
    commit: (batch) => ports.commit(batch),
    stopReason: () => ports.stopReason(),
    signal: ports.signal,
    concurrency: ports.spec.concurrency,
    later: (ms, fire) => ports.clock.later(ms, fire),
    commitOptions: DEFAULT_GROUP_COMMIT,
  });
}
