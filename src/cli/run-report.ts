// Following a started run to its end and reporting on it: the progress bar, the summary, the
// report files, the comparison with a baseline and the exit code. `assay run` comes here once
// its run started; `assay watch` and `assay resume` once they found or resumed one.
import {
  type AssayClient, ApiError, type Comparison, ConnectionLostError, NoAnswerError, NotAssayError, type RetryNotice, type RunStarted, type RunSummary, StreamLostError, UnreachableError,
} from '../client/index.js';
import { Backoffs, backoffText } from '../client/backoffs.js';
import { SlotWaitsSeen, waitingText } from '../client/slot-waits.js';
import { skippedAll } from '../core/model/summary-judged.js';
import { CliError } from './cli-error.js';
import { ensureFinished, fetchComparison, fetchRun, formatComparison, markdownReport, nothingMatched } from './compare.js';
import { cellVerdicts, dropText, matchedPassRates } from './comparison-figures.js';
import { asCliError } from './connection.js';
import { FailingCells } from './failing-cells.js';
import { freeTargets } from './costs.js';
import { runMessageWords } from './flag-words.js';
import type { Output } from './output.js';
import { counted } from './plural.js';
import { progressView } from './progress.js';
import { publishMarkdown, writeExportReport, writeReport } from './report-files.js';
import { rowList } from './row-numbers.js';
import type { RunChecks, RunOptions } from './run-options.js';
import { signalExitCode, type StopCause, type StopWaiting } from './stop-waiting.js';
import { formatSummary, gateLines, noEvaluators, nothingChecked, type ReportNotes, skipWarnings } from './summary.js';
import { terminalText } from './terminal-text.js';

/**
 * 0 passed, 1 not passed. --fail-under wins, then the experiment's threshold, then "no failed
 * cell" — unless a regression gate decides (`gated`): a suite that always has some failing rows
 * is then judged against its baseline instead.
 */
