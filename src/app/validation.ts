// Turns zod failures into Assay's validation_error with field paths.
import type { z } from 'zod';
import { type Issue, ValidationError } from '../core/errors.js';
import { keysAt, suggestKey } from './key-suggestions.js';

/** zod's issues with `prefix` before their paths; given the schema, a misspelt key's likely meaning. */
export function zodIssues(error: z.ZodError, prefix: (string | number)[] = [], schema?: z.ZodType): Issue[] {
  return error.issues.map((i) => ({
    path: [...prefix, ...i.path.map((p) => (typeof p === 'symbol' ? String(p) : p))],
    message: schema && i.code === 'unrecognized_keys' ? withSuggestions(i.message, i.keys, keysAt(schema, i.path)) : missing(i) ?? unionOfTypes(i) ?? digitsOnly(i) ?? i.message,
  }));
}

/**
 * A value none of a union of types accepts reads as those types, not zod's bare "Invalid input":
 * `parameters.a: expected string, number or boolean, received object`. Only when every branch
 * failed on its type alone; a union of shapes keeps zod's words.
 */
function unionOfTypes(issue: z.core.$ZodIssue): string | undefined {
  // A schema that words its own union's failure keeps its words.
  if (issue.code !== 'invalid_union' || issue.errors.length < 2 || issue.message !== 'Invalid input') return undefined;
  const types: string[] = [];
  let received = '';
  for (const branch of issue.errors) {
    const only = branch.length === 1 ? branch[0] : undefined;
    if (only?.code !== 'invalid_type' || only.path.length > 0) return undefined;
    if (!types.includes(only.expected)) types.push(only.expected);
    received = /received (\w+)/.exec(only.message)?.[1] ?? received;
  }
  const listed = types.length === 1 ? types[0]! : `${types.slice(0, -1).join(', ')} or ${types.at(-1)}`;
  return received ? `expected ${listed}, received ${received}` : `expected ${listed}`;
}

/**
 * `/^\d+$/` (a count or an offset in a query) in words, not zod's "must match pattern /^\d+$/";
 * a schema that gave its own message keeps it.
 */
function digitsOnly(issue: z.core.$ZodIssue): string | undefined {
  const own = !issue.message.includes('must match pattern');
  return issue.code === 'invalid_format' && issue.format === 'regex' && issue.pattern === String(/^\d+$/) && !own ? 'must be a whole number (digits only)' : undefined;
}

/** A field left out reads "required", not zod's "Invalid input: expected string, received undefined". */
function missing(issue: z.core.$ZodIssue): string | undefined {
  if (issue.code !== 'invalid_type' || !issue.message.endsWith('received undefined')) return undefined;
  return `required (expected ${issue.expected})`;
}

function withSuggestions(message: string, keys: readonly string[], known: string[]): string {
  const hints = keys.flatMap((key) => {
    const near = suggestKey(key, known);
    return near ? [keys.length > 1 ? `"${near}" for "${key.slice(0, 60)}"` : `"${near}"`] : [];
  });
  return hints.length > 0 ? `${message} (did you mean ${hints.join(', ')}?)` : message;
}

/** Parses or throws a ValidationError whose message names the first offending field. */
export function parseOrThrow<S extends z.ZodType>(schema: S, value: unknown, what: string, prefix: (string | number)[] = []): z.output<S> {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  const issues = zodIssues(result.error, prefix, schema);
  throw new ValidationError(describeIssues(what, issues), issues);
}

export function describeIssues(what: string, issues: Issue[]): string {
  const first = issues[0];
  if (!first) return `Invalid ${what}`;
  const where = first.path.length > 0 ? first.path.join('.') : '(root)';
  const more = issues.length > 1 ? ` (and ${issues.length - 1} more)` : '';
  return `Invalid ${what}: ${where}: ${first.message}${more}`;
}
