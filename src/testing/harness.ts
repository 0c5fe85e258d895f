// An in-process Assay for HTTP tests: real storage (SQLite in a temp dir unless a database is
// given), the real Hono app, requests through app.request() without opening a port.
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { AssayClient } from '../client/index.js';
import { type Assay, type ComposeOptions, composeAssay } from '../config/compose.js';
import { type Config, loadConfig } from '../config/env.js';
import type { DbOptions } from '../storage/connect.js';

export const ADMIN_TOKEN = 'test-admin-token-0123456789abcdef0123';
/**
 * ASSAY_SECRET_KEY for harnesses on a given database (PostgreSQL tests share os.tmpdir() as the
 * data dir, where a generated key file would outlive the test). Temp-dir harnesses generate one.
 */
export const TEST_SECRET_KEY = 'assay-test-secret-key-0123456789abcdef';

export interface TestAssay {
  assay: Assay;
  config: Config;
  /** Project "default" and its key. */
  key: string;
  projectId: string;
  req(method: string, path: string, init?: { key?: string | null; body?: unknown; raw?: string | Uint8Array; headers?: Record<string, string> }): Promise<Response>;
  /** The typed client with project default's key, over the in-process app (no port). */
  client: AssayClient;
  /** A second project with its own key, for isolation tests. */
  otherProject(): Promise<{ key: string; projectId: string }>;
  close(): Promise<void>;
}

export async function startTestAssay(overrides: Partial<Config> = {}, db?: DbOptions, options: ComposeOptions = {}): Promise<TestAssay> {
  const dataDir = db?.dataDir ?? mkdtempSync(path.join(os.tmpdir(), 'assay-http-'));
  const config: Config = {
    ...loadConfig({}),
    dataDir,
    databaseUrl: db?.databaseUrl,
    dbSchema: db?.schema,
    adminToken: ADMIN_TOKEN,
    logLevel: 'silent',
    ...(db ? { secretKey: TEST_SECRET_KEY } : {}),
    // The per-key abuse limits are off unless a test asks for them (src/http/limits.test.ts):
    // suites that start many runs or streams with one key must not trip over them.
    runRateLimit: 0,
    ssePerKey: 0,
    // Likewise failed-auth throttling: in-process requests all come from one address ('local').
    authFailuresPerMinute: 1_000_000,
    ...overrides,
  };
  const assay = await composeAssay(config, options);
  await assay.start();
  const { project, key } = await assay.projects.createProject('Default', 'default');
  const req: TestAssay['req'] = (method, p, init = {}) => {
    const headers: Record<string, string> = { ...(init.headers ?? {}) };
    const apiKey = init.key === undefined ? key.apiKey : init.key;
    if (apiKey !== null && !('authorization' in headers) && !('x-auth-token' in headers)) headers['x-auth-token'] = apiKey;
    let body: string | Uint8Array | undefined = init.raw;
    if (init.body !== undefined) {
      body = JSON.stringify(init.body);
      headers['content-type'] ??= 'application/json';
    }
    return Promise.resolve(assay.http.app.request(p, { method, headers, ...(body !== undefined ? { body } : {}) }));
  };
  let others = 0;
  const client = new AssayClient({ endpoint: 'http://assay.test', apiKey: key.apiKey, fetch: (url, init) => assay.http.app.request(url, init) });
  return {
    assay, config, key: key.apiKey, projectId: project.id, req, client,
    async otherProject() {
      const created = await assay.projects.createProject(`Other ${++others}`);
      return { key: created.key.apiKey, projectId: created.project.id };
    },
    async close() {
      await assay.close();
      if (!db) rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** Serves a test Assay on a real loopback port (for clients that need a URL). */
export async function listen(t: TestAssay): Promise<{ url: string; close(): Promise<void>; dropConnections(): void }> {
  // The listener `assay serve` uses, so that what it hands the app (Node's request and response)
  // is what the tests see: it once dropped them, and only the real server noticed.
  const { listenEarly } = await import('../cli/listen.js');
  const { connectionLimits } = await import('../config/connections.js');
  const { server, port, ready } = await listenEarly(0, '127.0.0.1', 'PORT', connectionLimits({}));
  ready(t.assay.http.app.fetch);
  return {
    url: `http://127.0.0.1:${port}`,
    /** Cuts every open connection (streams included) and keeps listening: a network drop. */
    dropConnections: () => server.closeAllConnections(),
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
