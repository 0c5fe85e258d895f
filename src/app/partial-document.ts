// An experiment document that failed its schema, as far as it is valid: so a save names every
// problem of the file at once, not the schema's first and, once that is fixed, the checks' ones
// (evaluator settings, code, templates, models). Each top-level field and each target and
// evaluator is parsed on its own, and a target or evaluator that fails keeps its valid fields:
// only the fields that failed are stood in for (left out, or a valid stand-in when required), so
// its own templates, code and settings are still checked; in a list or map field (messages,
// headers) only the entries that failed. Whatever is then said about a stand-in
// — or only follows from one failing (an evaluator naming a target whose entry failed is no
// "unknown target") — is left out. Only built when the whole parse failed: a valid document is
// parsed once, as before.
import { z } from 'zod';
import type { Issue } from '../core/errors.js';
import { evaluatorSpecSchema, type ExperimentDocument, experimentDocumentSchema, targetSchema } from '../core/model/experiment.js';
import { zodIssues } from './validation.js';

type Path = readonly (string | number)[];

export interface PartialDocument {
  /** The document, each part that failed the schema replaced by a valid stand-in. */
  doc: ExperimentDocument;
  /** The whole schema's cross-field rules (duplicate ids, unknown targets, secrets) over the valid parts. */
  ruleIssues: Issue[];
  /** Whether an issue at `path` is about a stand-in, or only follows from a part that failed. */
  follows(path: Path): boolean;
}

const shape = experimentDocumentSchema.shape;
const idSchema = evaluatorSpecSchema.shape.id;

/** Stand-ins: nothing any check reads in them can be wrong, and what is said about them is dropped anyway. */
const standInTarget = (id: string): unknown => ({ id, type: 'http', url: 'http://unparsed.invalid', method: 'POST' });
const standInEvaluator = (id: string): unknown => ({ id, type: 'unparsed' });

/** Stand-ins of one entry of a list field, in place so the others keep their indices (and what is said of them its path). */
const ENTRY: Record<string, unknown> = {
  messages: { role: 'user', content: '' },
  // An evaluator's target id: what is said of it ("unknown target") is at a failed path, dropped.
  targets: 'unparsed',
};

/** Stand-ins of the required fields of an entry (its id is its own, entries() gives it). */
const REQUIRED: Record<string, unknown> = {
  // A message's (in a messages list).
  role: 'user',
  content: '',
  model: 'openai/unparsed',
  messages: [ENTRY.messages],
  url: 'http://unparsed.invalid',
  code: 'return null',
  type: 'unparsed',
};

/** The object schema an entry is checked against field by field: a target's by its `type`; undefined when that type is none of them. */
type EntryShape = (entry: Record<string, unknown>) => z.ZodObject | undefined;
const targetShape: EntryShape = (entry) => targetSchema.options.find((option) => option.shape.type.value === entry.type);
const evaluatorShape: EntryShape = () => evaluatorSpecSchema;

/**
 * The valid parts of `input`, whose whole parse gave `issues`; undefined when it is not even an
 * object (there is nothing to check apart).
 */
export function partialDocument(input: unknown, issues: readonly Issue[]): PartialDocument | undefined {
  if (typeof input !== 'object' || input === null || Array.isArray(input)) return undefined;
  const raw = input as Record<string, unknown>;
  const failed: Path[] = [];
  const doc: Record<string, unknown> = {};
  for (const key of Object.keys(shape) as (keyof typeof shape)[]) {
    if (key === 'targets' || key === 'evaluators') continue;
    const parsed = shape[key].safeParse(raw[key]);
    if (!parsed.success) failed.push([key]);
    // A field that failed takes its default, or none when it is optional.
    const value = parsed.success ? parsed.data : shape[key].safeParse(undefined).data;
    if (value !== undefined) doc[key] = value;
  }
  // The one required field besides the lists; no check reads it.
  doc.name ??= 'unparsed';
  // The rules of an entry (a GET with a body) that the whole parse did not reach, as a field of it failed.
  const entryRules: Issue[] = [];
  const targets = entries(raw, 'targets', targetShape, issues, failed, standInTarget, entryRules);
  // The schema wants one target: a stand-in for a list that failed as a whole, so the rules still run on the evaluators.
  doc.targets = targets.known ? targets.list : [standInTarget('unparsed')];
  doc.evaluators = entries(raw, 'evaluators', evaluatorShape, issues, failed, standInEvaluator, entryRules).list;
  const follows = (path: Path): boolean =>
    failed.some((prefix) => prefix.every((key, i) => path[i] === key)) ||
    // Which targets an evaluator applies to ("unknown target", "a comparison needs two") cannot be judged without the list.
    (!targets.known && path[0] === 'evaluators' && path[2] === 'targets');
  const again = experimentDocumentSchema.safeParse(doc);
  const ruleIssues = [...entryRules, ...(again.success ? [] : zodIssues(again.error).filter((issue) => !follows(issue.path)))];
  return { doc: doc as ExperimentDocument, ruleIssues, follows };
}

/**
 * A list's entries, each parsed on its own; one that fails keeps its valid fields (validFields), or
 * else is marked failed whole and replaced by a stand-in. Either way it keeps its own id when
 * that is valid (so an evaluator naming it finds it), and the list its length and indices.
 * `known`: false when the list itself failed (not a list, empty, too long): then its entries are
 * not checked at all, as a list of 10,000 would be costly to.
 */
