// Compatibility: the HTTP flows of LangWatch's current clients — the Python SDK 1.2
// (`langwatch.experiment.run`, legacy /api/evaluations/v3 paths) and the TypeScript SDK 1.8 CLI
// (`langwatch experiment run|status|results|list|list-runs`, /api/experiments paths) — against
// a real Assay on loopback. The clients (src/testing/langwatch-sdk-clients.ts) send what those
// clients send and check every field they read for the type they expect; their waits go through
// a recorded `sleep`, so the test asserts the intervals they ask for without waiting them out.
// The published langwatch@0.16.1 library is run for real in ./langwatch-client.test.ts.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { listen, startTestAssay, type TestAssay } from '../src/testing/harness.js';
import {
  ClientHttpError,
  cliExperimentList,
  cliExperimentListRuns,
  cliExperimentResults,
  cliExperimentRun,
  cliExperimentStatus,
  cliIdentityNotice,
  type ClientEnv,
  parseCliParams,
  pythonExperimentRun,
  pythonFetchResults,
} from '../src/testing/langwatch-sdk-clients.js';

let t: TestAssay;
let server: { url: string; close(): Promise<void> };
/** An HTTP agent that holds every answer until `open()`: a run whose cells cannot finish yet. */
let gate: { url: string; open(): void; close(): Promise<void> };

const exact = { id: 'exact', type: 'langevals/exact_match', settings: { case_sensitive: true }, inputs: { output: 'output', expected_output: 'row.expected' } };
const experiment = (slug: string, rows: Record<string, unknown>[], code = 'return row.q.toUpperCase()') => ({
  slug, name: slug, dataset: { rows }, targets: [{ id: 'upper', type: 'code', code }], evaluators: [exact],
});

