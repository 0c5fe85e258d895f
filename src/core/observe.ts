// What the engine's callers tell the operator's tools (metrics, traces, logs) about a run: the
// port src/observability implements and src/config wires. A separate file from ports.ts so
// the run path can be observed without reshaping the storage and queue ports. The quiet
// implementations below are what runs when nothing observes: they add a call, not work.
import type { LiveEvent } from './events.js';
import type { RunEnding } from './engine/run-ending.js';
import type { CellRef } from './engine/plan.js';
import type { CellResult, RunRecord } from './model/run.js';
import type { CellDraft } from './run-store.js';

/** The shape of a run's plan that observers may label by (types, never user-chosen ids). */
export interface RunShape {
  total: number;
  /** Target id → its type and, for prompt targets, `provider/model`. */
  targets: ReadonlyMap<string, { type: 'prompt' | 'http' | 'code'; model?: string }>;
  /** Evaluator id (the experiment's) → its catalogue type. */
  evaluators: ReadonlyMap<string, string>;
  /** Evaluator ids with weight 0 (informational: never fail a cell). */
  informational: ReadonlySet<string>;
}

/** How one execution of a run ended here; `released` = handed back on shutdown (the run goes on elsewhere). */
export type ExecutionOutcome = RunEnding | { kind: 'released' } | { kind: 'crashed'; error: string };

/** One execution of one run, as an observer follows it. */
export interface RunWatch {
  /** Runs one cell's work inside the observation (a trace span, a timer). Must return `work()`'s result. */
  cell(ref: CellRef, work: () => Promise<CellDraft>): Promise<CellDraft>;
  /** A live-only event happened (retries are counted from these). */
  live(event: LiveEvent): void;
  /** Cells were committed (each exactly once across executions). */
  committed(cells: readonly CellResult[]): void;
  /** The execution ended; called once. */
  ended(outcome: ExecutionOutcome): void;
}

/** Starts watching executions. */
export interface RunObserver {
  /** An execution of `run` begins; `resumed` = the run had executions before this one. */
  started(run: RunRecord, shape: RunShape | null, resumed: boolean): RunWatch;
}

/** What a model call reports, success or failure. */
export interface ModelCallEnd {
  /** `ok`; `throttled` = 429; `error` = any other failure; `cancelled` = the caller gave up. */
  outcome: 'ok' | 'throttled' | 'error' | 'cancelled';
  status?: number;
  tokens?: { input: number; output: number };
  cost?: number;
  /** The answer's text (only kept when content tracing is on). */
  text?: string;
}

/** One provider call in progress. */
export interface ModelCallScope {
  end(result: ModelCallEnd): void;
}

/** Watches the calls of model clients (targets and judges alike). */
export interface ModelCallObserver {
  /** A call to `provider`/`model` begins; `operation` is the GenAI operation name. `retry` = an earlier attempt of the same call failed. */
  begin(call: { provider: string; model: string; operation: 'chat' | 'embeddings' | 'moderation'; retry: boolean; messages?: unknown }): ModelCallScope;
}

const quietWatch: RunWatch = {
  cell: (_ref, work) => work(),
  live: () => {},
  committed: () => {},
  ended: () => {},
};

/** Observes nothing (tests, embedded use with metrics off). */
export const quietRunObserver: RunObserver = { started: () => quietWatch };
