// A misspelt experiment slug (`assay run capitalz`) answers 404 experiment_not_found; the
// project's experiments are listed (GET /api/experiments) to suggest the one probably meant.
import { suggestKey } from '../app/key-suggestions.js';
import { type AssayClient, ApiError } from '../client/index.js';
import { CliError } from './cli-error.js';
import { asCliError } from './connection.js';
import { terminalText } from './terminal-text.js';

/** Pages of 200 read at most (a project of more experiments gets a suggestion from its 2,000 most recently updated). */
const MAX_PAGES = 10;

/** Whether `error` is the server's 404 for an experiment slug it does not know. */
function experimentNotFound(error: unknown): error is ApiError {
  return error instanceof ApiError && error.status === 404 && (error.body.code === 'experiment_not_found' || error.body.error === 'experiment_not_found');
}

/** The project's live experiment slugs, or undefined when they cannot be listed (the hint is then left out). */
async function experimentSlugs(client: AssayClient): Promise<string[] | undefined> {
  const slugs: string[] = [];
  try {
    for (let page = 1; page <= MAX_PAGES; page++) {
      const answer = await client.json<{ experiments?: { slug?: unknown }[]; pagination?: { hasMore?: unknown } }>('GET', `/api/experiments?page=${page}&pageSize=200`);
      const items = Array.isArray(answer.experiments) ? answer.experiments : [];
      for (const e of items) if (typeof e.slug === 'string') slugs.push(e.slug);
      if (answer.pagination?.hasMore !== true || items.length === 0) break;
    }
  } catch {
    return undefined;
  }
  return slugs;
}

/** The hint line for an unknown slug: the close one it was probably meant to be, or how to make one when there is none at all. */
export async function experimentHint(client: AssayClient, slug: string): Promise<string> {
  const slugs = await experimentSlugs(client);
  if (slugs === undefined) return '';
  if (slugs.length === 0) return '\n  hint: this project has no experiments yet: `assay push FILE` saves one';
  const near = suggestKey(slug, slugs);
  return near === undefined || near === slug ? '' : `\n  hint: did you mean "${terminalText(near, 200)}"?`;
}

/**
 * A failure of a command that named experiment `slug`, as the CLI reports it (asCliError); a 404
 * for the slug gets the hint of experimentHint.
 */
export async function asSlugError(error: unknown, client: AssayClient, slug: string): Promise<unknown> {
  const reported = asCliError(error);
  if (!experimentNotFound(error) || !(reported instanceof CliError)) return reported;
  return new CliError(`${reported.message}${await experimentHint(client, slug)}`, reported.exitCode);
}
