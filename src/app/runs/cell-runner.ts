// Executes the cells of one execution (a whole run, or one shard of a cluster run): the run's
// targets and cell evaluators built once, the cell context (limits, retries, timeouts, the
// stop signal, live events), and the slots a cell takes before it starts (this process's
// ASSAY_WORKER_CONCURRENCY, and in a cluster the run's concurrency shared by all workers).
import { CellAbandoned, executeCell, type CellContext } from '../../core/engine/cell.js';
import type { CellRef } from '../../core/engine/plan.js';
import type { CallCounts } from '../../core/engine/run-ending.js';
import type { SlotLimiter } from '../../core/engine/limiter.js';
import { type SlotLook, SlotWaits, type SlotWaitsRegistry, watchSlotWaits } from '../../core/engine/slot-waits.js';
import type { EvaluatorDeps, TargetDeps, TargetFactory } from '../../core/model/adapters.js';
import type { Clock } from '../../core/ports.js';
import { DEFAULT_RETRY } from '../../core/engine/retry.js';
import type { ExperimentDocument, Row } from '../../core/model/experiment.js';
import type { RunRecord } from '../../core/model/run.js';
import type { RunWatch } from '../../core/observe.js';
import type { CellDraft } from '../../core/run-store.js';
import type { RunEventLog } from './event-log.js';
import { disposeAll, type EvaluatorCatalogue, prepareEvaluators, prepareTargets } from './prepare.js';

/** What executing cells needs from the composition root (part of the executor's deps). */
export interface CellDeps {
  clock: Clock;
  createTarget: TargetFactory;
  catalogue: EvaluatorCatalogue;
  /** What evaluators of a project's run need (its model client, the sandbox). */
  evaluatorDeps(projectId: string, waits?: SlotWaits): Promise<EvaluatorDeps>;
  /** What targets of a project's run need; `cache` is the run's execution.cache. */
  targetDeps(projectId: string, options: { cache: boolean }): Promise<TargetDeps>;
  /** Limits per key (HTTP origin, provider/model) shared by every run of this process. */
  limiter: SlotLimiter;
  /** A key's limit now and its pause, for the `waiting` events' words; absent: counts alone. */
  slotLook?: SlotLook;
  /** Where the process's metrics read every execution's waits. */
  slotWaits?: SlotWaitsRegistry;
  random: () => number;
  /**
   * Slots every cell executing in this process takes, across all its runs
   * (ASSAY_WORKER_CONCURRENCY); absent = only each run's own `concurrency` bounds its cells.
   */
  cellSlots?: { acquire(signal?: AbortSignal, party?: string): Promise<() => void> };
}

/** A slot to take before a cell starts; resolves to its release, rejects when `signal` aborts first. */
export type SlotAcquire = (signal: AbortSignal) => Promise<() => void>;

export interface CellRunner {
  execute(ref: CellRef, row: Row): Promise<CellDraft>;
  /** Cost of the cells finished so far (from `spentBefore`), counted as each finishes. */
  spent(): number;
  /** This execution's target calls by outcome, counted as each finishes (the run's error limit). */
  readonly finished: CallCounts;
  /**
   * This execution's count of calls waiting for a slot, told once a second until `dispose`: the
   * row phase's comparisons, which run after the cells, are counted in it too.
   */
  readonly waits: SlotWaits;
  dispose(): Promise<void>;
}

export interface CellRunnerOptions {
  signal: AbortSignal;
  log: RunEventLog;
  watch: RunWatch;
  /** Cost already spent by cells committed earlier. */
  spentBefore: number;
  /** Slots beyond this process's own, taken after them (a cluster run's shared concurrency). */
  runSlots?: SlotAcquire;
  /** Who executes (the lease owner; a shard's adds its number): the `waiting` events' source. */
  source: string;
}

async function take(acquire: SlotAcquire, signal: AbortSignal): Promise<() => void> {
  try {
    return await acquire(signal);
  } catch {
    // Only a stopping run gives up its wait: the cell is left undone, not failed.
    throw new CellAbandoned();
  }
}

export async function prepareCellRunner(deps: CellDeps, run: RunRecord, doc: ExperimentDocument, o: CellRunnerOptions): Promise<CellRunner> {
  const spec = run.spec;
  const targets = prepareTargets(doc, spec, deps.createTarget, await deps.targetDeps(run.projectId, { cache: spec.cache }));
  // Calls held for a slot are counted (targets' here, judges' in their model client), and told
  // once a second while that changes.
  const waits = new SlotWaits();
  const evaluators = await prepareEvaluators(doc, spec, deps.catalogue, await deps.evaluatorDeps(run.projectId, waits));
  const targetById = new Map(targets.map((t) => [t.id, t]));
  const unregister = deps.slotWaits?.add(waits);
  const stopWatching = watchSlotWaits(waits, deps.clock, deps.slotLook, (now) => o.log.live({ type: 'waiting', source: o.source, waits: now }));
  const ctx: CellContext = {
    clock: deps.clock,
    // The run's project waits its turn with other projects for the slots they share (fair-queue.ts).
    limiter: waits.counting({ acquire: (key, signal) => deps.limiter.acquire(key, signal, run.projectId) }),
    retry: { maxRetries: spec.maxRetries, ...DEFAULT_RETRY },
    timeoutMs: spec.timeoutMs,
    evaluatorTimeoutMs: spec.timeoutMs,
    random: deps.random,
    signal: o.signal,
    parameters: spec.parameters,
    live: (event) => {
      o.log.live(event);
      o.watch.live(event);
    },
  };
  const cellSlots = deps.cellSlots;
  // Spent counts a cell as soon as it finishes, not when its group commits: a commit window of
  // fast cells would otherwise start cells past the budget.
  let spent = o.spentBefore;
  const finished: CallCounts = { succeeded: 0, failed: 0 };
  return {
    async execute(ref, row) {
      // The embedded hot path takes neither slot: no allocation beyond the cell's own work.
      const local = cellSlots ? await take((signal) => cellSlots.acquire(signal, run.projectId), o.signal) : null;
      let shared: (() => void) | null = null;
      try {
        if (o.runSlots) shared = await take(o.runSlots, o.signal);
        const draft = await o.watch.cell(ref, () => executeCell(ref, row, targetById.get(ref.targetId)!, evaluators, ctx));
        spent += (draft.cost ?? 0) + draft.evaluations.reduce((sum, e) => sum + (e.result.cost ?? 0), 0);
        if (draft.ok) finished.succeeded++;
        else finished.failed++;
        return draft;
      } finally {
        shared?.();
        local?.();
      }
    },
    spent: () => spent,
    finished,
    waits,
    dispose: () => {
      stopWatching();
      unregister?.();
      return disposeAll(targets, evaluators);
    },
  };
}
