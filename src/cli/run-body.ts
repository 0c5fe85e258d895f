// The body `assay run` starts a run with: --param values, --data rows read from a file (or
// --dataset, a saved dataset's slug or id),
// --rows indices (checked against --data's rows, the one case the CLI knows the row count),
// and --max-errors, --repeats, --concurrency and --metadata as the body's fields of those names.
import type { StartRunBody } from '../client/index.js';
import { CliError } from './cli-error.js';
import { parseConcurrency, parseMaxErrors, parseMetadata, parseRepeats, type RunOptions } from './run-options.js';
import { parseRows, rowList } from './row-numbers.js';
import { bodyLimit, readTextFile } from './text-file.js';
import { counted } from './plural.js';

/** `--param k=v`: true/false become booleans and numbers that print back unchanged numbers (as LangWatch's CLI does). */
export function parseParam(raw: string): [string, string | number | boolean] {
  const eq = raw.indexOf('=');
  if (eq <= 0) throw new CliError(`--param needs key=value (got "${raw}")`);
  const key = raw.slice(0, eq);
  const value = raw.slice(eq + 1);
  if (value === 'true' || value === 'false') return [key, value === 'true'];
  if (value.trim() !== '' && String(Number(value)) === value) return [key, Number(value)];
  return [key, value];
}

async function readRows(file: string): Promise<Record<string, unknown>[]> {
  // Regular, within the server's body limit (the rows are sent in one request), UTF-8, no byte order mark.
  const text = await readTextFile(file, bodyLimit());
  // `assay serve` loads this module too (cli/main.ts): the CSV parser only when a file needs it.
  const csv = file.toLowerCase().endsWith('.csv') ? await import('csv-parse/sync') : null;
  try {
    if (csv !== null) return csv.parse(text, { columns: true, bom: true, skip_empty_lines: true }) as Record<string, unknown>[];
    return text
      .split('\n')
      .map((l, i) => [l, i + 1] as const)
      .filter(([l]) => l.trim() !== '')
      .map(([l, n]) => {
        try {
          return JSON.parse(l) as Record<string, unknown>;
        } catch {
          throw new CliError(`${file} line ${n} is not valid JSON`);
        }
      });
  } catch (error) {
    if (error instanceof CliError) throw error;
    throw new CliError(`${file} is not valid CSV: ${error instanceof Error ? error.message : String(error)}`);
  }
}

export async function buildRunBody(opts: RunOptions): Promise<StartRunBody> {
  const body: StartRunBody = {};
  if (opts.param && opts.param.length > 0) body.parameters = Object.fromEntries(opts.param.map(parseParam));
  if (opts.maxErrors !== undefined) body.maxErrors = parseMaxErrors(opts.maxErrors);
  if (opts.repeats !== undefined) body.repeats = parseRepeats(opts.repeats);
  if (opts.concurrency !== undefined) body.concurrency = parseConcurrency(opts.concurrency);
  if (opts.metadata && opts.metadata.length > 0) body.metadata = parseMetadata(opts.metadata);
  if (opts.data && opts.dataset) throw new CliError('--data and --dataset both name the rows to run: give one');
  if (opts.data) body.data = await readRows(opts.data);
  if (opts.dataset) body.dataset_id = opts.dataset;
  if (opts.rows !== undefined) {
    body.row_indices = parseRows(opts.rows);
    const count = body.data?.length;
    const outside = count === undefined ? [] : [...new Set(body.row_indices.filter((r) => r >= count))];
    if (outside.length > 0) throw new CliError(`--rows: ${opts.data} has ${counted(count ?? 0, 'row')}, so ${rowList(outside)} ${outside.length > 1 ? 'are' : 'is'} not in it`);
  }
  return body;
}
