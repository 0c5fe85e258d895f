// The HTTP flows of LangWatch's current clients, rewritten as small TypeScript test clients
// that send the requests those clients send (method, path, query, headers, body) and read the
// fields they read, each checked for the type the client expects (a zod schema per answer).
// Sources: ../shared/reference/langwatch-run-api.md §6 and the clients' public code
// (Python SDK 1.2 `langwatch.experiment.run`; TypeScript SDK 1.8 `langwatch experiment …` CLI).
// Time is the caller's: every wait goes through `sleep`, so tests drive polling without waiting
// out the clients' 2 s and 3 s intervals, and assert the intervals the clients asked for.
import { z } from 'zod';

/** One request as a client sent it. */
export interface SentRequest {
  method: string;
  path: string;
  query: Record<string, string>;
  headers: Record<string, string>;
  /** The raw body, or null when none was sent. */
  body: string | null;
}

export interface ClientEnv {
  /** Base URL, no trailing slash (both clients strip it). */
  endpoint: string;
  apiKey: string;
  /** LANGWATCH_PROJECT_ID: sent as X-Project-Id (Python, new-format keys) or in Basic auth (CLI, scoped keys). */
  projectId?: string;
  /** Waits `ms` (a test resolves it at once or when it has arranged what comes next). */
  sleep: (ms: number) => Promise<void>;
  /** Every request sent, in order. */
  sent: SentRequest[];
}

/** A response that was not 2xx, with the body the client would have shown. */
export class ClientHttpError extends Error {
  constructor(
    readonly status: number,
    readonly body: unknown,
  ) {
    super(`HTTP ${status}: ${JSON.stringify(body)}`);
  }
}

async function send(env: ClientEnv, method: string, pathAndQuery: string, headers: Record<string, string>, body: string | null): Promise<{ status: number; json: unknown }> {
  const url = new URL(env.endpoint + pathAndQuery);
  env.sent.push({ method, path: url.pathname, query: Object.fromEntries(url.searchParams), headers, body });
  const response = await fetch(url, { method, headers, ...(body !== null ? { body } : {}) });
  const text = await response.text();
  // Every error body a client reads must be a JSON object (0.16.1 and 1.8 use `"error" in body`).
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw new Error(`${method} ${url.pathname} answered ${response.status} with a body that is not JSON: ${text.slice(0, 200)}`);
  }
  return { status: response.status, json };
}

/** Parses with the schema of what the client reads; a missing field or a wrong type names itself. */
function read<T>(schema: z.ZodType<T>, json: unknown, what: string): T {
  const parsed = schema.safeParse(json);
  if (!parsed.success) throw new Error(`${what}: ${z.prettifyError(parsed.error)}\n${JSON.stringify(json).slice(0, 500)}`);
  return parsed.data;
}

// ---------------------------------------------------------------------------------------------
// Shapes the clients read (required here when the client reads the field, even where it has a
// fallback: Assay promises every one of them).

const num = z.number();

/** Summary fields both clients read on a completed run. */
export const clientSummarySchema = z.object({
  runId: z.string(),
  totalCells: z.int(),
  completedCells: z.int(),
  failedCells: z.int(),
  duration: num,
  runUrl: z.string(),
  totalPassed: z.int(),
  totalFailed: z.int(),
  passRate: num,
  totalCost: num,
  targets: z.array(z.object({ targetId: z.string(), name: z.string(), passed: z.int(), failed: z.int(), avgLatency: num, totalCost: num })),
  evaluators: z.array(
    z.object({ evaluatorId: z.string(), name: z.string(), passed: z.int(), failed: z.int(), passRate: num, avgScore: num.nullable().optional() }),
  ),
});

const startSchema = z.object({ runId: z.string().min(1), status: z.literal('running'), total: z.int(), runUrl: z.string().url() });

