// Starts the real `assay` command as a child process (the way `npm start` does) and waits
// for a line on stdout, for end-to-end tests.
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

export const BIN = path.resolve(import.meta.dirname, '../../bin/assay.js');

export interface Spawned {
  child: ChildProcess;
  output: () => string;
  waitFor(pattern: RegExp, timeoutMs?: number): Promise<RegExpMatchArray>;
  exited: Promise<number | null>;
}

/**
 * Runs `assay ARGS`: bin/assay.js, or another entry (a bundle's main.js). `wrap` is a command
 * that runs it, given node and its arguments last (e.g. `unshare -m sh -c '…; exec "$@"' sh`).
 */
export function spawnAssay(args: string[], env: Record<string, string | undefined>, entry = BIN, wrap: string[] = []): Spawned {
  const command = [...wrap, process.execPath, entry, ...args];
  const child = spawn(command[0]!, command.slice(1), {
    env: { PATH: process.env.PATH, HOME: process.env.HOME, ...env } as NodeJS.ProcessEnv,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  const listeners = new Set<() => void>();
  const onData = (d: Buffer) => {
    out += d.toString();
    for (const l of listeners) l();
  };
  child.stdout!.on('data', onData);
  child.stderr!.on('data', onData);
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return {
    child,
    output: () => out,
    exited,
    waitFor(pattern, timeoutMs = 60_000) {
      return new Promise((resolve, reject) => {
        const check = () => {
          const m = out.match(pattern);
          if (m) {
            listeners.delete(check);
            clearTimeout(timer);
            resolve(m);
          }
        };
        const timer = setTimeout(() => {
          listeners.delete(check);
          reject(new Error(`Timed out waiting for ${pattern}; output so far:\n${out}`));
        }, timeoutMs);
        listeners.add(check);
        void exited.then(() => setTimeout(check, 50));
        check();
      });
    },
  };
}

/** A real `assay serve` on a free port with one API key and its own data directory, and a way to run CLI commands against it. */
export interface CliServer {
  base: string;
  dataDir: string;
  /** Runs `assay ARGS` against the server (endpoint and key in the environment); its exit code and output. */
  run(args: string[], env?: Record<string, string>): Promise<{ code: number | null; out: string }>;
  /** POSTs a JSON body with the key; the response. */
  post(path: string, body: unknown): Promise<Response>;
  stop(): Promise<void>;
}

export async function startCliServer(key: string, prefix: string, entry = BIN, env: Record<string, string> = {}): Promise<CliServer> {
  const dataDir = mkdtempSync(path.join(os.tmpdir(), prefix));
  const server = spawnAssay(['serve'], { PORT: '0', ASSAY_DATA_DIR: dataDir, ASSAY_API_KEY: key, ASSAY_LOG_LEVEL: 'warn', ...env }, entry);
  const [, port] = await server.waitFor(/listening on http:\/\/localhost:(\d+)/);
  const base = `http://127.0.0.1:${port}`;
  return {
    base,
    dataDir,
    async run(args, env = {}) {
      const p = spawnAssay(args, { ASSAY_ENDPOINT: base, ASSAY_API_KEY: key, ...env }, entry);
      return { code: await p.exited, out: p.output() };
    },
    post: (p, body) => fetch(`${base}${p}`, { method: 'POST', headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' }, body: JSON.stringify(body) }),
    async stop() {
      server.child.kill('SIGTERM');
      await server.exited;
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** `assay serve` on a free port over `dataDir` with one API key (a server a test may kill and start again on the same data). */
export async function bootServe(dataDir: string, key: string): Promise<{ server: Spawned; base: string }> {
  const server = spawnAssay(['serve'], { PORT: '0', ASSAY_DATA_DIR: dataDir, ASSAY_API_KEY: key, ASSAY_LOG_LEVEL: 'warn' });
  const [, port] = await server.waitFor(/listening on http:\/\/localhost:(\d+)/);
  return { server, base: `http://127.0.0.1:${port}` };
}

/** A JSON request with `key` as a bearer token; the parsed answer, whatever its status. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export async function jsonRequest(base: string, key: string, method: string, p: string, body?: unknown): Promise<any> {
  const res = await fetch(base + p, {
    method,
    headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
    ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
  });
  return res.json();
}
