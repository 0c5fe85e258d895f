// Compiles a user's JSON Schema with ajv. Settings validation and create() both go through
// here, so a schema that would fail at run time is refused when the experiment is saved.
import { Ajv } from 'ajv';
import { Ajv2019 } from 'ajv/dist/2019.js';
import { Ajv2020 } from 'ajv/dist/2020.js';
import type { ErrorObject, Options } from 'ajv';
import type { RegExpEngine } from 'ajv/dist/types/index.js';
import addFormatsModule from 'ajv-formats';
import { compileLinearRegex, MAX_MATCH_WORK, matchWork } from './safe-regex.js';

/** Checks one value; returns readable errors (empty when valid). */
export type SchemaCheck = (value: unknown) => string[];

/** A usable schema (`check` absent when none was set), or why it cannot be used. */
export type PreparedSchema = { ok: true; check: SchemaCheck | undefined } | { ok: false; reason: string };

const MAX_ERRORS = 5;

/**
 * Inline cap of a value checked against a user's schema (valid_format json, tool_calls): a schema
 * can make validation quadratic (uniqueItems compares every pair of non-scalar items: 20,000
 * objects took 5.9 s on the main thread). At the cap: 2.1 ms (median, bench/evaluator-caps.ts).
 */
export const SCHEMA_INLINE_CHARS = 4_000;

/**
 * Pattern matching work of the validation running now (validation is synchronous): every
 * string a pattern is tried on counts, so a schema cannot stall the server on a long output.
 */
let patternWork = 0;

/**
 * `pattern` keywords run on RE2 too: schemas are user input and outputs are model text.
 * `toString` must differ per pattern because ajv de-duplicates compiled patterns by it.
 */
const linearRegExp: RegExpEngine = Object.assign(
  (pattern: string) => {
    const compiled = compileLinearRegex(pattern);
    if (!compiled.ok) throw new Error(`pattern ${JSON.stringify(pattern)}: ${compiled.reason}`);
    const regex = compiled.regex;
    const test = (s: string): boolean => {
      patternWork += matchWork(regex, s);
      if (patternWork > MAX_MATCH_WORK) {
        throw new Error(`the schema's patterns are too costly on this value (more than ${MAX_MATCH_WORK} units of work): use fewer or smaller patterns`);
      }
      return regex.test(s);
    };
    return { test, toString: () => `/${pattern}/` };
  },
  { code: 'linearRegExp' },
);

const OPTIONS: Options = {
  // Unknown keywords ("example", vendor extensions) are common in hand-written schemas.
  strict: false,
  allErrors: true,
  logger: false,
  code: { regExp: linearRegExp },
};

type Draft = '2020-12' | '2019-09' | 'draft-07';

/**
 * The draft for a `$schema`. Without one we use 2020-12, the draft Python's jsonschema (what
 * LangWatch validates with) picks by default.
 */
function draftOf(dialect: unknown): Draft | undefined {
  if (dialect === undefined || (typeof dialect === 'string' && /json-schema\.org\/draft\/2020-12\/schema#?$/.test(dialect))) return '2020-12';
  if (typeof dialect !== 'string') return undefined;
  if (/json-schema\.org\/draft\/2019-09\/schema#?$/.test(dialect)) return '2019-09';
  if (/json-schema\.org\/draft-07\/schema#?$/.test(dialect)) return 'draft-07';
  return undefined;
}

function newAjv(draft: Draft): Ajv | Ajv2019 | Ajv2020 {
  const ajv = draft === '2020-12' ? new Ajv2020(OPTIONS) : draft === '2019-09' ? new Ajv2019(OPTIONS) : new Ajv(OPTIONS);
  addFormatsModule.default(ajv);
  return ajv;
}

/**
 * One ajv instance per draft, shared by the schemas that name no URI of their own: a new
 * instance (meta-schemas, formats) cost 8–26 ms a schema, synchronously, at every save and run
 * start (100 evaluators with schemas held the server 2 s), a compile on a warm instance under
 * 1 ms. Each schema is removed from the instance once compiled, so none piles up. A schema with
 * `$id` or an anchor would register it in the instance, where another project's schema could
 * clash with it, so it gets an instance of its own, as every schema did before.
 */
const shared = new Map<Draft, Ajv | Ajv2019 | Ajv2020>();
const NAMES_URIS = /"\$(?:id|anchor|dynamicAnchor|recursiveAnchor)"/;

function ajvFor(draft: Draft, schema: object | boolean): { ajv: Ajv | Ajv2019 | Ajv2020; isShared: boolean } {
  if (typeof schema === 'object' && NAMES_URIS.test(JSON.stringify(schema))) return { ajv: newAjv(draft), isShared: false };
  let ajv = shared.get(draft);
  if (!ajv) {
    ajv = newAjv(draft);
    shared.set(draft, ajv);
  }
  return { ajv, isShared: true };
}

function describe(error: ErrorObject): string {
  const extra = typeof error.params['additionalProperty'] === 'string' ? ` (${error.params['additionalProperty']})` : '';
  return `${error.instancePath || '/'} ${error.message ?? 'is invalid'}${extra}`;
}

/** Parses (when text) and compiles the `json_schema` setting; absent or "" means no schema. */
export function prepareJsonSchema(setting: string | Record<string, unknown> | undefined): PreparedSchema {
  if (setting === undefined || (typeof setting === 'string' && setting.trim() === '')) return { ok: true, check: undefined };
  let schema: unknown = setting;
  if (typeof setting === 'string') {
    try {
      schema = JSON.parse(setting);
    } catch (error) {
      return { ok: false, reason: `is not valid JSON: ${(error as Error).message}` };
    }
  }
  if (typeof schema !== 'boolean' && (typeof schema !== 'object' || schema === null || Array.isArray(schema))) {
    return { ok: false, reason: 'must be a JSON Schema object (or true/false)' };
  }
  const dialect = typeof schema === 'object' ? (schema as Record<string, unknown>)['$schema'] : undefined;
  const draft = draftOf(dialect);
  if (!draft) return { ok: false, reason: `has an unsupported $schema ${JSON.stringify(dialect)}: use draft-07, 2019-09 or 2020-12` };
  const { ajv, isShared } = ajvFor(draft, schema as object | boolean);
  try {
    const validate = ajv.compile(schema as object | boolean);
    // An async schema's validator returns a promise, which would read as "valid" every time.
    if ((validate as { $async?: unknown }).$async === true) return { ok: false, reason: 'must not be an async schema ($async)' };
    return {
      ok: true,
      check: (value) => {
        patternWork = 0;
        if (validate(value)) return [];
        const errors = validate.errors ?? [];
        const shown = errors.slice(0, MAX_ERRORS).map(describe);
        if (errors.length > MAX_ERRORS) shown.push(`…and ${errors.length - MAX_ERRORS} more`);
        return shown;
      },
    };
  } catch (error) {
    return { ok: false, reason: `is not a valid JSON Schema: ${(error as Error).message}` };
  } finally {
    // The compiled function keeps what it needs; the shared instance forgets the schema.
    if (isShared && typeof schema === 'object') ajv.removeSchema(schema as object);
  }
}