const pollSchema = z.object({
  runId: z.string(),
  status: z.enum(['pending', 'running', 'completed', 'failed', 'stopped']),
  progress: z.int(),
  total: z.int(),
  startedAt: num.optional(),
  finishedAt: num.optional(),
  summary: clientSummarySchema.optional(),
  error: z.string().optional(),
});
export type ClientPoll = z.infer<typeof pollSchema>;

const resultsSchema = z.object({
  experimentId: z.string(),
  runId: z.string(),
  projectId: z.string(),
  progress: z.int().nullable(),
  total: z.int().nullable(),
  dataset: z.array(
    z.object({
      index: z.int(),
      targetId: z.string().nullable(),
      entry: z.record(z.string(), z.unknown()),
      predicted: z.record(z.string(), z.unknown()).optional(),
      cost: num.nullable(),
      duration: num.nullable(),
      error: z.string().nullable(),
    }),
  ),
  evaluations: z.array(
    z.object({
      evaluator: z.string(),
      name: z.string().nullable(),
      targetId: z.string().nullable(),
      status: z.enum(['processed', 'skipped', 'error']),
      index: z.int(),
      score: num.nullable(),
      label: z.string().nullable(),
      passed: z.boolean().nullable(),
      details: z.string().nullable(),
      cost: num.nullable(),
      duration: num.nullable(),
    }),
  ),
  timestamps: z.object({ createdAt: num, updatedAt: num, finishedAt: num.nullable(), stoppedAt: num.nullable() }),
});
export type ClientResults = z.infer<typeof resultsSchema>;

const paginationSchema = z.object({ page: z.int(), pageSize: z.int(), totalHits: z.int(), hasMore: z.boolean() });

const experimentListSchema = z.object({
  experiments: z.array(
    z.object({
      id: z.string(), slug: z.string(), name: z.string().nullable(), type: z.string(), workflowId: z.string().nullable(),
      createdAt: z.iso.datetime(), updatedAt: z.iso.datetime(), runsCount: z.int(), lastRunAt: z.iso.datetime().nullable(),
    }),
  ),
  pagination: paginationSchema,
});

const runListSchema = z.object({
  experimentId: z.string(),
  experimentSlug: z.string(),
  runs: z.array(
    z.object({
      experimentId: z.string(),
      runId: z.string(),
      workflowVersion: z.null(),
      timestamps: z.object({ createdAt: num, updatedAt: num, finishedAt: num.nullable(), stoppedAt: num.nullable() }),
      progress: z.int().nullable(),
      total: z.int().nullable(),
      summary: z.object({
        datasetCost: num.optional(),
        evaluationsCost: num.optional(),
        datasetAverageCost: num.optional(),
        evaluations: z.record(z.string(), z.object({ name: z.string(), averageScore: num.nullable(), averagePassed: num.optional() })),
      }),
    }),
  ),
  pagination: paginationSchema,
});

// ---------------------------------------------------------------------------------------------
// Python SDK 1.2: langwatch.experiment.run(slug, data=, dataset_id=, parameters=, row_indices=,
// poll_interval=2.0), over httpx, on the legacy /api/evaluations/v3 paths.

/** httpx's defaults plus build_auth_headers: X-Auth-Token and Bearer; X-Project-Id when a project id is configured. */
function pythonHeaders(env: ClientEnv): Record<string, string> {
  return {
    'user-agent': 'python-httpx/0.28.1',
    accept: '*/*',
    'accept-encoding': 'gzip, deflate',
    'x-auth-token': env.apiKey,
    authorization: `Bearer ${env.apiKey}`,
    ...(env.projectId !== undefined ? { 'x-project-id': env.projectId } : {}),
  };
}

export interface PythonRunOptions {
  data?: Record<string, unknown>[];
  parameters?: Record<string, string | number | boolean>;
  rowIndices?: number[];
  /** Seconds (the SDK's unit); default 2.0. */
  pollInterval?: number;
}

