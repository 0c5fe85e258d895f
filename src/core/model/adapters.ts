// How the engine obtains targets, evaluators and sandboxes: plain factories and definitions
// that src/targets, src/evaluators and src/sandbox implement and src/config wires together.
import type { Stoppable } from '../stop-state.js';
import type { z } from 'zod';
import type { Target } from './experiment.js';
import type { EvaluationResult, EvaluatorContext, EvaluatorInstance, TargetAdapter } from './results.js';

/** A compiled piece of user code running in an isolated sandbox. */
export interface SandboxFunction {
  /** Calls the function with JSON-copied arguments; the result is JSON-copied back. */
  call(args: unknown[], signal: AbortSignal): Promise<unknown>;
  /** As call, with the arguments' JSON text (an array) made by the caller, which may have parts of it already. */
  callJson(argsJson: string, signal: AbortSignal): Promise<unknown>;
  dispose(): void;
}

export interface SandboxOptions {
  /** Names of the function's parameters, in call order. */
  params: string[];
  /** Memory limit of the isolate, MB (default 128). */
  memoryMb?: number;
  /** Per-call time limit, ms. */
  timeoutMs: number;
}

/** Compiles user code (a function body) into a sandboxed function. */
export interface SandboxFactory {
  /** Throws CallError (not retryable) with a clear message when the code does not compile. */
  compile(body: string, options: SandboxOptions): Promise<SandboxFunction>;
}

/** Everything a target adapter may need from the outside, injected by the composition root. */
export interface TargetDeps {
  sandbox: SandboxFactory;
  /** Resolved `{{secrets.NAME}}` values for this run's project (never logged or returned). */
  secrets: Record<string, string>;
  /** Secret name → the only origins its value may be sent to; names without an entry: any. */
  secretOrigins?: Readonly<Record<string, readonly string[]>>;
  /** When false, HTTP targets refuse private, loopback and link-local addresses. */
  allowPrivateNetworks: boolean;
  /** The project's models (prompt targets). */
  models: ModelClient;
  /**
   * The limiter key of a model for this run (modelLimitKey with the quota its provider's settings
   * had when the run started); absent: the server's quota.
   */
  limitKeyOf?: (model: string) => string;
  /**
   * The key of the project's cap on a model's provider (providerCapKey), as it was when the run
   * started; undefined when the provider has none.
   */
  capKeyOf?: (model: string) => string | undefined;
  /** The project's response cache when the run has `execution.cache: true`, else null. */
  cache: TargetCache | null;
  /** Trace context headers (W3C `traceparent`) for an outgoing HTTP target call; absent when tracing is off. */
  traceHeaders?: () => Record<string, string>;
}

/** A stored model answer, reused by identical calls when caching is on. */
export interface CachedAnswer {
  output: unknown;
  tokens: { input: number; output: number; cachedInput?: number };
}

/** The response cache as a target sees it: bound to the run's project. */
export interface TargetCache {
  get(key: string): Promise<CachedAnswer | null>;
  put(key: string, answer: CachedAnswer): Promise<void>;
}

export type TargetFactory = (spec: Target, deps: TargetDeps) => TargetAdapter;

/** Everything an evaluator may need, injected by the composition root. */
export interface EvaluatorDeps {
  sandbox: SandboxFactory;
  /** The project's models (judges, embeddings). */
  models: ModelClient;
  /**
   * Where offline evaluations above their family's `inlineChars` run: off the main thread,
   * stopped by the evaluation's signal even in synchronous code. Absent: everything runs
   * inline (inside the evaluator worker itself, and in unit tests that call evaluators directly).
   */
  offload?: EvaluatorOffload | undefined;
}

/** One offline evaluation sent off the main thread: what a worker needs to re-create and run it. */
export interface OffloadedEvaluation {
  /** The catalogue id of the evaluator. */
  evaluatorId: string;
  /** Its parsed settings (plain data), and a stable text of them that keys the worker's instance cache. */
  settings: unknown;
  settingsKey: string;
  /**
   * The inputs the evaluator reads, each as a string: strings as they are, other values as their
   * JSON text (`jsonInputs` names them), which is cheaper to post to a worker than a clone.
   */
  inputs: Record<string, string>;
  jsonInputs: string[];
  /** Facts about the target call (offloaded evaluators never read `context.row`). */
  target: EvaluatorContext['target'];
}

/**
 * Runs offline evaluations where a deadline can stop them (docs/decisions.md, "Evaluators off
 * the main thread"). The promise rejects as soon as `signal` aborts, whatever the evaluation is
 * doing, and the work is discarded.
 */
export interface EvaluatorOffload {
  evaluate(call: OffloadedEvaluation, signal: AbortSignal): Promise<EvaluationResult>;
}

export type EvaluatorCategory = 'quality' | 'similarity' | 'format' | 'rag' | 'safety' | 'policy' | 'llm_judge' | 'custom' | 'budget';