async function startGate(): Promise<typeof gate> {
  let release!: () => void;
  const opened = new Promise<void>((resolve) => (release = resolve));
  const s = http.createServer((req, res) => {
    let body = '';
    req.on('data', (d: Buffer) => (body += d.toString()));
    req.on('end', () => {
      void opened.then(() => {
        const { message } = JSON.parse(body) as { message: string };
        res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ reply: message.toUpperCase() }));
      });
    });
  });
  await new Promise<void>((resolve) => s.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(s.address() as AddressInfo).port}`,
    open: release,
    close: () => new Promise<void>((resolve) => { s.closeAllConnections(); s.close(() => resolve()); }),
  };
}

beforeAll(async () => {
  t = await startTestAssay();
  server = await listen(t);
  gate = await startGate();
  const create = async (doc: unknown) => expect((await t.req('POST', '/api/experiments', { body: doc })).status).toBe(201);
  await create(experiment('all-pass', [{ q: 'a', expected: 'A' }, { q: 'b', expected: 'B' }, { q: 'c', expected: 'C' }]));
  await create(experiment('one-fails', [{ q: 'a', expected: 'A' }, { q: 'b', expected: 'b' }]));
  // The parameters reach the code target typed as the CLI converted them.
  await create(experiment('params', [{ q: 'x', expected: 'x:number:boolean:string' }], 'return [row.q, typeof row.n, typeof row.flag, typeof row.version].join(":")'));
  await create(experiment('paged', [{ q: 'a', expected: 'A' }]));
  await create({
    slug: 'gated', name: 'gated', dataset: { rows: [{ q: 'held', expected: 'HELD' }] },
    targets: [{ id: 'agent', type: 'http', url: `${gate.url}/chat`, method: 'POST', body: { message: '{{q}}' }, outputPath: '$.reply' }],
    evaluators: [exact],
  });
});
afterAll(async () => {
  gate?.open();
  await server?.close();
  await gate?.close();
  await t?.close();
});

/** A client environment with Assay's key; `sleeps` records every wait the client asked for. */
function clientEnv(overrides: Partial<ClientEnv> = {}): ClientEnv & { sleeps: number[] } {
  const sleeps: number[] = [];
  return {
    endpoint: server.url,
    apiKey: t.key,
    sent: [],
    sleeps,
    // Yields briefly instead of the client's 2 s / 3 s: the code targets finish in milliseconds.
    sleep: async (ms) => {
      sleeps.push(ms);
      await new Promise((resolve) => setTimeout(resolve, 10));
    },
    ...overrides,
  };
}

/** Polls until the run has ended (for runs started outside a client). */
async function settled(runId: string): Promise<void> {
  for (;;) {
    const body = (await (await t.req('GET', `/api/experiments/runs/${runId}`)).json()) as { status: string };
    if (body.status !== 'running') return;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

describe('Python SDK 1.2: langwatch.experiment.run', () => {
  it('starts with a body-less POST on the legacy path, polls every 2 s, then reads the results once', async () => {
    const env = clientEnv();
    const result = await pythonExperimentRun(env, 'all-pass');

    expect(result).toMatchObject({ status: 'completed', passed: 3, failed: 0, passRate: 100, exitCode: 0 });
    const [post, ...rest] = env.sent;
    expect(post).toMatchObject({ method: 'POST', path: '/api/evaluations/v3/all-pass/run', body: null });
    expect(post!.headers).toMatchObject({ 'x-auth-token': t.key, authorization: `Bearer ${t.key}` });
    expect(post!.headers).not.toHaveProperty('content-type');
    expect(post!.headers).not.toHaveProperty('x-project-id');

    const polls = rest.slice(0, -1);
    expect(polls.length).toBe(result.polls);
    for (const poll of polls) expect(poll).toMatchObject({ method: 'GET', path: `/api/evaluations/v3/runs/${result.runId}`, body: null });
    // A wait of poll_interval before every poll, and none after: the results were there at once.
    expect(env.sleeps).toEqual(polls.map(() => 2000));
    expect(rest.at(-1)).toMatchObject({ method: 'GET', path: `/api/evaluations/v3/runs/${result.runId}/results`, query: { experimentSlug: 'all-pass' } });

    // What the DataFrame is built from: one row per cell, the output, and one passed evaluation each.
    expect(result.results!.dataset.map((d) => [d.index, d.predicted?.output])).toEqual([[0, 'A'], [1, 'B'], [2, 'C']]);
    expect(result.results!.evaluations.map((e) => [e.index, e.name, e.passed])).toEqual([[0, 'Exact Match', true], [1, 'Exact Match', true], [2, 'Exact Match', true]]);
    expect(result.summary).toMatchObject({ totalCells: 3, completedCells: 3, failedCells: 0, totalFailed: 0, targets: [{ targetId: 'upper', passed: 3 }] });
  }, 30_000);

  it('exits 1 from print_summary when a cell fails an evaluator', async () => {
    const result = await pythonExperimentRun(clientEnv(), 'one-fails');
    expect(result).toMatchObject({ status: 'completed', passed: 1, failed: 1, passRate: 50, exitCode: 1 });
    expect(result.results!.evaluations.find((e) => e.index === 1)).toMatchObject({ passed: false, status: 'processed' });
  }, 30_000);

  it('sends data, parameters and row_indices as JSON; X-Project-Id (new-format keys) is accepted and ignored', async () => {
    const other = await t.otherProject();
    // Even another project's id: the key alone decides the project.
    const env = clientEnv({ projectId: other.projectId });
    const result = await pythonExperimentRun(env, 'all-pass', { data: [{ q: 'p', expected: 'P' }, { q: 'q', expected: 'Q' }], parameters: { tag: 'ci' }, rowIndices: [1] });
    expect(env.sent[0]!.headers).toMatchObject({ 'x-project-id': other.projectId, 'content-type': 'application/json' });
    expect(JSON.parse(env.sent[0]!.body!)).toEqual({ data: [{ q: 'p', expected: 'P' }, { q: 'q', expected: 'Q' }], parameters: { tag: 'ci' }, row_indices: [1] });
    expect(result).toMatchObject({ status: 'completed', passed: 1, failed: 0 });
    expect(result.results!.projectId).toBe(t.projectId);
    expect(result.results!.dataset).toEqual([expect.objectContaining({ index: 1, entry: { q: 'q', expected: 'Q', tag: 'ci' }, predicted: { output: 'Q' } })]);
  }, 30_000);

  it('retries the results 3 s apart while they lag the run (empty dataset, total > 0), then reads them', async () => {
    const started = await cliExperimentRun(clientEnv(), 'gated');
    const env = clientEnv({
      // The first answer came while the held cell was unfinished; let it finish before the retry.
      sleep: async (ms) => {
        env.sleeps.push(ms);
        gate.open();
        await settled(started.started.runId);
      },
    });
    const page = await pythonFetchResults(env, started.started.runId, 'gated');
    expect(env.sleeps).toEqual([3000]);
    expect(env.sent.map((r) => r.path)).toEqual([1, 2].map(() => `/api/evaluations/v3/runs/${started.started.runId}/results`));
    expect(page!.dataset).toEqual([expect.objectContaining({ index: 0, predicted: { output: 'HELD' } })]);
  }, 30_000);

  it('retries a 404 five times and then gives up with no results, as the SDK does', async () => {
    const env = clientEnv();
    expect(await pythonFetchResults(env, 'run_does_not_exist', 'all-pass')).toBeUndefined();
    expect(env.sent).toHaveLength(5);
    expect(env.sleeps).toEqual([3000, 3000, 3000, 3000]);
  });

  it('gets 404 and 401 as JSON objects with a string error', async () => {
    await expect(pythonExperimentRun(clientEnv(), 'no-such-experiment')).rejects.toMatchObject({ status: 404, body: { error: 'experiment_not_found' } });
    await expect(pythonExperimentRun(clientEnv({ apiKey: `sk-lw-${'0'.repeat(40)}` }), 'all-pass')).rejects.toMatchObject({ status: 401, body: { error: 'Invalid credentials' } });
  });
});

describe('TypeScript SDK 1.8 CLI: langwatch experiment …', () => {
  it('converts --param values as the CLI does', () => {
    expect(parseCliParams(['n=3', 'flag=true', 'off=false', 'version=1.0', 'neg=-2.5', 'empty=', 'label=x', 'label=y'])).toEqual({
      n: 3, flag: true, off: false, version: '1.0', neg: -2.5, empty: '', label: 'y',
    });
  });

  it('run --wait --param k=v: POSTs {parameters} on the canonical path, polls at once and then every 3 s', async () => {
    const env = clientEnv();
    const run = await cliExperimentRun(env, 'params', { wait: true, params: ['n=3', 'flag=true', 'version=1.0'] });

    expect(run.exitCode).toBe(0);
    expect(env.sent[0]).toMatchObject({ method: 'POST', path: '/api/experiments/params/run' });
    expect(env.sent[0]!.body).toBe('{"parameters":{"n":3,"flag":true,"version":"1.0"}}');
    // The CLI's own headers (user agent, SDK name and version) are accepted and change nothing.
    expect(env.sent[0]!.headers).toMatchObject({ authorization: `Bearer ${t.key}`, 'x-auth-token': t.key, 'x-langwatch-sdk-version': '1.8.0' });
    const polls = env.sent.slice(1);
    for (const poll of polls) expect(poll).toMatchObject({ method: 'GET', path: `/api/experiments/runs/${run.started.runId}`, body: null });
    expect(env.sleeps).toEqual(polls.slice(1).map(() => 3000));
    expect(run.lines).toContain('Experiment completed! 1/1 cells');
    expect(run.lines).toContain(`View results: ${run.status!.summary!.runUrl}`);
    expect(run.status!.summary).toMatchObject({ totalCells: 1, completedCells: 1, failedCells: 0, totalPassed: 1 });

    const { rows, page } = await cliExperimentResults(env, 'params', run.started.runId);
    expect(page.dataset[0]!.entry).toEqual({ q: 'x', expected: 'x:number:boolean:string', n: 3, flag: true, version: '1.0' });
    expect(rows).toEqual([expect.objectContaining({ index: 0, output: 'x:number:boolean:string' })]);
  }, 30_000);

  it('run without --wait returns after the POST; an empty --param list sends no body', async () => {
    const env = clientEnv();
    const run = await cliExperimentRun(env, 'all-pass');
    expect(run.exitCode).toBe(0);
    expect(env.sent).toHaveLength(1);
    expect(env.sent[0]!.body).toBeNull();
    expect(run.lines[0]).toBe(`Experiment started! Run ID: ${run.started.runId} (3 cells)`);
    await settled(run.started.runId);
  });

  it('status without --run-id reads the newest run through list-runs?pageSize=1', async () => {
    const env = clientEnv();
    const newest = await cliExperimentRun(env, 'one-fails', { wait: true });
    const { runId, status } = await cliExperimentStatus(env, 'one-fails');
    expect(runId).toBe(newest.started.runId);
    expect(env.sent.at(-2)).toMatchObject({ path: '/api/experiments/runs', query: { experimentSlug: 'one-fails', pageSize: '1' } });
    expect(status).toMatchObject({ status: 'completed', progress: 2, total: 2, summary: { totalFailed: 1 } });
  }, 30_000);

  it('results --filter failed --evaluator --limit picks the failing rows', async () => {
    const env = clientEnv();
    const run = await cliExperimentRun(env, 'one-fails', { wait: true });
    const { rows } = await cliExperimentResults(env, 'one-fails', run.started.runId, { filter: 'failed', evaluator: 'exact', limit: 5 });
    expect(rows).toEqual([expect.objectContaining({ index: 1, output: 'B', evaluations: [expect.objectContaining({ evaluator: 'exact', passed: false })] })]);
    expect(env.sent.at(-1)).toMatchObject({ path: `/api/experiments/runs/${run.started.runId}/results`, query: { experimentSlug: 'one-fails' } });
  }, 30_000);

  it('list pages experiments with page and pageSize', async () => {
    const env = clientEnv();
    const all = await cliExperimentList(env, { pageSize: 200 });
    const slugs = all.experiments.map((e) => e.slug);
    expect(slugs).toEqual(expect.arrayContaining(['all-pass', 'one-fails', 'params', 'paged', 'gated']));
    expect(all.pagination).toEqual({ page: 1, pageSize: 200, totalHits: slugs.length, hasMore: false });
    const first = await cliExperimentList(env, { pageSize: 2 });
    const second = await cliExperimentList(env, { pageSize: 2, page: 2 });
    expect(first.pagination).toMatchObject({ page: 1, pageSize: 2, hasMore: true });
    expect([...first.experiments, ...second.experiments].map((e) => e.slug)).toEqual(slugs.slice(0, 4));
    expect(all.experiments.find((e) => e.slug === 'all-pass')).toMatchObject({ type: 'EVALUATIONS_V3', runsCount: expect.any(Number) });
    expect(env.sent[1]).toMatchObject({ path: '/api/experiments', query: { pageSize: '2' } });
  });

  it('list-runs pages runs newest first with page and pageSize', async () => {
    const ids: string[] = [];
    for (let i = 0; i < 3; i++) {
      const run = await cliExperimentRun(clientEnv(), 'paged', { wait: true });
      ids.push(run.started.runId);
    }
    const env = clientEnv();
    const first = await cliExperimentListRuns(env, 'paged', { page: 1, pageSize: 2 });
    const second = await cliExperimentListRuns(env, 'paged', { page: 2, pageSize: 2 });
    expect(first.pagination).toEqual({ page: 1, pageSize: 2, totalHits: 3, hasMore: true });
    expect(second.pagination).toEqual({ page: 2, pageSize: 2, totalHits: 3, hasMore: false });
    expect([...first.runs, ...second.runs].map((r) => r.runId)).toEqual([...ids].reverse());
    expect(first.runs[0]!.summary.evaluations.exact).toEqual({ name: 'Exact Match', averageScore: null, averagePassed: 1 });
    expect(env.sent[0]).toMatchObject({ path: '/api/experiments/runs', query: { experimentSlug: 'paged', page: '1', pageSize: '2' } });
  }, 30_000);

  it('gets 404 and 401 as JSON objects with a string error, and exits 1', async () => {
    await expect(cliExperimentRun(clientEnv(), 'no-such-experiment', { wait: true })).rejects.toBeInstanceOf(ClientHttpError);
    await expect(cliExperimentRun(clientEnv(), 'no-such-experiment')).rejects.toMatchObject({ status: 404, body: { error: 'experiment_not_found' } });
    await expect(cliExperimentList(clientEnv({ apiKey: `sk-lw-${'0'.repeat(40)}` }))).rejects.toMatchObject({ status: 401, body: { error: 'Invalid credentials' } });
    await expect(cliExperimentListRuns(clientEnv(), 'no-such-experiment')).rejects.toMatchObject({ status: 404, body: { error: 'experiment_not_found' } });
  });

  it("names the key's project through the CLI's best-effort GET /api/me/project", async () => {
    const env = clientEnv();
    expect(await cliIdentityNotice(env)).toBe('Using API key for project Default (default)');
    expect(env.sent[0]).toMatchObject({ method: 'GET', path: '/api/me/project' });
    expect(await cliIdentityNotice(clientEnv({ apiKey: `sk-lw-${'0'.repeat(40)}` }))).toBeUndefined();
  });
});
