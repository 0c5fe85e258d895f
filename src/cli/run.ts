// `assay run SLUG`: starts a run on a server, shows live progress, prints the summary and the
// runUrl, and exits 0 when the run passed its threshold, 1 when not, 2 when it could not run.
import type { Command } from 'commander';
import { type AssayClient, ApiError, type Comparison, type RetryNotice, type RunStarted, type RunStatusBody, type RunSummary, StreamLostError } from '../client/index.js';
import { runEstimateSchema } from '../core/model/estimate.js';
import { runStartedSchema } from '../core/model/run-api.js';
import { expectAnswer } from './answers.js';
import { CliError } from './cli-error.js';
import { formatEstimate } from './estimate.js';
import { ensureFinished, fetchComparison, fetchRun, formatComparison, markdownReport } from './compare.js';
import { asCliError, connect } from './connection.js';
import { guardOutput, type Output } from './output.js';
import { progressView } from './progress.js';
import { checkReportFiles, publishMarkdown, type ReportFile, writeExportReport, writeReport } from './report-files.js';
import { buildRunBody } from './run-body.js';
import { rowList } from './row-numbers.js';
import { checkRunOptions, type RunOptions } from './run-options.js';
import { signalExitCode, type StopCause, stopWaiting } from './stop-waiting.js';
import { Backoffs, backoffText } from '../client/backoffs.js';
import { terminalText } from './terminal-text.js';
import { freeTargets } from './costs.js';
import { formatSummary } from './summary.js';

export { buildRunBody, parseParam } from './run-body.js';
export type { RunOptions } from './run-options.js';

/**
 * 0 passed, 1 not passed. --fail-under wins, then the experiment's threshold, then "no failed
 * cell" — unless a regression gate decides (`gated`): a suite that always has some failing rows
 * is then judged against its baseline instead.
 */
