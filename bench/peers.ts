// The peers benchmark (issue 17, `npm run bench -- --only=peers`): the same workload through
// promptfoo's CLI and through Assay, against one fake OpenAI server in its own process.
// promptfoo is installed once into a scratch folder outside the project's dependencies
// (~/.cache/assay-bench/promptfoo-<version>) and reused; nothing of it is in package.json.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { cpuMs, peakRssMb } from './proc.js';
import { api, OPENAI_KEY, SERVE_NODE_FLAGS, startOpenAI, startServer, waitDone } from './servers.js';

/**
 * The newest promptfoo whose `engines` accepts Node 20.20 (`npm view promptfoo@<v> engines`,
 * 2026-12-02): 0.121.20 says `^20.20.0 || >=22.22.0`; 0.122.0 and later need Node 22.22.
 */
export const PROMPTFOO_VERSION = '0.121.20';
const MODELS = ['gpt-4o-mini', 'gpt-4o'];
const LATENCY_MS = 200;
const CONCURRENCY = 50;

/** One tool's figures for the workload. */
export interface PeerFigures {
  tool: string;
  cells: number;
  passed: number;
  /** The evaluation itself: POST → `done` for Assay, promptfoo's own `durationMs`. */
  evalMs: number;
  /** The whole command for promptfoo (start, config, eval, writing results); for Assay, the run only. */
  commandMs: number;
  /** CPU of the evaluation (Assay: server CPU over the run; promptfoo: the whole command, children included). */
  cpuMs: number;
  /** CPU including the process's start (Assay: server from spawn to `done`). */
  cpuWithStartMs: number;
  peakRssMb: number;
}

/** The promptfoo binary, installed on first use with `npm install --prefix` into the cache folder. */
function promptfooBin(print: (line: string) => void): string {
  const dir = path.join(os.homedir(), '.cache', 'assay-bench', `promptfoo-${PROMPTFOO_VERSION}`);
  const bin = path.join(dir, 'node_modules', '.bin', 'promptfoo');
  if (existsSync(bin)) return bin;
  print(`(installing promptfoo@${PROMPTFOO_VERSION} into ${dir}, once)`);
  mkdirSync(dir, { recursive: true });
  const r = spawnSync('npm', ['install', '--prefix', dir, `promptfoo@${PROMPTFOO_VERSION}`, '--no-audit', '--no-fund', '--loglevel=error'], { stdio: 'inherit' });
  if (r.status !== 0 || !existsSync(bin)) throw new Error(`npm install promptfoo@${PROMPTFOO_VERSION} failed (exit ${r.status})`);
  return bin;
}

/** The rows both tools read: the fake provider answers `Echo: <last user message>`. */
function rows(n: number): { question: string; expected: string }[] {
  return Array.from({ length: n }, (_, i) => ({ question: `question ${i}`, expected: `Echo: question ${i}` }));
}

const SYSTEM = 'Answer briefly.';
const REGEX = '^Echo: question \\d+$';

/** promptfoo's config: one chat prompt on two `openai:chat:` providers, three deterministic asserts. */
function promptfooConfig(n: number): unknown {
  return {
    description: 'assay peers benchmark',
    prompts: [{ id: 'chat', raw: JSON.stringify([{ role: 'system', content: SYSTEM }, { role: 'user', content: '{{question}}' }]) }],
    providers: MODELS.map((m) => ({ id: `openai:chat:${m}`, config: { temperature: 0, max_tokens: 64 } })),
    defaultTest: { assert: [{ type: 'equals', value: '{{expected}}' }, { type: 'contains', value: 'question' }, { type: 'regex', value: REGEX }] },
    tests: rows(n).map((vars) => ({ vars })),
  };
}

/** The same workload as an Assay experiment: the three checks as catalogue evaluators. */
function assayExperiment(n: number): unknown {
  return {
    slug: 'peers', name: 'peers',
    dataset: { rows: rows(n) },
    targets: MODELS.map((m) => ({ id: m, type: 'prompt', model: `openai/${m}`, params: { temperature: 0, maxTokens: 64 }, messages: [{ role: 'system', content: SYSTEM }, { role: 'user', content: '{{question}}' }] })),
    evaluators: [
      { id: 'equals', type: 'langevals/exact_match', inputs: { output: 'output', expected_output: 'row.expected' } },
      { id: 'contains', type: 'langevals/basic', settings: { rules: [{ field: 'output', rule: 'contains', value: 'question' }] } },
      { id: 'regex', type: 'langevals/basic', settings: { rules: [{ field: 'output', rule: 'matches_regex', value: REGEX }] } },
    ],
    execution: { concurrency: CONCURRENCY, maxRetries: 0 },
  };
}

/**
 * Runs `promptfoo eval` under GNU time, which reports the CPU of the command and of every child
 * it waited for, and the largest resident set among them.
 */
