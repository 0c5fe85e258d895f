// `assay push FILE`: create or update an experiment from a YAML or JSON file, through the
// server's API (PUT /api/experiments/{slug}, idempotent). A YAML file is read here with the
// server's own YAML reader (its guards and refusals) and sent as JSON: the server takes YAML
// bodies of at most 128 KiB (YAML parses slowly on its main thread), and a promptfoo-sized
// document of a few thousand inline rows is larger.
import { z } from 'zod';
import type { Command } from 'commander';
import { slugify } from '../core/model/slug.js';
import { experimentResponseSchema, saveWarningsSchema } from '../http/routes/experiments.js';
import { expectAnswer } from './answers.js';
import { CliError } from './cli-error.js';
import { ApiError } from '../client/errors.js';
import { asCliError, connect } from './connection.js';
import { guardOutput } from './output.js';
import { parseErrorText } from './parse-error.js';
import { terminalText } from './terminal-text.js';
import { isAssayError } from '../core/errors.js';
import { bodyLimit, byteSize, readTextFile } from './text-file.js';

/** The fields of the server's answer that push prints. */
const savedSchema = experimentResponseSchema.pick({ id: true, slug: true, version: true }).extend({ unchanged: z.literal(true).optional(), warnings: saveWarningsSchema });

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
      const { slug, text, body, contentType } = await readDocument(file);
      const path = `/api/experiments/${encodeURIComponent(slug)}`;
      try {
        const answer = await client.request('PUT', path, body, contentType);
        const saved = expectAnswer(savedSchema, answer.body, client.endpoint, `PUT ${path}`);
        const what = answer.status === 201 ? 'Created' : saved.unchanged ? 'Unchanged:' : 'Updated';
        output.write(`${what} experiment ${saved.slug} (version ${saved.version})\n`);
        // Save warnings (names the inline rows lack; a run of them is refused at its start): printed
        // at their line of the file, as a refusal's issues are; the save stands.
        const warnings = saved.warnings ?? [];
        const lineOf = warnings.length > 0 ? await locator(text) : undefined;
        for (const w of warnings) {
          const line = lineOf?.(w.path, w.message);
          guardOutput(process.stderr).write(`warning: ${line === undefined ? '' : `${file}:${line}: `}${terminalText(w.path.join('.') || '(root)', 200)}: ${terminalText(w.message, 2000)}\n`);
        }
      } catch (error) {
        // Issues are located in the file as written (its YAML), whatever was sent, and listed in its order.
        const lineOf = await issueLines(text, error);
        const { shown, left } = fewerIssues(inFileOrder(error, lineOf));
        const refusal = asCliError(shown, lineOf && ((path, message) => {
          const line = lineOf(path, message);
          return line === undefined ? undefined : `${file}:${line}`;
        }));
        throw left > 0 && refusal instanceof CliError ? new CliError(`${refusal.message}\n  … and ${left} more`, refusal.exitCode) : refusal;
      }
    });
}

/**
 * The issues a refusal lists at most: a save names every problem of a document at once, and a
 * generated file can have hundreds; past this many, the terminal would scroll its headline away.
 */
export const MAX_ISSUES_SHOWN = 50;

/** A refusal with at most MAX_ISSUES_SHOWN issues, and how many were left out. */
function fewerIssues(error: unknown): { shown: unknown; left: number } {
  const issues = error instanceof ApiError ? error.body.issues ?? [] : [];
  if (!(error instanceof ApiError) || issues.length <= MAX_ISSUES_SHOWN) return { shown: error, left: 0 };
  return { shown: new ApiError(error.status, { ...error.body, issues: issues.slice(0, MAX_ISSUES_SHOWN) }), left: issues.length - MAX_ISSUES_SHOWN };
}

type LineOf = (path: readonly (string | number)[], message: string) => number | undefined;

/** The file's line of each issue the server names in `text`; the YAML library is loaded only when there is one. */
async function locator(text: string): Promise<LineOf> {
  const { issueLocator } = await import('./issue-lines.js');
  return issueLocator(text);
}

