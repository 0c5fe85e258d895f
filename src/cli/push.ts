// `assay push FILE`: create or update an experiment from a YAML or JSON file, through the
// server's API (PUT /api/experiments/{slug}, idempotent).
import { readFile } from 'node:fs/promises';
import type { Command } from 'commander';
import { slugify } from '../core/model/slug.js';
import { CliError } from './cli-error.js';
import { asCliError, connect } from './connection.js';

export function registerPushCommand(program: Command): void {
  program
    .command('push')
    .argument('<file>', 'experiment document (.yaml, .yml or .json)')
    .option('--endpoint <url>', 'Assay server (default $ASSAY_ENDPOINT or http://localhost:5560)')
    .option('--api-key <key>', 'project API key (default $ASSAY_API_KEY)')
    .description('Create or update an experiment from a file')
    .action(async (file: string, opts: { endpoint?: string; apiKey?: string }) => {
      const client = connect(opts);
      const { slug, body, contentType } = await readDocument(file);
      try {
        const saved = await client.request<{ slug: string; version: number; id: string }>('PUT', `/api/experiments/${encodeURIComponent(slug)}`, body, contentType);
        console.log(`${saved.status === 201 ? 'Created' : 'Updated'} experiment ${saved.body.slug} (version ${saved.body.version})`);
      } catch (error) {
        throw asCliError(error);
      }
    });
}

async function readDocument(file: string): Promise<{ slug: string; body: string; contentType: string }> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
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

