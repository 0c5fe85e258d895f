// A sharded run's log lines and run counters as docs/operations.md ("Logs", "Metrics") promises
// them, with real processes: one API process (ASSAY_ROLE=api, it executes nothing) and two
// workers over a PostgreSQL schema and a private redis-server. A 600-cell run is cut into three
// shards; across both workers it logs `run started` once (the coordinator's, counted
// `kind="new"` once) and never `run continued`; each shard that finishes its share logs
// `shard finished` at info with its index and cells; nothing about the run is logged at WARN;
// and the one `run ended` line carries the run's totals, not the coordinator's own (none).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ApiProcess, call, ended, eventually, TestCluster, type WorkerProcess } from '../src/testing/cluster.js';
import { startFakeAgent, type FakeAgent } from '../src/testing/fake-agent.js';
import { parsePrometheusText } from '../src/testing/prom-text.js';
import { agentExperiment } from '../src/testing/runs.js';

const METRICS_TOKEN = 'metrics-token-0123456789abcdef';
const CELLS = 600;

let cluster: TestCluster;
let agent: FakeAgent;
let api: ApiProcess;
let workers: { worker: WorkerProcess; probes: string }[];

/** pino's numeric levels. */
const INFO = 30;
const WARN = 40;

interface LogLine {
  level: number;
  msg: string;
  [field: string]: unknown;
}

/** The JSON log lines of a worker about one run. */
function linesOf(worker: WorkerProcess, runId: string): LogLine[] {
  return worker.proc.output().split('\n').flatMap((text) => {
    if (!text.startsWith('{')) return [];
    try {
      const line = JSON.parse(text) as LogLine;
      return line.runId === runId ? [line] : [];
    } catch {
      return [];
    }
  });
}

beforeAll(async () => {
  cluster = await TestCluster.create({ env: { ASSAY_METRICS_TOKEN: METRICS_TOKEN } });
  // 20 ms a call: at concurrency 10 the run lasts a second or more, so both workers take shards.
  agent = await startFakeAgent({ latencyMs: 20 });
  api = await cluster.api();
  // Each start-up line names the Redis key prefix (and a worker its Redis), so a mismatch shows.
  expect(api.server.output()).toMatch(/cluster role api, process proc_\w+, Redis key prefix assay; API docs at \/docs\)/);
  workers = [];
  for (let i = 0; i < 2; i++) {
    const worker = await cluster.worker({ ASSAY_WORKER_PORT: '0', HOST: '127.0.0.1' });
    const [, port] = worker.proc.output().match(/\/healthz, \/readyz and \/metrics on http:\/\/127\.0\.0\.1:(\d+)/) ?? [];
    expect(port, worker.proc.output()).toBeDefined();
    expect(worker.proc.output()).toMatch(/taking runs from Redis redis:\/\/127\.0\.0\.1:\d+\/? \(key prefix assay; postgres\)/);
    workers.push({ worker, probes: `http://127.0.0.1:${port}` });
  }
}, 120_000);

afterAll(async () => {
  await cluster?.close();
  await agent?.close();
});

describe('a sharded run in a cluster, as its logs and counters tell it', { timeout: 120_000 }, () => {
  it('starts once, finishes each shard at info, warns about nothing, and ends with the run\'s totals', async () => {
    await call(api.base, 'POST', '/api/experiments', agentExperiment('sharded-logs', agent.url, CELLS, { execution: { concurrency: 10 } }));
    const { runId, total } = await call(api.base, 'POST', '/api/experiments/sharded-logs/run');
    expect(total).toBe(CELLS);
    const end = await ended(api.base, runId, 90_000);
    expect(end).toMatchObject({ status: 'completed', progress: CELLS });

    // The ending is logged before it is stored; the shards' lines come before the ending.
    const all = () => workers.flatMap((w) => linesOf(w.worker, runId));
    const endedLines = await eventually('the run ended line', async () => {
      const found = all().filter((l) => l.msg === 'run ended');
      return found.length > 0 ? found : undefined;
    }, 10_000);
    const lines = all();
    const named = (msg: string) => lines.filter((l) => l.msg === msg);

    expect(named('run started')).toHaveLength(1);
    expect(named('run started')[0]).toMatchObject({ level: INFO, resumed: false, total: CELLS });
    expect(named('run continued')).toEqual([]);

    // 600 rows of one target: shards of 250, 250 and 100 cells, each finished once.
    const finished = named('shard finished');
    expect(finished.map((l) => l.shard).sort()).toEqual([0, 1, 2]);
    for (const l of finished) expect(l).toMatchObject({ level: INFO, status: 'completed', cellsCommittedHere: (l.toCell as number) - (l.fromCell as number) });
    expect(finished.reduce((n, l) => n + (l.cellsCommittedHere as number), 0)).toBe(CELLS);

    // A healthy run: no line about it at WARN or above (no "execution ended here").
    expect(lines.filter((l) => l.level >= WARN)).toEqual([]);

    expect(endedLines).toHaveLength(1);
    expect(endedLines[0]).toMatchObject({ level: INFO, status: 'completed', cellsCommitted: CELLS, cellsFailed: 0 });

    // Counted once as new, never as continued, and ended once, across both workers.
    const scrapes = await Promise.all(workers.map(async (w) => {
      const res = await fetch(`${w.probes}/metrics`, { headers: { authorization: `Bearer ${METRICS_TOKEN}` } });
      expect(res.status).toBe(200);
      return parsePrometheusText(await res.text());
    }));
    const sum = (name: string, labels: Record<string, string>) => scrapes.reduce((n, m) => n + m.sum(name, labels), 0);
    expect(sum('assay_runs_started_total', { kind: 'new' })).toBe(1);
    expect(sum('assay_runs_started_total', { kind: 'continued' })).toBe(0);
    expect(sum('assay_runs_finished_total', { status: 'completed' })).toBe(1);
    expect(sum('assay_cells_total', {})).toBe(CELLS);
  });
});
