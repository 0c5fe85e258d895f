// End to end, the real `assay serve` on SQLite and on PostgreSQL: a data directory lost with its
// key file (a new container) or a wrong ASSAY_SECRET_KEY stops start-up (exit 2, the ways out,
// no stack) instead of sealing beside values no key then opens; `assay secrets drop-unreadable`
// lists them and with --yes deletes them, and the next start makes a new key.
import { existsSync, mkdtempSync, rmSync, statSync, unlinkSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { postgresDatabase, TEST_PG_URL } from '../testing/databases.js';
import { type Spawned, spawnAssay as spawnTracked } from '../testing/spawn.js';

const KEY = `sk-lw-${'K3yLoss0aZ'.repeat(4)}`;
const WRONG = 'not-the-key-these-values-were-sealed-with';
const dirs: string[] = [];
const tempDir = () => {
  const d = mkdtempSync(path.join(os.tmpdir(), 'assay-key-loss-'));
  dirs.push(d);
  return d;
};
const pg = postgresDatabase();
/** Every process started, killed after the tests when a failure left one running. */
const started: Spawned[] = [];
const spawnAssay = (args: string[], env: Record<string, string>): Spawned => {
  const s = spawnTracked(args, env);
  started.push(s);
  return s;
};
afterAll(async () => {
  for (const s of started) if (s.child.exitCode === null && s.child.signalCode === null) s.child.kill('SIGKILL');
  await pg.cleanup();
  dirs.forEach((d) => rmSync(d, { recursive: true, force: true }));
});

async function listening(s: Spawned): Promise<string> {
  const [, port] = await s.waitFor(/listening on http:\/\/[^:]+:(\d+)/);
  return `http://127.0.0.1:${port}`;
}

async function put(base: string, p: string, body: unknown): Promise<void> {
  const res = await fetch(base + p, { method: 'PUT', headers: { authorization: `Bearer ${KEY}`, 'content-type': 'application/json' }, body: JSON.stringify(body) });
  expect(res.status, await res.text()).toBeLessThan(300);
}

async function stop(s: Spawned): Promise<void> {
  s.child.kill('SIGTERM');
  const code = await s.exited;
  expect(code, `signal ${s.child.signalCode}: ${s.output()}`).toBe(0);
}

async function refused(env: Record<string, string>): Promise<string> {
  const s = spawnAssay(['serve'], env);
  expect(await s.exited, s.output()).toBe(2);
  expect(s.output()).not.toMatch(/\n\s+at /);
  expect(s.output()).not.toContain('listening');
  return s.output();
}

async function cli(args: string[], env: Record<string, string>): Promise<{ code: number | null; out: string }> {
  const p = spawnAssay(args, env);
  return { code: await p.exited, out: p.output() };
}

describe('a lost or wrong secret key', { timeout: 180_000 }, () => {
  it('on SQLite: the key file deleted beside the database stops start-up until it is restored or the values are dropped', async () => {
    const dataDir = tempDir();
    const env = { PORT: '0', HOST: '127.0.0.1', ASSAY_DATA_DIR: dataDir, ASSAY_API_KEY: KEY, ASSAY_LOG_LEVEL: 'warn' };
    const first = spawnAssay(['serve'], env);
    const base = await listening(first);
    await put(base, '/api/secrets/BOT_TOKEN', { value: 'bot-token-value' });
    await stop(first);
    const keyFile = path.join(dataDir, 'secret-key');
    expect(statSync(keyFile).mode & 0o777).toBe(0o600);

    unlinkSync(keyFile);
    const out = await refused(env);
    expect(out).toContain('Refusing to start:');
    expect(out).toContain('the database holds 1 sealed value (');
    expect(out).toContain(`there is no key file at ${keyFile}`);
    expect(out).toContain('assay secrets drop-unreadable');
    // No new key was made: restoring the old one would still work.
    expect(existsSync(keyFile)).toBe(false);

    // A wrong key is refused too.
    expect(await refused({ ...env, ASSAY_SECRET_KEY: WRONG })).toContain('ASSAY_SECRET_KEY opens none of the 1 most recently stored sealed value');

    // The way out, read first, then done.
    const listed = await cli(['secrets', 'drop-unreadable'], env);
    expect(listed.code, listed.out).toBe(0);
    expect(listed.out).toContain(`1 of 1 sealed values do not open with no key (ASSAY_SECRET_KEY is not set and there is no key file at ${keyFile})`);
    expect(listed.out).toMatch(/project default \(\S+\): secret BOT_TOKEN/);
    expect(listed.out).toContain('Nothing was deleted');
    expect(await refused(env)).toContain('Refusing to start');
    const dropped = await cli(['secrets', 'drop-unreadable', '--yes'], env);
    expect(dropped.code, dropped.out).toBe(0);
    expect(dropped.out).toContain('Deleted 1.');

    const again = spawnAssay(['serve'], env);
    const base2 = await listening(again);
    expect(existsSync(keyFile)).toBe(true);
    const names = await (await fetch(`${base2}/api/secrets`, { headers: { authorization: `Bearer ${KEY}` } })).json();
    expect(JSON.stringify(names)).not.toContain('BOT_TOKEN');
    await stop(again);
  });

  it('on PostgreSQL: a server in a new data directory (a new container) refuses, the old directory still works, and dropping lets the new one start', async () => {
    const { databaseUrl, schema } = await pg.options();
    const db = { DATABASE_URL: databaseUrl ?? TEST_PG_URL, ASSAY_DB_SCHEMA: schema!, PORT: '0', HOST: '127.0.0.1', ASSAY_API_KEY: KEY, ASSAY_LOG_LEVEL: 'warn' };
    const oldDir = tempDir();
    const first = spawnAssay(['serve'], { ...db, ASSAY_DATA_DIR: oldDir });
    const base = await listening(first);
    await put(base, '/api/secrets/BOT_TOKEN', { value: 'bot-token-value' });
    await put(base, '/api/providers/openai', { apiKey: 'sk-provider-key-0123456789abcdef' });
    // The webhook signing secret is made on its first read.
    expect((await fetch(`${base}/api/webhooks/secret`, { headers: { authorization: `Bearer ${KEY}` } })).status).toBe(200);
    await stop(first);

    const newDir = tempDir();
    const out = await refused({ ...db, ASSAY_DATA_DIR: newDir });
    expect(out).toContain('the database holds 3 sealed values (');
    expect(out).toContain(`there is no key file at ${path.join(newDir, 'secret-key')}`);
    expect(existsSync(path.join(newDir, 'secret-key'))).toBe(false);
    expect(await refused({ ...db, ASSAY_DATA_DIR: newDir, ASSAY_SECRET_KEY: WRONG })).toContain('ASSAY_SECRET_KEY opens none of the 3 most recently stored sealed values');

    // The old directory (the key file restored) still opens them.
    const restored = spawnAssay(['serve'], { ...db, ASSAY_DATA_DIR: oldDir });
    await listening(restored);
    await stop(restored);

    const listed = await cli(['secrets', 'drop-unreadable'], { ...db, ASSAY_DATA_DIR: oldDir });
    expect(listed.out).toContain('All 3 sealed values open with the key file');
    const dropped = await cli(['secrets', 'drop-unreadable', '--yes'], { ...db, ASSAY_DATA_DIR: newDir });
    expect(dropped.code, dropped.out).toBe(0);
    expect(dropped.out).toContain('3 of 3 sealed values do not open with no key');
    expect(dropped.out).toContain("provider openai's API key");
    expect(dropped.out).toContain('webhook signing secret');
    expect(dropped.out).toContain('Deleted 3.');
    const fresh = spawnAssay(['serve'], { ...db, ASSAY_DATA_DIR: newDir });
    await listening(fresh);
    expect(existsSync(path.join(newDir, 'secret-key'))).toBe(true);
    await stop(fresh);
  });
});
