// `npm run bench`: the engine benchmarks of docs/benchmarks.md. Assay and the fake agent each
// run in their own process (a fresh server per scenario, so peak RSS is per scenario); CPU
// and peak RSS are read from /proc for the server process only.
//
//   npm run bench                 all scenarios
//   npm run bench -- --quick      smaller sizes (a smoke test of the harness)
//   npm run bench -- --only=eff   only the 2,000-cell efficiency runs (also: prompt, cpu, big, evaluators, caps, templates, compare, load)
//   npm run bench -- --only=load  the load test of bench/load.ts (20 runs, 500 SSE subscribers, pollers)
//   npm run bench -- --only=cluster  serve + 1, 2, 4 workers over a private PostgreSQL and Redis (bench/cluster.ts;
//                                 only when asked: `--one-run` puts every cell in one run, for sharding)
//   npm run bench -- --only=peers promptfoo and Assay on one workload (bench/peers.ts; not part of the default set)
//   npm run bench -- --only=memory ten runs on one server, RSS and V8's spaces after each, ten more to see where it
//                                 settles; idle RSS and start time (bench/memory.ts)
//   npm run bench -- --only=bodies   10 MB bodies and answers, and reads of a whole 50,000-cell run: how long each
//                                 holds the main thread (bench/bodies.ts)
//   BENCH_BIN=/other/checkout/bin/assay.js npm run bench …   runs that checkout's server instead (a side-by-side)
//   npm run bench -- --only=pages    a results page, an export and an event replay of cells with 4 MB outputs, and a
//                                 run over 1 MB dataset rows: the server's RSS rise while each runs (bench/pages.ts)
//   npm run bench -- --only=stalled  readers of a run of 9 MB outputs that stop reading, once and reconnecting:
//                                 the server's RSS rise (bench/stalled.ts)
//   npm run bench -- --only=million  a 1,000,000-row streamed CSV upload and run (bench/million.ts; --quick: 100,000)
//   npm run bench -- --only=million-cluster  the same on PostgreSQL + Redis with an api process and a worker
import os from 'node:os';
import { cpuMs, peakRssMb } from './proc.js';
import { ANTHROPIC_KEY, api, checkBuild, OPENAI_KEY, runBareClient, type Server, serverBuild, startAgent, startAnthropic, startOpenAI, startServer, waitDone } from './servers.js';

const args = new Set(process.argv.slice(2));
const quick = args.has('--quick');
const only = [...args].find((a) => a.startsWith('--only='))?.slice('--only='.length);
const oneRun = args.has('--one-run');
const SUITES = ['eff', 'prompt', 'cpu', 'big', 'evaluators', 'caps', 'templates', 'compare', 'load', 'cluster', 'peers', 'memory', 'bodies', 'pages', 'stalled', 'million', 'million-cluster'];
if (only !== undefined && !SUITES.includes(only)) {
  console.error(`--only=${only}: unknown suite (one of ${SUITES.join(', ')})`);
  process.exit(2);
}
if (oneRun && only !== 'cluster') {
  console.error('--one-run applies to --only=cluster');
  process.exit(2);
}
const known = new Set(['--quick', '--one-run']);
const unknown = [...args].filter((a) => !known.has(a) && !a.startsWith('--only='));
if (unknown.length > 0) {
  console.error(`unknown option ${unknown.join(' ')} (known: --quick, --only=SUITE, --one-run)`);
  process.exit(2);
}

const EVALUATORS = [
  { id: 'exact', type: 'langevals/exact_match', inputs: { output: 'output', expected_output: 'row.expected' } },
  { id: 'rules', type: 'langevals/basic', settings: { rules: [{ field: 'output', rule: 'not_contains', value: 'error' }] } },
  { id: 'competitors', type: 'langevals/competitor_blocklist' },
];

function agentDoc(slug: string, agentUrl: string, rows: number, concurrency: number) {
  return {
    slug, name: slug,
    dataset: { rows: Array.from({ length: rows }, (_, i) => ({ question: `question ${i}`, expected: `question ${i}` })) },
    targets: ['a', 'b'].map((id) => ({ id, type: 'http', url: `${agentUrl}/${id}`, body: { message: '{{question}}' }, outputPath: '$.reply' })),
    evaluators: EVALUATORS,
    execution: { concurrency, maxRetries: 0 },
  };
}

