// Decides, per evaluation, whether an offline evaluator runs on the calling thread or through
// the offload port (the worker pool): inline while its inputs are within the family's
// `inlineChars`, offloaded above. Applied to every catalogue entry, so cells, row phases and the
// members of evaluator sets (created through the catalogue too) are all guarded the same way.
// See docs/decisions.md, "Evaluators off the main thread".
import type { EvaluatorDefinition } from '../../core/model/adapters.js';
import type { EvaluationResult, EvaluatorContext, EvaluatorInputs } from '../../core/model/results.js';
import { yieldIfBusy } from '../../core/turns.js';
import { encodeInputs } from './codec.js';
import { inlineTurn } from './inline-slices.js';

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

/** Sizes of object inputs already walked, with the limit each walk stopped at. */
const walked = new WeakMap<object, { limit: number; chars: number }>();
/** JSON texts of object inputs already encoded for the worker (see ./codec.ts). */
const encoded = new WeakMap<object, string>();

/**
 * Characters of one input value (as charsUpTo counts them, up to `limit`). Objects are walked
 * once per cell, not once per evaluator: every evaluator of a cell (up to 100, and 50 members a
 * set) reads the same output object.
 */
function valueChars(value: unknown, limit: number): number {
  if (typeof value === 'string') return value.length + 2;
  if (value === null || typeof value !== 'object') return 5;
  const known = walked.get(value);
  if (known && (known.chars <= known.limit || known.limit >= limit)) return known.chars;
  const chars = charsUpTo(value, limit);
  walked.set(value, { limit, chars });
  return chars;
}

/** True when the declared inputs that are present total at most `cap` characters. */
function withinCap(inputs: EvaluatorInputs, names: readonly string[], cap: number): boolean {
  let chars = 2;
  for (const name of names) {
    const value = inputs[name];
    if (value === undefined) continue;
    chars += name.length + 4 + valueChars(value, cap);
    if (chars > cap) return false;
  }
  return true;
}

/** JSON text of an input, made once per object however many evaluators send it (see valueChars). */
function jsonOf(value: unknown): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value);
  let text = encoded.get(value);
  if (text === undefined) {
    text = JSON.stringify(value);
    encoded.set(value, text);
  }
  return text;
}

/**
 * The definition with a guarded `create`. With an offload port in the deps (the server's main
 * thread), an offline evaluator with a cap (`inlineChars`) sends evaluations whose declared
 * inputs exceed it to the port, with the evaluation's own signal (the cell's evaluator
 * deadline), which stops them even in synchronous code; the others run inline, taking turns
 * (./inline-slices.ts) so that many cheap ones never add up to one long stall. Evaluators that
 * call models or the sandbox (no cap) are left as they are: they wait on I/O, not on this thread.
 * Without a port (the worker itself, direct unit tests) the definition's own instance is returned.
 */
export function guarded<S extends EvaluatorDefinition>(def: S): S {
  const inlineChars = def.inlineChars;
  const names = [...def.requiredInputs, ...def.optionalInputs];
  return {
    ...def,
    create(settings, deps) {
      const instance = def.create(settings, deps);
      const offload = deps.offload;
      const cap = inlineChars?.(settings) ?? Number.POSITIVE_INFINITY;
      if (!offload || cap === Number.POSITIVE_INFINITY) return instance;
      let settingsKey: string | undefined;
      /**
       * Encodes and posts on a turn of its own when the current one is spent (core/turns.ts): the
       * cell's code result was decoded and its string inputs serialised in this turn, and 1 MB
       * outputs made that one stretch with the encoding and the post (security review of 2026-12-07).
       */
      const offloaded = async (inputs: EvaluatorInputs, context: EvaluatorContext): Promise<EvaluationResult> => {
        await yieldIfBusy();
        settingsKey ??= JSON.stringify(settings);
        // The cell's memo first (context.jsonOf): its string inputs and code evaluators have
        // often serialised the same output or column already, 15–30 ms for 1 MB of numbers.
        const cellJson = context.jsonOf;
        const json1 = cellJson ? (v: unknown): string => (v !== null && typeof v === 'object' ? cellJson.call(context, v) : jsonOf(v)) : jsonOf;
        const { values, json } = encodeInputs(inputs, names, json1);
        return offload.evaluate({ evaluatorId: def.id, settings, settingsKey, inputs: values, jsonInputs: json, target: context.target }, context.signal);
      };
      return {
        evaluate(inputs, context) {
          if (withinCap(inputs, names, cap)) return inlineTurn(() => instance.evaluate(inputs, context), context.stop ?? context.signal);
          return offloaded(inputs, context);
        },
        ...(instance.dispose ? { dispose: () => instance.dispose!() } : {}),
      };
    },
  };
}
