// Turns zod failures into Assay's validation_error with field paths.
import type { z } from 'zod';
import { type Issue, ValidationError } from '../core/errors.js';

export function zodIssues(error: z.ZodError, prefix: (string | number)[] = []): Issue[] {
  return error.issues.map((i) => ({
    path: [...prefix, ...i.path.map((p) => (typeof p === 'symbol' ? String(p) : p))],
    message: i.message,
  }));
}

/** Parses or throws a ValidationError whose message names the first offending field. */
export function parseOrThrow<S extends z.ZodType>(schema: S, value: unknown, what: string, prefix: (string | number)[] = []): z.output<S> {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  const issues = zodIssues(result.error, prefix);
  throw new ValidationError(describeIssues(what, issues), issues);
}

export function describeIssues(what: string, issues: Issue[]): string {
  const first = issues[0];
  if (!first) return `Invalid ${what}`;
  const where = first.path.length > 0 ? first.path.join('.') : '(root)';
  const more = issues.length > 1 ? ` (and ${issues.length - 1} more)` : '';
  return `Invalid ${what}: ${where}: ${first.message}${more}`;
}
