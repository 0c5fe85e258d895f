// A million rows (issue 14): a 1,000,000-row dataset uploaded as a streamed CSV body (generated
// on the fly, so neither side ever holds it whole), run with a sandboxed code target and exact
// match, then the summary, a results page at the start and at the end, and both streamed
// exports timed. The server's peak RSS (VmHWM, the whole life of the process) must stay under
// 500 MB and the POST of the run must answer in under 300 ms; the scenario fails otherwise.
// Embedded: one `assay serve` on SQLite. Cluster: one `assay serve` (ASSAY_ROLE=api) and one
// `assay worker` over a fresh schema of the machine's PostgreSQL and a private redis-server
// (src/testing/cluster.ts); each process's peak RSS is reported and bounded.
import os from 'node:os';
import { cpuMs, peakRssMb, rssMb } from './proc.js';
import { CLUSTER_KEY, TestCluster } from '../src/testing/cluster.js';
import { api, KEY, startServer } from './servers.js';

const POST_BOUND_MS = 300;
const RSS_BOUND_MB = 500;

/** The CSV of `n` rows as a stream of ~1 MB chunks, made as it is read. */
function csvStream(n: number): { body: ReadableStream<Uint8Array>; bytes: () => number } {
  const encoder = new TextEncoder();
  let i = 0;
  let sent = 0;
  let header = true;
  const body = new ReadableStream<Uint8Array>({
    pull(controller) {
      if (i >= n) {
        controller.close();
        return;
      }
      const lines: string[] = header ? ['question,expected'] : [];
      header = false;
      for (const end = Math.min(n, i + 20_000); i < end; i++) lines.push(`question ${i},QUESTION ${i}`);
      const chunk = encoder.encode(lines.join('\n') + '\n');
      sent += chunk.byteLength;
      controller.enqueue(chunk);
    },
  });
  return { body, bytes: () => sent };
}

/**
 * Asks GET /healthz every 100 ms until stopped; the slowest answer is how long the server's
 * event loop was held (a synchronous SQLite statement holds it for its whole duration).
 */
function healthProbe(base: string): { stop: () => Promise<number> } {
  let slowest = 0;
  const state = { running: true };
  const loop = (async () => {
    while (state.running) {
      const t0 = performance.now();
      await fetch(`${base}/healthz`).then((r) => r.arrayBuffer());
      slowest = Math.max(slowest, performance.now() - t0);
      await new Promise((r) => setTimeout(r, 100));
    }
  })();
  return {
    stop: async () => {
      state.running = false;
      await loop;
      return slowest;
    },
  };
}

async function timed<T>(f: () => Promise<T>): Promise<[T, number]> {
  const t0 = performance.now();
  const value = await f();
  return [value, performance.now() - t0];
}

/** Where the benchmark runs: the API's base URL and key, and the processes whose memory counts. */
interface Deployment {
  label: string;
  base: string;
  key: string;
  /** Process name → pid; the first is the one that answers HTTP. */
  pids: Record<string, number>;
  stop(): Promise<void>;
}

async function embedded(): Promise<Deployment> {
  const server = await startServer();
  return { label: 'embedded (SQLite)', base: server.base, key: KEY, pids: { serve: server.pid }, stop: () => server.stop() };
}

async function cluster(): Promise<Deployment> {
  const c = await TestCluster.create();
  try {
    const apiProc = await c.api('api');
    const worker = await c.worker();
    return {
      label: 'cluster (PostgreSQL, Redis, 1 serve with ASSAY_ROLE=api + 1 worker)', base: apiProc.base, key: CLUSTER_KEY,
      pids: { serve: apiProc.server.child.pid!, worker: worker.proc.child.pid! }, stop: () => c.close(),
    };
  } catch (error) {
    await c.close();
    throw error;
  }
}

/** GET of a streamed export, read to the end: its lines and bytes. */
async function readExport(d: Deployment, runId: string, format: 'csv' | 'jsonl'): Promise<{ lines: number; bytes: number }> {
  const res = await fetch(`${d.base}/api/experiments/runs/${runId}/export?format=${format}`, { headers: { authorization: `Bearer ${d.key}` } });
  if (!res.ok) throw new Error(`export ${format}: ${res.status} ${await res.text()}`);
  let lines = 0;
  let bytes = 0;
  for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
    bytes += chunk.byteLength;
    for (const b of chunk) if (b === 10) lines++;
  }
  return { lines, bytes };
}

/** Polls the run (no SSE client: a million cells' events would load the server for nothing) until it ends. */
async function waitEnded(d: Deployment, runId: string, onTick: () => void): Promise<{ status: string; summary: { totalCells: number; totalPassed: number } }> {
  for (;;) {
    const run = await api(d.base, 'GET', `/api/experiments/runs/${runId}`, undefined, 'application/json', d.key);
    onTick();
    if (run.status !== 'running') return run;
    await new Promise((r) => setTimeout(r, 2000));
  }
}

const mb = (x: number) => `${x.toFixed(0)} MB`;

