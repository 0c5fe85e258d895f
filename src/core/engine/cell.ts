// Executes one cell: the target call with timeout, shared limits and retries, then (if the
// target succeeded) every applicable evaluator concurrently, each with its own timeout. A
// failure is recorded as data; only the run's abort escapes (the cell is then discarded).
import type { Row } from '../model/experiment.js';
import { CallError, type TargetAdapter, type TargetCall, type TargetOutput } from '../model/results.js';
import type { LiveEvent } from '../events.js';
import type { RetryNote, StoredEvaluation } from '../model/run.js';
import type { CellDraft } from '../run-store.js';
import { type Clock, type Deadline, SHARED_SIGNAL } from '../ports.js';
import { type SlotLimiter } from './limiter.js';
import { type CellRef } from './plan.js';
import { decideRetry, type RetryPolicy } from './retry.js';
import { type BoundEvaluator, type EvaluationDeadline, evaluate, type Subject } from './evaluate.js';
import { nextTurn, turnBudget, turnElapsed } from '../turns.js';
import { sizeOutput } from '../json-size.js';

export { applyControls } from './evaluate.js';

export interface PreparedTarget {
  id: string;
  name: string;
  adapter: TargetAdapter;
}

/** An evaluator of cells: bound (evaluate.ts), and limited to some targets. */
export interface PreparedEvaluator extends BoundEvaluator {
  /** Targets it applies to; null = all. */
  targets: ReadonlySet<string> | null;
}

export interface CellContext {
  clock: Clock;
  limiter: SlotLimiter;
  retry: RetryPolicy;
  /** Per target call attempt. */
  timeoutMs: number;
  /** Per evaluator call. */
  evaluatorTimeoutMs: number;
  random: () => number;
  /** The run's signal: aborting it abandons the cell. */
  signal: AbortSignal;
  parameters: Record<string, string | number | boolean>;
  /** Live-only events as they happen: the cell started, a retry was scheduled (never stored as such). */
  live?: (event: LiveEvent) => void;
}

/** Thrown when the run's signal aborted the cell; the cell is not committed. */
export class CellAbandoned extends Error {
  constructor() {
    super('cell abandoned: the run is stopping');
    this.name = 'CellAbandoned';
  }
}

type Attempted = { ok: true; value: TargetOutput; attempts: number; durationMs: number } | { ok: false; error: string; attempts: number; durationMs: number };

/**
 * Deepest nesting of a target's output. Outputs are stored and sent as JSON, and
 * JSON.stringify recurses: an output nested thousands deep (a code target's return value, a
 * model's structured answer) would make every commit of the run throw, losing the cell.
 */
export const MAX_OUTPUT_DEPTH = 500;

/**
 * Refuses an output nested deeper than MAX_OUTPUT_DEPTH. Iterative on purpose, and it stacks
 * containers only (no pair per value): it runs on the main thread, and 10 MB of small objects
 * (770,000) took 170–390 ms with a `[value, depth]` pair per value, 35–60 ms this way.
 */
function checkOutputDepth(output: unknown): void {
  // The walk also sizes the output for its commit and event (core/json-size.ts).
  if (sizeOutput(output, MAX_OUTPUT_DEPTH) === null) throw new CallError(`the output is nested more than ${MAX_OUTPUT_DEPTH} levels deep`, { retryable: false });
}

async function callTarget(target: PreparedTarget, row: Row, ctx: CellContext, retries: RetryNote[], cell: CellRef): Promise<Attempted> {
  let told = false;
  for (let attempt = 1; ; attempt++) {
    if (ctx.signal.aborted) throw new CellAbandoned();
    let release: (() => void) | undefined;
    let releaseCap: (() => void) | undefined;
    let deadline: Deadline | undefined;
    // Duration is the last attempt's call time: waits for a limiter slot and backoff sleeps
    // are not latency of the target.
    let started = ctx.clock.now();
    try {
      // A provider's cap first, then the model's slot: a call never holds a model's shared slot
      // while its own project's cap keeps it waiting.
      if (target.adapter.capKey) releaseCap = await ctx.limiter.acquire(target.adapter.capKey, ctx.signal);
      if (target.adapter.limitKey) release = await ctx.limiter.acquire(target.adapter.limitKey, ctx.signal);
      // Started once its call can go: a cell held for a slot is counted by the run's `waiting`
      // word, not shown running (docs/decisions.md, "Calls waiting for a slot are shown").
      if (!told) {
        told = true;
        ctx.live?.({ type: 'cell_started', rowIndex: cell.rowIndex, targetId: cell.targetId, repeat: cell.repeat });
      }
      // The deadline starts once we hold a slot, so queueing behind other runs never eats it.
      deadline = ctx.clock.deadline(ctx.timeoutMs, ctx.signal);
      started = ctx.clock.now();
      const value = await target.adapter.call(new DeadlineCall(row, ctx.parameters, deadline));
      checkOutputDepth(value.output);
      return { ok: true, value, attempts: attempt, durationMs: ctx.clock.now() - started };
    } catch (error) {
      if (ctx.signal.aborted) throw new CellAbandoned();
      const failure = deadline?.expired ? new CallError(`timed out after ${ctx.timeoutMs} ms`, { retryable: true, cause: error }) : error;
      const decision = decideRetry(failure, attempt, ctx.retry, ctx.random);
      if (decision.kind === 'fail') return { ok: false, error: decision.reason, attempts: attempt, durationMs: ctx.clock.now() - started };
      const note = { attempt, delayMs: Math.round(decision.delayMs), reason: decision.reason };
      retries.push(note);
      ctx.live?.({ type: 'retrying', rowIndex: cell.rowIndex, targetId: cell.targetId, repeat: cell.repeat, ...note });
      deadline?.clear();
      release?.();
      release = undefined;
      releaseCap?.();
      releaseCap = undefined;
      try {
        await ctx.clock.sleep(decision.delayMs, ctx.signal);
      } catch {
        throw new CellAbandoned();
      }
    } finally {
      deadline?.clear();
      release?.();
      releaseCap?.();
    }
  }
}