export function verdict(status: string, summary: RunSummary | undefined, failUnder: number | undefined, gated = false): 0 | 1 {
  if (status !== 'completed' || !summary) return 1;
  // A run of no cell evaluated nothing: it cannot pass a gate (e.g. --rows past the dataset's end).
  if (summary.totalCells === 0) return 1;
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

/**
 * Without --timeout, how long `assay run` keeps reconnecting to a run's event stream while every
 * attempt fails (a server restarting, its proxy answering 502): runs survive restarts, and two
 * minutes covers a restart; longer, and a CI job would wait on a server that is gone. With
 * --timeout the command reconnects until it runs out.
 */
export const RECONNECT_FOR_MS = 120_000;

export async function runCommand(slug: string, opts: RunOptions, out: NodeJS.WriteStream = process.stdout): Promise<number> {
  const { failUnder, timeoutS, maxDrop, gated } = checkRunOptions(opts);
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
    output.write(`Run ${started.runId} started: ${started.total} cells\n  ${started.runUrl}\n`);
    if (opts.wait === false) return 0;
    await followProgress(client, started, stop.signal, out, output, timeoutS === undefined ? RECONNECT_FOR_MS : Infinity);
    const cause = stop.cause();
    if (cause) return stopped(cause, started, output, client.endpoint);
    const final = await fetchRun(client, started.runId);
    const free = await freeTargets(client, started.runId);
    output.write(formatSummary(final.status, final.summary, started.runUrl, free));
    // The message quotes the first failed call's answer: a provider's or an agent's text.
    if (final.status === 'failed') output.write(`  failed: ${terminalText(final.message ?? final.error ?? 'unknown', 500)}\n`);
    if (final.status === 'completed' && body.row_indices && !body.data) await warnMissingRows(client, started.runId, body.row_indices, output);
    if (final.summary?.totalCells === 0) output.write('  no cell was run: nothing was evaluated, so the run does not pass\n');
    // The reports that do not depend on the comparison first: a comparison that fails must not lose them.
    if (opts.json) await writeReport(opts.json, `${JSON.stringify(final, null, 2)}\n`, 'JSON report');
    if (opts.junit) await writeExportReport(client, started.runId, 'junit', opts.junit, 'JUnit report');
    let compared: Awaited<ReturnType<typeof compareWithBaseline>>;
    let comparisonFailure: { error: unknown } | undefined;
    if (opts.baseline) {
      try {
        compared = await compareWithBaseline(client, started.runId, opts.baseline, output);
      } catch (error) {
        comparisonFailure = { error };
      }
    }
    if (opts.markdown || process.env.GITHUB_STEP_SUMMARY) {
      await publishMarkdown(markdownReport(started.runId, final.status, final.summary, compared?.comparison, started.runUrl, free), opts.markdown);
    }
    if (comparisonFailure) throw comparisonFailure.error;
    const drop = compared?.baselinePassRate !== undefined && final.summary ? compared.baselinePassRate - final.summary.passRate : undefined;
    if (drop !== undefined && maxDrop !== undefined) output.write(`  pass rate ${drop > 0 ? `fell ${drop.toFixed(1)}` : `rose ${(-drop).toFixed(1)}`} points against the baseline (max drop ${maxDrop})\n`);
    const gate = regressionGate(compared?.comparison, drop, { failOnRegression: opts.failOnRegression === true, maxDrop });
    // A failed run could not do its work (every target call failed: a missing key, an unknown
    // model; or a fault of the run): that is a setup problem for CI to show as such, not a
    // quality verdict (SPEC §10: 2 when it could not run).
    if (final.status === 'failed') return 2;
    return (verdict(final.status, final.summary, failUnder, gated) || gate) as 0 | 1;
  } catch (error) {
    // Stopping aborts whatever request was in flight: report the stop, not the aborted request.
    const cause = stop.cause();
    if (cause) return stopped(cause, started, output, client.endpoint);
    if (error instanceof StreamLostError && started) throw new CliError(`${error.message}; the run goes on at ${started.runUrl}`);
    throw asCliError(error);
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

/** The progress line's note about calls backing off ('' when none); a reason quotes a provider, so it is made terminal-safe. */
function backoffNote(backoffs: Backoffs): string {
  const state = backoffs.current();
  return state ? backoffText(state, terminalText(state.reason, 80)) : '';
}

/** Shows the run's progress from its event stream until the run ends or `signal` stops the wait. */
async function followProgress(client: AssayClient, started: RunStarted, signal: AbortSignal, out: NodeJS.WriteStream, output: Output, retryForMs: number): Promise<void> {
  const view = progressView(started.total, out, output.write);
  const failing = new Set<string>();
  const backoffs = new Backoffs();
  // The wait counts down between events too (a run held by a long Retry-After sends none).
  const ticker = setInterval(() => output.closed || view.note(backoffNote(backoffs)), 1000);
  ticker.unref();
  // One line when connections start failing (not at every attempt, nor when a healthy stream is cut and picked up at once).
  const onRetry = ({ error, attempt }: RetryNotice) => {
    if (attempt === 1) output.write(`\n  ${error.message}; reconnecting${retryForMs === Infinity ? '' : ` for up to ${retryForMs / 60_000} min`} (the run goes on on the server)\n`);
  };
  try {
    for await (const event of client.events(started.runId, { signal, retryForMs, onRetry })) {
      if ((event.type === 'target_result' && event.error !== undefined) || (event.type === 'evaluator_result' && (event.result.status === 'error' || (event.result.status === 'processed' && event.result.passed === false)))) {
        failing.add(`${event.rowIndex}/${event.targetId}/${event.repeat}`);
      }
      if (event.type === 'retrying') backoffs.retrying(event);
      if (event.type === 'target_result') backoffs.settled(event);
      if ((event.type === 'retrying' || event.type === 'target_result') && !output.closed) view.note(backoffNote(backoffs));
      if (event.type === 'progress' && !output.closed) view.update(event.completed, failing.size);
    }
  } finally {
    clearInterval(ticker);
    // Also on Ctrl-C: the terminal bar hides the cursor until stopped.
    view.stop();
  }
}

/** What the command says and exits with when it stopped waiting; the run goes on on the server. */
function stopped(cause: StopCause, started: RunStarted | undefined, output: Output, endpoint: string): number {
  if (cause.kind === 'timeout') {
    if (!started) throw new CliError(`Timed out after ${cause.seconds} s waiting for ${endpoint} to start the run`);
    output.write(`\nTimed out after ${cause.seconds} s; the run goes on at ${started.runUrl}\n`);
    return 2;
  }
  output.write(started ? `\nStopped waiting; the run goes on at ${started.runUrl}\n` : `\nStopped before ${endpoint} answered; the run may have started\n`);
  return signalExitCode(cause.signal);
}

/** Warns about --rows numbers past the saved dataset's end, which the server leaves out of the run. */
async function warnMissingRows(client: AssayClient, runId: string, requested: number[], output: Output): Promise<void> {
  const ran = new Set((await client.allResults(runId)).dataset.map((cell) => cell.index));
  const missing = [...new Set(requested.filter((r) => !ran.has(r)))];
  if (missing.length > 0) output.write(`  warning: --rows ${rowList(missing)} ${missing.length > 1 ? 'are' : 'is'} not in the dataset and ${missing.length > 1 ? 'were' : 'was'} not run\n`);
}

/** The comparison with the baseline, printed; a first run with `previous` has none, which is said and not an error. */
async function compareWithBaseline(client: AssayClient, runId: string, baseline: string, out: Output): Promise<{ comparison: Comparison; baselinePassRate: number | undefined } | undefined> {
  let comparison: Comparison;
  try {
    comparison = await fetchComparison(client, runId, { baseline, change: 'regressed', limit: 100 });
  } catch (error) {
    if (baseline === 'previous' && error instanceof ApiError && error.status === 404) {
      out.write('\nNo previous finished run to compare with: nothing to gate on.\n');
      return undefined;
    }
    throw error;
  }
  const base = await fetchRun(client, comparison.baselineRunId);
  ensureFinished(base, 'baseline');
  out.write(formatComparison(comparison));
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
    .option('--rows <list>', 'only these row numbers and ranges (from 0), e.g. 0,2,5 or 0-4,7,10-12; at most 100000')
    .option('--repeats <n>', "run each cell n times, 1-100 (default: the experiment's execution.repeats, else 1)")
    .option('--concurrency <n>', "cells run at once, 1-1000 (default: the experiment's execution.concurrency, else 10)")
    .option('--metadata <k=v>', 'a label kept with the run, e.g. commit=$GITHUB_SHA (repeatable; values stay text)', (v: string, prev: string[] = []) => [...prev, v])
    .option('--max-errors <n>', 'stop the run once this many target calls have failed (default: once its first 20 all failed)')
    .option('--no-wait', 'start the run and exit')
    .option('--estimate', 'print what the run would cost (from the experiment\'s earlier runs) and exit, starting nothing')
    .option('--timeout <seconds>', 'stop waiting after this long, the run going on (exit 2; Ctrl-C stops waiting too, exit 130)')
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
