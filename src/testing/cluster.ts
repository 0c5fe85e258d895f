// Real cluster processes for the fault suite: `assay serve` API processes and `assay worker`
// processes over one PostgreSQL schema and a private redis-server, plus a raw SSE reader that
// keeps every frame of one connection (ids included) so tests can check order and gaps.
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createParser } from 'eventsource-parser';
import type { StreamEvent } from '../client/index.js';
import { postgresDatabase } from './databases.js';
import { type PrivateRedis, startRedis } from './redis-server.js';
import { spawnAssay, type Spawned } from './spawn.js';

export const CLUSTER_KEY = `sk-lw-${'ClusterT00'.repeat(4)}`;

export interface ApiProcess {
  server: Spawned;
  base: string;
}

export interface WorkerProcess {
  proc: Spawned;
  /** The id the worker printed: its lease owner and the `workerId` of its cells. */
  id: string;
}

/** One SSE frame: `id` is absent on live-only events. */
export interface Frame {
  id: string | undefined;
  event: StreamEvent;
}

export class TestCluster {
  readonly processes: Spawned[] = [];
  private constructor(
    readonly redis: PrivateRedis,
    readonly env: Record<string, string>,
    private readonly cleanup: () => Promise<void>,
  ) {}

  /**
   * Over a fresh schema of the test database, or over `databaseUrl` (a private server) when
   * given; `env` adds variables to every process (limits, provider settings…).
   */
  static async create(options: { databaseUrl?: string; env?: Record<string, string> } = {}): Promise<TestCluster> {
    const redis = await startRedis();
    const pg = postgresDatabase();
    const db = options.databaseUrl !== undefined ? { databaseUrl: options.databaseUrl } : await pg.options();
    const dataDir = mkdtempSync(path.join(os.tmpdir(), 'assay-cluster-'));
    const env = {
      DATABASE_URL: db.databaseUrl!, ...('schema' in db && db.schema ? { ASSAY_DB_SCHEMA: db.schema } : {}), REDIS_URL: redis.url, ASSAY_API_KEY: CLUSTER_KEY,
      ASSAY_SECRET_KEY: 'cluster-test-secret-key-0123456789abcdef', ASSAY_DATA_DIR: dataDir, ASSAY_LOG_LEVEL: 'warn',
      ...options.env,
    };
    return new TestCluster(redis, env, async () => {
      await redis.stop();
      await pg.cleanup();
      rmSync(dataDir, { recursive: true, force: true });
    });
  }

  /**
   * An `assay serve` process, ASSAY_ROLE=api unless `role` says all (then it executes runs too,
   * logging at info). Start the first one alone: it creates the schema and the project.
   */
  async api(role: 'api' | 'all' = 'api'): Promise<ApiProcess & { id: string }> {
    const server = spawnAssay(['serve'], { ...this.env, PORT: '0', ASSAY_ROLE: role, ...(role === 'all' ? { ASSAY_LOG_LEVEL: 'info' } : {}) });
    this.processes.push(server);
    const [, port] = await server.waitFor(/listening on http:\/\/localhost:(\d+)/);
    const m = server.output().match(new RegExp(`cluster role ${role}, process (proc_\\w+)`));
    if (!m) throw new Error(`not a cluster ${role} process: ${server.output()}`);
    return { server, base: `http://127.0.0.1:${port}`, id: m[1]! };
  }

  /** A worker, logging at info so its `took run` lines can be read; `env` adds to the cluster's. */
  async worker(env: Record<string, string> = {}): Promise<WorkerProcess> {
    const proc = spawnAssay(['worker'], { ...this.env, ASSAY_LOG_LEVEL: 'info', ...env });
    this.processes.push(proc);
    const [, id] = await proc.waitFor(/Assay worker (proc_\w+) taking runs/);
    return { proc, id: id! };
  }

  async close(): Promise<void> {
    for (const p of this.processes) if (p.child.exitCode === null) p.child.kill('SIGKILL');
    await Promise.all(this.processes.map((p) => p.exited));
    await this.cleanup();
  }
}

/** A JSON API call with the cluster's key; throws on a non-2xx answer. */
export async function call(base: string, method: string, p: string, body?: unknown): Promise<any> {
  const res = await fetch(base + p, {
    method,
    headers: { authorization: `Bearer ${CLUSTER_KEY}`, 'content-type': 'application/json' },
    ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
  });
  const json = await res.json();
  if (!res.ok) throw new Error(`${method} ${p}: ${res.status} ${JSON.stringify(json)}`);
  return json;
}

/**
 * Every frame of one SSE connection (no reconnect) until the stream ends or breaks; `onFrame`
 * sees each as it arrives. A broken connection ends the list rather than throwing.
 */
export async function readStream(base: string, runId: string, options: { lastEventId?: number; onFrame?: (f: Frame) => void } = {}): Promise<Frame[]> {
  const res = await fetch(`${base}/api/experiments/runs/${runId}/events`, {
    headers: { authorization: `Bearer ${CLUSTER_KEY}`, accept: 'text/event-stream', ...(options.lastEventId !== undefined ? { 'last-event-id': String(options.lastEventId) } : {}) },
  });
  if (res.status !== 200) throw new Error(`events: ${res.status}`);
  const frames: Frame[] = [];
  const parser = createParser({
    onEvent: (e) => {
      const frame = { id: e.id, event: JSON.parse(e.data) as StreamEvent };
      frames.push(frame);
      options.onFrame?.(frame);
    },
  });
  const decoder = new TextDecoder();
  try {
    for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) parser.feed(decoder.decode(chunk, { stream: true }));
  } catch {
    // The server went away mid-stream: what arrived is the answer.
  }
  return frames;
}

/** Polls `check` every 50 ms until it answers something other than undefined. */
export async function eventually<T>(what: string, check: () => Promise<T | undefined>, timeoutMs: number): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await check();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** The run once it is no longer running (failed reads, as while the database restarts, are retried). */
export function ended(base: string, runId: string, timeoutMs: number): Promise<any> {
  return eventually(`run ${runId} to end`, async () => {
    const r = await call(base, 'GET', `/api/experiments/runs/${runId}`).catch(() => undefined);
    return r === undefined || r.status === 'running' ? undefined : r;
  }, timeoutMs);
}

/** `rowIndex/targetId/repeat` of a cell's event. */
export function cellKey(e: StreamEvent): string {
  const c = e as { rowIndex?: number; targetId?: string; repeat?: number };
  return `${c.rowIndex}/${c.targetId}/${c.repeat}`;
}
