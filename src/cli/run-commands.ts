// Commands on a run that already exists, by its id: `assay watch` (follow it to its end and gate
// on it, as `assay run` does for the run it starts), `assay resume` (resume it, retrying its
// errors if asked, then the same), `assay abort` and `assay export`. A CI job that timed out
// waiting, or a person whose Ctrl-C left a run going, no longer needs curl to finish the job.
import type { Command } from 'commander';
import { ApiError, type AssayClient, type ExportChoice, type RunStarted } from '../client/index.js';
import { runStartedSchema } from '../core/model/run-api.js';
import { expectAnswer } from './answers.js';
import { CliError } from './cli-error.js';
import { fetchRun } from './compare.js';
import { asCliError, connect } from './connection.js';
import { guardOutput } from './output.js';
import { counted } from './plural.js';
import { type Backlog, liveProgress } from './progress.js';
import { checkReportFiles, writeExportReport } from './report-files.js';
import { checkRunOptions, type RunOptions, waitingOptions as waiting } from './run-options.js';
import { followAndReport, stopped } from './run-report.js';
import { stopWaiting } from './stop-waiting.js';

type WaitOptions = Pick<RunOptions, 'endpoint' | 'apiKey' | 'wait' | 'timeout' | 'failUnder' | 'junit' | 'json' | 'markdown' | 'baseline' | 'failOnRegression' | 'maxDrop'>;

/** A run found or resumed, and where it was then: its stream replays that much before it is live. */
interface Found {
  started: RunStarted;
  backlog: Backlog;
}

/**
 * The client with its event stream read through `liveProgress`: `followAndReport` (run-report.ts)
 * follows a run from its first event, and a run found or resumed has a history to replay first.
 * Every other request goes to `client` itself.
 */
function following(client: AssayClient, backlog: Backlog): AssayClient {
  const events: AssayClient['events'] = (runId, options = {}) => {
    const told = options.onReplay;
    const onReplay = (to: number): void => {
      backlog.replayTo = to;
      told?.(to);
    };
    return liveProgress(client.events(runId, Object.assign({}, options, { onReplay })), backlog);
  };
  return Object.create(client, { events: { value: events } }) as AssayClient;
}

/**
 * Runs `begin` (which finds or resumes the run), then follows it as `assay run` does. The flags
 * are checked, and the report files, before the first request.
 */
async function onRun(opts: WaitOptions, begin: (client: AssayClient) => Promise<Found>): Promise<number> {
  const checks = checkRunOptions(opts);
  await checkReportFiles([['--junit', opts.junit, 'JUnit report'], ['--json', opts.json, 'JSON report'], ['--markdown', opts.markdown, 'Markdown report']], opts.wait === false ? {} : process.env);
  const out = process.stdout;
  const output = guardOutput(out);
  const stop = stopWaiting(checks.timeoutS);
  let client: AssayClient | undefined;
  let started: RunStarted | undefined;
  try {
    client = connect(opts, process.env, stop.signal);
    const found = await begin(client);
    started = found.started;
    output.write(`  ${started.runUrl}\n`);
    if (opts.wait === false) return 0;
    return await followAndReport(following(client, found.backlog), started, { opts, checks, output, out, stop });
  } catch (error) {
    const cause = stop.cause();
    if (cause && client) return stopped(cause, started, output, client.endpoint);
    throw asCliError(error);
  } finally {
    stop.dispose();
  }
}

/** The run as `followAndReport` takes it, from its poll body, and where it is. */
async function existingRun(client: AssayClient, runId: string): Promise<Found & { state: string }> {
  const run = await fetchRun(client, runId);
  const runUrl = run.runUrl ?? run.summary?.runUrl;
  if (runUrl === undefined) throw new CliError(`${client.endpoint} did not say where run ${runId}'s page is; upgrade the server`);
  return {
    started: { runId, status: 'running', total: run.total, runUrl },
    backlog: { running: run.status === 'running', completed: run.progress, resumed: false },
    state: `${run.status}, ${run.progress}/${run.total} cells`,
  };
}

/**
 * The server's refusal to resume, in the CLI's words: it names the API's `retryErrors` field,
 * which a CLI user gives as --retry-errors. Other errors pass unchanged.
 */
function resumeRefusal(error: unknown, runId: string, retryErrors: boolean): unknown {
  if (!(error instanceof ApiError) || error.body.error !== 'run_not_resumable') return error;
  const status = (error.body as { status?: unknown }).status;
  const is = typeof status === 'string' ? ` is ${status}` : ' cannot resume';
  if (status === 'running') return new CliError(`Run ${runId} is running: only a stopped or failed run resumes (\`assay watch ${runId}\` follows it)`);
  if (status === 'completed' && !retryErrors) {
    return new CliError(`Run ${runId} is completed: only a stopped or failed run resumes, or a completed one with --retry-errors (its errored cells run again)`);
  }
  return new CliError(`Run ${runId}${is}: only a stopped or failed run resumes, or a completed one with --retry-errors`);
}

const EXPORT_FORMATS = ['jsonl', 'csv', 'junit'] as const;
const EXPORT_ONLY = ['failed', 'errors'] as const;