interface RunFigures {
  cells: number;
  wallMs: number;
  serverMs: number;
  cpuMs: number;
  peakRssMb: number;
  summary: any;
}

async function measureRun(server: Server, slug: string, body?: unknown): Promise<RunFigures & { postMs: number }> {
  const cpu0 = cpuMs(server.pid);
  const t0 = performance.now();
  const started = await api(server.base, 'POST', `/api/experiments/${slug}/run`, body);
  const postMs = performance.now() - t0;
  await waitDone(server.base, started.runId);
  const wallMs = performance.now() - t0;
  const cpu = cpuMs(server.pid) - cpu0;
  const run = await api(server.base, 'GET', `/api/experiments/runs/${started.runId}`);
  return { cells: started.total, wallMs, serverMs: run.summary.duration, cpuMs: cpu, peakRssMb: peakRssMb(server.pid), summary: run.summary, postMs };
}

const rows: string[] = [];
const print = (line: string) => {
  rows.push(line);
  console.log(line);
};

async function efficiency(): Promise<void> {
  const latency = 200;
  const n = quick ? 100 : 1000;
  print(`\n### ${n * 2} cells (${n} rows × 2 HTTP targets, 3 evaluators), agent latency ${latency} ms\n`);
  print('| concurrency | run | wall time | ideal | efficiency | cells/s | avg call latency | CPU ms/cell | peak RSS |');
  print('|---:|---|---:|---:|---:|---:|---:|---:|---:|');
  for (const concurrency of [10, 50, 200]) {
    const agent = await startAgent(latency);
    const server = await startServer();
    try {
      await api(server.base, 'POST', '/api/experiments', agentDoc('eff', agent.url, n, concurrency));
      // The first run after start is measured too ("cold": JIT, connection pools), then a
      // second identical run on the same server ("warm", the steady state).
      for (const label of ['cold', 'warm']) {
        const f = await measureRun(server, 'eff');
        if (f.summary.completedCells !== f.cells) throw new Error(`only ${f.summary.completedCells}/${f.cells} cells completed`);
        const ideal = (f.cells * latency) / concurrency;
        const lat = f.summary.targets.map((t: { avgLatency: number }) => t.avgLatency);
        print(
          `| ${concurrency} | ${label} | ${(f.wallMs / 1000).toFixed(2)} s | ${(ideal / 1000).toFixed(2)} s | **${(ideal / f.wallMs).toFixed(3)}** | ` +
            `${((f.cells * 1000) / f.wallMs).toFixed(0)} | ${Math.max(...lat)} ms | ${(f.cpuMs / f.cells).toFixed(3)} | ${f.peakRssMb.toFixed(0)} MB |`,
        );
      }
    } finally {
      await server.stop();
      await agent.stop();
    }
  }
  print('\nWall time: from sending the POST to receiving the `done` event (client side). Avg call latency: the');
  print('targets\' mean call duration as Assay measured it (the agent waits exactly the latency).');
}

