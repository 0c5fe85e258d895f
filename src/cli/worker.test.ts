// `assay worker` and `assay serve` refuse, with exit code 2 and a message naming what is
// missing, every combination cluster mode cannot run (issue 14, done-when 6). Nothing is
// opened before the refusal: the data directory stays empty.
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { spawnAssay } from '../testing/spawn.js';

const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

async function refused(args: string[], env: Record<string, string>): Promise<string> {
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'assay-role-'));
  dirs.push(dataDir);
  const p = spawnAssay(args, { ASSAY_DATA_DIR: dataDir, PORT: '0', ...env });
  const code = await p.exited;
  expect(code, p.output()).toBe(2);
  expect(readdirSync(dataDir)).toEqual([]);
  return p.output();
}

const PG = 'postgres://postgres@127.0.0.1:5432/test';
const REDIS = 'redis://127.0.0.1:6399';

describe('cluster configuration refusals', { timeout: 60_000 }, () => {
  it('assay worker without DATABASE_URL and REDIS_URL names both', async () => {
    const out = await refused(['worker'], {});
    expect(out).toMatch(/DATABASE_URL is not set: `assay worker` needs the PostgreSQL database/);
    expect(out).toMatch(/REDIS_URL is not set: `assay worker` takes runs from the BullMQ queue/);
  });

  it('assay worker with SQLite (REDIS_URL set) names DATABASE_URL', async () => {
    const out = await refused(['worker'], { REDIS_URL: REDIS, DATABASE_URL: 'sqlite://./x' });
    expect(out).toMatch(/DATABASE_URL is not set/);
    expect(out).not.toMatch(/REDIS_URL is not set/);
  });

  it('assay worker with PostgreSQL but no REDIS_URL names REDIS_URL', async () => {
    const out = await refused(['worker'], { DATABASE_URL: PG });
    expect(out).toMatch(/REDIS_URL is not set/);
    expect(out).not.toMatch(/DATABASE_URL is not set/);
  });

  it('assay serve with REDIS_URL and SQLite, or ASSAY_ROLE=api without Redis, or ASSAY_ROLE=worker', async () => {
    expect(await refused(['serve'], { REDIS_URL: REDIS })).toMatch(/REDIS_URL is set but the database is SQLite/);
    expect(await refused(['serve'], { ASSAY_ROLE: 'api' })).toMatch(/ASSAY_ROLE=api executes no run, so it needs REDIS_URL/);
    expect(await refused(['serve'], { ASSAY_ROLE: 'worker', DATABASE_URL: PG, REDIS_URL: REDIS })).toMatch(/ASSAY_ROLE=worker: `assay serve` runs as api or all/);
    expect(await refused(['serve'], { ASSAY_ROLE: 'primary' })).toMatch(/ASSAY_ROLE="primary"/);
  });

  it('assay worker whose ASSAY_WORKER_PORT is in use says so in one line, before it connects or takes a run', async () => {
    const blocker = net.createServer();
    await new Promise<void>((resolve) => blocker.listen(0, '0.0.0.0', resolve));
    const taken = (blocker.address() as net.AddressInfo).port;
    try {
      // Nothing listens on this Redis port: a worker that connected first would fail otherwise.
      const out = await refused(['worker'], { DATABASE_URL: PG, REDIS_URL: REDIS, ASSAY_WORKER_PORT: String(taken) });
      expect(out.trim()).toBe(`error: port ${taken} is already in use — set ASSAY_WORKER_PORT to another port, or stop what listens on it`);
    } finally {
      await new Promise((resolve) => blocker.close(resolve));
    }
  });

  it('refuses ASSAY_WORKER_CONCURRENCY where no cell executes, and a bad value', async () => {
    expect(await refused(['serve'], { DATABASE_URL: PG, REDIS_URL: REDIS, ASSAY_ROLE: 'api', ASSAY_WORKER_CONCURRENCY: '100' })).toMatch(/ASSAY_WORKER_CONCURRENCY is set but ASSAY_ROLE=api executes no cell/);
    expect(await refused(['worker'], { DATABASE_URL: PG, REDIS_URL: REDIS, ASSAY_WORKER_CONCURRENCY: 'lots' })).toMatch(/ASSAY_WORKER_CONCURRENCY="lots": must be a whole number/);
  });
});
