// Large bodies against the main thread (`npm run bench -- --only=bodies`): a project may send
// bodies up to ASSAY_MAX_BODY_BYTES (10 MB by default), and nothing it sends may hold the main
// thread past 100 ms. Each operation below sends or reads ≈ 10 MB on a fresh server; what is
// printed is the longest the event loop was held while it ran (the server's own
// nodejs_eventloop_lag_max_seconds, reset by the scrape before it) and the slowest /healthz a
// client polling every 5 ms saw meanwhile (which also waits for the database).
import { parsePrometheusText } from '../src/testing/prom-text.js';
import { KEY, startServer } from './servers.js';

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
  const loopMax = async (): Promise<number> => {
    const res = await fetch(`${server.base}/metrics`, { headers: { authorization: `Bearer ${KEY}` } });
    return parsePrometheusText(await res.text()).sum('nodejs_eventloop_lag_max_seconds', {}) * 1000;
  };
  const abort = (runId: string) => fetch(`${server.base}/api/experiments/big/abort?runId=${runId}`, { method: 'POST', headers, body: '{}' }).then((r) => r.text());

  const figures: Figures[] = [];
  const measure = async (label: string, send: () => Promise<Response>): Promise<void> => {
    const f: Figures = { label, ms: [], loopMaxMs: [], healthzMaxMs: [] };
    for (let i = 0; i < repeats; i++) {
      await loopMax();
      // Node's loop-delay histogram drops a stall that begins before its first sample after a
      // reset (a scrape resets it): 300 ms of work right after reset() read as 10 ms. Let it
      // sample a few times first.
      await new Promise((resolve) => setTimeout(resolve, 50));
      healthzMax = 0;
      const t = performance.now();
      const res = await send();
      const text = await res.text();
      f.ms.push(performance.now() - t);
      if (res.status >= 300) throw new Error(`${label}: ${res.status} ${text.slice(0, 300)}`);
      const runId = (JSON.parse(text) as { runId?: string }).runId;
      if (runId) await abort(runId);
      // The loop monitor samples every 10 ms: let it see the end of the request.
      await new Promise((resolve) => setTimeout(resolve, 100));
      f.loopMaxMs.push(await loopMax());
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
