// `assay experiments list` and `assay runs list SLUG`: what a project holds and the run ids that
// `assay watch`, `compare` and `export` take, without curl. Both read the list endpoints
// (GET /api/experiments, GET /api/experiments/runs?experimentSlug=), which LangWatch's clients
// read too; the runs list is per experiment on the server (a missing experimentSlug is a 400,
// SPEC §5), so `runs list` takes the slug. `--json` prints the same rows for scripts.
import { materialRunningTime } from '../core/model/summary-running.js';
import type { Command } from 'commander';
import { z } from 'zod';
import type { AssayClient, RunList } from '../client/index.js';
import { judgedPassRate } from '../core/model/summary-judged.js';
import { paginationSchema } from '../core/model/paging.js';
import { runListSchema } from '../core/model/run-api.js';
import { expectAnswer } from './answers.js';
import { CliError } from './cli-error.js';
import { type ConnectOptions, withClient } from './connection.js';
import { column } from './labels.js';
import { guardOutput } from './output.js';
import { passRateText } from './summary.js';
import { terminalText } from './terminal-text.js';

/** The fields of GET /api/experiments' answer the CLI reads (the route declares the whole answer). */
const experimentListSchema = z.object({
  experiments: z.array(z.object({ slug: z.string(), name: z.string().nullable(), updatedAt: z.string(), runsCount: z.int(), lastRunAt: z.string().nullable() })),
  pagination: paginationSchema,
});
type ExperimentItem = z.infer<typeof experimentListSchema>['experiments'][number];
type RunItem = RunList['runs'][number];

/** The server's largest page (pageQuery in src/http/route.ts). */
const PAGE_SIZE = 200;
const DEFAULT_RUNS = 20;
const MAX_RUNS = 10_000;
/** Latest runs read at once for `experiments list`: one request per experiment. */
const LATEST_AT_ONCE = 4;

const enc = encodeURIComponent;
const isoTime = (ms: number) => new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');

/** A duration as people read it: seconds to a tenth under 100 s, then minutes, then hours. */
export function durationText(ms: number): string {
  const s = ms / 1000;
  if (s < 100) return `${s.toFixed(1)} s`;
  if (s < 3600) return `${Math.floor(s / 60)} min ${Math.floor(s % 60)} s`;
  return `${Math.floor(s / 3600)} h ${Math.floor((s % 3600) / 60)} min`;
}

/** From start to end (the stop, for a stopped run); undefined while it runs. */
function runDuration(run: RunItem): number | undefined {
  const end = run.timestamps.finishedAt ?? run.timestamps.stoppedAt;
  return end === null || run.status === 'running' ? undefined : Math.max(0, end - run.timestamps.createdAt);
}

/** The run's DURATION cell: its duration, and how long it ran when it stood stopped for a material time before a resume. */
function durationCell(run: RunItem): string {
  const duration = runDuration(run);
  if (duration === undefined) return '-';
  const running = run.summary ? materialRunningTime(run.summary) : undefined;
  return running === undefined ? durationText(duration) : `${durationText(duration)} (${durationText(running)} running)`;
}

/** The pass rate as the other commands print it: "—" and why when no evaluator judged a cell; "-" before the first commit. */
const runPassRate = (run: RunItem): string => (run.summary ? passRateText(run.summary) : '-');

/** Every live experiment, page after page. */
async function allExperiments(client: AssayClient): Promise<ExperimentItem[]> {
  const all: ExperimentItem[] = [];
  for (let page = 1; ; page++) {
    const answer = await client.request('GET', `/api/experiments?page=${page}&pageSize=${PAGE_SIZE}`);
    const list = expectAnswer(experimentListSchema, answer.body, client.endpoint, 'GET /api/experiments');
    all.push(...list.experiments);
    if (!list.pagination.hasMore || list.experiments.length === 0) return all;
  }
}

/** Up to `limit` runs of an experiment, newest first, and how many it has. */
async function newestRuns(client: AssayClient, slug: string, limit: number): Promise<{ runs: RunItem[]; total: number }> {
  const runs: RunItem[] = [];
  const pageSize = Math.min(limit, PAGE_SIZE);
  for (let page = 1; ; page++) {
    const path = `GET /api/experiments/runs?experimentSlug=${enc(slug)}`;
    const list = expectAnswer(runListSchema, await client.listRuns(slug, page, pageSize), client.endpoint, path);
    runs.push(...list.runs);
    if (runs.length >= limit || !list.pagination.hasMore || list.runs.length === 0) return { runs: runs.slice(0, limit), total: list.pagination.totalHits };
  }
}

