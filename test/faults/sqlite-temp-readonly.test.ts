// A container whose root filesystem is read-only, with only the data volume writable (a common
// hardening: Kubernetes' readOnlyRootFilesystem, `docker run --read-only`). SQLite writes a
// temporary file for the journal of a large statement, and by default looks for /var/tmp,
// /usr/tmp, /tmp and the working directory: with none writable, a run's first large commit
// failed with "disk I/O error" and the run ended `run_crashed_repeatedly` (found 2026-12-04).
// Here `assay serve` runs in a mount namespace of its own, with /tmp and /var/tmp read-only and
// /tmp as its working directory, and a 2,000-cell run at concurrency 50 must complete.
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FAULT_KEY, FaultClient } from '../../src/testing/fault-server.js';
import { type FakeAgent, startFakeAgent } from '../../src/testing/fake-agent.js';
import { agentExperiment } from '../../src/testing/runs.js';
import { spawnAssay, type Spawned } from '../../src/testing/spawn.js';
import { namespacesUnsupported } from '../../src/testing/namespaces.js';

const ROWS = 2000;

/**
 * Makes /tmp and /var/tmp read-only for the command, keeps the data directory (under /tmp)
 * writable, and starts it in /tmp. `unshare -m` keeps the mounts private to the namespace.
 */
const READ_ONLY_TEMP = [
  'unshare', '-m', 'sh', '-c',
  [
    'mount --bind /tmp /tmp',
    'mount --bind "$ASSAY_DATA_DIR" "$ASSAY_DATA_DIR"',
    'mount -o remount,bind,ro /tmp',
    'mount --bind /var/tmp /var/tmp',
    'mount -o remount,bind,ro /var/tmp',
    'cd /tmp',
    'exec "$@"',
  ].join(' && '),
  'sh',
];


let dataDir: string;
let agent: FakeAgent;
let server: Spawned | undefined;
let unsupported: string | null;

beforeAll(async () => {
  dataDir = mkdtempSync(path.join(os.tmpdir(), 'assay-faults-rotmp-'));
  unsupported = namespacesUnsupported();
  agent = await startFakeAgent({ latencyMs: 0 });
});

afterAll(async () => {
  if (server && server.child.exitCode === null) server.child.kill('SIGTERM');
  await server?.exited;
  await agent.close();
  rmSync(dataDir, { recursive: true, force: true });
});

describe('SQLite with read-only temporary directories', () => {
  it('completes a run whose commits need a statement journal, keeping it in the data directory', async (ctx) => {
    if (unsupported) {
      // CI runs as root, where this must work; elsewhere say why it cannot.
      if (process.env.CI) throw new Error(`cannot make /tmp read-only in a mount namespace here: ${unsupported}`);
      ctx.skip(`cannot make /tmp read-only in a mount namespace here: ${unsupported}`);
    }
    server = spawnAssay(['serve'], { PORT: '0', ASSAY_DATA_DIR: dataDir, ASSAY_API_KEY: FAULT_KEY, ASSAY_LOG_LEVEL: 'warn' }, undefined, READ_ONLY_TEMP);
    const [, port] = await server.waitFor(/listening on http:\/\/localhost:(\d+)/);
    const client = new FaultClient(`http://127.0.0.1:${port}`);
    await client.json('POST', '/api/experiments', agentExperiment('rotmp', agent.url, ROWS, { execution: { concurrency: 50 } }));
    const { runId } = await client.json<{ runId: string }>('POST', '/api/experiments/rotmp/run');
    const run = await client.waitForEnd(runId, 60_000);
    expect(run, server.output()).toMatchObject({ status: 'completed', progress: ROWS, total: ROWS });
    expect(server.output()).not.toMatch(/disk I\/O error/);
  });
});