async function runPromptfoo(bin: string, n: number, baseURL: string): Promise<PeerFigures> {
  if (!existsSync('/usr/bin/time')) throw new Error('the peers benchmark measures promptfoo with GNU time: apt-get install time');
  const scratch = mkdtempSync(path.join(os.tmpdir(), 'assay-peers-promptfoo-'));
  try {
    writeFileSync(path.join(scratch, 'config.yaml'), JSON.stringify(promptfooConfig(n))); // JSON is YAML
    const timeFile = path.join(scratch, 'time.txt');
    const out = path.join(scratch, 'results.json');
    const args = ['-o', timeFile, '-f', '%e %U %S %M', bin, 'eval', '-c', 'config.yaml', '--no-cache', '-j', String(CONCURRENCY), '-o', out, '--no-table', '--no-progress-bar'];
    const child = spawn('/usr/bin/time', args, {
      cwd: scratch,
      stdio: ['ignore', 'ignore', 'pipe'],
      env: {
        PATH: process.env.PATH, HOME: scratch,
        PROMPTFOO_CONFIG_DIR: path.join(scratch, 'home'),
        PROMPTFOO_DISABLE_TELEMETRY: '1', PROMPTFOO_DISABLE_UPDATE: '1', PROMPTFOO_DISABLE_SHARING: '1', PROMPTFOO_CACHE_ENABLED: 'false',
        OPENAI_API_KEY: OPENAI_KEY, OPENAI_BASE_URL: baseURL,
      },
    });
    let stderr = '';
    child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
    const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
    if (code !== 0) throw new Error(`promptfoo eval exited with ${code}:\n${stderr.slice(-2000)}`);
    const [wallS, userS, sysS, maxKb] = readFileSync(timeFile, 'utf8').trim().split('\n').at(-1)!.split(' ').map(Number) as [number, number, number, number];
    const stats = (JSON.parse(readFileSync(out, 'utf8')) as { results: { stats: { successes: number; failures: number; errors: number; durationMs: number } } }).results.stats;
    const cpu = (userS + sysS) * 1000;
    return { tool: `promptfoo ${PROMPTFOO_VERSION}`, cells: stats.successes + stats.failures + stats.errors, passed: stats.successes, evalMs: stats.durationMs, commandMs: wallS * 1000, cpuMs: cpu, cpuWithStartMs: cpu, peakRssMb: maxKb / 1024 };
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
}

/** A fresh server as `npm start` runs it; the first run after start is the one measured. */
async function runAssay(n: number, baseURL: string): Promise<PeerFigures> {
  const server = await startServer({ OPENAI_API_KEY: OPENAI_KEY, OPENAI_BASE_URL: baseURL }, SERVE_NODE_FLAGS);
  try {
    await api(server.base, 'POST', '/api/experiments', assayExperiment(n));
    const cpu0 = cpuMs(server.pid);
    const t0 = performance.now();
    const started = await api(server.base, 'POST', '/api/experiments/peers/run');
    await waitDone(server.base, started.runId);
    const wall = performance.now() - t0;
    const cpuEnd = cpuMs(server.pid);
    const run = await api(server.base, 'GET', `/api/experiments/runs/${started.runId}`);
    const s = run.summary as { totalCells: number; totalPassed: number };
    return { tool: 'Assay', cells: s.totalCells, passed: s.totalPassed, evalMs: wall, commandMs: wall, cpuMs: cpuEnd - cpu0, cpuWithStartMs: cpuEnd, peakRssMb: peakRssMb(server.pid) };
  } finally {
    await server.stop();
  }
}

export async function peersBench(quick: boolean, print: (line: string) => void): Promise<PeerFigures[]> {
  const n = quick ? 100 : 1000;
  const bin = promptfooBin(print);
  print(`\n### Against promptfoo: ${n * MODELS.length} cells (${n} rows × ${MODELS.length} prompt targets), 3 checks a cell, concurrency ${CONCURRENCY}, latency ${LATENCY_MS} ms\n`);
  const openai = await startOpenAI(LATENCY_MS);
  const figures: PeerFigures[] = [];
  try {
    figures.push(await runPromptfoo(bin, n, openai.baseURL));
    figures.push(await runAssay(n, openai.baseURL));
  } finally {
    await openai.stop();
  }
  const cells = n * MODELS.length;
  const ideal = (cells * LATENCY_MS) / CONCURRENCY;
  const col = (f: (p: PeerFigures) => string) => figures.map(f).join(' | ');
  print(`| | ${col((p) => p.tool)} |`);
  print(`|---|${figures.map(() => '---:').join('|')}|`);
  print(`| cells (all 3 checks passed) | ${col((p) => `${p.cells} (${p.passed})`)} |`);
  print(`| wall time of the evaluation | ${col((p) => `${(p.evalMs / 1000).toFixed(2)} s`)} |`);
  print(`| wall time of the command | ${col((p) => (p.tool === 'Assay' ? '(server already up)' : `${(p.commandMs / 1000).toFixed(2)} s`))} |`);
  print(`| efficiency (ideal ${(ideal / 1000).toFixed(2)} s ÷ evaluation wall) | ${col((p) => `**${(ideal / p.evalMs).toFixed(3)}**`)} |`);
  print(`| CPU per cell | ${col((p) => `**${(p.cpuMs / cells).toFixed(2)} ms**`)} |`);
  print(`| CPU per cell, process start included | ${col((p) => `${(p.cpuWithStartMs / cells).toFixed(2)} ms`)} |`);
  print(`| peak RSS | ${col((p) => `**${p.peakRssMb.toFixed(0)} MB**`)} |`);
  const [pf, assay] = figures as [PeerFigures, PeerFigures];
  print(`\nAssay vs promptfoo: CPU per cell ÷ ${(pf.cpuMs / assay.cpuMs).toFixed(1)}, peak RSS × ${(assay.peakRssMb / pf.peakRssMb).toFixed(2)}, evaluation ${(pf.evalMs / assay.evalMs).toFixed(1)}× faster.`);
  print('promptfoo: `promptfoo eval -c config.yaml --no-cache -j 50 -o results.json` under GNU time (CPU of the command and its children; peak = the');
  print('largest process), telemetry and update checks off; its CPU includes its start. Assay: a fresh `assay serve` with `npm start`\'s flags,');
  print('the first run after start, server CPU from /proc over POST → `done`; the fake OpenAI server runs in a third process.');
  return figures;
}