export function verdict(status: string, summary: RunSummary | undefined, failUnder: number | undefined, gated = false): 0 | 1 {
  if (status !== 'completed' || !summary) return 1;
  // A run of no cell evaluated nothing: it cannot pass a gate (e.g. --rows past the dataset's end).
  if (summary.totalCells === 0) return 1;
  // Every evaluator skipped every cell (a mapping typo, code that returns nothing): each cell
  // "passed" for want of a check and the pass rate reads 100%; nothing was checked, nothing passes.
  if (nothingChecked(summary)) return 1;
  // No evaluators at all (outputs collected, not judged): no pass rate, so a pass-rate gate is
  // not met; without one, "no failed cell" (every target call answered) decides, as below.
  if (noEvaluators(summary) && (failUnder !== undefined || summary.threshold)) return 1;
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

/** What following a run needs from the command that started (or found) it. */
export interface FollowContext {
  /** The report flags (--junit, --json, --markdown, --baseline…), as given. */
  opts: Pick<RunOptions, 'junit' | 'json' | 'markdown' | 'baseline' | 'failOnRegression'>;
  checks: RunChecks;
  output: Output;
  out: NodeJS.WriteStream;
  stop: StopWaiting;
  /** The rows `--rows` asked for, to say which of them the dataset did not have. */
  rowIndices?: number[];
}

/**
 * Follows `started` to its end and reports: the summary, the files asked for, the comparison;
 * answers the exit code (0 passed, 1 not, 2 could not run; a stopped wait says so).
 */
export async function followAndReport(client: AssayClient, started: RunStarted, ctx: FollowContext): Promise<number> {
  const { opts, output, out, stop } = ctx;
  const { failUnder, timeoutS, maxDrop, gated } = ctx.checks;
  try {
    await followProgress(client, started, stop.signal, out, output, timeoutS === undefined ? RECONNECT_FOR_MS : Infinity);
    const cause = stop.cause();
    if (cause) return stopped(cause, started, output, client.endpoint);
    // The server may go away as the run ends (a deploy, a restart): the final reads wait for it as the event stream does.
    const again = persistent(stop.signal, timeoutS === undefined ? RECONNECT_FOR_MS : Infinity);
    const final = await again(() => fetchRun(client, started.runId));
    const free = await freeTargets(client, started.runId);
    const notes: ReportNotes | undefined = final.summary && {
      gate: gateLines(final.status, final.summary, failUnder, gated),
      warnings: skipWarnings(final.summary, await again(() => skipReasons(client, started.runId, final.summary!))),
    };
    output.write(formatSummary(final.status, final.summary, started.runUrl, free, notes));
    // The message quotes the first failed call's answer: a provider's or an agent's text.
    if (final.status === 'failed') output.write(`  failed: ${terminalText(runMessageWords(final.message ?? final.error ?? 'unknown', started.runId), 500)}\n`);
    if (final.status === 'completed' && ctx.rowIndices) await again(() => warnMissingRows(client, started.runId, ctx.rowIndices!, final.request?.rowCount, output));
    if (final.summary?.totalCells === 0) output.write('  no cell was run: nothing was evaluated, so the run does not pass\n');
    // The reports that do not depend on the comparison first: a comparison that fails must not lose them.
    if (opts.json) await writeReport(opts.json, `${JSON.stringify(final, null, 2)}\n`, 'JSON report');
    if (opts.junit) await again(() => writeExportReport(client, started.runId, 'junit', opts.junit!, 'JUnit report'));
    let compared: Awaited<ReturnType<typeof compareWithBaseline>>;
    let comparisonFailure: { error: unknown } | undefined;
    if (opts.baseline) {
      try {
        compared = await compareWithBaseline(client, started.runId, opts.baseline, output, again, maxDrop !== undefined);
      } catch (error) {
        comparisonFailure = { error };
      }
    }
    if (opts.markdown || process.env.GITHUB_STEP_SUMMARY) {
      await publishMarkdown(markdownReport(started.runId, final.status, final.summary, compared?.comparison, started.runUrl, free, notes), opts.markdown);
    }
    if (comparisonFailure) throw comparisonFailure.error;
    if (compared && nothingMatched(compared.comparison) && (opts.failOnRegression === true || maxDrop !== undefined)) {
      output.write('  the regression gate could not judge: no row of the run matches one of the baseline (exit 2)\n');
      return 2;
    }
    // Over the matched rows only: whole-run pass rates of other row scopes differ by their rows (docs/decisions.md).
    const rates = compared?.matchedRates;
    const drop = rates ? rates.baseline - rates.candidate : undefined;
    if (compared && !rates && maxDrop !== undefined) {
      output.write('  --max-drop could not judge: no cell of a target both runs ran is on a matched row (exit 2)\n');
      return 2;
    }
    if (rates && maxDrop !== undefined) {
      output.write(`  pass rate over the ${rates.rows} matched row${rates.rows === 1 ? '' : 's'} ${dropText(drop!)} against the baseline (${rates.baseline.toFixed(1)}% -> ${rates.candidate.toFixed(1)}%; max drop ${maxDrop})\n`);
    }
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
    if (error instanceof StreamLostError) throw new CliError(`${error.message}; the run goes on at ${started.runUrl}`);
    throw asCliError(error);
  }
}

/**
 * The progress line's note about calls backing off and calls waiting for a slot ('' when
 * none); a reason quotes a provider and a key's name is a project's, so both are made terminal-safe.
 */
function waitsNote(backoffs: Backoffs, slots: SlotWaitsSeen): string {
  const state = backoffs.current();
  const notes: string[] = [];
  if (state) notes.push(backoffText(state, terminalText(state.reason, 80)));
  const held = waitingText(slots.current(), (name) => terminalText(name, 60));
  if (held) notes.push(held);
  return notes.join('; ');
}

/** Shows the run's progress from its event stream until the run ends or `signal` stops the wait. */
async function followProgress(client: AssayClient, started: RunStarted, signal: AbortSignal, out: NodeJS.WriteStream, output: Output, retryForMs: number): Promise<void> {
  const view = progressView(started.total, out, output.write);
  const failing = new FailingCells();
  const backoffs = new Backoffs();
  const slots = new SlotWaitsSeen();
  // The wait counts down between events too (a run held by a long Retry-After sends none).
  const ticker = setInterval(() => output.closed || view.note(waitsNote(backoffs, slots)), 1000);
  ticker.unref();
  // One line when connections start failing (not at every attempt, nor when a healthy stream is cut and picked up at once).
  const onRetry = ({ error, attempt, serverClosed }: RetryNotice) => {
    // A server that ended the stream for its shutdown is restarting (or stopping): say that, not only the refused connection.
    const why = serverClosed === 'shutdown' ? `the server is shutting down or restarting (${error.message})` : error.message;
    if (attempt === 1) output.write(`\n  ${why}; reconnecting${retryForMs === Infinity ? '' : ` for up to ${retryForMs / 60_000} min`} (the run goes on on the server)\n`);
  };
  try {
    for await (const event of client.events(started.runId, { signal, retryForMs, onRetry })) {
      failing.note(event);
      if (event.type === 'retrying') backoffs.retrying(event);
      if (event.type === 'target_result') backoffs.settled(event);
      if (event.type === 'waiting') slots.waiting(event);
      if ((event.type === 'retrying' || event.type === 'target_result' || event.type === 'waiting') && !output.closed) view.note(waitsNote(backoffs, slots));
      if (event.type === 'progress' && !output.closed) view.update(event.completed, failing.size);
    }
  } finally {
    clearInterval(ticker);
    // Also on Ctrl-C: the terminal bar hides the cursor until stopped.
    view.stop();
  }
}

/** What the command says and exits with when it stopped waiting; the run goes on on the server. */
export function stopped(cause: StopCause, started: RunStarted | undefined, output: Output, endpoint: string): number {
  if (cause.kind === 'timeout') {
    if (!started) throw new CliError(`Timed out after ${cause.seconds} s waiting for ${endpoint} to start the run`);
    output.write(`\nTimed out after ${cause.seconds} s; the run goes on at ${started.runUrl}\n`);
    return 2;
  }
  output.write(started ? `\nStopped waiting; the run goes on at ${started.runUrl}\n` : `\nStopped before ${endpoint} answered; the run may have started\n`);
  return signalExitCode(cause.signal);
}

/** Warns about --rows numbers past the saved dataset's end, which the server leaves out of the run. */
async function warnMissingRows(client: AssayClient, runId: string, requested: number[], rowCount: number | undefined, output: Output): Promise<void> {
  const ran = new Set((await client.allResults(runId)).dataset.map((cell) => cell.index));
  const missing = [...new Set(requested.filter((r) => !ran.has(r)))];
  if (missing.length === 0) return;
  const many = missing.length > 1;
  const size = rowCount === undefined ? '' : rowCount === 0 ? ' (it has no rows)' : ` (it has ${rowCount} row${rowCount === 1 ? ', 0' : `s, 0-${rowCount - 1}`})`;
  output.write(`  warning: --rows ${rowList(missing).replace(/^rows? /, '')} ${many ? 'are' : 'is'} past the dataset's end${size} and ${many ? 'were' : 'was'} not run\n`);
}

/** Runs a read again while the server cannot be reached, as the event stream reconnects. */
type Again = <T>(read: () => Promise<T>) => Promise<T>;

/**
 * Failures another attempt may get past: the network, and the answers of a server (or its proxy)
 * restarting or busy. Not a plain 500: that is the server's fault on this request, and waiting two
 * minutes for it to change only delayed the exit (a comparison that failed with a 500 took 116 s).
 */
function passing(error: unknown): boolean {
  if (error instanceof UnreachableError || error instanceof NoAnswerError || error instanceof ConnectionLostError) return true;
  const status = error instanceof ApiError || error instanceof NotAssayError ? error.status : undefined;
  return status === 502 || status === 503 || status === 504 || status === 429 || status === 408;
}

/**
 * Reads that keep trying for `retryForMs` (1 s, 2 s, 4 s… at most 10 s apart) while the server is
 * unreachable, saying so once on stderr; `signal` (--timeout, Ctrl-C) ends the wait.
 */
export function persistent(signal: AbortSignal, retryForMs: number, warn: (line: string) => void = (line) => process.stderr.write(line)): Again {
  let said = false;
  return async <T>(read: () => Promise<T>): Promise<T> => {
    const since = Date.now();
    for (let attempt = 1; ; attempt++) {
      try {
        return await read();
      } catch (error) {
        const delayMs = Math.min(10_000, 1000 * 2 ** (attempt - 1));
        if (signal.aborted || !passing(error) || Date.now() - since + delayMs > retryForMs) throw error;
        if (!said) warn(`  server unreachable, retrying${retryForMs === Infinity ? '' : ` for up to ${retryForMs / 60_000} min`}… (${(error as Error).message})\n`);
        said = true;
        await new Promise<void>((resolve) => {
          const done = () => {
            clearTimeout(timer);
            signal.removeEventListener('abort', done);
            resolve();
          };
          const timer = setTimeout(done, delayMs);
          signal.addEventListener('abort', done, { once: true });
        });
      }
    }
  };
}

/**
 * A skip reason for each evaluator that skipped every cell, from the first page of results (one
 * request; an evaluator whose cells are all further on goes without one). None is fetched when no
 * evaluator skipped everything.
 */
async function skipReasons(client: AssayClient, runId: string, summary: RunSummary): Promise<Map<string, string>> {
  const reasons = new Map<string, string>();
  const wanted = new Set(summary.evaluators.filter(skippedAll).map((e) => e.evaluatorId));
  if (wanted.size === 0) return reasons;
  const page = await client.results(runId, 0, 1000);
  for (const e of page.evaluations) if (wanted.has(e.evaluator) && e.status === 'skipped' && e.details && !reasons.has(e.evaluator)) reasons.set(e.evaluator, e.details);
  return reasons;
}

/** Baseline row → candidate row pairs of the comparison: by index (the same rows), else the items' pairs, page by page. */
async function matchedPairs(client: AssayClient, runId: string, comparison: Comparison, candidateRows: Iterable<number>, baselineRows: Set<number>, again: Again): Promise<Map<number, number>> {
  const pairs = new Map<number, number>();
  if (comparison.matchedBy === 'index') {
    for (const r of candidateRows) if (baselineRows.has(r)) pairs.set(r, r);
    return pairs;
  }
  for (let offset = 0, total = 1; offset < total; offset += 1000) {
    const page = await again(() => fetchComparison(client, runId, { baseline: comparison.baselineRunId, change: 'all', offset, limit: 1000 }));
    for (const i of page.rows.items) pairs.set(i.rowIndex, i.baselineRowIndex);
    total = page.rows.pagination.total;
  }
  return pairs;
}

/**
 * The comparison with the baseline, printed; a first run with `previous` has none, which is said
 * and not an error. With `matched`, each side's pass rate over the matched rows (for --max-drop).
 */
async function compareWithBaseline(client: AssayClient, runId: string, baseline: string, out: Output, again: Again, matched: boolean): Promise<{ comparison: Comparison; matchedRates: ReturnType<typeof matchedPassRates> } | undefined> {
  let comparison: Comparison;
  try {
    comparison = await again(() => fetchComparison(client, runId, { baseline, change: 'regressed', limit: 100 }));
  } catch (error) {
    if (baseline === 'previous' && error instanceof ApiError && error.status === 404) {
      out.write('\nNo previous finished run to compare with: nothing to gate on.\n');
      return undefined;
    }
    throw error;
  }
  const base = await again(() => fetchRun(client, comparison.baselineRunId));
  ensureFinished(base, 'baseline');
  out.write(formatComparison(comparison));
  // A baseline of other rows (`previous` after a `--rows` run) is compared on the rows both have only: say so.
  const { matched: m, unmatched } = comparison;
  if (m.rows > 0 && (unmatched.baseline > 0 || unmatched.candidate > 0)) {
    out.write(`  warning: the baseline ${base.runId} covered ${m.rows} of this run's ${counted(m.rows + unmatched.candidate, 'row')}${unmatched.baseline > 0 ? ` (and ${unmatched.baseline} this run has not)` : ''}: the comparison judges the matched rows only\n`);
  }
  if (!matched || m.rows === 0) return { comparison, matchedRates: undefined };
  const candidate = cellVerdicts(await again(() => client.allResults(runId)));
  const baselineCells = cellVerdicts(await again(() => client.allResults(base.runId)));
  const pairs = await matchedPairs(client, runId, comparison, [...candidate.values()].map((c) => c.row), new Set([...baselineCells.values()].map((c) => c.row)), again);
  return { comparison, matchedRates: matchedPassRates(baselineCells, candidate, pairs) };
}
