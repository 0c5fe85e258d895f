// Compiles a user's JSON Schema with ajv. Settings validation and create() both go through
// here, so a schema that would fail at run time is refused when the experiment is saved.
import { Ajv } from 'ajv';
import { Ajv2019 } from 'ajv/dist/2019.js';
import { Ajv2020 } from 'ajv/dist/2020.js';
import type { ErrorObject, Options } from 'ajv';
import type { RegExpEngine } from 'ajv/dist/types/index.js';
import addFormatsModule from 'ajv-formats';
import { compileLinearRegex, MAX_MATCH_WORK, MAX_PATTERN_WORK, matchWork, regexWork } from './safe-regex.js';

/** Checks one value; returns readable errors (empty when valid). */
export type SchemaCheck = (value: unknown) => string[];

/** A usable schema (`check` absent when none was set), or why it cannot be used. */
/** A compiled schema (`work`: its compile work, see schemaWork), or why it was refused. */
export type PreparedSchema = { ok: true; check: SchemaCheck | undefined; work: number } | { ok: false; reason: string };

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

/**
 * A `$ref` to a schema of at most this many keys is compiled into every place that names it;
 * a larger one is compiled once and called. ajv's default inlines every target without refs of
 * its own, whatever its size: one 2 KB schema naming a 50-property definition 20 times held
 * the server 0.9 s.
 */
const INLINE_REF_KEYS = 8;

const OPTIONS: Options = {
  // Unknown keywords ("example", vendor extensions) are common in hand-written schemas.
  strict: false,
  allErrors: true,
  logger: false,
  inlineRefs: INLINE_REF_KEYS,
  code: { regExp: linearRegExp },
};

/**
 * Largest compile work (schemaWork) of one schema. ajv compiles a schema synchronously into
 * JavaScript: 2,000 required string properties (≈ 8,000 units) held the server 0.4 s, 50,000 of
 * them 30 s. At this cap the slowest shapes found (oneOf, wide objects, $ref chains) compiled in
 * 5–30 ms on the 2-core dev machine (fastest of 15, load ≈ 2).
 */
export const MAX_SCHEMA_WORK = 1_000;
/** Deepest nesting of a schema's JSON: ajv and JSON.stringify recurse. */
export const MAX_SCHEMA_DEPTH = 64;
/** Keywords whose value is data, not a schema: ajv keeps it as a value rather than compiling it. */
const DATA_KEYWORDS = new Set(['enum', 'const', 'default', 'examples', 'title', 'description', '$comment']);
/** What a data node costs while no `$ref` could make a schema of it: enums of 10,000 objects compile in 0.2 ms. */
const DATA_WORK = 0.02;
/** Keywords whose value maps names (or patterns) to schemas. */
const MAP_KEYWORDS = new Set(['properties', '$defs', 'definitions', 'dependentSchemas', 'dependencies']);
/** A reference costs at most an inlined target (INLINE_REF_KEYS keys); a larger target is compiled once. */
const REF_KEYWORDS = new Set(['$ref', '$dynamicRef', '$recursiveRef']);
const REF_WORK = INLINE_REF_KEYS;
/** Compile work of RE2 patterns (safe-regex.ts units) per schema unit. */
const REGEX_UNITS_PER_UNIT = 40;

/** What a pattern adds: one over MAX_PATTERN_WORK is refused without being compiled, naming itself. */
const patternCompileWork = (pattern: string): number => Math.min(regexWork(pattern), MAX_PATTERN_WORK) / REGEX_UNITS_PER_UNIT;

/**
 * How a value in a schema is read: as a schema; as a map (properties, $defs…) whose every value
 * is a schema whatever its name; as patternProperties, whose keys are patterns too; as data.
 */
type Read = 'schema' | 'map' | 'patterns' | 'data';

/**
 * Compile work of a schema, from one iterative walk over it: every object, key and array item
 * counts one unit, a reference REF_WORK more, a `pattern` or patternProperties key its RE2
 * compile work, and data (enum, default…) DATA_WORK a node unless the schema has a reference,
 * which could point into it. Stops as soon as the total passes MAX_SCHEMA_WORK (Infinity) or
 * the JSON nests deeper than MAX_SCHEMA_DEPTH ('too deep').
 */
