// Executes one run under a lease: rebuilds its state from storage (so a crashed or resumed
// run continues where it left off), drives the engine's run loop, commits cells in groups
// (fenced by the lease) and publishes their events after each commit, then ends the run.
import { setMaxListeners } from 'node:events';
import { Aggregator } from '../../core/engine/aggregate.js';
import { executeCell, type CellContext } from '../../core/engine/cell.js';
import { cellEventCount, cellEvents } from '../../core/engine/cell-events.js';
import type { SlotLimiter } from '../../core/engine/limiter.js';
import { planTotal } from '../../core/engine/plan.js';
import { DEFAULT_RETRY } from '../../core/engine/retry.js';
import { type CellDraft, runLoop } from '../../core/engine/run-loop.js';
import type { RunEvent, RunEventBody } from '../../core/events.js';
import type { EvaluatorDeps, TargetDeps, TargetFactory } from '../../core/model/adapters.js';
import type { CellResult, RunRecord, RunStatus, StopReason } from '../../core/model/run.js';
import type { Clock, EventBus, Logger, Stores } from '../../core/ports.js';
import { failpoint } from './failpoints.js';
import { disposeAll, type EvaluatorCatalogue, prepareEvaluators, prepareRowEvaluators, prepareTargets } from './prepare.js';
import { replayRowResults, runRowPhaseFor } from './row-phase-runner.js';
import { rangeReaderFor, scopeReader } from './row-reader.js';