export interface PythonRunResult {
  runId: string;
  status: 'completed' | 'failed' | 'stopped';
  passed: number;
  failed: number;
  passRate: number;
  summary: z.infer<typeof clientSummarySchema> | undefined;
  /** print_summary(): exit 1 when anything failed. */
  exitCode: 0 | 1;
  results: ClientResults | undefined;
  polls: number;
}

/** The run, its polling and (as `result.results` does) the per-row results. */
export async function pythonExperimentRun(env: ClientEnv, slug: string, options: PythonRunOptions = {}): Promise<PythonRunResult> {
  const body: Record<string, unknown> = {};
  if (options.data !== undefined) body.data = options.data;
  if (options.parameters !== undefined) body.parameters = options.parameters;
  if (options.rowIndices !== undefined) body.row_indices = options.rowIndices;
  // json=None when there is nothing to send: no body and no Content-Type.
  const hasBody = Object.keys(body).length > 0;
  const headers = { ...pythonHeaders(env), ...(hasBody ? { 'content-type': 'application/json' } : {}) };
  const start = await send(env, 'POST', `/api/evaluations/v3/${slug}/run`, headers, hasBody ? JSON.stringify(body) : null);
  if (start.status !== 200) throw new ClientHttpError(start.status, start.json);
  const started = read(startSchema, start.json, 'POST /run');

  const intervalMs = (options.pollInterval ?? 2.0) * 1000;
  let polls = 0;
  for (;;) {
    await env.sleep(intervalMs);
    const poll = await send(env, 'GET', `/api/evaluations/v3/runs/${started.runId}`, pythonHeaders(env), null);
    polls++;
    if (poll.status !== 200) throw new ClientHttpError(poll.status, poll.json);
    const status = read(pollSchema, poll.json, 'GET /runs/{id}');
    if (status.status === 'failed') throw new Error(`Evaluation run failed: ${status.error ?? 'Unknown error'}`);
    if (status.status === 'completed' || status.status === 'stopped') {
      const summary = status.status === 'completed' ? read(clientSummarySchema, status.summary, 'summary of a completed run') : status.summary;
      const passed = summary?.totalPassed ?? 0;
      const failed = summary?.totalFailed ?? 0;
      const results = await pythonFetchResults(env, started.runId, slug);
      return { runId: started.runId, status: status.status, passed, failed, passRate: summary?.passRate ?? 0, summary, exitCode: failed > 0 ? 1 : 0, results, polls };
    }
  }
}

/**
 * `result.results`: GET …/runs/{id}/results?experimentSlug=, up to 5 tries 3 s apart while the
 * answer is a 404, or a 200 with an empty `dataset` although `total > 0` (results lagging the run).
 * Gives up with no results, as the SDK returns an empty DataFrame.
 */
export async function pythonFetchResults(env: ClientEnv, runId: string, slug: string, retries = 5): Promise<ClientResults | undefined> {
  for (let attempt = 0; attempt < retries; attempt++) {
    const last = attempt === retries - 1;
    const response = await send(env, 'GET', `/api/evaluations/v3/runs/${encodeURIComponent(runId)}/results?experimentSlug=${encodeURIComponent(slug)}`, pythonHeaders(env), null);
    if (response.status === 404) {
      if (last) return undefined;
      await env.sleep(3000);
      continue;
    }
    if (response.status !== 200) throw new ClientHttpError(response.status, response.json);
    const page = read(resultsSchema, response.json, 'GET /runs/{id}/results');
    if (page.dataset.length === 0 && (page.total ?? 0) > 0 && !last) {
      await env.sleep(3000);
      continue;
    }
    return page;
  }
  return undefined;
}

// ---------------------------------------------------------------------------------------------
// TypeScript SDK 1.8 CLI: `langwatch experiment run|status|results|list|list-runs`, through
// openapi-fetch on the /api/experiments paths.