export async function millionBench(n: number, mode: 'embedded' | 'cluster', print: (line: string) => void): Promise<boolean> {
  const d = mode === 'embedded' ? await embedded() : await cluster();
  print(`\n### ${n.toLocaleString('en')} rows × 1 code target, exact match, ${d.label}\n`);
  const call = (method: string, p: string, body?: unknown) => api(d.base, method, p, body, 'application/json', d.key);
  const names = Object.keys(d.pids);
  const seen: Record<string, number> = Object.fromEntries(names.map((k) => [k, 0]));
  const sample = () => {
    for (const k of names) seen[k] = Math.max(seen[k]!, rssMb(d.pids[k]!));
  };
  const peaks = () => names.map((k) => peakRssMb(d.pids[k]!));
  const sampler = setInterval(sample, 200);
  try {
    const csv = csvStream(n);
    const uploadProbe = healthProbe(d.base);
    const [ds, uploadMs] = await timed(async () => {
      const res = await fetch(`${d.base}/api/datasets?name=million`, {
        method: 'POST', body: csv.body, duplex: 'half',
        headers: { authorization: `Bearer ${d.key}`, 'content-type': 'text/csv' },
      } as RequestInit);
      const body = (await res.json()) as { id: string; rowCount: number };
      if (res.status !== 201) throw new Error(`upload: ${res.status} ${JSON.stringify(body)}`);
      return body;
    });
    const afterUpload = peaks();
    const uploadStallMs = await uploadProbe.stop();
    if (ds.rowCount !== n) throw new Error(`uploaded ${ds.rowCount} rows, expected ${n}`);
    await call('POST', '/api/experiments', {
      slug: 'million', name: 'million', dataset: { datasetId: ds.id },
      targets: [{ id: 'upper', type: 'code', code: 'return row.question.toUpperCase()' }],
      evaluators: [{ id: 'exact', type: 'langevals/exact_match', inputs: { output: 'output', expected_output: 'row.expected' } }],
      execution: { concurrency: 50 },
    });
    const cpu0 = names.map((k) => cpuMs(d.pids[k]!));
    const t0 = performance.now();
    const [started, postMs] = await timed(() => call('POST', '/api/experiments/million/run'));
    const runProbe = healthProbe(d.base);
    const run = await waitEnded(d, started.runId, sample);
    const wallMs = performance.now() - t0;
    const cpu = names.reduce((sum, k, i) => sum + cpuMs(d.pids[k]!) - cpu0[i]!, 0);
    const runStallMs = await runProbe.stop();
    const afterRun = peaks();
    const s = run.summary;
    if (run.status !== 'completed' || s.totalCells !== n || s.totalPassed !== n) throw new Error(`expected ${n} passing cells, got ${run.status} ${JSON.stringify(s).slice(0, 300)}`);

    const [, summaryMs] = await timed(() => call('GET', `/api/experiments/runs/${started.runId}`));
    const [first, firstMs] = await timed(() => call('GET', `/api/experiments/runs/${started.runId}/results?offset=0&limit=1000`));
    const [last, lastMs] = await timed(() => call('GET', `/api/experiments/runs/${started.runId}/results?offset=${n - 1000}&limit=1000`));
    if (first.dataset.length !== 1000 || last.dataset[999]?.index !== n - 1) throw new Error('results pages are not what was expected');
    // Server CPU as well as wall time: on a shared machine the wall time of a CPU-bound
    // stream says more about the neighbours than about the export.
    const serveCpu = () => cpuMs(d.pids.serve!);
    const csvCpu0 = serveCpu();
    const [csvOut, csvMs] = await timed(() => readExport(d, started.runId, 'csv'));
    const jsonlCpu0 = serveCpu();
    const [jsonl, jsonlMs] = await timed(() => readExport(d, started.runId, 'jsonl'));
    const jsonlCpu = serveCpu() - jsonlCpu0;
    const csvCpu = jsonlCpu0 - csvCpu0;
    if (csvOut.lines !== n + 1 || jsonl.lines !== n) throw new Error(`exports have ${csvOut.lines} CSV and ${jsonl.lines} JSONL lines`);
    sample();
    const overall = peaks();

    const each = (values: number[]) => names.map((k, i) => `${k} ${mb(values[i]!)}`).join(', ');
    print('| upload (CSV, streamed) | POST /run answered | run wall time | cells/s | CPU ms/cell | peak RSS overall |');
    print('|---:|---:|---:|---:|---:|---:|');
    print(
      `| ${(uploadMs / 1000).toFixed(1)} s (${(csv.bytes() / 1e6).toFixed(1)} MB) | **${postMs.toFixed(0)} ms** | ${(wallMs / 1000).toFixed(1)} s | ` +
        `${((n * 1000) / wallMs).toFixed(0)} | ${(cpu / n).toFixed(3)} | **${each(overall)}** |`,
    );
    print('');
    print('| GET run (summary) | results page 0 (1,000 cells) | results page at the end | export CSV | export JSONL |');
    print('|---:|---:|---:|---:|---:|');
    print(
      `| ${summaryMs.toFixed(0)} ms | ${firstMs.toFixed(0)} ms | ${lastMs.toFixed(0)} ms | ` +
        `${(csvMs / 1000).toFixed(1)} s, CPU ${(csvCpu / 1000).toFixed(1)} s (${(csvOut.bytes / 1e6).toFixed(0)} MB) | ` +
        `${(jsonlMs / 1000).toFixed(1)} s, CPU ${(jsonlCpu / 1000).toFixed(1)} s (${(jsonl.bytes / 1e6).toFixed(0)} MB) |`,
    );
    print(`\nPeak RSS (VmHWM) after the upload: ${each(afterUpload)}; after the run: ${each(afterRun)}; sampled every 200 ms: ${each(names.map((k) => seen[k]!))}.`);
    print(`Slowest GET /healthz (asked every 100 ms): ${uploadStallMs.toFixed(0)} ms during the upload, ${runStallMs.toFixed(0)} ms during the run.`);
    print(`Machine load average (1 min) at the end: ${os.loadavg()[0]!.toFixed(1)} on ${os.cpus().length} cores.`);
    print(`Bounds: POST /run < ${POST_BOUND_MS} ms, every process's peak RSS < ${RSS_BOUND_MB} MB. CPU ms/cell: all processes above together.`);
    return postMs < POST_BOUND_MS && overall.every((p) => p < RSS_BOUND_MB);
  } finally {
    clearInterval(sampler);
    await d.stop();
  }
}
