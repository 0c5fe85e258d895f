// The one evaluation pipeline. An evaluator spec becomes a bound evaluator (its catalogue
// instance plus the controls of the spec) in bindEvaluator, and every evaluation — of a cell, of
// a row's targets compared (phase 2), of an evaluator set's members — runs through evaluate():
// inputs resolved, the deadline's signal passed, negate and threshold applied, and any failure
// recorded as an error result with its type. Weight is carried for the summary's weighted
// figures and the sets' weighted shares.
import type { EvaluatorDefinition, EvaluatorDeps } from '../model/adapters.js';
import type { EvaluatorSpec, InputMapping, Row } from '../model/experiment.js';
import type { EvaluationResult, EvaluatorContext, EvaluatorInstance } from '../model/results.js';
import type { StoredEvaluation } from '../model/run.js';
import type { StopState } from '../stop-state.js';
import { type InputMemo, jsonOf, resolveInputs, UnreadableInput } from './evaluator-inputs.js';
import { describeFailure } from './retry.js';

/** An evaluator ready to judge: its instance and the controls its spec sets. */
export interface BoundEvaluator {
  id: string;
  name: string;
  inputs: Record<string, InputMapping> | undefined;
  /** Inputs the definition takes as strings (non-strings arrive as JSON text). */
  stringInputs: readonly string[];
  negate: boolean;
  threshold: number | undefined;
  /** 1 by default; 0 = informational (reported, never fails a cell). */
  weight: number;
  instance: EvaluatorInstance;
}

/** Looks up catalogue definitions by type (id, alias or LangWatch id). */
export type FindEvaluator = (type: string) => EvaluatorDefinition | undefined;

/** An instance that answers every evaluation with the same error (misconfiguration is data too). */
export function failingEvaluator(details: string): EvaluatorInstance {
  return { evaluate: async () => ({ status: 'error', details, errorType: 'MisconfiguredEvaluator' }) };
}

/**
 * Binds a spec to its catalogue instance. An unknown type, invalid settings or a create() that
 * throws gives a failing instance (each evaluation reports why), never an exception: a run
 * started from a stored experiment always runs.
 */
export function bindEvaluator(spec: Pick<EvaluatorSpec, 'id' | 'type' | 'name' | 'settings' | 'inputs' | 'negate' | 'threshold' | 'weight'>, find: FindEvaluator, deps: EvaluatorDeps): BoundEvaluator {
  const definition = find(spec.type);
  const controls = { negate: spec.negate ?? false, threshold: spec.threshold, weight: spec.weight ?? 1, inputs: spec.inputs };
  if (!definition) {
    return { id: spec.id, name: spec.name ?? spec.id, stringInputs: [], ...controls, instance: failingEvaluator(`unknown evaluator type "${spec.type}"`) };
  }
  const bound = (instance: EvaluatorInstance): BoundEvaluator => ({ id: spec.id, name: spec.name ?? definition.name, stringInputs: definition.stringInputs, ...controls, instance });
  const settings = definition.settings.safeParse(spec.settings ?? {});
  if (!settings.success) return bound(failingEvaluator(`invalid settings: ${settings.error.issues[0]?.message}`));
  try {
    return bound(definition.create(settings.data, deps));
  } catch (error) {
    return bound(failingEvaluator(error instanceof Error ? error.message : String(error)));
  }
}

/** Applies `negate` and `threshold` to a processed result. */
export function applyControls(result: EvaluationResult, ev: Pick<BoundEvaluator, 'negate' | 'threshold'>): EvaluationResult {
  if (result.status !== 'processed') return result;
  let passed = result.passed;
  if (ev.threshold !== undefined && result.score !== undefined) passed = result.score >= ev.threshold;
  if (ev.negate && passed !== undefined) passed = !passed;
  if (passed === undefined) return result;
  // A copy with `passed` set, not `{ ...result, passed }` (docs/decisions.md, "No literal that
  // starts with a spread on the hot path"): this runs for every evaluation.
  const controlled = { ...result };
  controlled.passed = passed;
  return controlled;
}

/** What an evaluation judges: the row, the output (absent for row comparisons), extra inputs and the target's facts. */
export interface Subject {
  row: Row;
  output: unknown;
  /** Inputs added after the mapped ones (row comparisons: `candidates`). */
  extra?: Record<string, unknown>;
  target: EvaluatorContext['target'];
  /**
   * What the subject's evaluators work out once and share (evaluator-inputs.ts): made by the
   * first evaluation that needs it, so one subject for a cell's evaluators shares it.
   */
  memo?: InputMemo | undefined;
}

/** The deadline an evaluation runs under: its signal, whether it ran out, and how long it was. */
export interface EvaluationDeadline {
  readonly signal: AbortSignal;
  expired(): boolean;
  timeoutMs: number;
  /** The signal's state without making it (see EvaluatorContext.stop), when the deadline makes its signal lazily. */
  readonly stop?: StopState;
}

/** A signal that never aborts: for work whose caller handles the run's stop itself. */
export const NEVER_STOPS: AbortSignal = new AbortController().signal;

/** A deadline derived from a signal that aborts with a TimeoutError (an evaluator set's members run under the set's). */
export function deadlineOf(signal: AbortSignal, timeoutMs: number): EvaluationDeadline {
  return { signal, timeoutMs, expired: () => signal.aborted && (signal.reason as { name?: unknown } | undefined)?.name === 'TimeoutError' };
}

/**
 * What an evaluator's `evaluate` receives. A class whose `signal` is read through the deadline
 * when asked: a cell's evaluation phase makes its AbortController only if an evaluator (a judge's
 * model call, a sandbox) reads it.
 */
class CallContext implements EvaluatorContext {
  readonly timeoutMs: number;
  readonly stop: StopState | undefined;

  constructor(
    readonly row: Row,
    readonly target: EvaluatorContext['target'],
    private readonly deadline: EvaluationDeadline,
    private readonly subject: Subject,
  ) {
    this.timeoutMs = deadline.timeoutMs;
    this.stop = deadline.stop;
  }

  get signal(): AbortSignal {
    return this.deadline.signal;
  }

  jsonOf(value: object): string {
    return jsonOf(value, this.subject);
  }
}

/**
 * Runs one evaluator on one subject. Failures become error results (`Timeout` when the
 * deadline ran out, else `EvaluatorError`); only `stop` aborting (the run is stopping) makes it
 * throw, so the caller can abandon the work.
 */
export async function evaluate(ev: BoundEvaluator, subject: Subject, deadline: EvaluationDeadline, stop: AbortSignal, now: () => number): Promise<StoredEvaluation> {
  const started = now();
  let result: EvaluationResult;
  try {
    const mapped = resolveInputs(ev.inputs, subject.row, subject.output, ev.stringInputs, subject);
    const inputs = subject.extra ? Object.assign({ ...mapped }, subject.extra) : mapped;
    result = applyControls(await ev.instance.evaluate(inputs, new CallContext(subject.row, subject.target, deadline, subject)), ev);
  } catch (error) {
    if (stop.aborted) throw error;
    if (error instanceof UnreadableInput) return { evaluatorId: ev.id, name: ev.name, result: { status: 'skipped', details: error.details }, durationMs: now() - started };
    const timedOut = deadline.expired();
    result = {
      status: 'error',
      details: timedOut ? `evaluator timed out after ${deadline.timeoutMs} ms` : describeFailure(error),
      errorType: timedOut ? 'Timeout' : 'EvaluatorError',
    };
  }
  return { evaluatorId: ev.id, name: ev.name, result, durationMs: now() - started };
}
