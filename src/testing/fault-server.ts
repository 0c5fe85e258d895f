// A real `assay serve` process for the fault-injection suite (test/faults/): boots it on a data
// dir, talks to it over real HTTP, kills it with SIGKILL (or watches it kill itself at a
// failpoint) and boots it again on the same data.
import type { RunEvent } from '../core/events.js';
import { parseSse } from './runs.js';
import { spawnAssay, type Spawned } from './spawn.js';

/** The API key every fault-suite server is started with (ASSAY_API_KEY). */
export const FAULT_KEY = `sk-lw-${'FaultTest0'.repeat(4)}`;

export interface FaultServer {
  proc: Spawned;
  /** `http://127.0.0.1:<port>`. */
  base: string;
  client: AssayClient;
  /** SIGKILL, then waits for the process to be gone. */
  kill(): Promise<void>;
  /** SIGTERM (graceful), then waits for the exit. */
  stop(): Promise<void>;
  /** True once the process has exited, waiting up to `ms` for it (a failed request may come first). */
  exitedWithin(ms: number): Promise<boolean>;
}

/** The outcome of a boot: serving, or dead before it listened (a failpoint fired early). */
export type Boot = { kind: 'up'; server: FaultServer } | { kind: 'died'; proc: Spawned };

/** Starts `assay serve` on `dataDir` (PORT=0) with extra environment. */
export async function bootAssay(dataDir: string, env: Record<string, string> = {}, timeoutMs = 60_000): Promise<Boot> {
  const proc = spawnAssay(['serve'], { PORT: '0', ASSAY_DATA_DIR: dataDir, ASSAY_API_KEY: FAULT_KEY, ASSAY_LOG_LEVEL: 'warn', ...env });
  const listening = proc.waitFor(/listening on http:\/\/localhost:(\d+)/, timeoutMs).then((m) => m[1]!);
  const died = proc.exited.then(() => null);
  const port = await Promise.race([listening, died]);
  if (port === null) {
    listening.catch(() => {});
    return { kind: 'died', proc };
  }
  const base = `http://127.0.0.1:${port}`;
  const gone = async (signal: NodeJS.Signals) => {
    if (proc.child.exitCode === null && proc.child.signalCode === null) proc.child.kill(signal);
    await proc.exited;
  };
  const exitedWithin = (ms: number) =>
    Promise.race([proc.exited.then(() => true), new Promise<boolean>((resolve) => setTimeout(() => resolve(false), ms).unref())]);
  return { kind: 'up', server: { proc, base, client: new AssayClient(base), kill: () => gone('SIGKILL'), stop: () => gone('SIGTERM'), exitedWithin } };
}

/** Boots and insists on a serving process. */
export async function bootServing(dataDir: string, env: Record<string, string> = {}): Promise<FaultServer> {
  const boot = await bootAssay(dataDir, env);
  if (boot.kind === 'died') throw new Error(`assay serve exited before listening:\n${boot.proc.output()}`);
  return boot.server;
}

/** One result cell as GET /runs/{id}/results returns it (the fields the suite checks). */
export interface ResultCell {
  index: number;
  targetId: string;
  repeat: number;
  entry: Record<string, unknown>;
  /** Absent when the target failed. */
  predicted?: { output: unknown };
  error: string | null;
  attempts: number;
}

/** GET /runs/{id} (the fields the suite reads). */
export interface RunView {
  runId: string;
  status: string;
  progress: number;
  total: number;
  error?: string;
  summary?: { totalCells: number; completedCells: number; failedCells: number; totalPassed: number; totalFailed: number } & Record<string, unknown>;
}

/** A small HTTP client for one server, authenticated with FAULT_KEY (or another key). */
export class AssayClient {
  constructor(
    readonly base: string,
    private readonly key: string = FAULT_KEY,
  ) {}

  async json<T = unknown>(method: string, path: string, body?: unknown): Promise<T> {
    const res = await fetch(this.base + path, {
      method,
      headers: { authorization: `Bearer ${this.key}`, 'content-type': 'application/json' },
      ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
    });
    const text = await res.text();
    if (!res.ok) throw new Error(`${method} ${path} → ${res.status}: ${text.slice(0, 500)}`);
    return JSON.parse(text) as T;
  }

  run(runId: string): Promise<RunView> {
    return this.json('GET', `/api/experiments/runs/${runId}`);
  }

  /** Every committed cell of a run, all pages. */
  async results(runId: string): Promise<ResultCell[]> {
    const out: ResultCell[] = [];
    for (let offset = 0; ; ) {
      const page = await this.json<{ dataset: ResultCell[] }>('GET', `/api/experiments/runs/${runId}/results?offset=${offset}&limit=5000`);
      out.push(...page.dataset);
      if (page.dataset.length < 5000) return out;
      offset += page.dataset.length;
    }
  }

  /** The run's SSE stream read to its end (the run must have ended), after `lastEventId`. */
  async events(runId: string, lastEventId?: number): Promise<{ events: RunEvent[]; ids: number[] }> {
    const headers: Record<string, string> = { authorization: `Bearer ${this.key}`, accept: 'text/event-stream' };
    if (lastEventId !== undefined) headers['last-event-id'] = String(lastEventId);
    const res = await fetch(`${this.base}/api/experiments/runs/${runId}/events`, { headers, signal: AbortSignal.timeout(60_000) });
    if (!res.ok) throw new Error(`events of ${runId} → ${res.status}: ${await res.text()}`);
    const { events, ids } = parseSse(await res.text());
    return { events, ids };
  }

  /** Polls until the run is no longer running. */
  async waitForEnd(runId: string, timeoutMs: number): Promise<RunView> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const r = await this.run(runId);
      if (r.status !== 'running') return r;
      if (Date.now() > deadline) throw new Error(`run ${runId} still running at ${r.progress}/${r.total} after ${timeoutMs} ms`);
      await new Promise((res) => setTimeout(res, 50));
    }
  }
}
