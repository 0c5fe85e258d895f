// How the engine obtains targets, evaluators and sandboxes: plain factories and definitions
// that src/targets, src/evaluators and src/sandbox implement and src/config wires together.
import type { z } from 'zod';
import type { Target } from './experiment.js';
import type { EvaluatorInstance, TargetAdapter } from './results.js';

/** A compiled piece of user code running in an isolated sandbox. */
export interface SandboxFunction {
  /** Calls the function with JSON-copied arguments; the result is JSON-copied back. */
  call(args: unknown[], signal: AbortSignal): Promise<unknown>;
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
  /** When false, HTTP targets refuse private, loopback and link-local addresses. */
  allowPrivateNetworks: boolean;
}

export type TargetFactory = (spec: Target, deps: TargetDeps) => TargetAdapter;

/** Everything an evaluator may need, injected by the composition root. */
export interface EvaluatorDeps {
  sandbox: SandboxFactory;
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
  /** Settings with defaults; parse({}) gives the defaults. Invalid settings are refused at save. */
  settings: S;
  /** Which result fields the evaluator reports. */
  result: ('passed' | 'score' | 'label')[];
  /** True when it calls a model (judges, embeddings). */
  needsModel: boolean;
  create(settings: z.output<S>, deps: EvaluatorDeps): EvaluatorInstance;
}
