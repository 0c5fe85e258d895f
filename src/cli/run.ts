// `assay run SLUG`: starts a run on a server, shows live progress, prints the summary and the
// runUrl, and exits 0 when the run passed its threshold, 1 when not, 2 when it could not run.
import { readFile, writeFile } from 'node:fs/promises';
import type { Command } from 'commander';
import { type AssayClient, ApiError, type Comparison, type RunSummary, type StartRunBody } from '../client/index.js';
import { CliError } from './cli-error.js';
import { formatComparison, markdownReport, publishMarkdown } from './compare.js';
import { asCliError, connect } from './connection.js';
import { progressView } from './progress.js';
import { formatSummary } from './summary.js';

export interface RunOptions {
  endpoint?: string;
  apiKey?: string;
  param?: string[];
  data?: string;
  rows?: string;
  wait?: boolean;
  timeout?: string;
  failUnder?: string;
  junit?: string;
  json?: string;
  baseline?: string;
  failOnRegression?: boolean;
  maxDrop?: string;
  markdown?: string;
}

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
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    throw new CliError(`Cannot read ${file}: ${(error as NodeJS.ErrnoException).code ?? String(error)}`);
  }
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
  if (opts.data) body.data = await readRows(opts.data);
  if (opts.rows) {
    const rows = opts.rows.split(',').map((s) => s.trim());
    if (rows.some((r) => !/^\d+$/.test(r))) throw new CliError(`--rows takes comma-separated row numbers (got "${opts.rows}")`);
    body.row_indices = rows.map(Number);
  }
  return body;
}

/**
 * 0 passed, 1 not passed. --fail-under wins, then the experiment's threshold, then "no failed
 * cell" — unless a regression gate decides (`gated`): a suite that always has some failing rows
 * is then judged against its baseline instead.
 */
export function verdict(status: string, summary: RunSummary | undefined, failUnder: number | undefined, gated = false): 0 | 1 {
  if (status !== 'completed' || !summary) return 1;
  if (failUnder !== undefined) return summary.passRate >= failUnder ? 0 : 1;
  if (summary.threshold) return summary.threshold.met ? 0 : 1;
  if (gated) return 0;
  return summary.totalFailed > 0 ? 1 : 0;
}

/** The regression gate: 1 when the comparison regressed (--fail-on-regression) or the pass rate fell more than maxDrop points. */
export function regressionGate(comparison: Comparison | undefined, drop: number | undefined, opts: { failOnRegression: boolean; maxDrop: number | undefined }): 0 | 1 {
  if (!comparison) return 0;
  if (opts.failOnRegression && comparison.verdict === 'regressed') return 1;
  if (opts.maxDrop !== undefined && drop !== undefined && drop > opts.maxDrop) return 1;
  return 0;
}