function entries(raw: Record<string, unknown>, key: 'targets' | 'evaluators', shapeOf: EntryShape, issues: readonly Issue[], failed: Path[], standIn: (id: string) => unknown, rules: Issue[]): { list: unknown[]; known: boolean } {
  const value = raw[key];
  if (issues.some((issue) => issue.path.length === 1 && issue.path[0] === key)) {
    failed.push([key]);
    return { list: [], known: false };
  }
  if (!Array.isArray(value)) return { list: [], known: true };
  const ids = new Set(value.map((entry) => idOf(entry)));
  return {
    known: true,
    list: value.map((entry, i) => {
      let id = idOf(entry);
      if (id === undefined || !idSchema.safeParse(id).success) {
        id = `unparsed.${i}`;
        while (ids.has(id)) id += '_';
      }
      const object = isObject(entry) ? entry : undefined;
      const schema = object && shapeOf(object);
      const kept = schema && object ? validFields(object, schema, id) : undefined;
      if (kept) {
        failed.push(...kept.failed.map((path) => [key, i, ...path]));
        rules.push(...kept.rules.map((issue) => ({ path: [key, i, ...issue.path], message: issue.message })));
        return kept.entry;
      }
      failed.push([key, i]);
      return standIn(id);
    }),
  };
}

/**
 * `entry` with the fields that fail `schema` left out, or stood in for when required (`id` by
 * `id`), or of a list or map field only the entries that fail (entriesKept): each round parses
 * the entry and takes out the fields its issues name (a valid entry
 * passes the first, `failed` empty; so does one whose only fault is an unknown key). A later round's
 * issues are the whole entry's rules (a GET with a body), which zod runs only once its fields
 * are valid, so the document's parse did not say them: they are `rules`, said as well. Unknown
 * keys are left out and not marked failed: no check reads them, and the schema names them
 * already. Undefined when that does not give a valid entry (an issue of no field).
 */
function validFields(entry: Record<string, unknown>, schema: z.ZodObject, id: string): { entry: unknown; failed: Path[]; rules: Issue[] } | undefined {
  const candidate: Record<string, unknown> = {};
  for (const field of Object.keys(schema.shape)) if (field in entry) candidate[field] = entry[field];
  const failed: Path[] = [];
  const touched = new Set<string>();
  const rules: Issue[] = [];
  for (let round = 0; round < 3; round++) {
    const parsed = schema.safeParse(candidate);
    if (parsed.success) return { entry: parsed.data, failed, rules };
    if (round > 0) rules.push(...zodIssues(parsed.error));
    const fields = new Set(parsed.error.issues.map((issue) => issue.path[0]));
    for (const field of fields) {
      if (typeof field !== 'string' || touched.has(field)) return undefined;
      touched.add(field);
      const kept = entriesKept(field, candidate[field], schema.shape[field] as z.ZodType, parsed.error.issues.filter((issue) => issue.path[0] === field));
      if (kept) {
        candidate[field] = kept.value;
        failed.push(...kept.failed.map((path) => [field, ...path]));
        rules.push(...kept.rules.map((issue) => ({ path: [field, ...issue.path], message: issue.message })));
        continue;
      }
      failed.push([field]);
      const standIn = field === 'id' ? id : REQUIRED[field];
      if (standIn === undefined) delete candidate[field];
      else candidate[field] = standIn;
    }
  }
  return undefined;
}

/**
 * `value` of a list or map field whose issues are all inside its entries, those entries taken
 * out: a map's left out; a list's kept as far as valid when they are objects (validFields: a
 * message with a bad role or an unknown key keeps its content, whose template is then checked),
 * else stood in for in place (ENTRY; a list with no entry stand-in fails whole). Undefined when
 * the field fails as a whole (not a list, too long) or is of no such kind.
 */
function entriesKept(field: string, value: unknown, fieldSchema: z.ZodType, issues: readonly z.core.$ZodIssue[]): { value: unknown; failed: Path[]; rules: Issue[] } | undefined {
  let inner = fieldSchema;
  while (inner instanceof z.ZodOptional || inner instanceof z.ZodDefault) inner = inner.unwrap() as z.ZodType;
  if (issues.some((issue) => issue.path.length < 2)) return undefined;
  const keys = [...new Set(issues.map((issue) => issue.path[1] as string | number))];
  if (inner instanceof z.ZodArray && Array.isArray(value) && ENTRY[field] !== undefined) {
    const element = inner.element;
    const failed: Path[] = [];
    const rules: Issue[] = [];
    const list = value.map((entry, i) => {
      if (!keys.includes(i)) return entry;
      const kept = element instanceof z.ZodObject && isObject(entry) ? validFields(entry, element, '') : undefined;
      if (!kept) {
        failed.push([i]);
        return ENTRY[field];
      }
      failed.push(...kept.failed.map((path) => [i, ...path]));
      rules.push(...kept.rules.map((issue) => ({ path: [i, ...issue.path], message: issue.message })));
      return kept.entry;
    });
    return { value: list, failed, rules };
  }
  if (inner instanceof z.ZodRecord && isObject(value)) {
    return { value: Object.fromEntries(Object.entries(value).filter(([key]) => !keys.includes(key))), failed: keys.map((key) => [key]), rules: [] };
  }
  return undefined;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function idOf(entry: unknown): string | undefined {
  const id = typeof entry === 'object' && entry !== null ? (entry as { id?: unknown }).id : undefined;
  return typeof id === 'string' ? id : undefined;
}
