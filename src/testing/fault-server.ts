// A real `assay serve` process for the fault-injection suite (test/faults/): boots it on a data
// dir, talks to it over real HTTP, kills it with SIGKILL (or watches it kill itself at a
// failpoint) and boots it again on the same data.
import { AssayClient } from '../client/index.js';
import type { RunEvent } from '../core/events.js';
import type { DatasetEntry } from '../core/model/run-api.js';
import { parseSse } from './runs.js';
import { spawnAssay, type Spawned } from './spawn.js';

/** The API key every fault-suite server is started with (ASSAY_API_KEY). */
export const FAULT_KEY = `sk-lw-${'FaultTest0'.repeat(4)}`;

export interface FaultServer {
  proc: Spawned;
  /** `http://127.0.0.1:<port>`. */
  base: string;
  client: FaultClient;
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
  return { kind: 'up', server: { proc, base, client: new FaultClient(base), kill: () => gone('SIGKILL'), stop: () => gone('SIGTERM'), exitedWithin } };
}

/** Boots and insists on a serving process. */
export async function bootServing(dataDir: string, env: Record<string, string> = {}): Promise<FaultServer> {
  const boot = await bootAssay(dataDir, env);
  if (boot.kind === 'died') throw new Error(`assay serve exited before listening:\n${boot.proc.output()}`);
  return boot.server;
}

/** The typed client, plus what the fault suite reads whole: every cell, and one SSE connection to its end. */
export class FaultClient extends AssayClient {
  constructor(base: string, key: string = FAULT_KEY) {
    super({ endpoint: base, apiKey: key });
  }

  /** Every committed cell of a run, all pages. */
  async cells(runId: string): Promise<DatasetEntry[]> {
    return (await this.allResults(runId)).dataset;
  }

  /** The run's SSE stream on one connection, read to its end (the run must have ended), after `lastEventId`. */
  async sse(runId: string, lastEventId?: number): Promise<{ events: RunEvent[]; ids: number[] }> {
    const res = await this.send('GET', `/api/experiments/runs/${runId}/events`, {
      headers: { accept: 'text/event-stream', ...(lastEventId !== undefined ? { 'last-event-id': String(lastEventId) } : {}) },
      signal: AbortSignal.timeout(60_000),
    });
    const { events, ids } = parseSse(await res.text());
    return { events, ids };
  }
}