export function schemaWork(schema: unknown): number | 'too deep' {
  let work = 0;
  let data = 0;
  let hasRef = false;
  const stack: [unknown, number, Read][] = [[schema, 0, 'schema']];
  while (stack.length > 0) {
    const [value, depth, read] = stack.pop()!;
    if (value === null || typeof value !== 'object') continue;
    if (depth > MAX_SCHEMA_DEPTH) return 'too deep';
    const size = 1 + (Array.isArray(value) ? value.length : Object.keys(value).length);
    if (read === 'data') data += size;
    else work += size;
    if (work + data * (hasRef ? 1 : DATA_WORK) > MAX_SCHEMA_WORK) return Number.POSITIVE_INFINITY;
    if (Array.isArray(value)) {
      for (const item of value) stack.push([item, depth + 1, read === 'data' ? 'data' : 'schema']);
    } else {
      for (const [key, child] of Object.entries(value)) {
        let next: Read = read === 'data' || (read === 'schema' && DATA_KEYWORDS.has(key)) ? 'data' : 'schema';
        if (read === 'patterns') work += patternCompileWork(key);
        if (read === 'schema') {
          if (key === 'pattern' && typeof child === 'string') work += patternCompileWork(child);
          else if (key === 'patternProperties') next = 'patterns';
          else if (MAP_KEYWORDS.has(key)) next = 'map';
          else if (REF_KEYWORDS.has(key)) {
            work += REF_WORK;
            hasRef = true;
          }
        }
        stack.push([child, depth + 1, next]);
      }
    }
    if (work + data * (hasRef ? 1 : DATA_WORK) > MAX_SCHEMA_WORK) return Number.POSITIVE_INFINITY;
  }
  return work + data * (hasRef ? 1 : DATA_WORK);
}

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

/**
 * The usable schemas prepared last, by setting (its text, or the parsed object itself): a run
 * start checks an evaluator's settings and then creates it, preparing the same setting twice
 * in a row, and the second is not compiled again.
 */
const recent = new Map<string | object, PreparedSchema>();
const RECENT = 16;

/**
 * Parses (when text) and compiles the `json_schema` setting; absent or "" means no schema.
 * `budget` is the compile work left to the caller when it compiles several schemas (never more
 * than MAX_SCHEMA_WORK for one); past it the schema is refused before compiling.
 */
export function prepareJsonSchema(setting: string | Record<string, unknown> | undefined, budget = MAX_SCHEMA_WORK): PreparedSchema {
  if (setting === undefined || (typeof setting === 'string' && setting.trim() === '')) return { ok: true, check: undefined, work: 0 };
  const known = recent.get(setting);
  if (known?.ok && known.work <= budget) return known;
  const prepared = prepare(setting, Math.min(budget, MAX_SCHEMA_WORK));
  // Only usable schemas are kept: they are bounded (MAX_SCHEMA_WORK), a refused one need not be.
  if (prepared.ok) {
    recent.set(setting, prepared);
    if (recent.size > RECENT) recent.delete(recent.keys().next().value!);
  }
  return prepared;
}

function prepare(setting: string | Record<string, unknown>, budget: number): PreparedSchema {
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
  // Bounded before anything recurses into it or compiles it (see MAX_SCHEMA_WORK).
  const work = schemaWork(schema);
  if (work === 'too deep') return { ok: false, reason: `is nested too deeply: at most ${MAX_SCHEMA_DEPTH} levels of JSON are allowed` };
  if (work > MAX_SCHEMA_WORK) {
    return { ok: false, reason: `is too large to compile: at most ${MAX_SCHEMA_WORK} units of schema (a unit is a subschema, keyword or list item; a $ref counts ${REF_WORK}) are allowed: split it or use fewer properties` };
  }
  if (work > budget) return { ok: false, reason: `takes ${Math.ceil(work)} units of schema to compile, and only ${Math.floor(budget)} are left of the evaluator's budget` };
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
      work,
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
