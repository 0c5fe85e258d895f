// `npm run bench -- --only=cluster` (issue 14): Assay as a cluster — a private redis-server and a
// private PostgreSQL (src/testing), one `assay serve` with ASSAY_ROLE=api and N `assay worker`
// processes with ASSAY_WORKER_CONCURRENCY=100 — against the benchmark agent (bench/agent.ts).
//
// Workload: a run executes in one worker at a time until sharding lands, so the cells are spread
// over RUNS runs posted at once. A worker takes at most 16 runs at once (RUNS_PER_PROCESS in
// src/config/cluster.ts): with 64 runs and 4 workers every worker holds 16, and each run's
// concurrency (25) lets 4 of them fill a worker's 100 slots, so every worker is busy whatever
// order BullMQ hands the runs out in. `--one-run` posts one run of all the cells instead (for
// when one run is split into shards across workers; until then it measures one worker).
//
// Figures: throughput = cells ÷ (last run's finishedAt − the first POST), with 1, 2 and 4
// workers; scaling efficiency = throughput ÷ (workers × one worker's). Then a shared model cap
// of 150 over 4 workers against the fake OpenAI server (its highest in-flight count must be
// ≤ 150), and at zero latency 2 workers against 1.
import os from 'node:os';
import { startPostgres } from '../src/testing/private-postgres.js';
import { startRedis } from '../src/testing/redis-server.js';
import { cpuMs } from './proc.js';
import { api, KEY, OPENAI_KEY, type Server, startAgent, startOpenAI, startServer, startWorker, type WorkerProcess } from './servers.js';

export interface ClusterBenchOptions {
  quick: boolean;
  /** One run of every cell instead of 64 runs (for sharding). */
  oneRun: boolean;
}

/** Runs posted at once: 16 per worker at 4 workers (see the header). */
const RUNS = 64;
/** Each run's execution.concurrency: 4 runs fill a worker's 100 slots. */
const RUN_CONCURRENCY = 25;
const WORKER_CONCURRENCY = 100;
const EVALUATOR = { id: 'exact', type: 'langevals/exact_match', inputs: { output: 'output', expected_output: 'row.expected' } };

interface Workload {
  runs: number;
  /** Rows of each run (one target, so cells = rows). */
  rows: number[];
  concurrency: number;
}

function workload(cells: number, oneRun: boolean, workers: number): Workload {
  if (oneRun) return { runs: 1, rows: [cells], concurrency: WORKER_CONCURRENCY * workers };
  // 20,000 = 32 × 313 + 32 × 312: run sizes differ by one row at most.
  const base = Math.floor(cells / RUNS);
  return { runs: RUNS, rows: Array.from({ length: RUNS }, (_, i) => base + (i < cells - base * RUNS ? 1 : 0)), concurrency: RUN_CONCURRENCY };
}

function describe(w: Workload): string {
  const total = w.rows.reduce((a, b) => a + b, 0);
  if (w.runs === 1) return `one run of ${total.toLocaleString('en')} cells, concurrency ${w.concurrency}`;
  return `${w.runs} runs posted at once (${Math.min(...w.rows)}–${Math.max(...w.rows)} cells each, ${total.toLocaleString('en')} in all), concurrency ${w.concurrency} per run`;
}

interface Measured {
  cells: number;
  wallMs: number;
  /** CPU of the workers together, ms. */
  workerCpuMs: number;
  /** Cells whose target failed (none expected). */
  failed: number;
}

