// Memory that stays flat and small (issue 17, done-when 2 and 3; `npm run bench -- --only=memory`):
// how long a fresh `npm start`-like server takes to answer /healthz and what it holds idle, then
// ten consecutive 2,000-cell prompt runs on one server at zero provider latency (the most
// allocation a second) with its RSS after each run and its peak, V8's old space and young
// generation after each run (the server's own /metrics), and ten more runs to show where RSS
// settles once V8 has sized its heap (information; the bounds read the first ten).
import { setTimeout as sleep } from 'node:timers/promises';
import { parsePrometheusText } from '../src/testing/prom-text.js';
import { peakRssMb, rssMb } from './proc.js';
import { api, OPENAI_KEY, SERVE_ENV, SERVE_NODE_FLAGS, serverBuild, startOpenAI, startServer, waitDone } from './servers.js';

/** Bounds of the issue: peak RSS over the ten runs, drift of the tenth from the first, idle RSS, time to /healthz. */
export const MEMORY_BOUNDS = { peakMb: 220, driftRatio: 0.1, idleMb: 120, healthzMs: 1000 };

/** How long the server is left alone after the last run before its RSS is read again. */
const REST_MS = 20_000;

/** Runs after the bound's ten, to show where RSS settles (information, not a bound). */
const MORE_RUNS = 10;

/** The provider latency of the second series: the prompt benchmark's (bench/run.ts). */
const PACED_LATENCY_MS = 200;

/**
 * V8's old space (used and committed) and young generation (committed), MB, from the server's
 * own GET /metrics (prom-client's heap-space gauges): they say whether RSS grows because the
 * live heap does or because V8 keeps more room for it.
 */
async function v8Spaces(base: string): Promise<{ oldUsed: number; oldCommitted: number; young: number }> {
  const res = await fetch(`${base}/metrics`);
  if (res.status !== 200) throw new Error(`/metrics answered ${res.status}`);
  const e = parsePrometheusText(await res.text());
  const mb = (name: string, space: string) => e.sum(name, { space }) / 1048576;
  return { oldUsed: mb('nodejs_heap_space_size_used_bytes', 'old'), oldCommitted: mb('nodejs_heap_space_size_total_bytes', 'old'), young: mb('nodejs_heap_space_size_total_bytes', 'new') };
}

/** Spawn → first 200 from /healthz, and RSS after two idle seconds, for `starts` fresh servers. */
async function idle(starts: number, print: (line: string) => void): Promise<{ healthzMs: number; idleMb: number }[]> {
  const out: { healthzMs: number; idleMb: number }[] = [];
  for (let i = 0; i < starts; i++) {
    const t0 = performance.now();
    const server = await startServer({}, SERVE_NODE_FLAGS);
    try {
      const res = await fetch(`${server.base}/healthz`);
      if (res.status !== 200) throw new Error(`/healthz answered ${res.status}`);
      await res.arrayBuffer();
      const healthzMs = performance.now() - t0;
      await sleep(2000);
      out.push({ healthzMs, idleMb: rssMb(server.pid) });
    } finally {
      await server.stop();
    }
  }
  print('| start | /healthz answered after spawn | idle RSS (2 s later) |');
  print('|---:|---:|---:|');
  out.forEach((r, i) => print(`| ${i + 1} | ${r.healthzMs.toFixed(0)} ms | ${r.idleMb.toFixed(0)} MB |`));
  return out;
}

function experiment(n: number): unknown {
  return {
    slug: 'mem', name: 'mem',
    dataset: { rows: Array.from({ length: n }, (_, i) => ({ question: `question ${i}`, expected: `Echo: question ${i}` })) },
    targets: ['gpt-4o-mini', 'gpt-4o'].map((m) => ({ id: m, type: 'prompt', model: `openai/${m}`, params: { temperature: 0, maxTokens: 64 }, messages: [{ role: 'system', content: 'Answer briefly.' }, { role: 'user', content: '{{question}}' }] })),
    evaluators: [
      { id: 'exact', type: 'langevals/exact_match', inputs: { output: 'output', expected_output: 'row.expected' } },
      { id: 'rules', type: 'langevals/basic', settings: { rules: [{ field: 'output', rule: 'not_contains', value: 'error' }] } },
      { id: 'competitors', type: 'langevals/competitor_blocklist' },
    ],
    execution: { concurrency: 50, maxRetries: 0 },
  };
}

interface Series {
  /** RSS after each run, MB. */
  after: number[];
  /** VmHWM after the `runs`-th run, MB. */
  peak: number;
}

/**
 * `runs` + `more` runs of experiment(n) on one fresh server whose provider answers after
 * `latencyMs`: a row per run (RSS after it, V8's spaces), then RSS after a rest.
 */
