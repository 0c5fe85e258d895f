// Pages of large cells (`npm run bench -- --only=pages`): a run whose outputs are megabytes each,
// and a run over a dataset of 1 MB rows (the executor's row pages, cut at 4 MB like the rest),
// read as a results page, an export, an event replay and a comparison of two such runs. Printed per read: how much the server's
// RSS rose while it ran (sampled every 5 ms from /proc), the longest the main thread was held,
// and the time taken. Pages stop at 4 MB of stored text (docs/decisions.md, "Pages bounded in
// bytes"); before, a page was bounded by its count only. BENCH_BIN=/other/checkout/bin/assay.js
// runs another build's server for a side-by-side (bench/servers.ts).
import { heldDuring } from './bodies.js';
import { rssMb } from './proc.js';
import { api, KEY, startServer, waitDone } from './servers.js';

/** How far the server's RSS rose (sampled every 5 ms), the longest main-thread hold and the wall time while `work` ran. */
async function measured(server: { pid: number; base: string }, work: () => Promise<void>): Promise<{ rise: number; held: number; tookMs: number }> {
  const before = rssMb(server.pid);
  let top = before;
  const sampler = setInterval(() => (top = Math.max(top, rssMb(server.pid))), 5);
  let tookMs = 0;
  try {
    const held = await heldDuring(server.base, async () => {
      const t = performance.now();
      await work();
      tookMs = performance.now() - t;
    });
    return { rise: top - before, held, tookMs };
  } finally {
    clearInterval(sampler);
  }
}

/** One line of a run's figures. */
const runLine = (m: { rise: number; held: number; tookMs: number }) => `RSS +${m.rise.toFixed(0)} held ${m.held.toFixed(0)} took ${(m.tookMs / 1000).toFixed(1)}`;

export async function largeCellsBench(quick: boolean, print: (line: string) => void): Promise<void> {
  const rows = quick ? 20 : 60;
  const chars = 4_000_000;
  const bin = process.env.BENCH_BIN;
  const server = await startServer();
  await api(server.base, 'POST', '/api/experiments', {
    slug: 'wide', name: 'wide',
    dataset: { rows: Array.from({ length: rows }, (_, i) => ({ q: `row-${i}` })) },
    targets: [{ id: 'big', type: 'code', code: `return row.q + ' ' + 'x'.repeat(${chars})` }],
    // A verdict per cell, so that a comparison lists items (with their outputs cut).
    evaluators: [{ id: 'clean', type: 'langevals/basic', settings: { rules: [{ field: 'output', rule: 'not_contains', value: 'error' }] } }],
    execution: { concurrency: 4 },
  });
  const runs: string[] = [];
  const during: string[] = [];
  for (let i = 0; i < 2; i++) {
    // The run itself: its cells' commits (the group commit, bounded in bytes too).
    const m = await measured(server, async () => {
      const { runId } = await api(server.base, 'POST', '/api/experiments/wide/run', {});
      await waitDone(server.base, runId);
      runs.push(runId);
    });
    during.push(`${runLine(m)} s`);
  }
  const [baseline, runId] = runs as [string, string];
  const headers = { authorization: `Bearer ${KEY}` };
  const reads: [string, string, Record<string, string>?][] = [
    ['results page (limit 1000)', `/api/experiments/runs/${runId}/results?limit=1000`],
    ['export JSON Lines', `/api/experiments/runs/${runId}/export?format=jsonl`],
    ['events from the start (SSE)', `/api/experiments/runs/${runId}/events`, { accept: 'text/event-stream' }],
    ['compare, all items (limit 1000)', `/api/experiments/runs/${runId}/compare?baseline=${baseline}&change=all&limit=1000`],
  ];
  print(`\nPages of large cells (${rows} cells of ${(chars / 1e6).toFixed(0)} MB; ${bin ?? 'this build'}): RSS rise during the read (MB) / main thread held (ms) / took (ms) / answer (MB)`);
  print(`  the runs themselves (concurrency 4): ${during.join('; ')}`);
  for (const [label, path, extra] of reads) {
    const rise: number[] = [];
    const held: number[] = [];
    const took: number[] = [];
    let size = 0;
    for (let i = 0; i < 2; i++) {
      const m = await measured(server, async () => {
        const res = await fetch(`${server.base}${path}`, { headers: { ...headers, ...extra } });
        size = (await res.arrayBuffer()).byteLength;
        if (res.status !== 200) throw new Error(`${label}: ${res.status}`);
      });
      rise.push(m.rise);
      held.push(m.held);
      took.push(m.tookMs);
      // Let V8 and the allocator give the read's memory back before the next one.
      await new Promise((resolve) => setTimeout(resolve, 1_000));
    }
    const f = (xs: number[]) => xs.map((x) => x.toFixed(0)).join(', ');
    print(`  ${label.padEnd(32)} RSS +${f(rise).padEnd(12)} held ${f(held).padEnd(10)} took ${f(took).padEnd(12)} ${(size / 1e6).toFixed(1)} MB`);
  }
  await server.stop();
  await largeRowsRun(quick, print);
  await largeOutputsRun(quick, print);
}

