// What targets and evaluators return (SPEC §8), and the errors they raise. These types are
// the whole contract between the engine and the adapters in src/targets and src/evaluators.
import type { Stoppable, StopState } from '../stop-state.js';
import { z } from 'zod';
import { AssayError } from '../errors.js';
import type { Row } from './experiment.js';
import { tokensSchema } from './summary.js';

/** Token usage of one call. */
export type Tokens = z.infer<typeof tokensSchema>;

/** A successful target call. */
export interface TargetOutput {
  /** Any JSON value. */
  output: unknown;
  /** USD. */
  cost?: number;
  tokens?: Tokens;
  /** Served from Assay's response cache: no provider call was made. */
  cached?: boolean;
}

/** What a target adapter receives for one call. */
export interface TargetCall {
  /** The dataset row with run parameters merged in. */
  row: Row;
  parameters: Record<string, string | number | boolean>;
  /** Aborts on timeout or when the run stops; adapters must stop work and reject. */
  readonly signal: AbortSignal;
  /**
   * The same stop without an AbortSignal (the engine's call deadline: its signal is made only
   * when read). An adapter that can cancel its work itself listens here instead.
   */
  readonly deadline?: Stoppable;
}

/** A target ready to be called; built once per run from its spec. */
export interface TargetAdapter {
  call(input: TargetCall): Promise<TargetOutput>;
  /** Key of the shared limiter this target's calls go through (e.g. `http:https://host`). */
  readonly limitKey?: string;
  /**
   * Key of a fixed cap taken before `limitKey` (a project's `maxConcurrency` on a provider):
   * always taken first, so no call holds a model's slot while it waits for a cap.
   */
  readonly capKey?: string;
  /** Releases resources (sandboxes, sockets) when the run ends. */
  dispose?(): void | Promise<void>;
}

/**
 * A failed call. `retryable` decides whether the engine retries (429, 5xx, 408, network
 * errors, timeouts); `retryAfterMs` is the earliest time the server allowed a retry.
 */
export class CallError extends AssayError {
  readonly retryable: boolean;
  readonly retryAfterMs: number | undefined;
  /** HTTP status, when the failure was an HTTP answer. */
  readonly status: number | undefined;

  constructor(message: string, options: { retryable: boolean; retryAfterMs?: number | undefined; status?: number | undefined; cause?: unknown }) {
    super('internal_error', message, { cause: options.cause });
    this.name = 'CallError';
    this.retryable = options.retryable;
    this.retryAfterMs = options.retryAfterMs;
    this.status = options.status;
  }
}

/**
 * Model calls of an evaluation that succeeded with no known cost (a model without a price):
 * `cost` leaves them out. Absent when there were none (an evaluator that calls no model has none).
 */
const unpricedCalls = z.int().min(1).optional();

/** An evaluator's verdict on one cell (SPEC §8). A missing score is absent, never 0. */
export const evaluationResultSchema = z.discriminatedUnion('status', [
  z.object({
    status: z.literal('processed'),
    passed: z.boolean().optional(),
    score: z.number().optional(),
    label: z.string().optional(),
    details: z.string().optional(),
    cost: z.number().optional(),
    unpricedCalls,
  }),
  z.object({ status: z.literal('skipped'), details: z.string().optional(), cost: z.number().optional(), unpricedCalls }),
  z.object({ status: z.literal('error'), details: z.string(), errorType: z.string().optional(), cost: z.number().optional(), unpricedCalls }),
]);
export type EvaluationResult = z.infer<typeof evaluationResultSchema>;

/** The resolved inputs of one evaluator call; names are the evaluator's input names. */
export interface EvaluatorInputs {
  input?: unknown;
  output?: unknown;
  expected_output?: unknown;
  contexts?: unknown;
  [name: string]: unknown;
}

/** What an evaluator receives besides its inputs. */
export interface EvaluatorContext {
  /** The whole row as evaluated (parameters merged). */
  row: Row;
  /** Facts about the target call, for budget-style evaluators. */
  target: { id: string; durationMs: number; cost?: number | undefined; tokens?: Tokens | undefined };
  /** Aborts when the evaluation's time is up (a TimeoutError) or the run stops. */
  readonly signal: AbortSignal;
  /** The evaluation's time limit, ms (what a timeout message names). */
  timeoutMs?: number;
  /**
   * The same state as `signal` (aborted, and why), readable without making the signal, which
   * the engine makes only when read (docs/decisions.md, "Deadlines without a signal until one
   * is read"). Absent where the context was made with a signal (evaluator sets' members, tests).
   */
  readonly stop?: StopState;
  /**
   * JSON text of an object or array of this cell (its output, row or an input), made once per
   * cell and shared by its evaluators: an output of 190,000 small objects took ≈ 0.4 s to
   * serialise, once per evaluator that sent it to a sandbox. Absent where the context was made
   * without a cell (evaluator sets' members, tests): JSON.stringify then.
   */
  jsonOf?(value: object): string;
}

/** An evaluator ready to run; built once per run from validated settings. */
export interface EvaluatorInstance {
  evaluate(inputs: EvaluatorInputs, context: EvaluatorContext): Promise<EvaluationResult>;
  dispose?(): void | Promise<void>;
}
