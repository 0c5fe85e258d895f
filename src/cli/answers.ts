// Checks an answer's shape against the schema the server declares it with (src/core/model),
// so an endpoint that is not Assay — another API answering 200 `{"reply":"ok"}` — is said to
// be one, instead of printing "experiment undefined" or failing on a TypeError further on.
import type { z } from 'zod';
import { NotAssayError } from '../client/index.js';

/** `value` as `schema` says it is, or a NotAssayError naming the request and the first mismatch. */
export function expectAnswer<S extends z.ZodType>(schema: S, value: unknown, endpoint: string, request: string): z.infer<S> {
  const parsed = schema.safeParse(value);
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0];
  throw new NotAssayError(endpoint, `${request} answered ${issue ? mismatch(value, issue) : 'an unexpected body'}`);
}

/** A missing field said as missing (what another API's answer usually lacks); anything else with zod's words. */
function mismatch(value: unknown, issue: z.core.$ZodIssue): string {
  if (issue.path.length === 0) return issue.message;
  const found = issue.path.reduce<unknown>((at, key) => (typeof at === 'object' && at !== null ? (at as Record<PropertyKey, unknown>)[key] : undefined), value);
  return found === undefined ? `no "${issue.path.join('.')}" field` : `${issue.path.join('.')}: ${issue.message}`;
}
