// An `assay worker` with ASSAY_WORKER_PORT answers /livez, /healthz, /readyz and /metrics (behind
// ASSAY_METRICS_TOKEN) and nothing else. Its /metrics is where a cluster's cells are counted:
// the API process that started the run executes nothing, so its own /metrics has none of them.
// Real processes: one API process and one worker over a PostgreSQL schema and a private Redis.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ApiProcess, call, ended, TestCluster, type WorkerProcess } from '../src/testing/cluster.js';
import { parsePrometheusText } from '../src/testing/prom-text.js';

const METRICS_TOKEN = 'metrics-token-0123456789abcdef';
let cluster: TestCluster;
let api: ApiProcess;
let worker: WorkerProcess;
let probes: string;

beforeAll(async () => {
  cluster = await TestCluster.create({ env: { ASSAY_METRICS_TOKEN: METRICS_TOKEN } });
  api = await cluster.api();
  worker = await cluster.worker({ ASSAY_WORKER_PORT: '0', HOST: '127.0.0.1' });
  const [, port] = worker.proc.output().match(/\/livez, \/healthz, \/readyz and \/metrics on http:\/\/127\.0\.0\.1:(\d+)/) ?? [];
  expect(port, worker.proc.output()).toBeDefined();
  probes = `http://127.0.0.1:${port}`;
}, 120_000);

afterAll(async () => {
  await cluster?.close();
});

const metricsOf = async (base: string) => {
  const res = await fetch(`${base}/metrics`, { headers: { authorization: `Bearer ${METRICS_TOKEN}` } });
  expect(res.status).toBe(200);
  return parsePrometheusText(await res.text());
};

describe('the worker on ASSAY_WORKER_PORT', { timeout: 60_000 }, () => {
  it('answers its probes: /livez, /healthz, and /readyz checking PostgreSQL and Redis', async () => {
    const live = await fetch(`${probes}/livez`);
    expect(live.status).toBe(200);
    expect(await live.json()).toMatchObject({ status: 'ok' });
    const health = await fetch(`${probes}/healthz`);
    expect(health.status).toBe(200);
    expect(await health.json()).toMatchObject({ status: 'ok' });
    const ready = await fetch(`${probes}/readyz`);
    expect(ready.status).toBe(200);
    expect(await ready.json()).toEqual({ status: 'ready', checks: { database: 'ok', redis: 'ok' } });
  });

  it('serves no project: the API, the docs and the web page are 404s, with a key too', async () => {
    for (const path of ['/api/experiments', '/api/openapi.json', '/docs', '/']) {
      const res = await fetch(`${probes}${path}`, { headers: { authorization: `Bearer ${cluster.env.ASSAY_API_KEY}` } });
      expect(res.status, path).toBe(404);
      expect(await res.json(), path).toMatchObject({ error: 'not_found' });
    }
  });

  it('/metrics asks for the metrics token, and counts the cells this worker executed', async () => {
    expect((await fetch(`${probes}/metrics`)).status).toBe(401);
    await call(api.base, 'POST', '/api/experiments', {
      slug: 'counted', name: 'counted',
      dataset: { rows: [{ q: 'a' }, { q: 'b' }, { q: 'c' }, { q: 'd' }, { q: 'e' }] },
      targets: [{ id: 'echo', type: 'code', code: 'return row.q' }],
      evaluators: [{ id: 'exact', type: 'langevals/exact_match', inputs: { output: 'output', expected_output: 'row.q' } }],
    });
    const { runId } = await call(api.base, 'POST', '/api/experiments/counted/run');
    expect((await ended(api.base, runId, 30_000)).status).toBe('completed');
    const executed = await metricsOf(probes);
    expect(executed.sum('assay_cells_total', { target_type: 'code', outcome: 'passed' })).toBe(5);
    expect(executed.sum('assay_runs_finished_total', { status: 'completed' })).toBe(1);
    expect(executed.sum('assay_evaluations_total', { evaluator: 'exact_match', outcome: 'passed' })).toBe(5);
    // The API process started the run and executed none of it.
    const started = await metricsOf(api.base);
    expect(started.sum('assay_cells_total')).toBe(0);
    expect(started.sum('assay_http_requests_total', { route: '/api/experiments/:slug/run' })).toBe(1);
  });
});