/** Saves one experiment per run size (rows are inline), posts every run at once, waits for them all. */
async function measure(server: Server, workers: WorkerProcess[], w: Workload, target: (rows: number) => object, tag: string): Promise<Measured> {
  const sizes = [...new Set(w.rows)];
  for (const rows of sizes) {
    await api(server.base, 'POST', '/api/experiments', {
      slug: `${tag}-${rows}`, name: `${tag} ${rows}`,
      dataset: { rows: Array.from({ length: rows }, (_, i) => ({ question: `question ${i}`, expected: `question ${i}` })) },
      targets: [target(rows)], evaluators: [EVALUATOR],
      execution: { concurrency: w.concurrency, maxRetries: 0 },
    });
  }
  const cpu0 = workers.reduce((a, p) => a + cpuMs(p.pid), 0);
  const t0 = Date.now();
  const started = await Promise.all(w.rows.map((rows) => api(server.base, 'POST', `/api/experiments/${tag}-${rows}/run`) as Promise<{ runId: string; total: number }>));
  // One run polled at a time (its finishedAt is exact whenever we read it): polling all 64 every
  // 250 ms was 256 requests a second on the API process and PostgreSQL, on the same 2 cores.
  let finishedAt = 0;
  let failed = 0;
  for (const { runId } of started) {
    for (;;) {
      const run = await api(server.base, 'GET', `/api/experiments/runs/${runId}`);
      if (run.status !== 'running') {
        if (run.status !== 'completed') throw new Error(`run ${runId} ended ${run.status}: ${run.error ?? ''}`);
        finishedAt = Math.max(finishedAt, run.finishedAt);
        failed += run.summary.failedCells;
        break;
      }
      await new Promise((r) => setTimeout(r, 250));
    }
  }
  const cells = started.reduce((a, s) => a + s.total, 0);
  return { cells, wallMs: finishedAt - t0, workerCpuMs: workers.reduce((a, p) => a + cpuMs(p.pid), 0) - cpu0, failed };
}

