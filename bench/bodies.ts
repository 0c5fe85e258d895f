// Large bodies against the main thread (`npm run bench -- --only=bodies`): a project may send
// bodies up to ASSAY_MAX_BODY_BYTES (10 MB by default), and nothing it sends may hold the main
// thread past 100 ms. Each operation below sends or reads ≈ 10 MB on a fresh server; what is
// printed is the longest the event loop was held while it ran (the server's own
// nodejs_eventloop_lag_max_seconds, reset by the scrape before it) and the slowest /healthz a
// client polling every 5 ms saw meanwhile (which also waits for the database). Then the reads
// of a whole 50,000-cell run: exports, a comparison, the event stream from the start, a resume.
import { parsePrometheusText } from '../src/testing/prom-text.js';
import { api, KEY, startAgent, startServer, waitDone } from './servers.js';

/** The bound of the standards: no request holds the main thread longer. */
export const STALL_BOUND_MS = 100;

interface Figures {
  label: string;
  ms: number[];
  loopMaxMs: number[];
  healthzMaxMs: number[];
}

export async function bodiesBench(quick: boolean, print: (line: string) => void): Promise<boolean> {
  const repeats = quick ? 1 : 3;
  const server = await startServer({ ASSAY_ALLOW_PRIVATE_URLS: 'true' });
  const headers = { authorization: `Bearer ${KEY}`, 'content-type': 'application/json' };
  // 60,000 rows of ≈ 170 bytes: 10.2 MB as JSON, just under the default body limit.
  const rows = Array.from({ length: quick ? 6_000 : 60_000 }, (_, i) => ({
    question: `What is the capital of country number ${i}? Please answer briefly.`, expected: `Capital ${i} city name`, extra: 'x'.repeat(40),
  }));
  // A target that fails at once (nothing listens on port 9): runs end quickly and cost little.
  const target = { id: 't', type: 'http', url: 'http://127.0.0.1:9/x', method: 'POST', body: { q: '{{question}}' }, outputPath: '$.a' };
  const doc = { name: 'big', dataset: { rows }, targets: [target], evaluators: [] };
  const docText = JSON.stringify(doc);

  const polling = { on: true };
  let healthzMax = 0;
  const poller = (async () => {
    while (polling.on) {
      const t = performance.now();
      await (await fetch(`${server.base}/healthz`)).text();
      healthzMax = Math.max(healthzMax, performance.now() - t);
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
  })();
  const abort = async (runId: string) => {
    const res = await fetch(`${server.base}/api/experiments/runs/${runId}/abort`, { method: 'POST', headers, body: '{}' });
    // 409: the run had already ended.
    if (res.status !== 200 && res.status !== 409) throw new Error(`abort: ${res.status} ${await res.text()}`);
  };

  const figures: Figures[] = [];
  const measure = async (label: string, send: () => Promise<Response>): Promise<void> => {
    const f: Figures = { label, ms: [], loopMaxMs: [], healthzMaxMs: [] };
    for (let i = 0; i < repeats; i++) {
      const held = await heldDuring(server.base, async () => {
        healthzMax = 0;
        const t = performance.now();
        const res = await send();
        const text = await res.text();
        f.ms.push(performance.now() - t);
        if (res.status >= 300) throw new Error(`${label}: ${res.status} ${text.slice(0, 300)}`);
        const runId = (JSON.parse(text) as { runId?: string }).runId;
        if (runId) await abort(runId);
      });
      f.loopMaxMs.push(held);
      f.healthzMaxMs.push(healthzMax);
    }
    figures.push(f);
  };

  let n = 0;
  await measure('POST /api/experiments (10 MB)', () => fetch(`${server.base}/api/experiments`, { method: 'POST', headers, body: JSON.stringify({ ...doc, slug: `copy-${n++}` }) }));
  await measure('PUT /api/experiments/big (10 MB)', () => fetch(`${server.base}/api/experiments/big`, { method: 'PUT', headers, body: docText }));
  await measure('GET /api/experiments/big (10 MB answer)', () => fetch(`${server.base}/api/experiments/big`, { headers }));
  await measure('GET /api/experiments (list)', () => fetch(`${server.base}/api/experiments`, { headers }));
  await measure('POST …/big/run (saved rows)', () => fetch(`${server.base}/api/experiments/big/run`, { method: 'POST', headers, body: '{}' }));
  await measure('POST …/big/run with `data` (9 MB)', () => fetch(`${server.base}/api/experiments/big/run`, { method: 'POST', headers, body: JSON.stringify({ data: rows.slice(0, Math.floor(rows.length * 0.9)) }) }));
  // Reads of a run of it: they need the version's targets and evaluators, not its rows.
  const [first, second] = [await api(server.base, 'POST', '/api/experiments/big/run', {}), await api(server.base, 'POST', '/api/experiments/big/run', {})];
  await abort(first.runId);
  await abort(second.runId);
  await measure('GET …/runs/{id}/results (10 MB experiment)', () => fetch(`${server.base}/api/experiments/runs/${second.runId}/results?limit=10`, { headers }));
  await measure('GET …/runs/{id}/compare (10 MB experiment)', () => fetch(`${server.base}/api/experiments/runs/${second.runId}/compare?baseline=${first.runId}`, { headers }));
  await measure('POST /api/datasets (10 MB)', () => fetch(`${server.base}/api/datasets`, { method: 'POST', headers, body: JSON.stringify({ name: `d${n++}`, rows }) }));
  polling.on = false;
  await poller;
  await server.stop();

  const fmt = (xs: number[]) => xs.map((x) => x.toFixed(0)).join(', ');
  print(`\nLarge bodies (${rows.length.toLocaleString('en-US')} rows, ${(docText.length / 1e6).toFixed(1)} MB; ${repeats} each): main thread held at most (event-loop delay, ms) / slowest /healthz (ms) / request time (ms)`);
  let ok = true;
  for (const f of figures) {
    const worst = Math.max(...f.loopMaxMs);
    if (worst > STALL_BOUND_MS) ok = false;
    print(`  ${f.label.padEnd(40)} held ${fmt(f.loopMaxMs).padEnd(14)} /healthz ${fmt(f.healthzMaxMs).padEnd(14)} took ${fmt(f.ms)}`);
  }
  print(`  bound: held ≤ ${STALL_BOUND_MS} ms — ${ok ? 'holds' : 'FAILS'}`);
  return ok;
}

/** The longest the server's event loop was held during `work` (ms), by its own loop-delay histogram. */
export async function heldDuring(base: string, work: () => Promise<void>): Promise<number> {
  const loopMax = async (): Promise<number> => {
    const res = await fetch(`${base}/metrics`, { headers: { authorization: `Bearer ${KEY}` } });
    return parsePrometheusText(await res.text()).sum('nodejs_eventloop_lag_max_seconds', {}) * 1000;
  };
  await loopMax();
  // Node's loop-delay histogram drops a stall that begins before its first sample after a reset
  // (the scrape resets it): 300 ms of work right after reset() read as 10 ms. It samples first.
  await new Promise((resolve) => setTimeout(resolve, 50));
  await work();
  // It samples every 10 ms: it sees the end of the work.
  await new Promise((resolve) => setTimeout(resolve, 100));
  return loopMax();
}

/** Reads of a whole run (two runs of `rows` cells on a fake agent): how long each holds the main thread. */
export async function largeReadsBench(quick: boolean, print: (line: string) => void): Promise<boolean> {
  const rows = quick ? 5_000 : 50_000;
  const server = await startServer();
  const agent = await startAgent(0);
  const doc = {
    slug: 'big', name: 'big',
    dataset: { rows: Array.from({ length: rows }, (_, i) => ({ question: `question ${i} ${'y'.repeat(60)}`, expected: `question ${i}` })) },
    targets: [{ id: 'a', type: 'http', url: `${agent.url}/a`, body: { message: '{{question}}' }, outputPath: '$.reply' }],
    evaluators: [{ id: 'exact', type: 'langevals/exact_match', inputs: { output: 'output', expected_output: 'row.expected' } }],
    execution: { concurrency: 50, maxRetries: 0 },
  };
  await api(server.base, 'POST', '/api/experiments', doc);
  const runs: string[] = [];
  for (let i = 0; i < 2; i++) {
    const started = await api(server.base, 'POST', '/api/experiments/big/run', {});
    await waitDone(server.base, started.runId);
    runs.push(started.runId);
  }
  const headers = { authorization: `Bearer ${KEY}` };
  const [baseline, candidate] = runs as [string, string];
  const reads: [string, string, Record<string, string>?][] = [
    ['export JSON Lines', `/api/experiments/runs/${candidate}/export?format=jsonl`],
    ['export CSV', `/api/experiments/runs/${candidate}/export?format=csv`],
    ['export JUnit', `/api/experiments/runs/${candidate}/export?format=junit`],
    ['compare with the other run', `/api/experiments/runs/${candidate}/compare?baseline=${baseline}`],
    ['export the comparison (CSV)', `/api/experiments/runs/${candidate}/compare/export?baseline=${baseline}&format=csv`],
    ['events from the start (SSE)', `/api/experiments/runs/${candidate}/events`, { accept: 'text/event-stream' }],
  ];
  print(`\nReads of a whole run (${rows.toLocaleString('en-US')} cells; twice each): main thread held at most (ms) / request time (ms)`);
  let ok = true;
  const line = (label: string, held: number[], took: number[]) => {
    if (Math.max(...held) > STALL_BOUND_MS) ok = false;
    print(`  ${label.padEnd(40)} held ${held.map((x) => x.toFixed(0)).join(', ').padEnd(14)} took ${took.map((x) => x.toFixed(0)).join(', ')}`);
  };
  for (const [label, path, extra] of reads) {
    const held: number[] = [];
    const took: number[] = [];
    for (let i = 0; i < 2; i++) {
      held.push(await heldDuring(server.base, async () => {
        const t = performance.now();
        const res = await fetch(`${server.base}${path}`, { headers: { ...headers, ...extra } });
        await res.text();
        took.push(performance.now() - t);
        if (res.status !== 200) throw new Error(`${label}: ${res.status}`);
      }));
    }
    line(label, held, took);
  }
  // A resume rebuilds the run's summary from every committed cell before it continues.
  const held: number[] = [];
  const took: number[] = [];
  for (const runId of runs) {
    held.push(await heldDuring(server.base, async () => {
      const t = performance.now();
      await api(server.base, 'POST', `/api/experiments/runs/${runId}/resume`, { retryErrors: true });
      await waitDone(server.base, runId);
      took.push(performance.now() - t);
    }));
  }
  line('resume (the summary rebuilt)', held, took);
  print(`  bound: held ≤ ${STALL_BOUND_MS} ms — ${ok ? 'holds' : 'FAILS'}`);
  await server.stop();
  await agent.stop();
  return ok;
}
