// Prompt targets (SPEC §4, §8): Liquid message templates over the row (plus bound
// `variables` and the run `parameters`) sent to `provider/model` through the project's model
// client; a JSON Schema in `outputSchema` forces structured output. With the run's cache on,
// an identical resolved call (model, messages, params, schema) reuses the stored answer:
// `cached: true`, cost 0, no provider call.
import { createHash } from 'node:crypto';
import { resolveMapping } from '../core/engine/evaluator-inputs.js';
import { type ModelCall, type ModelMessage, modelLimitKey, type ModelParams, type TargetDeps } from '../core/model/adapters.js';
import type { PromptTarget } from '../core/model/experiment.js';
import type { TargetAdapter, TargetCall, TargetOutput } from '../core/model/results.js';
import type { Stoppable } from '../core/stop-state.js';
import { renderString, renderTurn, type Scope } from './templates.js';

/** The cache key of a resolved call: everything that decides the answer. */
export function callFingerprint(model: string, messages: ModelMessage[], params: ModelParams | undefined, schema: unknown): string {
  return createHash('sha256').update(JSON.stringify({ v: 1, model, messages, params: params ?? {}, schema: schema ?? null })).digest('hex');
}

/** A prompt target's variables, as promptMessages takes them (listed once per target, not per call). */
export const promptVariables = (spec: PromptTarget) => Object.entries(spec.variables ?? {});

/**
 * The messages of a prompt target for one row: Liquid over the row's columns, the run's
 * `parameters` and the target's variables (what the call sends, and what a cost estimate prices).
 */
export function promptMessages(spec: PromptTarget, variables: ReturnType<typeof promptVariables>, row: Record<string, unknown>, parameters: unknown): Promise<ModelMessage[]> {
  // A lone spread, then the parameters: `{ ...row, parameters }` is V8's slow path on Node 20
  // (docs/decisions.md, "No literal that starts with a spread on the hot path").
  const scope: Scope = { ...row };
  scope.parameters = parameters;
  for (const [name, mapping] of variables) scope[name] = resolveMapping(mapping, row, undefined);
  return renderTurn(() => spec.messages.map((m) => ({ role: m.role, content: renderString(m.content, scope) })));
}

export function createPromptTarget(spec: PromptTarget, deps: TargetDeps): TargetAdapter {
  const variables = promptVariables(spec);
  const limitKey = deps.limitKeyOf ? deps.limitKeyOf(spec.model) : modelLimitKey(spec.model);
  const capKey = deps.capKeyOf?.(spec.model);
  return {
    // The engine takes the model's shared slot (after the provider's cap, if the project set
    // one) before starting the call's deadline.
    limitKey,
    ...(capKey !== undefined ? { capKey } : {}),
    async call(input): Promise<TargetOutput> {
      const messages = await promptMessages(spec, variables, input.row, input.parameters);
      const key = deps.cache ? callFingerprint(spec.model, messages, spec.params, spec.outputSchema) : null;
      if (deps.cache && key) {
        const hit = await deps.cache.get(key);
        if (hit) return { output: hit.output, tokens: hit.tokens, cost: 0, cached: true };
      }
      const result = await deps.models.generate(new TargetModelCall(spec, messages, input, limitKey));
      const output = spec.outputSchema ? result.object : result.text;
      if (deps.cache && key) await deps.cache.put(key, { output, tokens: result.tokens });
      return { output, tokens: result.tokens, ...(result.cost !== undefined ? { cost: result.cost } : {}), cached: false };
    },
  };
}

/**
 * A prompt target's model call: the engine already holds the model's slot, and its deadline is
 * passed on as it came, both as `deadline` and as a `signal` read (and so made) only if the call
 * needs one. A class: an object literal with a getter is V8's slow path on Node 20.
 */
class TargetModelCall implements ModelCall {
  readonly model: string;
  readonly params: PromptTarget['params'];
  readonly schema: PromptTarget['outputSchema'];
  readonly schemaName = 'output';
  readonly slotHeld = true;
  readonly deadline: Stoppable | undefined;

  constructor(
    spec: PromptTarget,
    readonly messages: ModelMessage[],
    private readonly input: TargetCall,
    readonly limitKey: string,
  ) {
    this.model = spec.model;
    this.params = spec.params;
    this.schema = spec.outputSchema;
    this.deadline = input.deadline;
  }

  get signal(): AbortSignal {
    return this.input.signal;
  }
}