/**
 * A run of cells that answer 1 MB each at concurrency 50, three times on one server: RSS rise
 * while it runs (the event ring and the group commit are bounded in bytes; docs/decisions.md,
 * "Rings and commits bounded in bytes").
 */
async function largeOutputsRun(quick: boolean, print: (line: string) => void): Promise<void> {
  const rows = quick ? 100 : 300;
  const server = await startServer();
  await api(server.base, 'POST', '/api/experiments', {
    slug: 'outs', name: 'outs', dataset: { rows: Array.from({ length: rows }, (_, i) => ({ q: `row-${i}` })) },
    targets: [{ id: 'big', type: 'code', code: `return row.q + 'x'.repeat(1000000)` }],
    execution: { concurrency: 50 },
  });
  print(`\nA run of ${rows} cells answering 1 MB each (concurrency 50): RSS rise during the run (MB) / main thread held (ms) / took (s)`);
  for (let i = 0; i < 3; i++) {
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    const m = await measured(server, async () => {
      const { runId } = await api(server.base, 'POST', '/api/experiments/outs/run', {});
      await waitDone(server.base, runId);
    });
    print(`  run ${i + 1}: ${runLine(m)}`);
  }
  await server.stop();
}

/** A run over a saved dataset of 1 MB rows: RSS rise while it runs (the rows it holds). */
export async function largeRowsRun(quick: boolean, print: (line: string) => void): Promise<void> {
  const rows = quick ? 100 : 300;
  const server = await startServer();
  const line = (i: number) => `${JSON.stringify({ i, text: 'r'.repeat(1_000_000) })}\n`;
  const body = Buffer.from(Array.from({ length: rows }, (_, i) => line(i)).join(''));
  const upload = await fetch(`${server.base}/api/datasets?name=wide-rows`, {
    method: 'POST', body, headers: { authorization: `Bearer ${KEY}`, 'content-type': 'application/x-ndjson' },
  });
  if (upload.status >= 300) throw new Error(`upload: ${upload.status} ${await upload.text()}`);
  const { id } = (await upload.json()) as { id: string };
  await api(server.base, 'POST', '/api/experiments', {
    slug: 'rows', name: 'rows', dataset: { rows: [{ i: -1, text: '' }] },
    targets: [{ id: 'len', type: 'code', code: 'return row.text.length' }],
    execution: { concurrency: 4 },
  });
  print(`\nA run over ${rows} dataset rows of 1 MB (concurrency 4): RSS rise during the run (MB) / main thread held (ms) / took (s)`);
  for (let i = 0; i < 2; i++) {
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    const m = await measured(server, async () => {
      const { runId } = await api(server.base, 'POST', '/api/experiments/rows/run', { dataset_id: id });
      await waitDone(server.base, runId);
    });
    print(`  run ${i + 1}: ${runLine(m)}`);
  }
  await server.stop();
}
