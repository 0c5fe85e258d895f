// The escape hatch: a user's JavaScript function body, run in the sandbox, whose return value
// becomes the verdict. LangWatch's code evaluators are typed `code/<id>`; the catalogue sends
// every such type here.
import { z } from 'zod';
import type { EvaluatorDefinition, SandboxFunction } from '../core/model/adapters.js';
import type { EvaluationResult, EvaluatorInputs } from '../core/model/results.js';
import { thrownMessage } from './inputs.js';

/** Parameter names the body sees, in call order. */
export const CODE_PARAMS = ['input', 'output', 'expected_output', 'contexts', 'row', 'inputs'] as const;

const settings = z.object({
  code: z
    .string()
    .min(1, 'write the body of a function')
    .max(100_000)
    // Whether it compiles is checked when the experiment is saved, by the sandbox itself
    // (config/document-checks.ts): a parse here, in the host, took bodies the sandbox refuses.
    .describe(`Body of a JavaScript function of (${CODE_PARAMS.join(', ')}); return the verdict`),
  timeoutMs: z.int().min(10).max(60_000).default(5000).describe('Time limit of one call, ms'),
});

const KINDS = 'a boolean (passed), a number (score), a string (label) or an object with passed, score, label and/or details';

function invalid(details: string): EvaluationResult {
  return { status: 'error', errorType: 'invalid_result', details: `custom code returned ${details}; return ${KINDS}` };
}

/** Turns whatever the code returned into a result; exported for tests of the edge cases. */
export function toResult(value: unknown): EvaluationResult {
  if (value === null || value === undefined) return { status: 'skipped', details: `custom code returned ${String(value)}: no verdict for this row` };
  if (typeof value === 'boolean') return { status: 'processed', passed: value };
  if (typeof value === 'number') return Number.isFinite(value) ? { status: 'processed', score: value } : invalid(`the number ${value}`);
  if (typeof value === 'string') return { status: 'processed', label: value };
  if (typeof value !== 'object' || Array.isArray(value)) return invalid(Array.isArray(value) ? 'an array' : `a ${typeof value}`);

  const o = value as Record<string, unknown>;
  const result: Extract<EvaluationResult, { status: 'processed' }> = { status: 'processed' };
  // null counts as "not given", as a Python-minded author would write {passed: true, details: None}.
  const present = (key: string): boolean => o[key] !== undefined && o[key] !== null;
  if (present('passed')) {
    if (typeof o['passed'] !== 'boolean') return invalid(`passed = ${JSON.stringify(o['passed'])} (must be a boolean)`);
    result.passed = o['passed'];
  }
  if (present('score')) {
    if (typeof o['score'] !== 'number' || !Number.isFinite(o['score'])) return invalid(`score = ${JSON.stringify(o['score'])} (must be a finite number)`);
    result.score = o['score'];
  }
  for (const key of ['label', 'details'] as const) {
    if (!present(key)) continue;
    if (typeof o[key] !== 'string') return invalid(`${key} = ${JSON.stringify(o[key])} (must be a string)`);
    result[key] = o[key] as string;
  }
  if (result.passed === undefined && result.score === undefined && result.label === undefined && result.details === undefined) {
    return invalid('an object without passed, score, label or details');
  }
  return result;
}

/**
 * The arguments' JSON text: (input, output, expected_output, contexts, row, inputs). Missing
 * inputs arrive as null (JSON copying has no undefined). Each object is serialised once per
 * cell through `jsonOf` (the cell's evaluators share it): the output and row appear twice in the
 * arguments (as themselves and in `inputs`), and other evaluators may send them too.
 */
export function argumentsJson(inputs: EvaluatorInputs, row: unknown, jsonOf: (value: object) => string = JSON.stringify): string {
  const json = (v: unknown): string => (v === undefined ? 'null' : v !== null && typeof v === 'object' ? jsonOf(v) : (JSON.stringify(v) ?? 'null'));
  // As JSON.stringify writes an object: entries whose value is undefined (or a function) are left out.
  const entries = Object.entries(inputs).filter(([, v]) => v !== undefined && typeof v !== 'function' && typeof v !== 'symbol');
  const all = `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${json(v)}`).join(',')}}`;
  return `[${json(inputs.input)},${json(inputs.output)},${json(inputs.expected_output)},${json(inputs.contexts)},${json(row)},${all}]`;
}

/** `custom_code` / `code` / `code/<id>`: user JavaScript in the sandbox. */
export const customCode: EvaluatorDefinition<typeof settings> = {
  id: 'custom_code',
  aliases: ['code'],
  name: 'Custom Code',
  category: 'custom',
  description:
    `Runs \`code\`, the body of a JavaScript function with parameters (${CODE_PARAMS.join(', ')}), in a sandbox ` +
    '(no file system, network or process access; time and memory limits). `row` is the dataset row; `inputs` ' +
    'holds every mapped input, including custom names; missing inputs are null. Return true/false (passed), ' +
    'a number (score), a string (label) or {passed, score, label, details}; null or undefined skips the row. ' +
    'Compiled once per run. LangWatch `code/<id>` types resolve here.',
  requiredInputs: [],
  optionalInputs: ['input', 'output', 'expected_output', 'contexts'],
  anyInputs: true,
  stringInputs: [],
  settings,
  result: ['passed', 'score', 'label'],
  needsModel: false,
  create(s, deps) {
    // One compile per run, shared by concurrent first calls; a failed compile is kept too.
    let compiled: Promise<SandboxFunction> | undefined;
    const compile = (): Promise<SandboxFunction> =>
      (compiled ??= deps.sandbox.compile(s.code, { params: [...CODE_PARAMS], timeoutMs: s.timeoutMs }));

    return {
      async evaluate(inputs, context): Promise<EvaluationResult> {
        let fn: SandboxFunction;
        try {
          fn = await compile();
        } catch (error) {
          return { status: 'error', errorType: 'compile_error', details: `custom code does not compile: ${thrownMessage(error)}` };
        }
        let value: unknown;
        try {
          let args: string;
          try {
            args = argumentsJson(inputs, context.row, context.jsonOf ? (v) => context.jsonOf!(v) : undefined);
          } catch (error) {
            return { status: 'error', errorType: 'code_error', details: `custom code failed: arguments are not JSON: ${thrownMessage(error)}` };
          }
          value = await fn.callJson(args, context.signal);
        } catch (error) {
          // When the engine aborted the call (timeout or run stop), it decides what to record.
          if (context.signal.aborted) throw context.signal.reason;
          return { status: 'error', errorType: 'code_error', details: `custom code failed: ${thrownMessage(error)}` };
        }
        return toResult(value);
      },
      async dispose() {
        const fn = await compiled?.catch(() => undefined);
        fn?.dispose();
      },
    };
  },
};
