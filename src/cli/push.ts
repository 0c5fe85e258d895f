// `assay push FILE`: create or update an experiment from a YAML or JSON file, through the
// server's API (PUT /api/experiments/{slug}, idempotent).
import { readFile, stat } from 'node:fs/promises';
import type { Command } from 'commander';
import { loadConfig } from '../config/env.js';
import { slugify } from '../core/model/slug.js';
import { experimentResponseSchema } from '../http/routes/experiments.js';
import { expectAnswer } from './answers.js';
import { CliError } from './cli-error.js';
import { asCliError, connect } from './connection.js';

/** The fields of the server's answer that push prints. */
const savedSchema = experimentResponseSchema.pick({ id: true, slug: true, version: true });

export function registerPushCommand(program: Command): void {
  program
    .command('push')
    .argument('<file>', 'experiment document (.yaml, .yml or .json)')
    .option('--endpoint <url>', 'Assay server (default $ASSAY_ENDPOINT, $LANGWATCH_ENDPOINT or http://localhost:5560)')
    .option('--api-key <key>', 'project API key (default $ASSAY_API_KEY or $LANGWATCH_API_KEY)')
    .description('Create or update an experiment from a file')
    .action(async (file: string, opts: { endpoint?: string; apiKey?: string }) => {
      const client = connect(opts);
      const { slug, body, contentType } = await readDocument(file);
      const path = `/api/experiments/${encodeURIComponent(slug)}`;
      try {
        const answer = await client.request('PUT', path, body, contentType);
        const saved = expectAnswer(savedSchema, answer.body, client.endpoint, `PUT ${path}`);
        console.log(`${answer.status === 201 ? 'Created' : 'Updated'} experiment ${saved.slug} (version ${saved.version})`);
      } catch (error) {
        throw asCliError(error);
      }
    });
}

/** Bytes as people read them (the limit is at least 1 KiB). */
const size = (bytes: number) => (bytes >= 1024 * 1024 ? `${(bytes / 1024 / 1024).toFixed(1)} MiB` : `${(bytes / 1024).toFixed(1)} KiB`);

/**
 * Refuses a file larger than the server's body limit before reading it: the server answers 413
 * anyway, and parsing a 25 MB YAML file first took 17 s and 1.7 GB. The limit is the server's
 * ASSAY_MAX_BODY_BYTES (default 10 MiB), read here from this command's environment.
 */
async function checkSize(file: string): Promise<void> {
  let bytes: number;
  try {
    bytes = (await stat(file)).size;
  } catch (error) {
    throw new CliError(`Cannot read ${file}: ${(error as NodeJS.ErrnoException).code ?? String(error)}`);
  }
  const limit = loadConfig({ ASSAY_MAX_BODY_BYTES: process.env.ASSAY_MAX_BODY_BYTES }).maxBodyBytes;
  if (bytes > limit) {
    throw new CliError(`${file} is ${size(bytes)}, over the server's request body limit of ${size(limit)} (ASSAY_MAX_BODY_BYTES; if your server allows more, set it for this command too)`);
  }
}

async function readDocument(file: string): Promise<{ slug: string; body: string; contentType: string }> {
  await checkSize(file);
  let text: string;
  try {
    // A byte order mark (Windows editors write one) is no part of the document: JSON.parse refuses it.
    text = (await readFile(file, 'utf8')).replace(/^\uFEFF/, '');
  } catch (error) {
    throw new CliError(`Cannot read ${file}: ${(error as NodeJS.ErrnoException).code ?? String(error)}`);
  }
  const isJson = file.toLowerCase().endsWith('.json');
  let parsed: unknown;
  // `assay serve` loads this module too (cli/main.ts): the YAML library only when a file needs it.
  const yaml = isJson ? null : (await import('yaml')).default;
  try {
    parsed = yaml === null ? JSON.parse(text) : yaml.parse(text);
  } catch (error) {
    throw new CliError(`${file} is not valid ${isJson ? 'JSON' : 'YAML'}: ${error instanceof Error ? error.message.split('\n')[0] : String(error)}`);
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw new CliError(`${file} must hold an experiment object`);
  const doc = parsed as { slug?: unknown; name?: unknown; workbenchState?: { experimentSlug?: unknown; name?: unknown } };
  const slugSource = doc.slug ?? doc.workbenchState?.experimentSlug;
  const nameSource = doc.name ?? doc.workbenchState?.name;
  const slug = typeof slugSource === 'string' ? slugSource : typeof nameSource === 'string' ? slugify(nameSource) : undefined;
  if (!slug) throw new CliError(`${file} needs a slug or a name`);
  return { slug, body: text, contentType: isJson ? 'application/json' : 'application/yaml' };
}
