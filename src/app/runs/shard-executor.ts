// Executes one shard of a cluster run (docs/deployment.md, "Shards") under the shard's own
// lease: the cells of its rows not yet committed (a shard taken over from a dead worker
// continues where that worker's last commit left it), committed in groups fenced by the
// shard's lease, each cell first taking a slot of the run's concurrency shared by every worker.
// It never ends the run: the run's coordinator (sharded-run.ts) does, once every shard is done.
// Observed as a shard, not as an execution of the run (observation.ts).
import { setMaxListeners } from 'node:events';
import { runLoop } from '../../core/engine/run-loop.js';
import type { RunRecord, StopReason } from '../../core/model/run.js';
import type { RunWatch } from '../../core/observe.js';
import type { CellDraft } from '../../core/run-store.js';
import type { RunShardStore, ShardRange } from '../../core/shard-store.js';
import { prepareCellRunner, type SlotAcquire } from './cell-runner.js';
import { LeaseLost, RunEventLog } from './event-log.js';
import type { Execution, ExecutorDeps } from './executor.js';
import { keepLease } from './lease-keeper.js';
import { quietExecutionObserver } from './observation.js';
import { rowSourceFor, scopeReader } from './row-reader.js';
import { runShape } from './run-shape.js';

export interface ShardExecutorDeps extends ExecutorDeps {
  shards: RunShardStore;
  /** The run's concurrency shared by every worker: a slot per cell in flight, whichever worker. */
  runSlots?: (runId: string, limit: number) => SlotAcquire;
}

/** Starts executing a claimed shard; `done` settles when it is done, stopped or failed here. */
export function startShard(deps: ShardExecutorDeps, run: RunRecord, shard: ShardRange, owner: string): Execution {
  const controller = new AbortController();
  setMaxListeners(0, controller.signal);
  let reason: StopReason | null = null;
  const stop = (r: StopReason) => {
    reason ??= r;
    controller.abort(new Error(`shard stopping: ${r}`));
  };
  const watching: { watch: RunWatch | null } = { watch: null };
  const done = executeShard(deps, run, shard, owner, controller.signal, () => reason, stop, watching).then(
    () => ({ kind: 'settled' as const }),
    async (error: unknown) => {
      const message = error instanceof Error ? error.message : String(error);
      deps.logger.error({ runId: run.id, shard: shard.shard, err: message }, 'shard execution failed; it will be taken again');
      watching.watch?.ended({ kind: 'crashed', error: message });
      await deps.shards.release(run.id, shard.shard, owner).catch(() => {});
      return { kind: 'failed' as const, error: message };
    },
  );
  return { stop, done };
}

async function executeShard(
  deps: ShardExecutorDeps, run: RunRecord, shard: ShardRange, owner: string, signal: AbortSignal, requestedStop: () => StopReason | null, stop: (r: StopReason) => void,
  watching: { watch: RunWatch | null },
): Promise<void> {
  const { stores, clock, shards } = deps;
  const spec = run.spec;
  const experiment = await stores.experiments.getById(run.projectId, spec.experimentId, spec.experimentVersion);
  if (!experiment) {
    // The coordinator fails the run for this; nothing to execute here.
    await shards.release(run.id, shard.shard, owner);
    return;
  }
  const doc = experiment.document;
  const perRow = spec.targetIds.length * spec.repeats;
  const log = new RunEventLog(stores, deps.bus, run.id, owner, run.total, () => clock.now(), { store: shards, shard: shard.shard });
  const watch = (deps.observer ?? quietExecutionObserver).shardStarted(run, runShape(doc, run.total, deps.catalogue), shard);
  watching.watch = watch;
  const done = new Set(await shards.committedIn(run.id, shard.fromCell, shard.toCell));
  const cells = await prepareCellRunner(deps, run, doc, {
    signal, log, watch, spentBefore: 0, source: `${owner}#${shard.shard}`,
    ...(deps.runSlots ? { runSlots: deps.runSlots(run.id, spec.concurrency) } : {}),
  });
  const stopKeeping = keepLease({
    clock, leaseMs: deps.leaseMs, pollMs: deps.pollMs, stop,
    // Besides the abort flag, a run no longer running (its coordinator ended it) stops the shard.
    check: async () => {
      const cursor = await stores.runs.cursor(run.id);
      if (cursor?.abortRequested) return cursor.abortReason ?? 'user';
      return cursor && cursor.status !== 'running' ? 'shutdown' : null;
    },
    renew: (until) => shards.renew(run.id, shard.shard, owner, until),
  });
  const commit = async (drafts: CellDraft[]) => {
    try {
      watch.committed(await log.commitCells(drafts));
    } catch (error) {
      if (error instanceof LeaseLost) stop('shutdown');
      throw error;
    }
  };
  const experimentRows = async () => ('rows' in doc.dataset ? doc.dataset.rows : []);
  let outcome;
  try {
    outcome = await runLoop({
      spec,
      rows: { from: shard.fromCell / perRow, to: shard.toCell / perRow },
      readRows: scopeReader(spec, rowSourceFor(run.id, spec, stores, experimentRows)),
      isDone: (cell) => done.has(cell),
      execute: (ref, row) => cells.execute(ref, row),
      commit,
      stopReason: requestedStop,
      signal,
      later: (ms, fire) => clock.later(ms, fire),
      breathe: () => new Promise<void>((resolve) => setImmediate(resolve)),
    });
  } finally {
    stopKeeping();
    await cells.dispose();
  }
  // Done only when every cell of it is committed (a cell abandoned at a stop is not).
  if (outcome.kind === 'finished' && (await shards.committedIn(run.id, shard.fromCell, shard.toCell)).length === shard.toCell - shard.fromCell) {
    // Not ours any more (a lost lease): another worker holds it and completes it.
    watch.ended(await shards.complete(run.id, shard.shard, owner) ? { kind: 'completed' } : { kind: 'released' });
    return;
  }
  // Stopped (abort, shutdown, a lost lease): what is committed stays; the shard is open again.
  await shards.release(run.id, shard.shard, owner);
  // An abort (a user's, or the coordinator's for errors) stops the run, which its coordinator
  // ends; anything else hands the shard on.
  const aborted = outcome.kind === 'stopped' && (outcome.reason === 'user' || outcome.reason === 'errors') ? outcome.reason : null;
  watch.ended(aborted ? { kind: 'stopped', reason: aborted } : { kind: 'released' });
}
