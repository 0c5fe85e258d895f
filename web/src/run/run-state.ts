// The run page's state: its shape, where it starts, and what a poll body and a resume change
// in it. RunStore (loading, following) writes it; the components read slices of it.
import type { RunStatus, RunStatusBody, RunSummaryView } from '../api-types.js';
import { DEFAULT_VIEW, type ViewOptions } from './run-view.js';

/** A cell of the grid: one row × target (its repeats together). */
export interface CellRef {
  rowIndex: number;
  targetId: string;
}

/** What the page shows of the run; React selects slices of it (useRunState). */
export interface RunPageState {
  /** `missing`: the server has no such run in this project (a 404), which no retry changes. */
  phase: 'loading' | 'ready' | 'error' | 'missing';
  loadError?: string;
  status?: RunStatus;
  total: number;
  completed: number;
  startedAt?: number;
  finishedAt?: number;
  /**
   * While a resumed run runs: how long its earlier executions ran (ms) and when the current one
   * began (Unix ms), from the poll body; the header's running time ticks from them. Absent for a
   * run never resumed (it runs all its duration) and once it ends (the summary's runningTime).
   */
  runningClock?: { before: number; since: number };
  /** Why the run failed (run-level error). */
  runError?: string;
  summary?: RunSummaryView;
  /**
   * Whose run this is, taken from the run (never from the URL): checking until the first
   * results page says; missing when its experiment is not among the project's live ones.
   */
  owner: 'checking' | 'found' | 'missing';
  /** The run's own experiment once found; every action that names an experiment uses it. */
  experiment?: { slug: string; name: string };
  /** What the run was started with (the poll body's `request`): what "Re-run failed rows" repeats. */
  request?: RunStatusBody['request'];
  /** The labels the run was started with (the poll body's `metadata`). */
  metadata?: RunStatusBody['metadata'];
  /** The event stream is open. */
  live: boolean;
  /**
   * The event stream cannot reach the server: connections failed in a row, and since when
   * (Date.now() ms; the duration stops there). Absent while connected.
   */
  lost?: { attempt: number; since: number };
  /** After a failed load: the next attempt, made by itself (retry-later.ts). Absent when none is due. */
  loadRetry?: { attempt: number; at: number };
  /** Calls waiting to be tried again, in words ("3 calls backing off (…), next try in 5 s"); absent when none. */
  backoff?: string;
  /** Calls waiting for a slot, in words ("4 calls waiting for provider ollama's cap of 2"); absent when none. */
  slotWaits?: string;
  /** The model version last rendered. */
  version: number;
  view: ViewOptions;
  /** Hidden columns (TanStack Table visibility state: column id → false). */
  columnVisibility: Record<string, boolean>;
  drawer: CellRef | null;
  /** An action's outcome, announced in a live region. */
  notice?: string;
  /** performance.now() when every results page had arrived (measured by the tests). */
  dataLoadedAt?: number;
}

/**
 * A resumed run is running again: the end it had (its finish time, its summary with the stop
 * reason, a run error) no longer holds, and the header's duration ticks from its start again.
 * Its running clock comes from the poll body read after the `resumed` event (RunStore).
 */
export const RESUMED: Partial<RunPageState> = { status: 'running', finishedAt: undefined, summary: undefined, runError: undefined };

/** The poll body's figures; what it leaves out (no finish time yet, no summary) keeps its value. */
export function figuresOf(run: RunStatusBody): Partial<RunPageState> {
  return { status: run.status, total: run.total, completed: run.progress, request: run.request, metadata: run.metadata, runningClock: runningClockOf(run), ...(run.finishedAt ? { finishedAt: run.finishedAt } : {}), ...(run.summary ? { summary: run.summary } : {}), ...(run.status === 'failed' ? { runError: run.message ?? run.error } : {}) };
}

/** The poll body's clock of a resumed run that runs (the server sends it for no other). */
export function runningClockOf(run: RunStatusBody): RunPageState['runningClock'] {
  return run.executionStartedAt !== undefined && run.runningTimeBefore !== undefined ? { before: run.runningTimeBefore, since: run.executionStartedAt } : undefined;
}

/** Before the poll body has answered. */
export const INITIAL_STATE: RunPageState = { phase: 'loading', owner: 'checking', total: 0, completed: 0, live: false, version: 0, view: DEFAULT_VIEW, columnVisibility: {}, drawer: null };
