// `assay worker` and `assay serve` refuse, with exit code 2 and a message naming what is
// missing, every combination cluster mode cannot run (issue 14, done-when 6). Nothing is
// opened before the refusal: the data directory stays empty.
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { TEST_PG_URL } from '../testing/databases.js';
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
    const out = await refused(['worker'], { REDIS_URL: REDIS, DATABASE_URL: 'sqlite://' });
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

  it('assay worker whose HOST does not resolve names HOST and ASSAY_WORKER_PORT, in one line, before it connects', async () => {
    // Nothing listens on this Redis port, and the database is never opened (the data directory stays empty).
    const out = await refused(['worker'], { DATABASE_URL: PG, REDIS_URL: REDIS, HOST: 'no-such-host.invalid', ASSAY_WORKER_PORT: '0' });
    expect(out.trim()).toMatch(/^error: HOST=no-such-host\.invalid cannot be listened on for ASSAY_WORKER_PORT \((ENOTFOUND|EAI_AGAIN)\): set HOST to an address of this machine/);
    expect(out).not.toMatch(/\n\s+at /);
  });

  it('assay worker whose REDIS_URL host does not resolve says so, naming REDIS_URL, in one line (exit 2)', async () => {
    // A database of its own, as the worker opens (and migrates) PostgreSQL before Redis.
    const name = `assay_worker_redis_${Date.now().toString(36)}_${Math.random().toString(36).slice(2, 6)}`;
    const admin = new pg.Client({ connectionString: TEST_PG_URL });
    await admin.connect();
    const dataDir = mkdtempSync(path.join(os.tmpdir(), 'assay-role-'));
    dirs.push(dataDir);
    try {
      await admin.query(`CREATE DATABASE ${name}`);
      const url = new URL(TEST_PG_URL);
      url.pathname = `/${name}`;
      const p = spawnAssay(['worker'], {
        ASSAY_DATA_DIR: dataDir, DATABASE_URL: url.toString(), REDIS_URL: 'redis://no-such-host.invalid:6379',
        ASSAY_SECRET_KEY: 'a-secret-key-of-at-least-32-characters', ASSAY_LOG_LEVEL: 'warn',
      });
      expect(await p.exited, p.output()).toBe(2);
      expect(p.output().trim()).toMatch(/^error: could not reach Redis at REDIS_URL \(redis:\/\/no-such-host\.invalid:6379\): the host no-such-host\.invalid is not found \((ENOTFOUND|EAI_AGAIN)\)$/);
    } finally {
      await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await admin.end();
    }
  });

  it('refuses ASSAY_WORKER_CONCURRENCY where no cell executes, and a bad value', async () => {
    expect(await refused(['serve'], { DATABASE_URL: PG, REDIS_URL: REDIS, ASSAY_ROLE: 'api', ASSAY_WORKER_CONCURRENCY: '100' })).toMatch(/ASSAY_WORKER_CONCURRENCY is set but ASSAY_ROLE=api executes no cell/);
    expect(await refused(['worker'], { DATABASE_URL: PG, REDIS_URL: REDIS, ASSAY_WORKER_CONCURRENCY: 'lots' })).toMatch(/ASSAY_WORKER_CONCURRENCY="lots": must be a whole number/);
  });
});