interface ExportOptions {
  endpoint?: string;
  apiKey?: string;
  format?: string;
  only?: string;
  columns?: string;
  output?: string;
}

async function exportCommand(runId: string, opts: ExportOptions): Promise<void> {
  const format = opts.format ?? 'jsonl';
  if (!(EXPORT_FORMATS as readonly string[]).includes(format)) throw new CliError(`--format is one of ${EXPORT_FORMATS.join(', ')} (got "${format}")`);
  if (opts.only !== undefined && !(EXPORT_ONLY as readonly string[]).includes(opts.only)) throw new CliError(`--only is one of ${EXPORT_ONLY.join(', ')} (got "${opts.only}")`);
  const columns = opts.columns?.split(',').map((c) => c.trim());
  const choice: ExportChoice = {};
  if (opts.only) choice.only = opts.only as (typeof EXPORT_ONLY)[number];
  if (columns) choice.columns = columns;
  if (opts.output) await checkReportFiles([['--output', opts.output, 'export']], {});
  const client = connect(opts);
  try {
    const kind = format as (typeof EXPORT_FORMATS)[number];
    if (opts.output) return await writeExportReport(client, runId, kind, opts.output, 'export', choice);
    const output = guardOutput(process.stdout);
    // Written as the server sends it, at the reader's pace: a large export piped into a slow
    // reader is not gathered in memory. A reader that left (`| head`) ends the writing.
    await client.exportRunTo(runId, kind, async (chunk) => {
      if (output.closed || process.stdout.write(chunk)) return;
      await new Promise<void>((resolve) => {
        const done = () => {
          process.stdout.off('drain', done);
          process.stdout.off('error', done);
          resolve();
        };
        process.stdout.once('drain', done);
        process.stdout.once('error', done);
      });
    }, choice);
  } catch (error) {
    throw asCliError(error);
  }
}

const connection = (c: Command) =>
  c
    .option('--endpoint <url>', 'Assay server (default $ASSAY_ENDPOINT, $LANGWATCH_ENDPOINT or http://localhost:5560)')
    .option('--api-key <key>', 'project API key (default $ASSAY_API_KEY or $LANGWATCH_API_KEY)');

export function registerRunCommands(program: Command): void {
  waiting(connection(program.command('watch').argument('<runId>', 'the run id (`assay run` prints it)')))
    .description("Follow a run to its end (a running one live, a finished one at once), print its summary and exit as `assay run` does")
    .action(async (runId: string, opts: WaitOptions) => {
      process.exitCode = await onRun(opts, async (client) => {
        const run = await existingRun(client, runId);
        guardOutput(process.stdout).write(`Run ${runId}: ${run.state}\n`);
        return run;
      });
    });

  waiting(connection(program.command('resume').argument('<runId>', 'a stopped or failed run, or a finished one with errors and --retry-errors')))
    .option('--retry-errors', 'run the cells that ended in error again (with the cells not run yet)')
    .option('--no-wait', 'resume the run and exit')
    .description('Resume a run where it stopped, then follow it to its end as `assay run` does')
    .action(async (runId: string, opts: WaitOptions & { retryErrors?: boolean }) => {
      process.exitCode = await onRun(opts, async (client) => {
        const retryErrors = opts.retryErrors === true;
        const path = `POST /api/experiments/runs/${encodeURIComponent(runId)}/resume`;
        const answer = await client.resumeRun(runId, retryErrors).catch((error: unknown) => {
          throw resumeRefusal(error, runId, retryErrors);
        });
        const resumed = expectAnswer(runStartedSchema, answer, client.endpoint, path);
        guardOutput(process.stdout).write(`Run ${runId} resumed${retryErrors ? ', retrying its errors' : ''}: ${counted(resumed.total, 'cell')}\n`);
        if (opts.wait === false) return { started: resumed, backlog: { running: true, completed: 0, resumed: true } };
        // Where the run is now: its stream replays the executions before this one, then this one's cells done so far.
        const now = await fetchRun(client, runId);
        return { started: resumed, backlog: { running: now.status === 'running', completed: now.progress, resumed: true } };
      });
    });

  connection(program.command('abort').argument('<runId>', 'a running run'))
    .description('Stop a running run (its finished cells are kept; `assay resume` goes on from there)')
    .action(async (runId: string, opts: { endpoint?: string; apiKey?: string }) => {
      const client = connect(opts);
      try {
        const answer = await client.abortRun(runId);
        guardOutput(process.stdout).write(`${answer.message || `Run ${runId}: stop requested`}\n`);
      } catch (error) {
        throw asCliError(error);
      }
    });

  connection(program.command('export').argument('<runId>', 'the run id'))
    .option('--format <format>', 'jsonl (default), csv or junit')
    .option('--only <which>', 'failed (cells that did not pass) or errors (cells with an error)')
    .option('--columns <list>', 'CSV only: column names in order, e.g. index,targetId,entry.question,output,exact.passed')
    .option('--output <file>', 'write to this file instead of standard output')
    .description("Export a run's cells (streamed: any size)")
    .action(async (runId: string, opts: ExportOptions) => {
      await exportCommand(runId, opts);
    });
}