/** One catalogue entry (GET /api/evaluators lists them). */
export interface EvaluatorDefinition<S extends z.ZodType = z.ZodType> {
  /** Short id (`exact_match`). */
  id: string;
  /** Other accepted ids, LangWatch's first (`langevals/exact_match`). */
  aliases: string[];
  name: string;
  category: EvaluatorCategory;
  description: string;
  requiredInputs: string[];
  optionalInputs: string[];
  /**
   * Inputs typed as strings: a non-string value arrives as its JSON text, null stays null.
   */
  stringInputs: string[];
  /**
   * Takes inputs of any name (custom code reads them all from `inputs`; a set hands them to its
   * members). Otherwise a mapped input outside requiredInputs and optionalInputs is refused at
   * save time: nothing would read it.
   */
  anyInputs?: boolean;
  /** Settings with defaults; parse({}) gives the defaults. Invalid settings are refused at save. */
  settings: S;
  /** Which result fields the evaluator reports. */
  result: ('passed' | 'score' | 'label')[];
  /**
   * True when it calls a model itself (judges, embeddings). An evaluator set calls none itself:
   * whether it does depends on its members (the cost estimate looks into them).
   */
  needsModel: boolean;
  /**
   * `row` evaluators compare the targets of a row (N-way comparison): they run once per row
   * and repeat after every cell of the run is done, with `candidates` ({id, output, cost,
   * duration} per target), `input` and `expected_output` as inputs. Default `cell`.
   */
  scope?: 'cell' | 'row';
  /**
   * Offline evaluators whose cost grows with their inputs: how many characters of inputs (see
   * `evaluators/offload/guard.ts`) the evaluation may have and still run on the calling thread,
   * chosen so the family's worst input at that size costs a few milliseconds. Above it the
   * evaluation runs through `deps.offload`. Absent: always inline (model calls, sandboxed code,
   * sets, whose members are guarded each on its own).
   */
  inlineChars?: (settings: z.output<S>) => number;
  create(settings: z.output<S>, deps: EvaluatorDeps): EvaluatorInstance;
}

/**
 * The limiter key of a model: one per provider/model and quota, shared by targets and judges of
 * every run. Calls made with the server's credentials share the server's quota (`model:<model>`);
 * calls made with a project's own key, base URL or headers count against the project's own
 * (`model:@<projectId>/<model>`), so one project's 429s, pauses and slow endpoint never hold
 * another's calls back.
 */
export const modelLimitKey = (model: string, scope?: string): string => (scope === undefined ? `model:${model}` : `model:@${scope}/${model}`);

/**
 * The key of a project's cap on one provider (`maxConcurrency` of PUT /api/providers/{name}):
 * every call of the project to any model of the provider holds one of its `max` slots, taken
 * before the model's own. The cap is part of the key, so a changed setting is a new key (the old
 * one's calls drain under it) and any process, embedded or in a cluster, knows a key's size from
 * the key alone (capSlotsOf).
 */
export const providerCapKey = (projectId: string, provider: string, max: number): string => `cap:${projectId}/${provider}/${max}`;

/** The slots of a fixed-size key: a provider cap's own size, else `otherwise` (ASSAY_LIMIT_PER_KEY, for HTTP origins). */
export function capSlotsOf(key: string, otherwise: number): number {
  if (!key.startsWith('cap:')) return otherwise;
  const max = Number(key.slice(key.lastIndexOf('/') + 1));
  return Number.isSafeInteger(max) && max >= 1 ? max : otherwise;
}

/** One chat message of a model call. */
export interface ModelMessage {
  role: 'system' | 'user' | 'assistant';
  content: string;
}

/** Model parameters in the AI SDK's names. */
export interface ModelParams {
  temperature?: number;
  maxTokens?: number;
  topP?: number;
  topK?: number;
  seed?: number;
  stop?: string[];
  frequencyPenalty?: number;
  presencePenalty?: number;
}

export interface ModelCall {
  /** `provider/model`. */
  model: string;
  messages: ModelMessage[];
  params?: ModelParams | undefined;
  /** Forces structured output matching this JSON Schema; the result then has `object`. */
  schema?: Record<string, unknown> | undefined;
  /** Name of the structured output (tool / json_schema name). */
  schemaName?: string | undefined;
  readonly signal: AbortSignal;
  /**
   * The call's deadline without an AbortSignal, when the caller has one (see TargetCall.deadline).
   * Not `params.stop`, the provider's stop sequences.
   */
  readonly deadline?: Stoppable | undefined;
  /** Retries of transient failures inside the client (judges); targets leave retries to the engine. */
  retries?: number;
  /**
   * The caller already holds this model's slot (prompt targets: the engine takes it before the
   * call's deadline starts, so waiting for a slot never eats the timeout), and its provider's
   * cap slot when the project set one.
   */
  slotHeld?: boolean;
  /** With `slotHeld`: the key of the slot held (a call whose settings now count against another quota is refused). */
  limitKey?: string;
}

/** Where a call's cost came from. */
export type CostSource = 'provider' | 'price_table' | 'project_override' | 'unknown';

export interface ModelResult {
  text: string;
  /** The parsed structured output when a schema was given. */
  object?: unknown;
  tokens: { input: number; output: number; cachedInput?: number };
  /** USD; absent when neither the provider nor a price table knows it. */
  cost?: number | undefined;
  costSource: CostSource;
  finishReason: string;
}

export interface EmbeddingResult {
  embeddings: number[][];
  tokens: number;
  cost?: number | undefined;
}

/**
 * A project's view of every model it can reach (SPEC §8). Calls go through the limits per
 * provider/model shared by all runs; failures are CallErrors (401/403 say which provider's key
 * is missing or invalid and are not retryable).
 */
export interface ModelClient {
  generate(call: ModelCall): Promise<ModelResult>;
  embed(call: { model: string; values: string[]; signal: AbortSignal }): Promise<EmbeddingResult>;
  /** Null when the provider is known and configured; otherwise why it cannot be called. */
  unavailable(model: string): Promise<string | null>;
  /** OpenAI's moderation endpoint (`openai/omni-moderation-latest`, …) for the project's key. */
  moderate(call: { model: string; input: string[]; signal: AbortSignal }): Promise<ModerationResult>;
}

export interface ModerationResult {
  /** One entry per input: flagged, and per category (OpenAI's names, e.g. `self-harm/intent`). */
  results: { flagged: boolean; categories: Record<string, boolean>; scores: Record<string, number> }[];
  cost?: number | undefined;
}

/** A provider's settings as a project sees them (defined with the stores; re-exported here). */
export type { ProviderSettings } from '../ports.js';