export async function runCommand(slug: string, opts: RunOptions, out: NodeJS.WriteStream = process.stdout): Promise<number> {
  const failUnder = opts.failUnder === undefined ? undefined : Number(opts.failUnder);
  if (failUnder !== undefined && !(failUnder >= 0 && failUnder <= 100)) throw new CliError('--fail-under takes a percentage between 0 and 100');
  const timeoutS = opts.timeout === undefined ? undefined : Number(opts.timeout);
  if (timeoutS !== undefined && !(timeoutS > 0)) throw new CliError('--timeout takes a number of seconds');
  const maxDrop = opts.maxDrop === undefined ? undefined : Number(opts.maxDrop);
  if (maxDrop !== undefined && !(maxDrop >= 0 && maxDrop <= 100)) throw new CliError('--max-drop takes percentage points between 0 and 100');
  const gated = opts.failOnRegression === true || maxDrop !== undefined;
  if (gated && !opts.baseline) throw new CliError('--fail-on-regression and --max-drop need --baseline previous|RUN_ID');
  if (opts.baseline && opts.wait === false) throw new CliError('--baseline compares the finished run: it cannot be used with --no-wait');
  const client = connect(opts);
  const body = await buildRunBody(opts);
  // A run id is stored as the run's baseline (and refused at start when missing); `previous` is resolved at comparison time.
  if (opts.baseline && opts.baseline !== 'previous') body.baselineRunId = opts.baseline;
  try {
    const started = await client.startRun(slug, body);
    out.write(`Run ${started.runId} started: ${started.total} cells\n  ${started.runUrl}\n`);
    if (opts.wait === false) return 0;

    const view = progressView(started.total, out);
    const controller = new AbortController();
    const timer = timeoutS !== undefined ? setTimeout(() => controller.abort(), timeoutS * 1000) : undefined;
    const failing = new Set<string>();
    try {
      for await (const event of client.events(started.runId, { signal: controller.signal })) {
        if ((event.type === 'target_result' && event.error !== undefined) || (event.type === 'evaluator_result' && (event.result.status === 'error' || (event.result.status === 'processed' && event.result.passed === false)))) {
          failing.add(`${event.rowIndex}/${event.targetId}/${event.repeat}`);
        }
        if (event.type === 'progress') view.update(event.completed, failing.size);
      }
    } finally {
      view.stop();
      if (timer) clearTimeout(timer);
    }
    if (controller.signal.aborted) {
      out.write(`\nTimed out after ${timeoutS} s; the run goes on at ${started.runUrl}\n`);
      return 2;
    }
    const final = await client.getRun(started.runId);
    out.write(formatSummary(final.status, final.summary, started.runUrl));
    if (final.status === 'failed') out.write(`  failed: ${final.message ?? final.error}\n`);
    const compared = opts.baseline ? await compareWithBaseline(client, started.runId, opts.baseline, out) : undefined;
    if (opts.junit) await writeFile(opts.junit, await client.exportRun(started.runId, 'junit'));
    if (opts.json) await writeFile(opts.json, `${JSON.stringify(final, null, 2)}\n`);
    if (opts.markdown || process.env.GITHUB_STEP_SUMMARY) {
      await publishMarkdown(markdownReport(started.runId, final.status, final.summary, compared?.comparison, started.runUrl), opts.markdown);
    }
    const drop = compared?.baselinePassRate !== undefined && final.summary ? compared.baselinePassRate - final.summary.passRate : undefined;
    if (drop !== undefined && maxDrop !== undefined) out.write(`  pass rate ${drop > 0 ? `fell ${drop.toFixed(1)}` : `rose ${(-drop).toFixed(1)}`} points against the baseline (max drop ${maxDrop})\n`);
    const gate = regressionGate(compared?.comparison, drop, { failOnRegression: opts.failOnRegression === true, maxDrop });
    return (verdict(final.status, final.summary, failUnder, gated) || gate) as 0 | 1;
  } catch (error) {
    throw asCliError(error);
  }
}

/** The comparison with the baseline, printed; a first run with `previous` has none, which is said and not an error. */
async function compareWithBaseline(client: AssayClient, runId: string, baseline: string, out: NodeJS.WriteStream): Promise<{ comparison: Comparison; baselinePassRate: number | undefined } | undefined> {
  let comparison: Comparison;
  try {
    comparison = await client.compare(runId, { baseline, change: 'regressed', limit: 100 });
  } catch (error) {
    if (baseline === 'previous' && error instanceof ApiError && error.status === 404) {
      out.write('\nNo previous finished run to compare with: nothing to gate on.\n');
      return undefined;
    }
    throw error;
  }
  out.write(formatComparison(comparison));
  const base = await client.getRun(comparison.baselineRunId);
  return { comparison, baselinePassRate: base.summary?.passRate };
}

export function registerRunCommand(program: Command): void {
  program
    .command('run')
    .argument('<slug>', 'experiment slug')
    .option('--endpoint <url>', 'Assay server (default $ASSAY_ENDPOINT, $LANGWATCH_ENDPOINT or http://localhost:5560)')
    .option('--api-key <key>', 'project API key (default $ASSAY_API_KEY or $LANGWATCH_API_KEY)')
    .option('--param <k=v>', 'a run parameter merged into every row (repeatable)', (v: string, prev: string[] = []) => [...prev, v])
    .option('--data <file>', 'rows to run instead of the saved dataset (.jsonl or .csv)')
    .option('--rows <list>', 'only these row numbers, e.g. 0,2,5')
    .option('--no-wait', 'start the run and exit')
    .option('--timeout <seconds>', 'stop waiting after this long (exit 2)')
    .option('--fail-under <pct>', 'exit 1 when the pass rate is below this percentage')
    .option('--junit <file>', 'write a JUnit XML report')
    .option('--json <file>', 'write the final run (with its summary) as JSON')
    .option('--baseline <run>', 'compare the finished run with this run id, or "previous" (the previous finished run)')
    .option('--fail-on-regression', 'exit 1 when the comparison says "regressed" (needs --baseline)')
    .option('--max-drop <points>', 'exit 1 when the pass rate fell more than this many points against the baseline (needs --baseline)')
    .option('--markdown <file>', 'write the summary (and comparison) as Markdown; appended to $GITHUB_STEP_SUMMARY when set')
    .description('Run an experiment and wait for its result (exit 0 passed, 1 not passed, 2 could not run)')
    .action(async (slug: string, opts: RunOptions) => {
      process.exitCode = await runCommand(slug, opts);
    });
}