/** Legacy `sk-lw-…` keys (Assay's): Bearer and X-Auth-Token; scoped keys with a project: Basic. */
function cliHeaders(env: ClientEnv): Record<string, string> {
  const scoped = env.apiKey.includes('_') || env.apiKey.startsWith('pat-lw-');
  const auth: Record<string, string> =
    scoped && env.projectId !== undefined
      ? { authorization: `Basic ${Buffer.from(`${env.projectId}:${env.apiKey}`).toString('base64')}` }
      : { authorization: `Bearer ${env.apiKey}`, 'x-auth-token': env.apiKey };
  return {
    ...auth,
    'content-type': 'application/json',
    'user-agent': 'langwatch-sdk-node/1.8.0',
    'x-langwatch-sdk-name': 'langwatch-sdk-node',
    'x-langwatch-sdk-version': '1.8.0',
    'x-langwatch-sdk-language': 'typescript',
  };
}

async function cliGet<T>(env: ClientEnv, pathAndQuery: string, schema: z.ZodType<T>, what: string): Promise<T> {
  const response = await send(env, 'GET', pathAndQuery, cliHeaders(env), null);
  if (response.status !== 200) throw new ClientHttpError(response.status, response.json);
  return read(schema, response.json, what);
}

/** `--param k=v`: true/false become booleans, numbers that print back unchanged become numbers; the last of a key wins. */
export function parseCliParams(pairs: string[]): Record<string, string | number | boolean> {
  const out: Record<string, string | number | boolean> = {};
  for (const pair of pairs) {
    const at = pair.indexOf('=');
    const key = pair.slice(0, at);
    const raw = pair.slice(at + 1);
    out[key] = raw === 'true' ? true : raw === 'false' ? false : raw.trim() !== '' && String(Number(raw)) === raw ? Number(raw) : raw;
  }
  return out;
}

export interface CliRunResult {
  exitCode: 0 | 1;
  started: z.infer<typeof startSchema>;
  /** The last poll body (what `-o json` prints). */
  status: ClientPoll | undefined;
  /** The lines the CLI prints for a completed run. */
  lines: string[];
}

/** `langwatch experiment run SLUG [--wait] [--param k=v]…`. */
export async function cliExperimentRun(env: ClientEnv, slug: string, options: { wait?: boolean; params?: string[] } = {}): Promise<CliRunResult> {
  const params = options.params ?? [];
  // The body is sent only with --param.
  const body = params.length > 0 ? JSON.stringify({ parameters: parseCliParams(params) }) : null;
  const start = await send(env, 'POST', `/api/experiments/${encodeURIComponent(slug)}/run`, cliHeaders(env), body);
  if (start.status !== 200) throw new ClientHttpError(start.status, start.json);
  const started = read(startSchema, start.json, 'POST /run');
  const lines = [`Experiment started! Run ID: ${started.runId} (${started.total} cells)`, `View at: ${started.runUrl}`];
  if (!options.wait) return { exitCode: 0, started, status: undefined, lines };

  // Polls at once, then every 3 s while running or pending; no timeout.
  let status = await cliGet(env, `/api/experiments/runs/${encodeURIComponent(started.runId)}`, pollSchema, 'GET /runs/{id}');
  while (status.status === 'running' || status.status === 'pending') {
    await env.sleep(3000);
    status = await cliGet(env, `/api/experiments/runs/${encodeURIComponent(started.runId)}`, pollSchema, 'GET /runs/{id}');
  }
  if (status.status === 'failed') return { exitCode: 1, started, status, lines: [...lines, `Experiment failed after ${status.progress}/${status.total} cells`] };
  if (status.status === 'completed') {
    const s = read(clientSummarySchema, status.summary, 'summary of a completed run');
    lines.push(
      `Experiment completed! ${status.progress}/${status.total} cells`,
      `Total cells: ${s.totalCells}`,
      `Completed: ${s.completedCells}`,
      ...(s.failedCells ? [`Failed: ${s.failedCells}`] : []),
      `Duration: ${(s.duration / 1000).toFixed(1)}s`,
      `View results: ${s.runUrl}`,
    );
  } else {
    lines.push(`Experiment ${status.status}`);
  }
  return { exitCode: 0, started, status, lines };
}