/** The file's line of each issue of a refused document. */
async function issueLines(text: string, error: unknown): Promise<LineOf | undefined> {
  if (!(error instanceof ApiError) || !error.body.issues?.length) return undefined;
  return locator(text);
}

/**
 * The refusal with its issues in the order of their lines: the server lists the schema's issues
 * before the checks' (a code target's compile error after a later evaluator's misspelt key), a
 * reader goes down the file. Those without a line (a field the document lacks) come first.
 */
function inFileOrder(error: unknown, lineOf: LineOf | undefined): unknown {
  if (!lineOf || !(error instanceof ApiError) || !error.body.issues) return error;
  const issues = error.body.issues.map((issue) => ({ issue, line: lineOf(issue.path, issue.message) ?? 0 }));
  // Sorting is stable: issues on one line keep the server's order.
  issues.sort((a, b) => a.line - b.line);
  return new ApiError(error.status, { ...error.body, issues: issues.map((i) => i.issue) });
}

async function readDocument(file: string): Promise<{ slug: string; text: string; body: string; contentType: string }> {
  // Regular, within the server's body limit, UTF-8; its byte order mark dropped (JSON.parse refuses one).
  const limit = bodyLimit();
  const text = await readTextFile(file, limit);
  const isJson = file.toLowerCase().endsWith('.json');
  let parsed: unknown;
  if (isJson) {
    try {
      parsed = JSON.parse(text);
    } catch (error) {
      throw new CliError(`${file} is not valid JSON: ${error instanceof Error ? parseErrorText(error.message) : String(error)}`);
    }
  } else {
    parsed = await readYaml(file, text, limit);
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw new CliError(`${file} must hold an experiment object`);
  const doc = parsed as { slug?: unknown; name?: unknown; workbenchState?: { experimentSlug?: unknown; name?: unknown } };
  const slugSource = doc.slug ?? doc.workbenchState?.experimentSlug;
  const nameSource = doc.name ?? doc.workbenchState?.name;
  const slug = typeof slugSource === 'string' ? slugSource : typeof nameSource === 'string' ? slugify(nameSource) : undefined;
  if (!slug) throw new CliError(`${file} needs a slug or a name`);
  return { slug, text, body: isJson ? text : JSON.stringify(parsed), contentType: 'application/json' };
}

/**
 * The JSON value of a YAML file, read as the server reads a YAML body (http/yaml-body.ts: no
 * values JSON cannot hold, duplicate keys refused, aliases counted in full against `limit`), so
 * sending it as JSON changes nothing but the size the server accepts. `assay serve` loads this
 * module too (cli/main.ts): the YAML library is loaded only when a file needs it.
 */
async function readYaml(file: string, text: string, limit: number): Promise<unknown> {
  const { parseYamlBody } = await import('../http/yaml-body.js');
  try {
    return await parseYamlBody(text, limit);
  } catch (error) {
    if (!isAssayError(error)) throw error;
    if (error.code === 'payload_too_large') {
      const expanded = typeof error.meta.expandedBytes === 'number' ? error.meta.expandedBytes : undefined;
      throw new CliError(
        `${file} comes to ${expanded === undefined ? 'more' : byteSize(expanded)} as JSON (each alias counted as a copy of its anchor), over the server's request body limit of ${byteSize(limit)} (ASSAY_MAX_BODY_BYTES; if your server allows more, set it for this command too)`,
      );
    }
    if (error.code === 'invalid_yaml') {
      // The yaml library's own message, on one line with the offending text, for a syntax error.
      const yaml = (await import('yaml')).default;
      let syntax: string | undefined;
      try {
        yaml.parse(text);
      } catch (cause) {
        syntax = cause instanceof Error ? parseErrorText(cause.message) : String(cause);
      }
      // A value JSON cannot hold (a set, a timestamp, .inf) is valid YAML: the server's words and line.
      throw new CliError(syntax === undefined ? `${file}: ${error.message}` : `${file} is not valid YAML: ${syntax}`);
    }
    throw new CliError(`${file}: ${error.message}`);
  }
}
