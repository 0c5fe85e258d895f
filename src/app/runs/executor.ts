// Executes one run under a lease: rebuilds its summary from storage (so a crashed or resumed
// run continues where it left off), keeps the lease (lease-keeper.ts), drives the engine's run
// loop and its row phase, commits cells in groups through the event log (event-log.ts: storage
// assigns the seqs, then the events are published), and ends the run with one of the endings
// of core/engine/run-ending.ts.
import { setMaxListeners } from 'node:events';
import { planTotal } from '../../core/engine/plan.js';
import { completionOf, errorLimitReached, errorStopEnding, quotedError, type RunEnding, runFinish } from '../../core/engine/run-ending.js';
import { runLoop } from '../../core/engine/run-loop.js';
import { type RunRecord, runningClock, type StopReason } from '../../core/model/run.js';
import type { EventBus, Logger, Stores } from '../../core/ports.js';
import type { CellDraft } from '../../core/run-store.js';
import { LeaseLost, RunEventLog } from './event-log.js';
import { keepLease, runLease } from './lease-keeper.js';
import { type ExecutionObserver, type ExecutionWatch, hasHistory, quietExecutionObserver } from './observation.js';
import { type CellDeps, prepareCellRunner } from './cell-runner.js';
import { disposeAll, evaluatorsOfTarget, prepareRowEvaluators } from './prepare.js';
import { runRowPhaseFor } from './row-phase-runner.js';
import { runShape } from './run-shape.js';
import { rowSourceFor, scopeReader } from './row-reader.js';
import { withRepeatStats } from './repeat-stats.js';
import { rebuildSummary } from './summary-rebuild.js';
import { finishDeliveries } from '../webhooks/payload.js';

export interface ExecutorDeps extends CellDeps {
  stores: Pick<Stores, 'runs' | 'experiments' | 'datasets'>;
  bus: EventBus;
  logger: Logger;
  leaseMs: number;
  /** How often the abort flag and the lease are checked. */
  pollMs: number;
  /** Metrics, traces and logs of executions (src/observability); default: none. */
  observer?: ExecutionObserver;
  /** Called once a run's finish (with a webhook delivery owed) is stored: the sender need not wait for its next poll. */
  onDeliveryQueued?: () => void;
}

/**
 * A run that keeps killing its executor is failed after this many executions in a row that
 * committed nothing (a commit resets the count, so a run killed often but progressing ends).
 */
export const MAX_EXECUTIONS = 5;

/** How an execution ended here: `failed` = it threw (e.g. storage refused a write) and the run is still running. */
export type ExecutionEnd = { kind: 'settled' } | { kind: 'failed'; error: string };

export interface Execution {
  /** Stops the run for `reason`; 'shutdown' leaves it running for another executor. */
  stop(reason: StopReason): void;
  /** Never rejects. */
  done: Promise<ExecutionEnd>;
}

function bitmap(size: number, cells: number[]): Uint8Array {
  const done = new Uint8Array(size);
  for (const c of cells) if (c < size) done[c] = 1;
  return done;
}

export interface ExecutionOptions {
  /** Starts it already stopping (a cluster run whose shards stopped for an abort: it is only ended here, no cell starts). */
  initialStop?: StopReason;
  /**
   * The watch of the execution this one ends (a cluster run's coordinator: the run was started
   * or continued there, so it is not observed as beginning again here).
   */
  watch?: ExecutionWatch;
}

/** Starts executing a run under `owner`'s lease. */
export function startExecution(deps: ExecutorDeps, claimed: RunRecord, owner: string, options: ExecutionOptions = {}): Execution {
  const { initialStop } = options;
  const controller = new AbortController();
  // Every call in flight listens to the run's signal (up to `concurrency` at once, by design).
  setMaxListeners(0, controller.signal);
  let stopReason: StopReason | null = null;
  const stop = (reason: StopReason) => {
    stopReason ??= reason;
    controller.abort(new Error(`run stopping: ${reason}`));
  };
  if (initialStop) stop(initialStop);
  const watching: { watch: ExecutionWatch | null } = { watch: options.watch ?? null };
  const done = execute(deps, claimed, owner, controller, () => stopReason, stop, watching).then(
    (): ExecutionEnd => ({ kind: 'settled' }),
    (error: unknown): ExecutionEnd => {
      const message = error instanceof Error ? error.message : String(error);
      deps.logger.error({ runId: claimed.id, err: message }, 'run execution failed; it will be retried');
      watching.watch?.ended({ kind: 'crashed', error: message });
      return { kind: 'failed', error: message };
    },
  );
  return { stop, done };
}