async function series(n: number, runs: number, more: number, latencyMs: number, flags: string[], print: (line: string) => void): Promise<Series> {
  const openai = await startOpenAI(latencyMs);
  const server = await startServer({ OPENAI_API_KEY: OPENAI_KEY, OPENAI_BASE_URL: openai.baseURL }, flags);
  const after: number[] = [];
  let peak = 0;
  try {
    await api(server.base, 'POST', '/api/experiments', experiment(n));
    print(`\n| run | wall time | RSS after | peak RSS so far | V8 old space: used / committed | young generation |`);
    print('|---:|---:|---:|---:|---:|---:|');
    for (let i = 1; i <= runs + more; i++) {
      if (i === runs + 1) print(`| | *${more} more runs: where RSS settles (information)* | | | | |`);
      const t0 = performance.now();
      const started = await api(server.base, 'POST', '/api/experiments/mem/run');
      await waitDone(server.base, started.runId);
      const wall = performance.now() - t0;
      const run = await api(server.base, 'GET', `/api/experiments/runs/${started.runId}`);
      if (run.summary.completedCells !== n * 2) throw new Error(`run ${i}: ${run.summary.completedCells}/${n * 2} cells completed`);
      // Read after the run's last writes have settled, as a user's next run would find it.
      await sleep(500);
      after.push(rssMb(server.pid));
      if (i === runs) peak = peakRssMb(server.pid);
      const v8 = await v8Spaces(server.base);
      print(`| ${i} | ${(wall / 1000).toFixed(2)} s | ${after.at(-1)!.toFixed(0)} MB | ${peakRssMb(server.pid).toFixed(0)} MB | ${v8.oldUsed.toFixed(1)} / ${v8.oldCommitted.toFixed(1)} MB | ${v8.young.toFixed(0)} MB |`);
    }
    // What a server left alone after the runs holds. V8's memory reducer, which would give room
    // back, is armed only by a full collection that found the heap grown and then waits for a
    // low allocation rate: often it has not run 20 s later (docs/benchmarks.md, "Memory").
    await sleep(REST_MS);
    print(`\nRSS ${REST_MS / 1000} s after the last run: ${rssMb(server.pid).toFixed(0)} MB`);
  } finally {
    await server.stop();
    await openai.stop();
  }
  return { after, peak };
}

/** "+12.3%": b against a. */
const change = (b: number, a: number): string => {
  const r = b / a - 1;
  return `${r >= 0 ? '+' : ''}${(r * 100).toFixed(1)}%`;
};

/** Prints the figures; false when a bound of the issue is exceeded (reported, and the exit code says so). */
export async function memoryBench(quick: boolean, print: (line: string) => void): Promise<boolean> {
  const n = quick ? 200 : 1000;
  const runs = quick ? 4 : 10;
  const more = quick ? 0 : MORE_RUNS;
  // BENCH_NODE_FLAGS='--max-semi-space-size=16' measures other V8 flags than `npm start`'s.
  const flags = process.env.BENCH_NODE_FLAGS?.split(' ').filter(Boolean) ?? SERVE_NODE_FLAGS;
  print(`\n### Memory: start, idle, and ${runs} runs of ${n * 2} cells on one server (server from ${serverBuild().name}, ${Object.entries(SERVE_ENV).map(([k, v]) => `${k}=${v} `).join('')}node ${flags.join(' ') || '(no flags)'})\n`);
  const starts = await idle(quick ? 1 : 3, print);
  const { after, peak } = await series(n, runs, more, 0, flags, print);
  // The same runs at the prompt benchmark's latency (the issue's workload), on a fresh server:
  // far less allocation a second, so V8 sizes its heap differently. Information, not a bound.
  const paced = quick ? null : await (async () => {
    print(`\nThe same ${runs} runs on a fresh server, the provider answering in ${PACED_LATENCY_MS} ms (the prompt benchmark's workload; information):`);
    return series(n, runs, 0, PACED_LATENCY_MS, flags, print);
  })();
  const drift = after[runs - 1]! / after[0]! - 1;
  const idleMax = Math.max(...starts.map((s) => s.idleMb));
  const healthzMax = Math.max(...starts.map((s) => s.healthzMs));
  const b = MEMORY_BOUNDS;
  const verdicts = [
    [`peak RSS ${peak.toFixed(0)} MB ≤ ${b.peakMb} MB`, peak <= b.peakMb],
    [`RSS after run ${runs} vs run 1 ${change(after[runs - 1]!, after[0]!)} (within ±${b.driftRatio * 100}%)`, Math.abs(drift) <= b.driftRatio],
    [`idle RSS ${idleMax.toFixed(0)} MB < ${b.idleMb} MB`, idleMax < b.idleMb],
    [`/healthz within ${healthzMax.toFixed(0)} ms ≤ ${b.healthzMs} ms`, healthzMax <= b.healthzMs],
  ] as const;
  print('');
  for (const [text, ok] of verdicts) print(`- ${ok ? 'holds' : '**over**'}: ${text}`);
  if (more > 0) {
    print(`- information: RSS after run ${runs + more} vs run ${runs}: ${change(after.at(-1)!, after[runs - 1]!)}, ${Math.max(...after).toFixed(0)} MB at most after any of the ${runs + more} runs`);
  }
  if (paced) {
    const a = paced.after;
    print(
      `- information, at ${PACED_LATENCY_MS} ms latency: peak ${paced.peak.toFixed(0)} MB; RSS after run ${runs} vs run 1 ${change(a[runs - 1]!, a[0]!)}, ` +
        `vs run 3 ${change(a[runs - 1]!, a[2]!)}; runs 3–${runs} between ${Math.min(...a.slice(2)).toFixed(0)} and ${Math.max(...a.slice(2)).toFixed(0)} MB`,
    );
  }
  print(`\nRuns: ${n.toLocaleString('en-US')} rows × 2 \`openai/…\` prompt targets on the fake OpenAI server at zero latency (the bounds; most allocation a second)${paced ? ` and at ${PACED_LATENCY_MS} ms (information)` : ''}, 3 offline evaluators, concurrency 50;`);
  print('RSS (VmRSS) read 0.5 s after each run\'s `done` event; peak = VmHWM after the bound\'s last run. Idle: fresh server and data directory, nothing run.');
  print('V8\'s spaces from the server\'s GET /metrics after each run: "used" includes garbage not yet collected, so its low points are the live heap.');
  return verdicts.every(([, ok]) => ok);
}