/** `items` mapped by `act`, at most `atOnce` at a time, in order. */
async function mapAtMost<T, R>(items: readonly T[], atOnce: number, act: (item: T) => Promise<R>): Promise<R[]> {
  const out: R[] = new Array<R>(items.length);
  let next = 0;
  const lane = async () => {
    while (next < items.length) {
      const i = next++;
      out[i] = await act(items[i]!);
    }
  };
  await Promise.all(Array.from({ length: Math.min(atOnce, items.length) }, lane));
  return out;
}

/** A run as `--json` prints it: the table's columns, as numbers and ISO times. */
function runJson(run: RunItem, experiment: string) {
  const duration = runDuration(run);
  return {
    runId: run.runId,
    experiment,
    status: run.status,
    progress: run.progress,
    total: run.total,
    // null where the table says "—": no evaluator judged a cell (or no cell was committed yet).
    passRate: run.summary ? (judgedPassRate(run.summary) ?? null) : null,
    startedAt: new Date(run.timestamps.createdAt).toISOString(),
    finishedAt: run.timestamps.finishedAt === null && run.timestamps.stoppedAt === null ? null : new Date((run.timestamps.finishedAt ?? run.timestamps.stoppedAt)!).toISOString(),
    durationMs: duration ?? null,
    // Without the pauses between a stop and a resume (the summary's runningTime); null before the run ends.
    runningMs: duration === undefined ? null : (run.summary?.runningTime ?? duration),
    metadata: run.metadata,
  };
}

const RUN_HEADER = `${column('RUN ID', 30)}  ${column('EXPERIMENT', 20)}  ${column('STATUS', 9)}  ${'CELLS'.padStart(11)}  ${column('PASS RATE', 18)}  ${column('STARTED', 20)}  DURATION`;

function runLine(run: RunItem, experiment: string): string {
  return (
    `${terminalText(run.runId, 100).padEnd(30)}  ${column(experiment, 20)}  ${column(run.status, 9)}  ${`${run.progress}/${run.total}`.padStart(11)}  ` +
    `${column(runPassRate(run), 18)}  ${column(isoTime(run.timestamps.createdAt), 20)}  ${durationCell(run)}`
  ).trimEnd();
}

/** `--limit`: a whole number of runs, 1 to MAX_RUNS. */
function parseLimit(raw: string | undefined): number {
  if (raw === undefined) return DEFAULT_RUNS;
  const n = Number(raw);
  if (!/^\d+$/.test(raw.trim()) || n < 1 || n > MAX_RUNS) throw new CliError(`--limit takes a number of runs from 1 to ${MAX_RUNS} (got "${raw}")`);
  return n;
}

async function listRuns(slug: string, opts: ConnectOptions & { limit?: string; json?: boolean }): Promise<void> {
  const limit = parseLimit(opts.limit);
  const output = guardOutput(process.stdout);
  await withClient(opts, async (client) => {
    const { runs, total } = await newestRuns(client, slug, limit);
    if (opts.json) {
      output.write(`${JSON.stringify(runs.map((r) => runJson(r, slug)), null, 2)}\n`);
      return;
    }
    if (runs.length === 0) {
      output.write(`No runs of ${terminalText(slug, 100)} yet: \`assay run ${terminalText(slug, 100)}\` starts one\n`);
      return;
    }
    output.write(`${RUN_HEADER}\n`);
    for (const run of runs) output.write(`${runLine(run, slug)}\n`);
    if (total > runs.length) output.write(`(the newest ${runs.length} of ${total} runs; --limit N shows more)\n`);
  });
}

/**
 * The experiments with their latest runs, most recently run first and those never run last, newest
 * change first: the web page's order (web/src/pages/experiments-page.tsx, `byLastRun`). The API
 * lists them by their last change, which put never-run experiments first beside a column of runs.
 */
