// `assay run SLUG`: starts a run on a server, shows live progress, prints the summary and the
// runUrl, and exits 0 when the run passed its threshold, 1 when not, 2 when it could not run.
// Following the run and reporting on it are run-report.ts's, shared with `assay watch` and
// `assay resume`.
import type { Command } from 'commander';
import { type AssayClient, ApiError, type RunStarted, type RunStatusBody } from '../client/index.js';
import { runEstimateSchema } from '../core/model/estimate.js';
import { runStartedSchema } from '../core/model/run-api.js';
import { expectAnswer } from './answers.js';
import { CliError } from './cli-error.js';
import { formatEstimate } from './estimate.js';
import { ensureFinished, fetchRun } from './compare.js';
import { connect } from './connection.js';
import { asSlugError } from './experiment-hint.js';
import { runIssueWords } from './flag-words.js';
import { guardOutput } from './output.js';
import { counted } from './plural.js';
import { checkReportFiles, type ReportFile } from './report-files.js';
import { buildRunBody } from './run-body.js';
import { checkRunOptions, type RunOptions, waitingOptions } from './run-options.js';
import { followAndReport, stopped } from './run-report.js';
import { stopWaiting } from './stop-waiting.js';

export { buildRunBody, parseParam } from './run-body.js';
export type { RunOptions } from './run-options.js';
export { RECONNECT_FOR_MS, regressionGate, verdict } from './run-report.js';

export async function runCommand(slug: string, opts: RunOptions, out: NodeJS.WriteStream = process.stdout): Promise<number> {
  const checks = checkRunOptions(opts);
  const { timeoutS } = checks;
  const body = await buildRunBody(opts);
  // Only a run waited for writes its reports and the step summary (--no-wait refuses the report flags).
  const reports: ReportFile[] = [['--junit', opts.junit, 'JUnit report'], ['--json', opts.json, 'JSON report'], ['--markdown', opts.markdown, 'Markdown report']];
  await checkReportFiles(reports, opts.wait === false ? {} : process.env);
  // A run id is stored as the run's baseline (checked before the start: checkBaseline); `previous` is resolved at comparison time.
  if (opts.baseline && opts.baseline !== 'previous') body.baselineRunId = opts.baseline;
  const output = guardOutput(out);
  const stop = stopWaiting(timeoutS);
  let client: AssayClient;
  try {
    client = connect(opts, process.env, stop.signal);
  } catch (error) {
    stop.dispose();
    throw error;
  }
  const runPath = `POST /api/experiments/${encodeURIComponent(slug)}/run`;
  let started: RunStarted | undefined;
  try {
    if (opts.estimate === true) {
      const path = `POST /api/experiments/${encodeURIComponent(slug)}/estimate`;
      output.write(formatEstimate(expectAnswer(runEstimateSchema, await client.estimateRun(slug, body), client.endpoint, path)));
      return 0;
    }
    if (body.baselineRunId) await checkBaseline(client, opts.baseline!);
    started = expectAnswer(runStartedSchema, await client.startRun(slug, body), client.endpoint, runPath);
    output.write(`Run ${started.runId} started: ${counted(started.total, 'cell')}\n  ${started.runUrl}\n`);
    if (opts.wait === false) return 0;
    return await followAndReport(client, started, { opts, checks, output, out, stop, ...(body.row_indices && !body.data ? { rowIndices: body.row_indices } : {}) });
  } catch (error) {
    // Stopping aborts whatever request was in flight: report the stop, not the aborted request.
    const cause = stop.cause();
    if (cause) return stopped(cause, started, output, client.endpoint);
    // A misspelt slug gets the project's closest experiment as a hint; issues name the flags that set the fields.
    const reported = await asSlugError(error, client, slug);
    throw reported instanceof CliError ? new CliError(runIssueWords(reported.message), reported.exitCode) : reported;
  } finally {
    stop.dispose();
  }
}

/**
 * A baseline run id is checked before the run starts: one that does not exist or is still
 * running would be refused only once the whole run is over (a comparison with a run that has
 * not ended judges its cells so far).
 */
async function checkBaseline(client: AssayClient, runId: string): Promise<void> {
  let baseline: RunStatusBody;
  try {
    baseline = await fetchRun(client, runId);
  } catch (error) {
    if (error instanceof ApiError && error.status === 404) throw new CliError(`Baseline run not found: ${runId}`);
    throw error;
  }
  ensureFinished(baseline, 'baseline');
}

export function registerRunCommand(program: Command): void {
  const run = program
    .command('run')
    .argument('<slug>', 'experiment slug')
    .option('--endpoint <url>', 'Assay server (default $ASSAY_ENDPOINT, $LANGWATCH_ENDPOINT or http://localhost:5560)')
    .option('--api-key <key>', 'project API key (default $ASSAY_API_KEY or $LANGWATCH_API_KEY)')
    .option('--param <k=v>', 'a run parameter merged into every row (repeatable)', (v: string, prev: string[] = []) => [...prev, v])
    .option('--data <file>', 'rows to run instead of the saved dataset (.jsonl or .csv)')
    .option('--dataset <slug>', "a saved dataset to run instead of the experiment's (slug or id; `assay datasets list`)")
    .option('--rows <list>', 'only these row numbers and ranges (from 0), e.g. 0,2,5 or 0-4,7,10-12; at most 100000')
    .option('--repeats <n>', "run each cell n times, 1-100 (default: the experiment's execution.repeats, else 1)")
    .option('--concurrency <n>', "cells run at once, 1-1000 (default: the experiment's execution.concurrency, else 10)")
    .option('--metadata <k=v>', 'a label kept with the run, e.g. commit=$GITHUB_SHA (repeatable; values stay text)', (v: string, prev: string[] = []) => [...prev, v])
    .option('--max-errors <n>', 'stop the run once this many target calls have failed (default: once its first 20 all failed)')
    .option('--no-wait', 'start the run and exit')
    .option('--estimate', 'print what the run would cost (from the experiment\'s earlier runs) and exit, starting nothing');
  // The wait's flags and reports, shared with `assay watch` and `assay resume`.
  waitingOptions(run)
    .description('Run an experiment and wait for its result (exit 0 passed, 1 not passed, 2 could not run)')
    .action(async (slug: string, opts: RunOptions) => {
      process.exitCode = await runCommand(slug, opts);
    });
}
