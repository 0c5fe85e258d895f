// "Is the output well-formed?" LangWatch's Valid Format Evaluator. Each format is one entry of
// FORMATS, prepared once per create(); adding xml, sql, … later is one entry plus its enum
// value appearing automatically in the settings schema.
import { z } from 'zod';
import type { EvaluatorDefinition } from '../core/model/adapters.js';
import type { EvaluationResult } from '../core/model/results.js';
import { missingInput } from './inputs.js';
import { prepareJsonSchema } from './json-schema.js';

/** The settings a format may read; kept apart from the zod schema so FORMATS can build it. */
interface FormatOptions {
  json_schema?: string | Record<string, unknown> | undefined;
}

type Verdict = { passed: boolean; details?: string };

/** A format: `prepare` runs once per create() and returns the per-output check. */
interface FormatSpec {
  prepare(options: FormatOptions): (output: unknown) => Verdict;
}

const FENCE_HINT = ' (the output is wrapped in a Markdown code fence; ask the model for bare JSON or extract it first)';

const json: FormatSpec = {
  prepare(options) {
    const prepared = prepareJsonSchema(options.json_schema);
    // Settings validation refused bad schemas; this guards create() called without parsing.
    if (!prepared.ok) throw new Error(`json_schema ${prepared.reason}`);
    const check = prepared.check;
    return (output) => {
      let value = output;
      if (typeof output === 'string') {
        try {
          value = JSON.parse(output);
        } catch (error) {
          const hint = output.trimStart().startsWith('```') ? FENCE_HINT : '';
          return { passed: false, details: `Invalid JSON: ${(error as Error).message}${hint}` };
        }
      }
      const errors = check ? check(value) : [];
      return errors.length === 0 ? { passed: true } : { passed: false, details: `JSON Schema validation failed: ${errors.join('; ')}` };
    };
  },
};

const FORMATS = { json } satisfies Record<string, FormatSpec>;
type Format = keyof typeof FORMATS;

const settings = z
  .object({
    format: z.enum(Object.keys(FORMATS) as [Format, ...Format[]]).default('json').describe('Format the output must have'),
    json_schema: z
      .union([z.string().max(200_000), z.record(z.string(), z.unknown())])
      .optional()
      .describe('JSON Schema (as JSON text, as LangWatch stores it, or an object) the parsed output must satisfy; format json only'),
  })
  .superRefine((s, ctx) => {
    if (s.format !== 'json') return;
    const prepared = prepareJsonSchema(s.json_schema);
    if (!prepared.ok) ctx.addIssue({ code: 'custom', path: ['json_schema'], message: `json_schema ${prepared.reason}` });
  });

function isEmpty(output: unknown): boolean {
  return typeof output === 'string' && output.trim() === '';
}

/** `valid_format` / `langevals/valid_format`: passed, with the parse or schema errors in details. */
export const validFormat: EvaluatorDefinition<typeof settings> = {
  id: 'valid_format',
  aliases: ['langevals/valid_format'],
  name: 'Valid Format',
  category: 'format',
  description:
    'Passes when the output is valid in the chosen format (json). For json, a string output is parsed and an ' +
    'already-structured output counts as JSON; with json_schema set, the value must also satisfy that schema ' +
    '(the first errors are reported in details).',
  requiredInputs: ['output'],
  optionalInputs: [],
  stringInputs: [],
  settings,
  result: ['passed'],
  needsModel: false,
  create(s) {
    const check = FORMATS[s.format].prepare(s);
    return {
      async evaluate(inputs): Promise<EvaluationResult> {
        if (inputs.output === null || inputs.output === undefined) return missingInput('output');
        if (isEmpty(inputs.output)) return { status: 'processed', passed: false, details: 'empty output' };
        const verdict = check(inputs.output);
        return { status: 'processed', ...verdict };
      },
    };
  },
};