export function byLastRun<E extends { updatedAt: string; lastRunAt: string | null }>(experiments: readonly E[], latest: readonly (RunItem | undefined)[]): { e: E; run: RunItem | undefined }[] {
  const ranAt = (e: E, run: RunItem | undefined): number | null => {
    if (run) return run.timestamps.createdAt;
    const t = e.lastRunAt === null ? NaN : Date.parse(e.lastRunAt);
    return Number.isNaN(t) ? null : t;
  };
  const keyed = experiments.map((e, i) => ({ e, run: latest[i], ran: ranAt(e, latest[i]), changed: Date.parse(e.updatedAt) || 0 }));
  keyed.sort((a, b) => (b.ran ?? -Infinity) - (a.ran ?? -Infinity) || b.changed - a.changed);
  return keyed.map(({ e, run }) => ({ e, run }));
}

async function listExperiments(opts: ConnectOptions & { json?: boolean }): Promise<void> {
  const output = guardOutput(process.stdout);
  await withClient(opts, async (client) => {
    const listed = await allExperiments(client);
    const runs = await mapAtMost(listed, LATEST_AT_ONCE, async (e) => (e.runsCount > 0 ? (await newestRuns(client, e.slug, 1)).runs[0] : undefined));
    const ordered = byLastRun(listed, runs);
    const experiments = ordered.map((o) => o.e);
    const latest = ordered.map((o) => o.run);
    if (opts.json) {
      const rows = experiments.map((e, i) => ({ slug: e.slug, name: e.name, runsCount: e.runsCount, lastRunAt: e.lastRunAt, latestRun: latest[i] ? runJson(latest[i], e.slug) : null }));
      output.write(`${JSON.stringify(rows, null, 2)}\n`);
      return;
    }
    if (experiments.length === 0) {
      output.write('No experiments yet: `assay push FILE.yaml` saves one\n');
      return;
    }
    output.write(`${column('SLUG', 24)}  ${column('NAME', 24)}  ${'RUNS'.padStart(5)}  ${column('LATEST RUN', 30)}  ${column('STATUS', 9)}  ${column('PASS RATE', 18)}  WHEN\n`);
    experiments.forEach((e, i) => {
      const run = latest[i];
      const last = run
        ? `${terminalText(run.runId, 100).padEnd(30)}  ${column(run.status, 9)}  ${column(runPassRate(run), 18)}  ${isoTime(run.timestamps.createdAt)}`
        : `${column('-', 30)}  ${column('no runs', 9)}`;
      output.write(`${`${column(e.slug, 24)}  ${column(e.name ?? '', 24)}  ${String(e.runsCount).padStart(5)}  ${last}`.trimEnd()}\n`);
    });
  });
}

function connectionOptions(command: Command): Command {
  return command
    .option('--endpoint <url>', 'Assay server (default $ASSAY_ENDPOINT, $LANGWATCH_ENDPOINT or http://localhost:5560)')
    .option('--api-key <key>', 'project API key (default $ASSAY_API_KEY or $LANGWATCH_API_KEY)');
}

/** The `list` commands; `experiments list` joins the `experiments` group of experiments.ts (registered before). */
export function registerListCommands(program: Command): void {
  const experiments = program.commands.find((c) => c.name() === 'experiments') ?? program.command('experiments').description('Saved experiments');
  connectionOptions(experiments.command('list'))
    .option('--json', 'print the list as JSON (for scripts)')
    .description("List the project's experiments: slug, name, runs, and the latest run's id, status, pass rate and start")
    .action(async (opts: ConnectOptions & { json?: boolean }) => {
      await listExperiments(opts);
    });

  const runs = program.command('runs').description('Runs of an experiment: list');
  connectionOptions(runs.command('list').argument('<slug>', "the experiment's slug (`assay experiments list` shows them)"))
    .option('--limit <n>', `how many runs, newest first (default ${DEFAULT_RUNS}, at most ${MAX_RUNS})`)
    .option('--json', 'print the runs as JSON (for scripts)')
    .description('List the runs of an experiment, newest first: run id, status, cells, pass rate, start and duration')
    // The server lists runs per experiment only (a runs list without experimentSlug is a 400): say where slugs are.
    .showHelpAfterError('(`assay runs list SLUG` lists the runs of one experiment; `assay experiments list` shows the slugs)')
    .action(async (slug: string, opts: ConnectOptions & { limit?: string; json?: boolean }) => {
      await listRuns(slug, opts);
    });
}
