// Decides, per evaluation, whether an offline evaluator runs on the calling thread or through
// the offload port (the worker pool): inline while its inputs are within the family's
// `inlineChars`, offloaded above. Applied to every catalogue entry, so cells, row phases and the
// members of evaluator sets (created through the catalogue too) are all guarded the same way.
// See docs/decisions.md, "Evaluators off the main thread".
import type { EvaluatorDefinition } from '../../core/model/adapters.js';
import type { EvaluatorInputs } from '../../core/model/results.js';

/**
 * Characters `value` would take as JSON text, roughly (strings by length, a few characters per
 * number, key and bracket), counted only until `limit` is passed: the answer is then some number
 * above `limit`. Every node counts at least one character, so the walk costs O(limit) however
 * large the value is. Iterative: outputs can be nested hundreds of levels deep.
 */
export function charsUpTo(value: unknown, limit: number): number {
  let chars = 0;
  const stack: unknown[] = [value];
  while (stack.length > 0 && chars <= limit) {
    const v = stack.pop();
    if (typeof v === 'string') chars += v.length + 2;
    else if (v === null || typeof v !== 'object') chars += 5;
    else if (Array.isArray(v)) {
      chars += 2 + v.length;
      // Only as many items as can still fit are looked at.
      for (let i = Math.min(v.length, limit - chars + 1) - 1; i >= 0; i--) stack.push(v[i]);
    } else {
      chars += 2;
      for (const key in v) {
        if (!Object.prototype.hasOwnProperty.call(v, key)) continue;
        chars += key.length + 4;
        if (chars > limit) break;
        stack.push((v as Record<string, unknown>)[key]);
      }
    }
  }
  return chars;
}

/** The inputs an evaluator declares (required and optional), the only ones it reads. */
function declared(inputs: EvaluatorInputs, names: readonly string[]): EvaluatorInputs {
  const picked: EvaluatorInputs = {};
  for (const name of names) if (inputs[name] !== undefined) picked[name] = inputs[name];
  return picked;
}

/**
 * The definition with a guarded `create`: when the definition has `inlineChars` and the deps
 * carry an offload port, evaluations whose declared inputs exceed the cap go to the port with
 * the evaluation's own signal (the cell's evaluator deadline), which stops them even in
 * synchronous code. Without a port (the worker itself, direct unit tests) nothing changes.
 */
export function guarded<S extends EvaluatorDefinition>(def: S): S {
  const inlineChars = def.inlineChars;
  if (!inlineChars) return def;
  const names = [...def.requiredInputs, ...def.optionalInputs];
  return {
    ...def,
    create(settings, deps) {
      const instance = def.create(settings, deps);
      const offload = deps.offload;
      const cap = inlineChars(settings);
      if (!offload || cap === Number.POSITIVE_INFINITY) return instance;
      let settingsKey: string | undefined;
      return {
        evaluate(inputs, context) {
          const read = declared(inputs, names);
          if (charsUpTo(read, cap) <= cap) return instance.evaluate(inputs, context);
          settingsKey ??= JSON.stringify(settings);
          return offload.evaluate({ evaluatorId: def.id, settings, settingsKey, inputs: read, target: context.target }, context.signal);
        },
        ...(instance.dispose ? { dispose: () => instance.dispose!() } : {}),
      };
    },
  };
}
