// The coordinator of a cluster run split into shards (docs/deployment.md, "Shards"). It holds
// the run's lease (so one process coordinates a run at a time, and a dead coordinator is
// replaced like a dead executor), plans the shards once, queues the open ones — again every
// REQUEUE_MS, so a shard whose worker died or whose job Redis lost is handed out again — and,
// when every shard is done (or, after an abort, none is held any more), ends the run exactly
// once with the whole-run executor: its cells are all committed, so it only rebuilds the
// summary from storage, runs the row phase over complete rows, and writes the ending. The
// coordination is the run's execution as an operator sees it: it logs `run started` (or
// `run continued`) when it begins, and the ending executor reports the end on the same watch.
import { setMaxListeners } from 'node:events';
import { errorLimitReached } from '../../core/engine/run-ending.js';
import { planShards } from '../../core/engine/shards.js';
import type { RunRecord, StopReason } from '../../core/model/run.js';
import type { ShardQueue } from '../../core/ports.js';
import type { CallCounts, RunStore } from '../../core/run-store.js';
import { type Execution, type ExecutionEnd, startExecution } from './executor.js';
import { keepLease, runLease } from './lease-keeper.js';
import { type ExecutionWatch, hasHistory, quietExecutionObserver } from './observation.js';
import { runShape } from './run-shape.js';
import type { ShardExecutorDeps } from './shard-executor.js';

/** How often the open shards are queued again (a dead worker's shard opens when its lease expires). */
export const REQUEUE_MS = 5_000;
/** Open shards queued again at a time: the first ones, which free workers take next. */
export const REQUEUE_BATCH = 100;

/** How often a coordinator counts the run's failed calls while none of this coordination's succeeded. */
export const ERROR_CHECK_MS = 250;

/**
 * The early stop for errors of a sharded run (run-ending.ts: the first FAIL_FAST_CALLS calls all
 * failed), counted from storage since the coordination began: its shards run in other processes.
 * Sharded runs have no `maxErrors` (shards.ts). Once a call has succeeded it never counts again,
 * so a large run pays the counting query only in its first seconds.
 */
class EarlyErrors {
  private checkedAt = Number.NEGATIVE_INFINITY;
  private settled = false;

  constructor(
    private readonly runs: Pick<RunStore, 'callCounts'>,
    private readonly run: RunRecord,
    private readonly before: CallCounts,
  ) {}

  async due(now: number): Promise<boolean> {
    if (this.settled || now - this.checkedAt < ERROR_CHECK_MS) return false;
    this.checkedAt = now;
    const counts = await this.runs.callCounts(this.run.id);
    const here = { succeeded: counts.succeeded - this.before.succeeded, failed: counts.failed - this.before.failed };
    if (here.succeeded > 0) this.settled = true;
    return errorLimitReached(this.run.spec.maxErrors, counts.failed, here);
  }
}

/** Starts coordinating a claimed run; `done` settles when it ended or was released here. */
export function startShardedRun(deps: ShardExecutorDeps, queue: ShardQueue, run: RunRecord, owner: string): Execution {
  const controller = new AbortController();
  setMaxListeners(0, controller.signal);
  let reason: StopReason | null = null;
  let ending: Execution | null = null;
  const watching: { watch: ExecutionWatch | null } = { watch: null };
  const stop = (r: StopReason) => {
    reason ??= r;
    controller.abort(new Error(`run stopping: ${r}`));
    ending?.stop(r);
  };
  const done = coordinate(deps, queue, run, owner, controller.signal, () => reason, stop, (e) => (ending = e), watching).catch((error: unknown): ExecutionEnd => {
    const message = error instanceof Error ? error.message : String(error);
    deps.logger.error({ runId: run.id, err: message }, 'run coordination failed; it will be retried');
    // The coordination's own failure: the ending executor never rejects, and reports its own.
    watching.watch?.ended({ kind: 'crashed', error: message });
    return { kind: 'failed', error: message };
  });
  return { stop, done };
}

async function coordinate(
  deps: ShardExecutorDeps, queue: ShardQueue, run: RunRecord, owner: string, signal: AbortSignal,
  requestedStop: () => StopReason | null, stop: (r: StopReason) => void, ending: (e: Execution) => void, watching: { watch: ExecutionWatch | null },
): Promise<ExecutionEnd> {
  const { stores, clock, shards } = deps;
  const experiment = await stores.experiments.getById(run.projectId, run.spec.experimentId, run.spec.experimentVersion);
  // Continued: a history in the log (a resume, a commit, an ending), or shards planned by a
  // coordinator that died before any of it. (Coordinations are not counted as executions: the
  // count gives up on a crashing run, and that stays the ending executor's.)
  const planned = (await shards.counts(run.id, clock.now())).total > 0;
  const watch = (deps.observer ?? quietExecutionObserver).started(run, experiment ? runShape(experiment.document, run.total, deps.catalogue) : null, planned || hasHistory(run));
  watching.watch = watch;
  if (experiment) {
    await shards.plan(run.id, planShards(run.spec));
    const stopKeeping = keepLease({ clock, leaseMs: deps.leaseMs, pollMs: deps.pollMs, stop, ...runLease(stores, run.id, owner) });
    const errors = new EarlyErrors(stores.runs, run, await stores.runs.callCounts(run.id));
    try {
      let queuedAt = Number.NEGATIVE_INFINITY;
      for (;;) {
        if (requestedStop() === null && (await errors.due(clock.now()))) {
          // The abort flag stops every shard within a poll; the ending below says why.
          stop('errors');
          await stores.runs.requestAbort(run.projectId, run.id, 'errors');
        }
        const reason = requestedStop();
        if (reason === 'shutdown') {
          // The shards go on in their workers; whoever takes the run next coordinates it.
          await stores.runs.release(run.id, owner);
          watch.ended({ kind: 'released' });
          return { kind: 'settled' };
        }
        const now = clock.now();
        const counts = await shards.counts(run.id, now);
        if (counts.done === counts.total) break;
        // Stopping: end once no worker holds a shard, so the summary counts every commit.
        if (reason !== null && counts.held === 0) break;
        if (reason === null && now - queuedAt >= REQUEUE_MS) {
          // The first time every open shard; then the first few, which free workers take next.
          const limit = queuedAt === Number.NEGATIVE_INFINITY ? counts.total : REQUEUE_BATCH;
          queuedAt = now;
          await queue.enqueueShards(run.id, await shards.open(run.id, now, limit));
        }
        // Once stopping, the signal has fired: wait out the poll anyway (no busy loop while a
        // dead worker's shard lease runs out).
        await clock.sleep(deps.pollMs, reason === null ? signal : undefined).catch(() => {});
      }
    } finally {
      stopKeeping();
    }
  }
  const execution = startExecution(deps, run, owner, { initialStop: requestedStop() ?? undefined, watch });
  ending(execution);
  return execution.done;
}