export interface ExecutorDeps {
  stores: Stores;
  bus: EventBus;
  clock: Clock;
  logger: Logger;
  createTarget: TargetFactory;
  catalogue: EvaluatorCatalogue;
  /** What evaluators of a project's run need (its model client, the sandbox). */
  evaluatorDeps(projectId: string): Promise<EvaluatorDeps>;
  /** What targets of a project's run need; `cache` is the run's execution.cache. */
  targetDeps(projectId: string, options: { cache: boolean }): Promise<TargetDeps>;
  /** Limits per key (HTTP origin, provider/model) shared by every run of this process. */
  limiter: SlotLimiter;
  random: () => number;
  leaseMs: number;
  /** How often the abort flag and the lease are checked. */
  pollMs: number;
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

export function startExecution(deps: ExecutorDeps, claimed: RunRecord, owner: string): Execution {
  const controller = new AbortController();
  // Every call in flight listens to the run's signal (up to `concurrency` at once, by design).
  setMaxListeners(0, controller.signal);
  let stopReason: StopReason | null = null;
  const stop = (reason: StopReason) => {
    stopReason ??= reason;
    controller.abort(new Error(`run stopping: ${reason}`));
  };
  const done = execute(deps, claimed, owner, controller, () => stopReason, stop).then(
    (): ExecutionEnd => ({ kind: 'settled' }),
    (error: unknown): ExecutionEnd => {
      const message = error instanceof Error ? error.message : String(error);
      deps.logger.error({ runId: claimed.id, err: message }, 'run execution failed; it will be retried');
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
): Promise<void> {
  const { stores, clock, bus } = deps;
  const spec = run.spec;
  const total = planTotal(spec);
  let nextSeq = run.nextSeq;

  /** Ends the run with its final event: `done` (carrying the summary) or the given one. */
  const finish = async (status: Exclude<RunStatus, 'running'>, event: Exclude<RunEventBody, { type: 'done' }> | 'done', agg: Aggregator, extra: { error?: string; errorMessage?: string; stopReason?: StopReason; threshold?: number | undefined }) => {
    failpoint('finish.before');
    const finishedAt = clock.now();
    const summary = agg.summary({ runId: run.id, runUrl: spec.runUrl, startedAt: run.startedAt, finishedAt, stopReason: extra.stopReason, thresholdPassRate: extra.threshold });
    const body: RunEventBody = event === 'done' ? { type: 'done', summary } : event;
    const final = { ...body, seq: nextSeq } as RunEvent;
    const ok = await stores.runs.finish(
      run.id,
      owner,
      { status, summary, error: extra.error ?? null, errorMessage: extra.errorMessage ?? null, stopReason: extra.stopReason ?? null, finishedAt, event: final },
      nextSeq + 1,
    );
    if (ok) bus.publish(run.id, [final]);
  };

  const executions = await stores.runs.countExecution(run.id);
  const experiment = await stores.experiments.getById(run.projectId, spec.experimentId, spec.experimentVersion);
  const targetNames = spec.targetIds.map((id) => ({ id, name: experiment?.document.targets.find((t) => t.id === id)?.name ?? id }));
  const evaluatorNames = spec.evaluatorIds.map((id) => {
    const e = experiment?.document.evaluators.find((x) => x.id === id);
    return { id, name: e?.name ?? deps.catalogue.find(e?.type ?? '')?.name ?? id };
  });
  const informational = new Set(experiment?.document.evaluators.filter((e) => e.weight === 0).map((e) => e.id) ?? []);
  const agg = new Aggregator(targetNames, evaluatorNames, informational);

  // Rebuild the summary from what earlier executions committed.
  for (let after = 0; ; ) {
    const page = await stores.runs.cellsInCommitOrder(run.id, after, 1000);
    for (const c of page) agg.add(c);
    if (page.length < 1000) break;
    after = page[page.length - 1]!.completedOrder;
  }
  await replayRowResults(stores, run.id, agg);
  const threshold = experiment?.document.thresholds?.passRate;

  if (!experiment) {
    await finish('failed', { type: 'error', message: 'The experiment version this run uses no longer exists', code: 'experiment_missing' }, agg, { error: 'experiment_missing', errorMessage: 'The experiment version this run uses no longer exists' });
    return;
  }
  if (executions > MAX_EXECUTIONS) {
    const message = `The run was interrupted ${executions - 1} times in a row without committing a cell and was given up`;
    await finish('failed', { type: 'error', message, code: 'run_crashed_repeatedly' }, agg, { error: 'run_crashed_repeatedly', errorMessage: message, threshold });
    return;
  }

  const doc = experiment.document;
  const targets = prepareTargets(doc, spec, deps.createTarget, await deps.targetDeps(run.projectId, { cache: spec.cache }));
  const evaluatorDeps = await deps.evaluatorDeps(run.projectId);
  const evaluators = prepareEvaluators(doc, spec, deps.catalogue, evaluatorDeps);
  const rowEvaluators = prepareRowEvaluators(doc, spec, deps.catalogue, evaluatorDeps);
  const targetById = new Map(targets.map((t) => [t.id, t]));
  const done = bitmap(total, await stores.runs.committedCells(run.id));
  let progress = agg.committed;
  let firstError: string | undefined;

  // Lease renewal and the abort flag (set by any process) are checked on one timer.
  let lastRenew = clock.now();
  const poll = setInterval(() => {
    void (async () => {
      try {
        const current = await stores.runs.cursor(run.id);
        if (current?.abortRequested) stop('user');
        if (clock.now() - lastRenew > deps.leaseMs / 3) {
          lastRenew = clock.now();
          if (!(await stores.runs.renew(run.id, owner, clock.now() + deps.leaseMs))) stop('shutdown');
        }
      } catch {
        // Storage hiccups are retried on the next tick; a lost lease stops us there.
      }
    })();
  }, deps.pollMs);

  const ctx: CellContext = {
    clock,
    limiter: deps.limiter,
    retry: { ...DEFAULT_RETRY, maxRetries: spec.maxRetries },
    timeoutMs: spec.timeoutMs,
    evaluatorTimeoutMs: spec.timeoutMs,
    random: deps.random,
    signal: controller.signal,
    parameters: spec.parameters,
  };

  const commit = async (drafts: CellDraft[]) => {
    const cells: CellResult[] = [];
    let seq = nextSeq;
    let order = progress;
    for (const d of drafts) {
      const eventCount = cellEventCount(d);
      cells.push({ ...d, firstSeq: seq, eventCount, completedOrder: ++order });
      seq += eventCount;
    }
    failpoint('commit.before');
    if (!(await stores.runs.commitCells(run.id, owner, cells, order, seq, clock.now()))) {
      stop('shutdown');
      throw new Error('lost the run lease; another executor owns this run');
    }
    // Committed but not yet published: a crash here leaves events only storage can replay.
    failpoint('commit.after');
    nextSeq = seq;
    progress = order;
    const events: RunEvent[] = [];
    for (const c of cells) {
      done[c.cell] = 1;
      agg.add(c);
      if (c.error !== undefined) firstError ??= `${c.targetId}: ${c.error}`;
      events.push(...cellEvents(c, total));
    }
    bus.publish(run.id, events);
  };

  const experimentRows = async () => ('rows' in doc.dataset ? doc.dataset.rows : []);
  const stopReason = () => requestedStop() ?? (spec.budgetUsd !== null && agg.spent >= spec.budgetUsd ? 'budget' : null);
  let outcome;
  try {
    outcome = await runLoop({
      spec,
      readRows: scopeReader(spec, rangeReaderFor(run.id, spec, stores, experimentRows)),
      isDone: (cell) => done[cell] === 1,
      execute: (ref, row) => executeCell(ref, row, targetById.get(ref.targetId)!, evaluators, ctx),
      commit,
      stopReason,
      signal: controller.signal,
      breathe: () => new Promise<void>((resolve) => setImmediate(resolve)),
    });
    // Phase 2: comparisons across the targets of each row, once every cell is committed.
    if (outcome.kind === 'finished' && rowEvaluators.length > 0) {
      const seq = { next: nextSeq };
      outcome = await runRowPhaseFor(
        { stores, bus, clock, run, owner, agg, seq, signal: controller.signal, stopReason, onLeaseLost: () => stop('shutdown') },
        rowEvaluators,
      );
      nextSeq = seq.next;
    }
  } finally {
    clearInterval(poll);
    await disposeAll(targets, [...evaluators, ...rowEvaluators]);
  }

  if (outcome.kind === 'stopped' && outcome.reason === 'shutdown') {
    await stores.runs.release(run.id, owner);
    return;
  }
  if (outcome.kind === 'stopped') {
    await finish('stopped', { type: 'stopped', reason: outcome.reason }, agg, { stopReason: outcome.reason, threshold });
    return;
  }
  const summary = agg.summary({ runId: run.id, runUrl: spec.runUrl, startedAt: run.startedAt, finishedAt: clock.now() });
  if (summary.totalCells > 0 && summary.completedCells === 0) {
    const message = `Every target call failed${firstError ? `; first error: ${firstError}` : ''}`;
    await finish('failed', { type: 'error', message, code: 'all_targets_failed' }, agg, { error: 'all_targets_failed', errorMessage: message, threshold });
    return;
  }
  await finish('completed', 'done', agg, { threshold });
}
