// "Is the output well-formed?" LangWatch's Valid Format Evaluator (json, markdown, python, sql)
// plus promptfoo's is-xml / is-html and YAML. Each format is one entry of FORMATS, whose checker
// lives in ./format-checkers.ts and is prepared once per create(); the `format` enum of the
// settings is built from FORMATS, so adding a format is one line here.
import { z } from 'zod';
import type { EvaluatorDefinition } from '../core/model/adapters.js';
import type { EvaluationResult } from '../core/model/results.js';
import {
  SQL_DIALECTS,
  htmlFormat,
  jsonFormat,
  markdownFormat,
  pythonFormat,
  sqlFormat,
  xmlFormat,
  yamlFormat,
  type FormatSpec,
} from './format-checkers.js';
import { missingInput } from './inputs.js';
import { prepareJsonSchema, SCHEMA_INLINE_CHARS } from './json-schema.js';

/** Every format, in the order the settings enum lists them (LangWatch's four first). */
const FORMATS = {
  json: jsonFormat,
  markdown: markdownFormat,
  python: pythonFormat,
  sql: sqlFormat,
  xml: xmlFormat,
  html: htmlFormat,
  yaml: yamlFormat,
} satisfies Record<string, FormatSpec>;
type Format = keyof typeof FORMATS;

const settings = z
  .object({
    format: z.enum(Object.keys(FORMATS) as [Format, ...Format[]]).default('json').describe('Format the output must have'),
    json_schema: z
      .union([z.string().max(200_000), z.record(z.string(), z.unknown())])
      .optional()
      .describe('JSON Schema (as JSON text, as LangWatch stores it, or an object) the parsed output must satisfy; format json only'),
    sql_dialect: z
      .enum(SQL_DIALECTS)
      .default('postgresql')
      .describe('SQL dialect the output is parsed in (node-sql-parser); format sql only. Not a LangWatch setting'),
  })
  .superRefine((s, ctx) => {
    if (s.format !== 'json') return;
    const prepared = prepareJsonSchema(s.json_schema);
    if (!prepared.ok) ctx.addIssue({ code: 'custom', path: ['json_schema'], message: `json_schema ${prepared.reason}` });
  });

/** No json_schema set (absent or blank text, as prepareJsonSchema reads it). */
const isEmptySchema = (schema: string | Record<string, unknown> | undefined): boolean => schema === undefined || (typeof schema === 'string' && schema.trim() === '');

function isEmpty(output: unknown): boolean {
  return typeof output === 'string' && output.trim() === '';
}

/**
 * A fenced output (```json … ```) is checked as it is, never unwrapped: neither LangWatch nor
 * promptfoo's is-* assertions strip fences, and a consumer parsing the raw output would fail
 * too. The failure says so, since that is the usual cause.
 */
function fenceHint(output: unknown, label: string): string {
  if (typeof output !== 'string' || !output.trimStart().startsWith('```')) return '';
  return ` (the output is wrapped in a Markdown code fence; ask the model for bare ${label} or extract it first)`;
}

/** `valid_format` / `langevals/valid_format`: passed, with the parse or schema errors in details. */
export const validFormat: EvaluatorDefinition<typeof settings> = {
  id: 'valid_format',
  aliases: ['langevals/valid_format'],
  name: 'Valid Format',
  category: 'format',
  description:
    'Passes when the output is valid in the chosen format: json (optionally against json_schema), markdown (must use ' +
    'Markdown formatting), python (parses), sql (parses in sql_dialect), xml (well-formed), html (parses without errors, ' +
    'elements closed) or yaml (a mapping or sequence, no duplicate keys). Parse errors are reported in details.',
  requiredInputs: ['output'],
  optionalInputs: [],
  stringInputs: [],
  settings,
  result: ['passed'],
  needsModel: false,
  inlineChars: (s) => (s.format === 'json' && !isEmptySchema(s.json_schema) ? SCHEMA_INLINE_CHARS : FORMATS[s.format].inlineChars),
  create(s) {
    const spec = FORMATS[s.format];
    const check = spec.prepare(s);
    return {
      async evaluate(inputs): Promise<EvaluationResult> {
        if (inputs.output === null || inputs.output === undefined) return missingInput('output');
        // LangWatch skips an empty output; here it fails, since no format's consumer accepts it.
        if (isEmpty(inputs.output)) return { status: 'processed', passed: false, details: 'empty output' };
        const verdict = await check(inputs.output);
        if (verdict.passed) return { status: 'processed', ...verdict };
        return { status: 'processed', passed: false, details: `${verdict.details ?? 'invalid'}${fenceHint(inputs.output, spec.label)}` };
      },
    };
  },
};
