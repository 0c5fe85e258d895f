// The processes a benchmark starts: Assay (`assay serve` on a fresh data directory), the
// minimal agent and the fake OpenAI server, each in its own process so CPU and memory figures
// read from /proc are the server's alone; plus the typed client with the benchmark key.
import { appendFileSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { type ChildProcess, spawn } from 'node:child_process';
import { BUILDS, upToDateBuild } from '../bin/builds.js';
import { AssayClient } from '../src/client/index.js';
import { BIN } from '../src/testing/spawn.js';

/**
 * Every process a benchmark started and has not stopped yet. A benchmark cut short (an uncaught
 * error, or its output piped into `head` and closed) would otherwise leave idle servers running,
 * which then skew the next measurements on the machine; they are killed when the process exits.
 */
const running = new Set<ChildProcess>();
process.once('exit', () => {
  for (const child of running) child.kill('SIGKILL');
});

function tracked(child: ChildProcess): ChildProcess {
  running.add(child);
  child.once('exit', () => running.delete(child));
  return child;
}

export const KEY = `sk-lw-${'BenchmarkK'.repeat(4)}`;
export const OPENAI_KEY = 'sk-bench-0000000000000000000000';
/** The key bench/anthropic.ts accepts. */
export const ANTHROPIC_KEY = 'sk-ant-bench-000000000000000000000';

export interface Server {
  base: string;
  pid: number;
  /** Lines the server printed (stdout and stderr), when started with `keepOutput`. */
  lines: string[];
  stop(): Promise<void>;
}

/**
 * The V8 flags `npm start` runs the server with (package.json; docs/decisions.md, "Memory"):
 * semi-spaces of at most 16 MB. bin/assay.js holds them at their initial size while loading.
 */
export const SERVE_NODE_FLAGS = ['--max-semi-space-size=16'];

/** The environment `npm start` adds: two malloc arenas for the process instead of one per thread (glibc). */
export const SERVE_ENV: Record<string, string> = { MALLOC_ARENA_MAX: '2' };

/**
 * BENCH_SERVER_ENV='{"ASSAY_METRICS":"false"}' adds variables to every scenario's server (e.g.
 * OTEL_EXPORTER_OTLP_ENDPOINT to measure tracing; docs/benchmarks.md, "Observability").
 */
function serverEnv(): Record<string, string> {
  const raw = process.env.BENCH_SERVER_ENV;
  if (!raw) return {};
  const parsed: unknown = JSON.parse(raw);
  if (typeof parsed !== 'object' || parsed === null || Object.values(parsed).some((v) => typeof v !== 'string')) {
    throw new Error('BENCH_SERVER_ENV must be a JSON object of strings');
  }
  return parsed as Record<string, string>;
}

/** What an `assay` entry point runs (bin/builds.js): the bundle, tsc's per-file build, or the sources through tsx. */
export function serverBuild(bin = BIN): { name: string; bundle: boolean } {
  const build = upToDateBuild(pathToFileURL(path.join(path.dirname(bin), '..') + '/'));
  if (build === null) return { name: 'the sources through tsx (no build newer than src/)', bundle: false };
  return { name: build.name, bundle: build.entry === BUILDS[0]!.entry };
}

/**
 * A benchmark measures what `npm start` runs, the bundle. After an edit without `npm run build`,
 * bin/assay.js would run tsc's build or the sources through tsx (start-up transpiling, ≈ 50 MB
 * more RSS), and the figures would silently describe that instead; so that is refused here.
 * BENCH_ALLOW_STALE=1 measures it anyway (the printed build says which).
 */
export function checkBuild(bin = BIN): string {
  const build = serverBuild(bin);
  if (!build.bundle && process.env.BENCH_ALLOW_STALE !== '1') {
    throw new Error(`${bin} would run ${build.name}, not the bundle: run \`npm run build\` first (or set BENCH_ALLOW_STALE=1 to measure it anyway)`);
  }
  return build.name;
}

/**
 * `nodeArgs` go to node before the script (e.g. `--cpu-prof`, which NODE_OPTIONS refuses);
 * `bin` is the `assay` entry point to start (another checkout's, to compare two builds);
 * BENCH_BIN=/other/checkout/bin/assay.js sets it for every scenario that does not pass one.
 */
export async function startServer(env: Record<string, string> = {}, nodeArgs: string[] = [], keepOutput = false, bin = process.env.BENCH_BIN ?? BIN): Promise<Server> {
  checkBuild(bin);
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'assay-bench-'));
  // BENCH_SERVER_NODE_ARGS="--cpu-prof --cpu-prof-dir=/tmp/prof" profiles the server of any scenario.
  const extra = process.env.BENCH_SERVER_NODE_ARGS?.split(' ').filter(Boolean) ?? [];
  const child = tracked(spawn(process.execPath, [...nodeArgs, ...extra, bin, 'serve'], {
    env: { PATH: process.env.PATH, HOME: process.env.HOME, PORT: '0', ASSAY_DATA_DIR: dataDir, ASSAY_API_KEY: KEY, ASSAY_LOG_LEVEL: 'warn', ...SERVE_ENV, ...serverEnv(), ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  }));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const lines: string[] = [];
  if (keepOutput) {
    let partial = '';
    for (const s of [child.stdout!, child.stderr!]) {
      s.on('data', (d: Buffer) => {
        const parts = (partial + d.toString()).split('\n');
        partial = parts.pop()!;
        lines.push(...parts);
      });
    }
  }
  const port = await new Promise<string>((resolve, reject) => {
    let out = '';
    const onData = (d: Buffer) => {
      out += d.toString();
      const m = /listening on http:\/\/localhost:(\d+)/.exec(out);
      if (m) resolve(m[1]!);
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    // BENCH_SERVER_LOG=FILE keeps the server's output (e.g. with --trace-gc in BENCH_SERVER_NODE_ARGS).
    const log = process.env.BENCH_SERVER_LOG;
    if (log) for (const s of [child.stdout!, child.stderr!]) s.on('data', (d: Buffer) => appendFileSync(log, d));
    void exited.then(() => reject(new Error(`assay serve exited before listening:\n${out}`)));
  });
  return {
    base: `http://127.0.0.1:${port}`,
    pid: child.pid!,
    lines,
    async stop() {
      child.kill('SIGTERM');
      await exited;
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

interface Printing {
  url: string;
  pid: number;
  /** Writes `line` to the process's stdin and resolves the first later output line starting with `tag`. */
  ask(line: string, tag: string): Promise<string>;
  stop(): Promise<void>;
}

/** A child process started with tsx that prints `<TAG> <url>` once listening; resolves that url. */
function startPrinting(script: string, latencyMs: number, tag: string): Promise<Printing> {
  const child = tracked(spawn(process.execPath, ['--import', 'tsx', path.join(import.meta.dirname, script), String(latencyMs)], { stdio: ['pipe', 'pipe', 'inherit'] }));
  let out = '';
  const waiting: { tag: string; from: number; resolve: (rest: string) => void }[] = [];
  child.stdout!.on('data', (d) => {
    out += d;
    for (const w of [...waiting]) {
      const m = new RegExp(`^${w.tag} (.*)$`, 'm').exec(out.slice(w.from));
      if (m) {
        waiting.splice(waiting.indexOf(w), 1);
        w.resolve(m[1]!);
      }
    }
  });
  const ask = (line: string, answerTag: string) =>
    new Promise<string>((resolve) => {
      waiting.push({ tag: answerTag, from: out.length, resolve });
      child.stdin!.write(`${line}\n`);
    });
  return new Promise((resolve) => {
    waiting.push({
      tag, from: 0,
      resolve: (url) => resolve({ url, pid: child.pid!, ask, stop: () => new Promise<void>((r) => (child.once('exit', () => r()), child.kill('SIGTERM'))) }),
    });
  });
}

export async function startAgent(latencyMs: number): Promise<{ url: string; stop(): Promise<void> }> {
  const agent = await startPrinting('agent.ts', latencyMs, 'AGENT');
  // Warm the agent (not Assay) so its own cold start is not counted against the engine.
  await Promise.all(Array.from({ length: 200 }, () => fetch(`${agent.url}/warm`, { method: 'POST', body: '{"message":"warm"}' }).then((r) => r.text())));
  return agent;
}

export interface OpenAIProcess {
  baseURL: string;
  pid: number;
  /** The most calls of each model the provider had in flight at once so far. */
  peakInFlight(): Promise<Record<string, number>>;
  /** Forgets the peaks so far (after the warm-up, before a measurement). */
  resetPeak(): Promise<void>;
  stop(): Promise<void>;
}

export async function startOpenAI(latencyMs: number): Promise<OpenAIProcess> {
  const provider = await startPrinting('openai.ts', latencyMs, 'OPENAI');
  const warm = JSON.stringify({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'warm' }] });
  await Promise.all(Array.from({ length: 100 }, () =>
    fetch(`${provider.url}/chat/completions`, { method: 'POST', headers: { authorization: `Bearer ${OPENAI_KEY}`, 'content-type': 'application/json' }, body: warm }).then((r) => r.text())));
  return {
    baseURL: provider.url, pid: provider.pid, stop: provider.stop,
    peakInFlight: async () => JSON.parse(await provider.ask('peak', 'PEAK')) as Record<string, number>,
    resetPeak: async () => void (await provider.ask('reset', 'RESET')),
  };
}

/** The fake Anthropic server in its own process (bench/anthropic.ts), warmed up like startOpenAI's. */
export async function startAnthropic(latencyMs: number): Promise<{ url: string; stop(): Promise<void> }> {
  const provider = await startPrinting('anthropic.ts', latencyMs, 'ANTHROPIC');
  const warm = JSON.stringify({ model: 'claude-haiku-4-5', max_tokens: 16, messages: [{ role: 'user', content: 'warm' }] });
  await Promise.all(Array.from({ length: 100 }, () =>
    fetch(`${provider.url}/v1/messages`, { method: 'POST', headers: { 'x-api-key': ANTHROPIC_KEY, 'anthropic-version': '2023-06-01', 'content-type': 'application/json' }, body: warm }).then((r) => r.text())));
  return { url: provider.url, stop: provider.stop };
}

/** A JSON request with the benchmark key (or `key`), through the typed client. */
export async function api(base: string, method: string, p: string, body?: unknown, contentType = 'application/json', key = KEY): Promise<any> {
  return new AssayClient({ endpoint: base, apiKey: key }).json(method, p, body, contentType);
}

/** Waits for the run's final event on its SSE stream; returns when it was seen. */
export async function waitDone(base: string, runId: string): Promise<void> {
  for await (const event of new AssayClient({ endpoint: base, apiKey: KEY }).events(runId)) void event;
}

export interface WorkerProcess {
  pid: number;
  /** The id the worker printed (its `workerId`). */
  id: string;
  stop(): Promise<void>;
}

/** An `assay worker` process (cluster mode: `env` brings DATABASE_URL and REDIS_URL); resolves once it takes runs. */
export async function startWorker(env: Record<string, string>): Promise<WorkerProcess> {
  checkBuild();
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'assay-bench-worker-'));
  const child = tracked(spawn(process.execPath, [BIN, 'worker'], {
    env: { PATH: process.env.PATH, HOME: process.env.HOME, ASSAY_DATA_DIR: dataDir, ASSAY_LOG_LEVEL: 'warn', ...serverEnv(), ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  }));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const id = await new Promise<string>((resolve, reject) => {
    let out = '';
    const onData = (d: Buffer) => {
      out += d.toString();
      const m = /Assay worker (proc_\w+) taking runs/.exec(out);
      if (m) resolve(m[1]!);
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    void exited.then(() => reject(new Error(`assay worker exited before taking runs:\n${out}`)));
  });
  // Keep draining its output so a chatty worker never blocks on a full pipe.
  child.stdout!.resume();
  child.stderr!.resume();
  return {
    pid: child.pid!,
    id,
    async stop() {
      child.kill('SIGTERM');
      await exited;
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** One pass of the bare client (bench/bare-client.ts): its wall time and its own CPU, ms. */
export interface BarePass {
  wallMs: number;
  cpuMs: number;
}

/**
 * The prompt workload's calls sent by a bare undici client in its own process (bench/bare-client.ts):
 * the floor the setup allows, to read Assay's efficiency against. `passes` in one process.
 */
export function runBareClient(baseURL: string, rows: number, concurrency: number, passes: number): Promise<BarePass[]> {
  const child = tracked(spawn(process.execPath, ['--import', 'tsx', path.join(import.meta.dirname, 'bare-client.ts'), baseURL, OPENAI_KEY, String(rows), String(concurrency), String(passes)], { stdio: ['ignore', 'pipe', 'inherit'] }));
  let out = '';
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  return new Promise((resolve, reject) => {
    child.once('exit', (code) => {
      const found = [...out.matchAll(/^PASS (.*)$/gm)].map((m) => JSON.parse(m[1]!) as BarePass);
      if (code !== 0 || found.length !== passes) reject(new Error(`the bare client exited with ${code} after ${found.length}/${passes} passes:\n${out}`));
      else resolve(found);
    });
  });
}
