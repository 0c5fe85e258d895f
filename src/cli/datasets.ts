// `assay datasets …`: saved datasets from the command line, as a CI job or a person with a CSV
// needs them — list, upload (CSV, JSON Lines or JSON), append, show a page of rows, delete —
// over the same API the web page's Datasets pages read (POST/GET /api/datasets…). Before, only
// curl uploaded a dataset (the README's recipe), and the CLI could run one by id but not make it.
import path from 'node:path';
import type { Command } from 'commander';
import { datasetListSchema, datasetPageSchema, datasetSchema, type DatasetView } from '../core/model/dataset-api.js';
import { expectAnswer } from './answers.js';
import { CliError } from './cli-error.js';
import { type ConnectOptions, withClient } from './connection.js';
import { column } from './labels.js';
import { guardOutput } from './output.js';
import { terminalText } from './terminal-text.js';
import { bodyLimit, readTextFile, uploadLimit } from './text-file.js';

const enc = encodeURIComponent;

/** How each file kind is sent: CSV and JSON Lines as text (streamed by the server), JSON as `{rows}`. */
type Upload = { kind: 'text'; contentType: string; body: string } | { kind: 'json'; rows: unknown[]; name?: string; slug?: string };

async function readUpload(file: string): Promise<Upload> {
  const ext = path.extname(file).toLowerCase();
  // A JSON body is parsed whole by the server (ASSAY_MAX_BODY_BYTES); CSV and JSON Lines stream.
  const text = ext === '.json' ? await readTextFile(file, bodyLimit()) : await readTextFile(file, uploadLimit(), 'upload limit of', 'ASSAY_MAX_UPLOAD_BYTES, and at most 512 MiB from the CLI');
  if (ext === '.csv') return { kind: 'text', contentType: 'text/csv', body: text };
  if (ext === '.jsonl' || ext === '.ndjson') return { kind: 'text', contentType: 'application/x-ndjson', body: text };
  if (ext !== '.json') throw new CliError(`${file}: a dataset file is .csv (a header line, then a row a line), .jsonl (one JSON object a line) or .json (an array of objects, or {"rows": […]})`);
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw new CliError(`${file} is not valid JSON: ${error instanceof Error ? error.message : String(error)}`);
  }
  if (Array.isArray(parsed)) return { kind: 'json', rows: parsed };
  const doc = parsed as { rows?: unknown; name?: unknown; slug?: unknown } | null;
  if (typeof doc !== 'object' || doc === null || !Array.isArray(doc.rows)) throw new CliError(`${file} must hold an array of row objects, or an object with "rows": [ … ]`);
  return { kind: 'json', rows: doc.rows, ...(typeof doc.name === 'string' ? { name: doc.name } : {}), ...(typeof doc.slug === 'string' ? { slug: doc.slug } : {}) };
}

function describe(d: DatasetView): string {
  const cols = d.columns.length === 0 ? 'no columns' : `columns: ${d.columns.slice(0, 8).join(', ')}${d.columns.length > 8 ? `, … (${d.columns.length})` : ''}`;
  return `${d.slug} (version ${d.version}, ${d.rowCount} ${d.rowCount === 1 ? 'row' : 'rows'}; ${cols})`;
}

function connectionOptions(command: Command): Command {
  return command
    .option('--endpoint <url>', 'Assay server (default $ASSAY_ENDPOINT, $LANGWATCH_ENDPOINT or http://localhost:5560)')
    .option('--api-key <key>', 'project API key (default $ASSAY_API_KEY or $LANGWATCH_API_KEY)');
}

