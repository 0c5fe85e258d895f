// `assay push FILE`: create or update an experiment from a YAML or JSON file, through the
// server's API (PUT /api/experiments/{slug}, idempotent).
import { z } from 'zod';
import type { Command } from 'commander';
import { slugify } from '../core/model/slug.js';
import { experimentResponseSchema } from '../http/routes/experiments.js';
import { expectAnswer } from './answers.js';
import { CliError } from './cli-error.js';
import { ApiError } from '../client/errors.js';
import { asCliError, connect, type IssueLocation } from './connection.js';
import { guardOutput } from './output.js';
import { parseErrorText } from './parse-error.js';
import { bodyLimit, readTextFile } from './text-file.js';

/** The fields of the server's answer that push prints. */
const savedSchema = experimentResponseSchema.pick({ id: true, slug: true, version: true }).extend({ unchanged: z.literal(true).optional() });

export function registerPushCommand(program: Command): void {
  program
    .command('push')
    .argument('<file>', 'experiment document (.yaml, .yml or .json)')
    .option('--endpoint <url>', 'Assay server (default $ASSAY_ENDPOINT, $LANGWATCH_ENDPOINT or http://localhost:5560)')
    .option('--api-key <key>', 'project API key (default $ASSAY_API_KEY or $LANGWATCH_API_KEY)')
    .description('Create or update an experiment from a file')
    .action(async (file: string, opts: { endpoint?: string; apiKey?: string }) => {
      const client = connect(opts);
      // A reader that left (`| true`) must not turn a saved experiment into an EPIPE crash.
      const output = guardOutput(process.stdout);
      const { slug, body, contentType } = await readDocument(file);
      const path = `/api/experiments/${encodeURIComponent(slug)}`;
      try {
        const answer = await client.request('PUT', path, body, contentType);
        const saved = expectAnswer(savedSchema, answer.body, client.endpoint, `PUT ${path}`);
        const what = answer.status === 201 ? 'Created' : saved.unchanged ? 'Unchanged:' : 'Updated';
        output.write(`${what} experiment ${saved.slug} (version ${saved.version})\n`);
      } catch (error) {
        throw asCliError(error, await locator(file, body, error));
      }
    });
}

/** `file:line` of the issues of a refused document; the YAML library is loaded only then. */
async function locator(file: string, text: string, error: unknown): Promise<IssueLocation | undefined> {
  if (!(error instanceof ApiError) || !error.body.issues?.length) return undefined;
  const { issueLocator } = await import('./issue-lines.js');
  const lineOf = issueLocator(text);
  return (path, message) => {
    const line = lineOf(path, message);
    return line === undefined ? undefined : `${file}:${line}`;
  };
}

async function readDocument(file: string): Promise<{ slug: string; body: string; contentType: string }> {
  // Regular, within the server's body limit, UTF-8; its byte order mark dropped (JSON.parse refuses one).
  const text = await readTextFile(file, bodyLimit());
  const isJson = file.toLowerCase().endsWith('.json');
  let parsed: unknown;
  // `assay serve` loads this module too (cli/main.ts): the YAML library only when a file needs it.
  const yaml = isJson ? null : (await import('yaml')).default;
  try {
    parsed = yaml === null ? JSON.parse(text) : yaml.parse(text);
  } catch (error) {
    throw new CliError(`${file} is not valid ${isJson ? 'JSON' : 'YAML'}: ${error instanceof Error ? parseErrorText(error.message) : String(error)}`);
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw new CliError(`${file} must hold an experiment object`);
  const doc = parsed as { slug?: unknown; name?: unknown; workbenchState?: { experimentSlug?: unknown; name?: unknown } };
  const slugSource = doc.slug ?? doc.workbenchState?.experimentSlug;
  const nameSource = doc.name ?? doc.workbenchState?.name;
  const slug = typeof slugSource === 'string' ? slugSource : typeof nameSource === 'string' ? slugify(nameSource) : undefined;
  if (!slug) throw new CliError(`${file} needs a slug or a name`);
  return { slug, body: text, contentType: isJson ? 'application/json' : 'application/yaml' };
}