async function execute(
  deps: ExecutorDeps,
  run: RunRecord,
  owner: string,
  controller: AbortController,
  requestedStop: () => StopReason | null,
  stop: (reason: StopReason) => void,
  watching: { watch: ExecutionWatch | null },
): Promise<void> {
  const { stores, clock } = deps;
  const spec = run.spec;
  const total = planTotal(spec);
  // The summary's runningTime: earlier executions' time, and this one's from its beginning.
  const running = runningClock(run);
  const log = new RunEventLog(stores, deps.bus, run.id, owner, total, () => clock.now());

  const executions = await stores.runs.countExecution(run.id);
  const experiment = await stores.experiments.getById(run.projectId, spec.experimentId, spec.experimentVersion);
  const agg = await rebuildSummary(stores, run, experiment?.document, deps.catalogue);
  const threshold = experiment?.document.thresholds?.passRate;
  // Continued: an execution before this one since the last commit or reopen (the count is reset
  // by both), or a history in the log (a resume, a commit, an ending).
  const resumed = executions > 1 || hasHistory(run);
  const watch = watching.watch ?? (deps.observer ?? quietExecutionObserver).started(run, experiment ? runShape(experiment.document, total, deps.catalogue) : null, resumed);
  watching.watch = watch;
  /** Writes the ending with the summary as it stands (a lost lease means another executor ends the run). */
  const end = async (ending: RunEnding): Promise<void> => {
    const finishedAt = clock.now();
    const stopReason = ending.kind === 'stopped' ? ending.reason : undefined;
    const counted = agg.summary({ runId: run.id, runUrl: spec.runUrl, startedAt: run.startedAt, ...running, finishedAt, stopReason, thresholdPassRate: threshold });
    const summary = await withRepeatStats(stores.runs, run, evaluatorsOfTarget(experiment?.document, spec, deps.catalogue), counted);
    // Observed before it is stored: a client that sees the run ended finds it counted and its
    // trace span ended. (A lease lost at this very moment counts it here and where it ends.)
    watch.ended(ending, { cellsCommitted: agg.committed, cellsFailed: summary.failedCells });
    const finish = runFinish(ending, summary, finishedAt);
    const deliveries = finishDeliveries(run, finish, agg.committed);
    const ended = await log.finish(deliveries.length > 0 ? { ...finish, deliveries } : finish);
    if (ended && deliveries.length > 0) deps.onDeliveryQueued?.();
  };

  if (!experiment) {
    await end({ kind: 'failed', code: 'experiment_missing', message: 'The experiment version this run uses no longer exists' });
    return;
  }
  if (executions > MAX_EXECUTIONS) {
    await end({ kind: 'failed', code: 'run_crashed_repeatedly', message: `The run was interrupted ${executions - 1} times in a row without committing a cell and was given up` });
    return;
  }

  const doc = experiment.document;
  const cells = await prepareCellRunner(deps, run, doc, { signal: controller.signal, log, watch, spentBefore: agg.spent, source: owner });
  // Comparisons' judges are counted with the cells' calls when they wait for a slot (`waiting`).
  const rowEvaluators = prepareRowEvaluators(doc, spec, deps.catalogue, await deps.evaluatorDeps(run.projectId, cells.waits));
  const done = bitmap(total, await stores.runs.committedCells(run.id));
  let firstError: string | undefined;
  const failedBefore = agg.calls.failed;

  const stopKeeping = keepLease({ clock, leaseMs: deps.leaseMs, pollMs: deps.pollMs, stop, ...runLease(stores, run.id, owner) });

  const commit = async (drafts: CellDraft[]) => {
    // Counted before the commit so the commit can carry the summary so far (the runs list's
    // figures) in the update it makes anyway. A commit that fails ends this execution, and the
    // next one rebuilds the aggregator from storage, so nothing is counted twice.
    for (const d of drafts) agg.add(d);
    const soFar = agg.summary({ runId: run.id, runUrl: spec.runUrl, startedAt: run.startedAt, ...running, finishedAt: clock.now(), thresholdPassRate: threshold });
    let committed;
    try {
      committed = await log.commitCells(drafts, soFar);
    } catch (error) {
      if (error instanceof LeaseLost) stop('shutdown');
      throw error;
    }
    watch.committed(committed);
    for (const c of committed) {
      done[c.cell] = 1;
      if (!c.ok) firstError ??= `${c.targetId}: ${c.error}`;
    }
  };

  const experimentRows = async () => ('rows' in doc.dataset ? doc.dataset.rows : []);
  const stopReason = (): StopReason | null =>
    requestedStop() ??
    (spec.budgetUsd !== null && cells.spent() >= spec.budgetUsd ? 'budget' : null) ??
    (errorLimitReached(spec.maxErrors, failedBefore + cells.finished.failed, cells.finished) ? 'errors' : null);
  let outcome;
  try {
    outcome = await runLoop({
      spec,
      readRows: scopeReader(spec, rowSourceFor(run.id, spec, stores, experimentRows)),
      isDone: (cell) => done[cell] === 1,
      execute: (ref, row) => cells.execute(ref, row),
      commit,
      stopReason,
      signal: controller.signal,
      later: (ms, fire) => clock.later(ms, fire),
      breathe: () => new Promise<void>((resolve) => setImmediate(resolve)),
    });
    // Phase 2: comparisons across the targets of each row, once every cell is committed.
    if (outcome.kind === 'finished' && rowEvaluators.length > 0) {
      outcome = await runRowPhaseFor({ stores, clock, run, log, agg, signal: controller.signal, stopReason, onLeaseLost: () => stop('shutdown') }, rowEvaluators);
    }
  } finally {
    stopKeeping();
    await Promise.all([cells.dispose(), disposeAll([], rowEvaluators)]);
  }

  if (outcome.kind === 'stopped' && outcome.reason === 'shutdown') {
    await stores.runs.release(run.id, owner);
    watch.ended({ kind: 'released' });
    return;
  }
  const summaryNow = () => agg.summary({ runId: run.id, runUrl: spec.runUrl, startedAt: run.startedAt, ...running, finishedAt: clock.now() });
  // Stopped for its errors with cells left unrun. (When the calls in flight at the stop were its
  // last cells, the run simply ran out: it ends below as any finished run does.)
  if (outcome.kind === 'stopped' && outcome.reason === 'errors' && agg.committed < total) {
    await end(errorStopEnding(agg.calls, quotedError(firstError, summaryNow())));
    return;
  }
  if (outcome.kind === 'stopped' && outcome.reason !== 'errors') {
    await end({ kind: 'stopped', reason: outcome.reason });
    return;
  }
  const summary = summaryNow();
  await end(completionOf(summary, quotedError(firstError, summary)));
}