/** `langwatch experiment status SLUG [--run-id ID]`: the latest run when no id is given. */
export async function cliExperimentStatus(env: ClientEnv, slug: string, runId?: string): Promise<{ runId: string; status: ClientPoll }> {
  let id = runId;
  if (id === undefined) {
    const list = await cliGet(env, `/api/experiments/runs?experimentSlug=${encodeURIComponent(slug)}&pageSize=1`, runListSchema, 'GET /runs?experimentSlug=');
    if (list.runs.length === 0) throw new Error(`No runs found for experiment "${slug}"`);
    id = list.runs[0]!.runId;
  }
  return { runId: id, status: await cliGet(env, `/api/experiments/runs/${encodeURIComponent(id)}`, pollSchema, 'GET /runs/{id}') };
}

/** `langwatch experiment results SLUG --run-id ID [--filter failed] [--evaluator ID] [--limit N]`. */
export async function cliExperimentResults(
  env: ClientEnv,
  slug: string,
  runId: string,
  options: { filter?: 'failed'; evaluator?: string; limit?: number } = {},
): Promise<{ page: ClientResults; rows: { index: number; targetId: string | null; output: unknown; evaluations: ClientResults['evaluations'] }[] }> {
  const page = await cliGet(env, `/api/experiments/runs/${encodeURIComponent(runId)}/results?experimentSlug=${encodeURIComponent(slug)}`, resultsSchema, 'GET /runs/{id}/results');
  let rows = page.dataset.map((d) => ({
    index: d.index,
    targetId: d.targetId,
    output: d.predicted?.output,
    evaluations: page.evaluations.filter((e) => e.index === d.index && e.targetId === d.targetId && (options.evaluator === undefined || e.evaluator === options.evaluator)),
  }));
  if (options.filter === 'failed') rows = rows.filter((r) => r.evaluations.some((e) => e.passed === false || e.status === 'error'));
  if (options.limit !== undefined) rows = rows.slice(0, options.limit);
  return { page, rows };
}

const meProjectSchema = z.object({ id: z.string(), name: z.string(), slug: z.string(), isPersonal: z.boolean() });

/**
 * The CLI's identity notice before a command: `GET /api/me/project` (1.5 s timeout, failures
 * ignored) to print "Using API key for project …"; undefined when the call fails.
 */
export async function cliIdentityNotice(env: ClientEnv): Promise<string | undefined> {
  try {
    const project = await cliGet(env, '/api/me/project', meProjectSchema, 'GET /api/me/project');
    return `Using API key for project ${project.name} (${project.slug})`;
  } catch {
    return undefined;
  }
}

/** `langwatch experiment list [--page-size N] [--page N]`. */
export function cliExperimentList(env: ClientEnv, options: { page?: number; pageSize?: number } = {}) {
  const search = new URLSearchParams();
  if (options.pageSize !== undefined) search.set('pageSize', String(options.pageSize));
  if (options.page !== undefined) search.set('page', String(options.page));
  const qs = search.toString();
  return cliGet(env, `/api/experiments${qs ? `?${qs}` : ''}`, experimentListSchema, 'GET /api/experiments');
}

/** `langwatch experiment list-runs SLUG [--page N] [--page-size N]`. */
export function cliExperimentListRuns(env: ClientEnv, slug: string, options: { page?: number; pageSize?: number } = {}) {
  const search = new URLSearchParams({ experimentSlug: slug });
  if (options.pageSize !== undefined) search.set('pageSize', String(options.pageSize));
  if (options.page !== undefined) search.set('page', String(options.page));
  return cliGet(env, `/api/experiments/runs?${search.toString()}`, runListSchema, 'GET /api/experiments/runs');
}
