// What the page shows of one cell (row × target) and its repeats, and the verdicts derived from
// them. Plain data and pure functions: RunModel (run-model.ts) builds these views, the grid, the
// drawer and the figures read them.

/** How an evaluator's run on a repeat ended. */
export type EvalStatus = 'processed' | 'skipped' | 'error';

/** One evaluator's result on one repeat of a cell. */
export interface EvalView {
  evaluatorId: string;
  name: string;
  status: EvalStatus;
  passed?: boolean;
  score?: number;
  label?: string;
  details?: string;
  cost?: number;
  /** Model calls of this result with no known cost (a judge on a model without a price). */
  unpricedCalls?: number;
  duration?: number;
}

/** One repeat of a cell (row × target). `done` once its target result is known. */
export interface RepeatView {
  repeat: number;
  done: boolean;
  output?: unknown;
  error?: string;
  cost?: number;
  duration?: number;
  tokens?: { input: number; output: number };
  attempts: number;
  cached: boolean;
  retries: { attempt: number; delayMs: number; reason: string }[];
  evaluations: EvalView[];
}

/** One cell of the grid (row × target), with its repeats. */
export interface CellView {
  rowIndex: number;
  targetId: string;
  /** Indexed by repeat number. */
  repeats: RepeatView[];
}

/** One row of the run: its inputs once known, and its cells by target id. */
export interface RowView {
  index: number;
  /**
   * The row's inputs: from a results page, or read from the run's row source while its cells
   * run (events do not carry them); unknown until then.
   */
  entry?: Record<string, unknown>;
  cells: Map<string, CellView>;
}

/** A repeat's verdict (SPEC §5: a cell passes when its target succeeded and no evaluator failed or errored). */
export type Verdict = 'passed' | 'failed' | 'error' | 'running';

/** One repeat's verdict, by the rule above. */
export function repeatVerdict(r: RepeatView): Verdict {
  if (!r.done) return 'running';
  if (r.error !== undefined) return 'error';
  if (r.evaluations.some((e) => e.status === 'error')) return 'error';
  if (r.evaluations.some((e) => e.status === 'processed' && e.passed === false)) return 'failed';
  return 'passed';
}

/** What a grid cell shows for its repeats: `passed/n`, and flaky when they disagree. */
export interface CellOutcome {
  n: number;
  passed: number;
  running: number;
  flaky: boolean;
  verdict: Verdict;
}

/** The outcome of a cell's finished repeats; a missing cell counts as running. */
export function cellOutcome(cell: CellView | undefined): CellOutcome {
  let n = 0;
  let passed = 0;
  let running = 0;
  let errors = 0;
  for (const r of cell?.repeats ?? []) {
    if (!r) continue;
    const v = repeatVerdict(r);
    if (v === 'running') {
      running++;
      continue;
    }
    n++;
    if (v === 'passed') passed++;
    if (v === 'error') errors++;
  }
  const verdict: Verdict = n === 0 ? 'running' : passed === n ? 'passed' : errors > 0 && passed === 0 && errors === n ? 'error' : 'failed';
  return { n, passed, running, flaky: passed > 0 && passed < n, verdict };
}