/**
 * A target call's input under its deadline: `signal` is the deadline's, made only when an
 * adapter reads it; the lean chat path listens on `deadline` and never does. A class: an object
 * literal with a getter is V8's slow path on Node 20.
 */
class DeadlineCall implements TargetCall {
  constructor(
    readonly row: Row,
    readonly parameters: TargetCall['parameters'],
    readonly deadline: Deadline,
  ) {}

  get signal(): AbortSignal {
    return this.deadline.signal;
  }
}

/** The evaluation phase's deadline as evaluate() takes it; its signal is made only if read. */
class PhaseDeadline implements EvaluationDeadline {
  constructor(
    readonly stop: Deadline,
    readonly timeoutMs: number,
  ) {}

  get signal(): AbortSignal {
    return this.stop.signal;
  }

  expired(): boolean {
    return this.stop.expired;
  }
}

/** Marks a promise handled; its rejection still reaches the Promise.all that awaits it. */
const handled = (): void => {};

/**
 * Runs a cell's evaluators together under one deadline. What they share (the subject, the
 * deadline, the clock) is made once per cell, not once per evaluation: at zero latency a cell is
 * ≈ 200 µs of CPU and its garbage is a good part of that. The subject also carries the memo of
 * the inputs worked out from the output and row (evaluator-inputs.ts), so a large output is
 * serialised or parsed once per cell, not once per evaluator.
 *
 * Each evaluator runs synchronously up to its first await (inputs, a regex over the output, a
 * sandbox's argument text), so a hundred of them over a megabyte output would hold the main
 * thread for seconds (measured 2026-12-05): they start one after another, and the turn is given
 * away between two starts once it has run for the budget (core/turns.ts). Below the budget that
 * is one clock read per evaluator, and no promise.
 */
async function runEvaluators(applicable: readonly PreparedEvaluator[], row: Row, cell: CellRef, target: Attempted & { ok: true }, ctx: CellContext): Promise<StoredEvaluation[]> {
  const phase = ctx.clock.deadline(ctx.evaluatorTimeoutMs, ctx.signal, SHARED_SIGNAL);
  const subject: Subject = { row, output: target.value.output, target: { id: cell.targetId, durationMs: target.durationMs, cost: target.value.cost, tokens: target.value.tokens }, memo: undefined };
  const deadline = new PhaseDeadline(phase, ctx.evaluatorTimeoutMs);
  const now = () => ctx.clock.now();
  const started: Promise<StoredEvaluation>[] = new Array(applicable.length);
  let guarded = 0;
  try {
    for (let i = 0; i < applicable.length; i++) {
      if (i > 0 && turnElapsed() >= turnBudget()) {
        // Those started may settle while we wait: none may reject unhandled meanwhile (the
        // run stopping), Promise.all below still sees it.
        for (; guarded < i; guarded++) started[guarded]!.catch(handled);
        await nextTurn();
        if (ctx.signal.aborted) throw new CellAbandoned();
      }
      started[i] = evaluate(applicable[i]!, subject, deadline, ctx.signal, now);
    }
    return await Promise.all(started);
  } catch {
    // Only the run's stop gets here (evaluate() records every other failure as a result): the
    // cell is abandoned, not failed. Evaluators already started finish on the aborted signal.
    for (; guarded < started.length; guarded++) started[guarded]?.catch(handled);
    throw new CellAbandoned();
  } finally {
    phase.clear();
  }
}

/** Runs one cell to its result (without sequence numbers, assigned at commit). */
export async function executeCell(
  cell: CellRef,
  row: Row,
  target: PreparedTarget,
  evaluators: readonly PreparedEvaluator[],
  ctx: CellContext,
): Promise<CellDraft> {
  const retries: RetryNote[] = [];
  const attempted = await callTarget(target, row, ctx, retries, cell);
  // Written out field by field, not `{ ...base, ok, … }`: a literal that starts with a spread
  // and goes on is V8's slow path on Node 20, and every object it makes is promoted to the old
  // generation (docs/decisions.md, "No literal that starts with a spread on the hot path").
  if (!attempted.ok) {
    return {
      cell: cell.cell, rowIndex: cell.rowIndex, targetId: cell.targetId, repeat: cell.repeat, entry: row,
      durationMs: attempted.durationMs, attempts: attempted.attempts, retries,
      ok: false, error: attempted.error, cached: false, evaluations: [],
    };
  }
  const applicable = evaluators.filter((e) => e.targets === null || e.targets.has(cell.targetId));
  // The evaluators of a cell start together, so one timeout (and one combined signal) serves
  // them all: timers and signals are a measurable part of the per-cell cost.
  const evaluations = applicable.length > 0 ? await runEvaluators(applicable, row, cell, attempted, ctx) : [];
  const v = attempted.value;
  const draft: CellDraft = {
    cell: cell.cell, rowIndex: cell.rowIndex, targetId: cell.targetId, repeat: cell.repeat, entry: row,
    durationMs: attempted.durationMs, attempts: attempted.attempts, retries,
    ok: true, output: v.output, cached: v.cached === true, evaluations,
  };
  if (v.cost !== undefined) draft.cost = v.cost;
  if (v.tokens !== undefined) draft.tokens = v.tokens;
  return draft;
}