async function promptTargets(): Promise<void> {
  const latency = 200;
  const n = quick ? 100 : 1000;
  const concurrency = 50;
  print(`\n### ${n * 2} cells with prompt targets (${n} rows × 2 models on the fake OpenAI or Anthropic server), latency ${latency} ms, concurrency ${concurrency}\n`);
  print('| provider | run | wall time | ideal | efficiency | cells/s | avg call latency | tokens (in/out) | cost | CPU ms/cell | peak RSS |');
  print('|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|');
  // `openai/…` with the server's key, then the same endpoint registered by the project as an
  // OpenAI-compatible provider (how Ollama, vLLM, LiteLLM or a gateway is called).
  // Then `anthropic/…` (information: the issue's bounds read the first two).
  for (const mode of ['openai', 'registered', 'anthropic'] as const) {
    const fake = mode === 'anthropic' ? await startAnthropic(latency) : await startOpenAI(latency);
    const baseUrl = 'baseURL' in fake ? fake.baseURL : fake.url;
    const server = await startServer(
      mode === 'openai' ? { OPENAI_API_KEY: OPENAI_KEY, OPENAI_BASE_URL: baseUrl }
        : mode === 'anthropic' ? { ANTHROPIC_API_KEY: ANTHROPIC_KEY, ANTHROPIC_BASE_URL: baseUrl }
        : { ASSAY_HTTP_TARGETS_ALLOW_PRIVATE: 'true' },
    );
    try {
      const provider = mode === 'registered' ? 'gateway' : mode;
      if (mode === 'registered') await api(server.base, 'PUT', '/api/providers/gateway', { baseUrl, apiKey: OPENAI_KEY });
      const models = mode === 'anthropic' ? ['claude-haiku-4-5', 'claude-sonnet-4-5'] : ['gpt-4o-mini', 'gpt-4o'];
      await api(server.base, 'POST', '/api/experiments', {
        slug: 'prompt', name: 'prompt',
        dataset: { rows: Array.from({ length: n }, (_, i) => ({ question: `question ${i}`, expected: `Echo: question ${i}` })) },
        targets: models.map((model) => ({ id: model, type: 'prompt', model: `${provider}/${model}`, params: { temperature: 0, maxTokens: 64 }, messages: [{ role: 'system', content: 'Answer briefly.' }, { role: 'user', content: '{{question}}' }] })),
        evaluators: EVALUATORS,
        execution: { concurrency, maxRetries: 0 },
      });
      for (const label of ['cold', 'warm']) {
        const f = await measureRun(server, 'prompt');
        if (f.summary.completedCells !== f.cells) throw new Error(`only ${f.summary.completedCells}/${f.cells} cells completed`);
        const ideal = (f.cells * latency) / concurrency;
        const lat = f.summary.targets.map((t: { avgLatency: number }) => t.avgLatency);
        const tin = f.summary.targets.reduce((a: number, t: { tokens: { input: number } }) => a + t.tokens.input, 0);
        const tout = f.summary.targets.reduce((a: number, t: { tokens: { output: number } }) => a + t.tokens.output, 0);
        print(
          `| ${mode === 'registered' ? 'registered' : `\`${mode}/…\``} | ${label} | ${(f.wallMs / 1000).toFixed(2)} s | ${(ideal / 1000).toFixed(2)} s | **${(ideal / f.wallMs).toFixed(3)}** | ${((f.cells * 1000) / f.wallMs).toFixed(0)} | ` +
            `${Math.max(...lat)} ms | ${tin}/${tout} | $${f.summary.targetCost.toFixed(4)} | ${(f.cpuMs / f.cells).toFixed(3)} | ${f.peakRssMb.toFixed(0)} MB |`,
        );
      }
    } finally {
      await server.stop();
      await fake.stop();
    }
  }
  // The floor: the same calls from a bare client, so the efficiency above reads against what the
  // setup itself allows (the provider's timers, loopback TCP, this machine), not against 1.0.
  const openai = await startOpenAI(latency);
  try {
    const passes = await runBareClient(openai.baseURL, n, concurrency, 2);
    passes.forEach((p, i) => {
      const ideal = (n * 2 * latency) / concurrency;
      print(
        `| bare client (no Assay) | ${i === 0 ? 'cold' : 'warm'} | ${(p.wallMs / 1000).toFixed(2)} s | ${(ideal / 1000).toFixed(2)} s | **${(ideal / p.wallMs).toFixed(3)}** | ${((n * 2 * 1000) / p.wallMs).toFixed(0)} | ` +
          `– | – | – | ${(p.cpuMs / (n * 2)).toFixed(3)} | – |`,
      );
    });
  } finally {
    await openai.stop();
  }
  print('\nThe bare client (bench/bare-client.ts) sends the same chat calls with undici alone, in its own process: the floor of this setup. Its wall time runs from its first call to its last answer; Assay\'s from the POST to the `done` event.');
  print('\nThe provider runs in its own process; plain text calls take the lean paths (src/models/openai-chat.ts, src/models/anthropic-messages.ts), the adaptive per-model limiter and the price table. A registered provider is priced by model name when the price table knows the model (else by prices the project set, or unknown).');
}

async function cpuPerCell(): Promise<void> {
  const n = quick ? 200 : 1000;
  print(`\n### CPU per cell at zero latency (${n * 2} cells, 3 evaluators, concurrency 50)\n`);
  print('| run | cells | wall time | cells/s | server CPU | CPU ms/cell | peak RSS |');
  print('|---|---:|---:|---:|---:|---:|---:|');
  const agent = await startAgent(0);
  const server = await startServer();
  try {
    await api(server.base, 'POST', '/api/experiments', agentDoc('cpu', agent.url, n, 50));
    // The first run warms the JIT and connection pools; the second is the measurement.
    for (const label of ['warm-up', 'measured']) {
      const f = await measureRun(server, 'cpu');
      print(
        `| ${label} | ${f.cells} | ${(f.wallMs / 1000).toFixed(2)} s | ${((f.cells * 1000) / f.wallMs).toFixed(0)} | ${f.cpuMs.toFixed(0)} ms | ` +
          `**${(f.cpuMs / f.cells).toFixed(3)}** | ${f.peakRssMb.toFixed(0)} MB |`,
      );
    }
  } finally {
    await server.stop();
    await agent.stop();
  }
  print('\nServer CPU: user + system time of the Assay process (from /proc), HTTP client work included; the agent runs in another process.');
}

async function big(): Promise<void> {
  const n = quick ? 10_000 : 100_000;
  print(`\n### ${n.toLocaleString('en')} rows × 1 target\n`);
  const server = await startServer();
  try {
    const header = 'question,expected\n';
    const csv = header + Array.from({ length: n }, (_, i) => `question ${i},QUESTION ${i}`).join('\n') + '\n';
    const t0 = performance.now();
    const ds = await api(server.base, 'POST', '/api/datasets?name=big', csv, 'text/csv');
    const uploadMs = performance.now() - t0;
    await api(server.base, 'POST', '/api/experiments', {
      slug: 'big', name: 'big', dataset: { datasetId: ds.id },
      targets: [{ id: 'upper', type: 'code', code: 'return row.question.toUpperCase()' }],
      evaluators: [EVALUATORS[0]],
      execution: { concurrency: 50 },
    });
    const f = await measureRun(server, 'big');
    print('| dataset upload (CSV) | POST /run answered | run wall time | cells/s | CPU ms/cell | peak RSS |');
    print('|---:|---:|---:|---:|---:|---:|');
    print(
      `| ${(uploadMs / 1000).toFixed(2)} s (${(csv.length / 1e6).toFixed(1)} MB) | **${f.postMs.toFixed(0)} ms** | ${(f.wallMs / 1000).toFixed(1)} s | ` +
        `${((f.cells * 1000) / f.wallMs).toFixed(0)} | ${(f.cpuMs / f.cells).toFixed(3)} | **${f.peakRssMb.toFixed(0)} MB** |`,
    );
    if (f.summary.totalCells !== n || f.summary.totalPassed !== n) throw new Error(`expected ${n} passing cells, got ${JSON.stringify(f.summary).slice(0, 200)}`);
  } finally {
    await server.stop();
  }
  print('\nPeak RSS: VmHWM of the server process, which also holds the upload and the API.');
}

async function evaluators(): Promise<void> {
  const { timeEvaluators } = await import('./evaluators.js');
  print('\n### Offline evaluators, one call on 1 KB inputs (2,000 timed calls after 200 warm-up)\n');
  print('| evaluator | median | p95 | result |');
  print('|---|---:|---:|---|');
  for (const r of await timeEvaluators(quick ? 300 : 2000)) {
    print(`| ${r.id} | ${Number.isNaN(r.medianMs) ? '-' : `${(r.medianMs * 1000).toFixed(0)} µs`} | ${Number.isNaN(r.p95Ms) ? '-' : `${(r.p95Ms * 1000).toFixed(0)} µs`} | ${r.status} |`);
  }
  print('\nMeasured in the benchmark process itself (no server); custom_code runs in the isolated-vm sandbox.');
  const { timeOffload } = await import('./evaluators.js');
  print('\n### The evaluator pool: guarded inline calls and one offloaded call (1 KB inputs)\n');
  print('| evaluation | median, awaited alone | main-thread time a call (50 at a time) |');
  print('|---|---:|---:|');
  for (const r of await timeOffload(quick ? 300 : 2000)) print(`| ${r.label} | ${r.medianUs.toFixed(1)} µs | ${r.mainThreadUs.toFixed(1)} µs |`);
  print('\nOffloaded: a worker thread of the pool does the work; the main thread only posts the task and reads the answer.');
}

async function caps(): Promise<void> {
  const { timeCaps } = await import('./evaluator-caps.js');
  print('\n### Inline caps: each family\'s costliest known input at its cap, inline (median of 21 after 20 warm-up)\n');
  print('| family | cap (characters) | input | median | slowest | at 4× the cap |');
  print('|---|---:|---:|---:|---:|---:|');
  for (const r of await timeCaps()) {
    print(`| ${r.name} | ${r.cap === 0 ? '0 (always pooled)' : r.cap.toLocaleString('en')} | ${r.chars.toLocaleString('en')} | ${r.medianMs.toFixed(2)} ms | ${r.maxMs.toFixed(2)} ms | ${r.beyondMs === undefined ? '—' : `${r.beyondMs.toFixed(1)} ms`} |`);
  }
}

async function templates(): Promise<void> {
  const { timeTemplates } = await import('./templates.js');
  print('\n### Template rendering (20,000 renders in turns of 10)\n');
  print('| template | median | p95 |');
  print('|---|---:|---:|');
  for (const r of await timeTemplates(quick ? 2_000 : 20_000)) print(`| ${r.name} | ${r.medianUs.toFixed(1)} µs | ${r.p95Us.toFixed(1)} µs |`);
}

async function compare(): Promise<void> {
  const { compareBench } = await import('./compare.js');
  if (!(await compareBench(quick ? 10_000 : 100_000, print))) {
    print('\nOver the bound (under 2 s and under 100 MB of extra RSS).');
    process.exitCode = 1;
  }
}

async function memory(): Promise<void> {
  const { memoryBench } = await import('./memory.js');
  if (!(await memoryBench(quick, print))) process.exitCode = 1;
}

async function million(mode: 'embedded' | 'cluster'): Promise<void> {
  const { millionBench } = await import('./million.js');
  if (!(await millionBench(quick ? 100_000 : 1_000_000, mode, print))) {
    print('\nOver a bound (POST /run under 300 ms, server peak RSS under 500 MB).');
    process.exitCode = 1;
  }
}

async function load(): Promise<void> {
  const { DEFAULT_LOAD, loadTest } = await import('./load.js');
  // --quick is a smoke test of the harness: 2-second runs are dominated by their start, so its
  // bounds are reported, not enforced.
  const sizes = quick ? { runs: 4, rows: 50, rounds: 1, warmupRounds: 1, expectBounds: false } : {};
  const ok = await loadTest({ ...DEFAULT_LOAD, ...sizes }, print);
  // The same load at concurrency 20 per run: more model calls a second than one server
  // process has CPU for; shows where the ceiling is (informational, one round).
  await loadTest({ ...DEFAULT_LOAD, ...sizes, concurrency: 20, rounds: 1, warmupRounds: 1, expectBounds: false }, print);
  if (!ok) process.exitCode = 1;
}

console.log(`Assay benchmarks — ${os.cpus().length} × ${os.cpus()[0]?.model ?? 'cpu'}, Node ${process.version}${quick ? ' (quick)' : ''}; servers run ${serverBuild().name}`);
// Refused up front (not after minutes of other scenarios or promptfoo's run) when the servers
// would run anything but the bundle `npm start` runs (bench/servers.ts, checkBuild).
try {
  checkBuild();
} catch (error) {
  console.error((error as Error).message);
  process.exit(2);
}
if (!only || only === 'eff') await efficiency();
if (!only || only === 'prompt') await promptTargets();
if (!only || only === 'cpu') await cpuPerCell();
if (!only || only === 'big') await big();
if (!only || only === 'evaluators') await evaluators();
if (!only || only === 'caps') await caps();
if (!only || only === 'templates') await templates();
if (!only || only === 'compare') await compare();
if (!only || only === 'load') await load();
// Opt-in: it starts its own PostgreSQL and Redis and a process per worker.
if (only === 'cluster') {
  const { clusterBench } = await import('./cluster.js');
  if (!(await clusterBench({ quick, oneRun }, print))) process.exitCode = 1;
}
// Installs promptfoo on first use (a download), so it runs only when asked for.
if (only === 'peers') await (await import('./peers.js')).peersBench(quick, print);
if (!only || only === 'memory') await memory();
if (!only || only === 'bodies') {
  const { bodiesBench, largeReadsBench } = await import('./bodies.js');
  if (!(await bodiesBench(quick, print))) process.exitCode = 1;
  if (!(await largeReadsBench(quick, print))) process.exitCode = 1;
}
if (!only || only === 'pages') await (await import('./pages.js')).largeCellsBench(quick, print);
if (!only || only === 'stalled') await (await import('./stalled.js')).stalledReadersBench(quick, print);
// Several minutes each at full size, so only when asked for.
if (only === 'million') await million('embedded');
if (only === 'million-cluster') await million('cluster');