export function registerDatasetCommands(program: Command): void {
  const datasets = program.command('datasets').description('Saved datasets: list, upload, append, show, delete');

  connectionOptions(datasets.command('list').description("List the project's datasets")).action(async (opts: ConnectOptions) => {
    const output = guardOutput(process.stdout);
    await withClient(opts, async (client) => {
      const answer = await client.request('GET', '/api/datasets?pageSize=200');
      const list = expectAnswer(datasetListSchema, answer.body, client.endpoint, 'GET /api/datasets');
      if (list.datasets.length === 0) {
        output.write('No datasets yet: upload one with `assay datasets upload FILE.csv`\n');
        return;
      }
      output.write(`${column('SLUG', 28)}  ${column('NAME', 28)}  ${'ROWS'.padStart(8)}  ${'VERSION'.padStart(7)}  COLUMNS\n`);
      for (const d of list.datasets) {
        output.write(`${`${column(d.slug, 28)}  ${column(d.name, 28)}  ${String(d.rowCount).padStart(8)}  ${String(d.version).padStart(7)}  ${terminalText(d.columns.join(', '), 60)}`.trimEnd()}\n`);
      }
      if (list.pagination.totalHits > list.datasets.length) output.write(`(${list.datasets.length} of ${list.pagination.totalHits} shown)\n`);
    });
  });

  connectionOptions(
    datasets
      .command('upload')
      .argument('<file>', '.csv (header line first), .jsonl (one JSON object a line) or .json (an array of rows, or {name?, slug?, rows})')
      .option('--name <name>', "the dataset's name (default: a JSON file's name, else the file's name without its extension)")
      .option('--slug <slug>', 'its slug (default: made from the name)')
      .description('Create a dataset from a file (version 1); `append` adds rows to an existing one'),
  ).action(async (file: string, opts: ConnectOptions & { name?: string; slug?: string }) => {
    const output = guardOutput(process.stdout);
    const upload = await readUpload(file);
    const fallback = path.basename(file, path.extname(file));
    await withClient(opts, async (client) => {
      let answer;
      if (upload.kind === 'text') {
        const query = `?name=${enc(opts.name ?? fallback)}${opts.slug ? `&slug=${enc(opts.slug)}` : ''}`;
        answer = await client.request('POST', `/api/datasets${query}`, upload.body, upload.contentType);
      } else {
        const slug = opts.slug ?? upload.slug;
        answer = await client.request('POST', '/api/datasets', { name: opts.name ?? upload.name ?? fallback, ...(slug ? { slug } : {}), rows: upload.rows });
      }
      const created = expectAnswer(datasetSchema, answer.body, client.endpoint, 'POST /api/datasets');
      output.write(`Created dataset ${describe(created)}\n  run an experiment on it: assay run SLUG --dataset ${created.slug}\n`);
    }).catch((error: unknown) => {
      if (error instanceof CliError && /is already taken/.test(error.message)) {
        throw new CliError(`${error.message}\n  hint: add rows to it with \`assay datasets append ${opts.slug ?? '<slug>'} ${file}\`, or upload under another --slug`);
      }
      throw error;
    });
  });

  connectionOptions(
    datasets
      .command('append')
      .argument('<dataset>', 'slug or id')
      .argument('<file>', '.csv, .jsonl or .json, as for upload')
      .option('--new-columns', "let the rows bring columns the dataset does not have (the rows already there read them as empty); without it they are refused")
      .description("Append the rows of a file to a dataset (a new version; runs that read an older one keep reading it). The rows have the dataset's columns"),
  ).action(async (dataset: string, file: string, opts: ConnectOptions & { newColumns?: boolean }) => {
    const output = guardOutput(process.stdout);
    const upload = await readUpload(file);
    await withClient(opts, async (client) => {
      const at = `/api/datasets/${enc(dataset)}/records${opts.newColumns ? '?newColumns=allow' : ''}`;
      const answer = upload.kind === 'text' ? await client.request('POST', at, upload.body, upload.contentType) : await client.request('POST', at, { rows: upload.rows });
      const updated = expectAnswer(datasetSchema, answer.body, client.endpoint, `POST ${at}`);
      output.write(`Appended to dataset ${describe(updated)}\n`);
    });
  });

  connectionOptions(
    datasets
      .command('show')
      .argument('<dataset>', 'slug or id')
      // Not --version: commander gives that to the program (`assay --version`) wherever it appears.
      .option('--dataset-version <n>', 'a version of the dataset (default: the latest)')
      .option('--offset <n>', 'first row (from 0)', '0')
      .option('--limit <n>', 'rows to show (at most 1000)', '20')
      .option('--jsonl', 'print the rows as JSON Lines (for scripts), without the header')
      .description("Show a dataset's header and a page of its rows"),
  ).action(async (dataset: string, opts: ConnectOptions & { datasetVersion?: string; offset: string; limit: string; jsonl?: boolean }) => {
    const output = guardOutput(process.stdout);
    const int = (flag: string, value: string, min: number, max: number): number => {
      if (!/^\d+$/.test(value) || Number(value) < min || Number(value) > max) throw new CliError(`${flag} must be a whole number from ${min} to ${max}, not "${value}"`);
      return Number(value);
    };
    const offset = int('--offset', opts.offset, 0, Number.MAX_SAFE_INTEGER);
    const limit = int('--limit', opts.limit, 1, 1000);
    const version = opts.datasetVersion === undefined ? undefined : int('--dataset-version', opts.datasetVersion, 1, Number.MAX_SAFE_INTEGER);
    await withClient(opts, async (client) => {
      const at = `/api/datasets/${enc(dataset)}?offset=${offset}&limit=${limit}${version === undefined ? '' : `&version=${version}`}`;
      const answer = await client.request('GET', at);
      const page = expectAnswer(datasetPageSchema, answer.body, client.endpoint, `GET ${at}`);
      if (opts.jsonl) {
        for (const row of page.rows) output.write(`${JSON.stringify(row)}\n`);
        return;
      }
      output.write(`Dataset ${page.name === page.slug ? '' : `${page.name}: `}${describe(page)}\n`);
      if (page.rows.length === 0) {
        output.write(offset > 0 ? `No rows from ${offset}: the dataset has ${page.rowCount}\n` : 'No rows\n');
        return;
      }
      const shown = page.columns.slice(0, 6);
      const width = Math.max(12, Math.floor(100 / Math.max(1, shown.length)));
      output.write(`${`${'#'.padStart(6)}  ${shown.map((c) => column(c, width)).join('  ')}`.trimEnd()}\n`);
      page.rows.forEach((row, i) => {
        const cells = shown.map((c) => column(cellText(row[c]), width));
        output.write(`${`${String(offset + i).padStart(6)}  ${cells.join('  ')}`.trimEnd()}\n`);
      });
      const more = page.columns.length > shown.length ? `; ${page.columns.length - shown.length} more columns (--jsonl shows every column)` : '';
      const next = page.nextOffset === null ? '' : `; next page: --offset ${page.nextOffset}`;
      output.write(`rows ${offset}–${offset + page.rows.length - 1} of ${page.rowCount}${more}${next}\n`);
    });
  });

  connectionOptions(
    datasets.command('delete').argument('<dataset>', 'slug or id').description('Delete a dataset (runs that used it stay readable; refused while an experiment runs it)'),
  ).action(async (dataset: string, opts: ConnectOptions) => {
    const output = guardOutput(process.stdout);
    await withClient(opts, async (client) => {
      await client.request('DELETE', `/api/datasets/${enc(dataset)}`);
      output.write(`Deleted dataset ${dataset}\n`);
    });
  });
}

function cellText(value: unknown): string {
  if (value === undefined || value === null) return '';
  return typeof value === 'string' ? value : JSON.stringify(value);
}