export async function clusterBench(options: ClusterBenchOptions, print: (line: string) => void): Promise<boolean> {
  const cells = options.quick ? 2_000 : 20_000;
  const capCells = options.quick ? 1_500 : 6_000;
  const latency = 200;
  const redis = await startRedis();
  const pg = await startPostgres();
  const agent = await startAgent(latency);
  const fastAgent = await startAgent(0);
  const openai = await startOpenAI(latency);
  const shared = {
    DATABASE_URL: pg.url, REDIS_URL: redis.url, ASSAY_API_KEY: KEY, ASSAY_SECRET_KEY: 'bench-cluster-secret-key-0123456789abcdef',
    OPENAI_API_KEY: OPENAI_KEY, OPENAI_BASE_URL: openai.baseURL,
  };
  // 64 runs a scenario, several scenarios a minute: above the default run-start rate limit.
  const server = await startServer({ ...shared, ASSAY_ROLE: 'api', ASSAY_RUN_RATE_LIMIT: '0' });
  let ok = true;
  const withWorkers = async <T>(n: number, env: Record<string, string>, body: (workers: WorkerProcess[]) => Promise<T>): Promise<T> => {
    const workers: WorkerProcess[] = [];
    try {
      for (let i = 0; i < n; i++) workers.push(await startWorker({ ...shared, ASSAY_WORKER_CONCURRENCY: String(WORKER_CONCURRENCY), ...env }));
      return await body(workers);
    } finally {
      await Promise.all(workers.map((w) => w.stop()));
    }
  };
  const httpTarget = (url: string) => () => ({ id: 'agent', type: 'http', url: `${url}/a`, body: { message: '{{question}}' }, outputPath: '$.reply' });
  try {
    // ---- scaling at 200 ms ----------------------------------------------------------------
    print(`\n### Cluster: ${cells.toLocaleString('en')} cells against the agent at ${latency} ms, ASSAY_WORKER_CONCURRENCY=${WORKER_CONCURRENCY}\n`);
    print(`Workload: ${describe(workload(cells, options.oneRun, 1))}${options.oneRun ? ' × workers' : ''}. One HTTP target, exact match, PostgreSQL and Redis private to the benchmark; one \`serve\` with ASSAY_ROLE=api.\n`);
    print('| workers | wall time | cells/s | ideal cells/s | scaling efficiency | worker CPU ms/cell |');
    print('|---:|---:|---:|---:|---:|---:|');
    let one = 0;
    for (const n of [1, 2, 4]) {
      const w = workload(cells, options.oneRun, n);
      const m = await withWorkers(n, {}, (workers) => measure(server, workers, w, httpTarget(agent.url), `scale${n}`));
      if (m.failed > 0) throw new Error(`${m.failed} cells failed at ${n} workers`);
      const rate = (m.cells * 1000) / m.wallMs;
      if (n === 1) one = rate;
      const efficiency = rate / (n * one);
      print(`| ${n} | ${(m.wallMs / 1000).toFixed(2)} s | ${rate.toFixed(0)} | ${((n * WORKER_CONCURRENCY * 1000) / latency).toFixed(0)} | **${efficiency.toFixed(3)}** | ${(m.workerCpuMs / m.cells).toFixed(3)} |`);
      if (n > 1 && efficiency < 0.9 && !options.quick) ok = false;
    }

    // ---- a shared model cap --------------------------------------------------------------
    const cap = 150;
    print(`\n### Cluster: a shared model cap of ${cap} over 4 workers (fake OpenAI at ${latency} ms, ${capCells.toLocaleString('en')} cells)\n`);
    const wc = workload(capCells, options.oneRun, 4);
    print(`Workload: ${describe(wc)}; one prompt target (openai/gpt-4o-mini); ASSAY_MODEL_CONCURRENCY=${cap} on every worker, 4 × ${WORKER_CONCURRENCY} cells could be in flight.\n`);
    await openai.resetPeak();
    const capped = await withWorkers(4, { ASSAY_MODEL_CONCURRENCY: String(cap) }, (workers) =>
      measure(server, workers, wc, () => ({ id: 'mini', type: 'prompt', model: 'openai/gpt-4o-mini', params: { maxTokens: 16 }, messages: [{ role: 'user', content: '{{question}}' }] }), 'cap'));
    const peak = (await openai.peakInFlight())['gpt-4o-mini'] ?? 0;
    const capRate = (capped.cells * 1000) / capped.wallMs;
    print('| workers | cap | provider\'s max in flight | wall time | cells/s | cap-bound cells/s | share of the cap used | worker CPU ms/cell | failed cells |');
    print('|---:|---:|---:|---:|---:|---:|---:|---:|---:|');
    print(
      `| 4 | ${cap} | **${peak}** | ${(capped.wallMs / 1000).toFixed(2)} s | ${capRate.toFixed(0)} | ${((cap * 1000) / latency).toFixed(0)} | ` +
        `${(capRate / ((cap * 1000) / latency)).toFixed(3)} | ${(capped.workerCpuMs / capped.cells).toFixed(3)} | ${capped.failed} |`,
    );
    if (peak > cap) {
      print(`\n**The cap was exceeded: ${peak} > ${cap}.**`);
      ok = false;
    }

    // ---- zero latency: CPU-bound ---------------------------------------------------------
    print(`\n### Cluster at zero latency: 2 workers against 1 (${cells.toLocaleString('en')} cells, ${os.cpus().length} cores)\n`);
    print('| workers | wall time | cells/s | against 1 worker | worker CPU ms/cell |');
    print('|---:|---:|---:|---:|---:|');
    let single = 0;
    for (const n of [1, 2]) {
      const m = await withWorkers(n, {}, (workers) => measure(server, workers, workload(cells, options.oneRun, n), httpTarget(fastAgent.url), `zero${n}`));
      if (m.failed > 0) throw new Error(`${m.failed} cells failed at zero latency, ${n} workers`);
      const rate = (m.cells * 1000) / m.wallMs;
      if (n === 1) single = rate;
      print(`| ${n} | ${(m.wallMs / 1000).toFixed(2)} s | ${rate.toFixed(0)} | ${(rate / single).toFixed(2)}× | ${(m.workerCpuMs / m.cells).toFixed(3)} |`);
    }
    print('\nWall time: from the first POST to the last run\'s finishedAt. Worker CPU: user + system time of the worker processes (from /proc) over the measurement, ÷ cells; the API process, PostgreSQL and Redis are not counted.');
  } finally {
    await server.stop();
    await Promise.all([agent.stop(), fastAgent.stop(), openai.stop()]);
    await redis.stop();
    await pg.stop();
  }
  return ok;
}
