// An experiment document that failed its schema, as far as it is valid: so a save names every
// problem of the file at once, not the schema's first and, once that is fixed, the checks' ones
// (evaluator settings, code, templates, models). Each top-level field and each target and
// evaluator is parsed on its own; a part that fails is replaced by a stand-in the checks pass
// over, and whatever is then said about a stand-in — or only follows from one failing (an
// evaluator naming a target whose entry failed is no "unknown target") — is left out.
// Only built when the whole parse failed: a valid document is parsed once, as before.
import type { z } from 'zod';
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
  const targets = entries(raw, 'targets', targetSchema, issues, failed, standInTarget);
  // The schema wants one target: a stand-in for a list that failed as a whole, so the rules still run on the evaluators.
  doc.targets = targets.known ? targets.list : [standInTarget('unparsed')];
  doc.evaluators = entries(raw, 'evaluators', evaluatorSpecSchema, issues, failed, standInEvaluator).list;
  const follows = (path: Path): boolean =>
    failed.some((prefix) => prefix.every((key, i) => path[i] === key)) ||
    // Which targets an evaluator applies to ("unknown target", "a comparison needs two") cannot be judged without the list.
    (!targets.known && path[0] === 'evaluators' && path[2] === 'targets');
  const again = experimentDocumentSchema.safeParse(doc);
  const ruleIssues = again.success ? [] : zodIssues(again.error).filter((issue) => !follows(issue.path));
  return { doc: doc as ExperimentDocument, ruleIssues, follows };
}

/**
 * A list's entries, each parsed on its own; one that fails is marked failed and gets a stand-in
 * under its own id when that is valid (so an evaluator naming it finds it, and the list keeps
 * its length and indices). `known`: false when the list itself failed (not a list, empty, too
 * long): then its entries are not checked at all, as a list of 10,000 would be costly to.
 */
function entries(raw: Record<string, unknown>, key: 'targets' | 'evaluators', schema: z.ZodType, issues: readonly Issue[], failed: Path[], standIn: (id: string) => unknown): { list: unknown[]; known: boolean } {
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
      const parsed = schema.safeParse(entry);
      if (parsed.success) return parsed.data;
      failed.push([key, i]);
      const id = idOf(entry);
      if (id !== undefined && idSchema.safeParse(id).success) return standIn(id);
      let fresh = `unparsed.${i}`;
      while (ids.has(fresh)) fresh += '_';
      return standIn(fresh);
    }),
  };
}

function idOf(entry: unknown): string | undefined {
  const id = typeof entry === 'object' && entry !== null ? (entry as { id?: unknown }).id : undefined;
  return typeof id === 'string' ? id : undefined;
}
