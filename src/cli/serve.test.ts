// End to end: the real `assay serve` process (as `npm start` runs it) on an ephemeral port.
import { mkdtempSync, readdirSync, rmSync, statSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import net from 'node:net';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import pg from 'pg';
import { TEST_PG_URL } from '../testing/databases.js';
import { type Spawned, spawnAssay as spawnUntracked } from '../testing/spawn.js';

const dirs: string[] = [];
const tempDir = () => {
  const d = mkdtempSync(path.join(os.tmpdir(), 'assay-serve-'));
  dirs.push(d);
  return d;
};
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

// A test that fails before it stops its server would leave `assay serve` running after the
// suite: every server a test starts is stopped after it, whatever happened.
const running: Spawned[] = [];
const spawnAssay = (...args: Parameters<typeof spawnUntracked>): Spawned => {
  const spawned = spawnUntracked(...args);
  running.push(spawned);
  return spawned;
};
afterEach(() => {
  for (const s of running.splice(0)) if (s.child.exitCode === null && s.child.signalCode === null) s.child.kill('SIGKILL');
});

describe('assay serve', { timeout: 120_000 }, () => {
  it('creates the default project on first start, prints its key once and writes it 0600', async () => {
    const dataDir = tempDir();
    const first = spawnAssay(['serve'], { PORT: '0', ASSAY_DATA_DIR: dataDir, ASSAY_LOG_LEVEL: 'warn' });
    const [, key] = await first.waitFor(/^\s+(sk-lw-[A-Za-z0-9]{40})$/m);
    const [, port] = await first.waitFor(/listening on http:\/\/localhost:(\d+)/);
    const file = path.join(dataDir, 'api-key');
    expect(readFileSync(file, 'utf8').trim()).toBe(key);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    // The database holds every prompt and output: it and its WAL files are the owner's only, as the key files are.
    for (const name of ['assay.db', 'assay.db-wal', 'assay.db-shm']) expect(statSync(path.join(dataDir, name)).mode & 0o777, name).toBe(0o600);
    const res = await fetch(`http://127.0.0.1:${port}/api/experiments`, { headers: { authorization: `Bearer ${key}` } });
    expect(res.status).toBe(200);
    const health = await fetch(`http://127.0.0.1:${port}/healthz`);
    expect(await health.json()).toMatchObject({ status: 'ok' });
    first.child.kill('SIGTERM');
    expect(await first.exited).toBe(0);

    // Second start: same data, no new key printed, the old key still works.
    const second = spawnAssay(['serve'], { PORT: '0', ASSAY_DATA_DIR: dataDir, ASSAY_LOG_LEVEL: 'warn' });
    const [, port2] = await second.waitFor(/listening on http:\/\/localhost:(\d+)/);
    expect(second.output()).not.toContain('sk-lw-');
    expect((await fetch(`http://127.0.0.1:${port2}/api/experiments`, { headers: { 'x-auth-token': key! } })).status).toBe(200);
    second.child.kill('SIGTERM');
    expect(await second.exited).toBe(0);
  });

  it('on PostgreSQL, makes the data directory for the first key, and prints the key even when it cannot be written', async () => {
    const url = new URL(TEST_PG_URL);
    const schemas = ['a', 'b'].map((s) => `assay_serve_key_${s}_${Date.now().toString(36)}_${Math.random().toString(36).slice(2, 6)}`);
    const admin = new pg.Client({ connectionString: TEST_PG_URL });
    await admin.connect();
    const started: ReturnType<typeof spawnAssay>[] = [];
    const serve = (env: Record<string, string>) => {
      const p = spawnAssay(['serve'], env);
      started.push(p);
      return p;
    };
    try {
      const env = (schema: string, dataDir: string) => ({ PORT: '0', DATABASE_URL: url.toString(), ASSAY_DB_SCHEMA: schema, ASSAY_SECRET_KEY: 'serve-key-test-secret-0123456789abcdef', ASSAY_DATA_DIR: dataDir, ASSAY_LOG_LEVEL: 'warn' });
      // Nothing else needs the data directory here (the database and secret key are elsewhere).
      const missing = path.join(tempDir(), 'not', 'made', 'yet');
      const first = serve(env(schemas[0]!, missing));
      const [, key] = await first.waitFor(/^\s+(sk-lw-[A-Za-z0-9]{40})$/m);
      await first.waitFor(/listening on/);
      expect(first.output()).toContain(`also written to ${path.join(missing, 'api-key')}`);
      expect(readFileSync(path.join(missing, 'api-key'), 'utf8').trim()).toBe(key);
      first.child.kill('SIGTERM');
      expect(await first.exited).toBe(0);

      // A data directory that cannot be made: the key is in the database, so it is printed and the server runs.
      const unwritable = serve(env(schemas[1]!, '/proc/assay-key-dir'));
      const [, key2] = await unwritable.waitFor(/^\s+(sk-lw-[A-Za-z0-9]{40})$/m);
      const [, port] = await unwritable.waitFor(/listening on http:\/\/localhost:(\d+)/);
      expect(unwritable.output()).toContain('Created project "default". Its API key (shown once):');
      // The warning goes through the logger (stderr), which may come a moment after.
      await unwritable.waitFor(/The key was not written to \/proc\/assay-key-dir\/api-key \(ASSAY_DATA_DIR \/proc\/assay-key-dir is not writable \(ENOENT\)\): keep it from the line above/);
      expect((await fetch(`http://127.0.0.1:${port}/api/experiments`, { headers: { authorization: `Bearer ${key2}` } })).status).toBe(200);
      unwritable.child.kill('SIGTERM');
      expect(await unwritable.exited).toBe(0);
    } finally {
      // A failed wait leaves its server running: stopped here, before its schema is dropped.
      for (const p of started) if (p.child.exitCode === null) p.child.kill('SIGKILL');
      await Promise.all(started.map((p) => p.exited));
      for (const schema of schemas) await admin.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
      await admin.end();
    }
  });

  it('refuses a port in use with one line and exit code 2, before creating project default or printing a key', async () => {
    // Something else holds the port (another server, an earlier `npm start`), on every interface as Assay listens.
    const blocker = net.createServer();
    await new Promise<void>((resolve) => blocker.listen(0, '0.0.0.0', resolve));
    const taken = (blocker.address() as net.AddressInfo).port;
    const dataDir = tempDir();
    try {
      const s = spawnAssay(['serve'], { PORT: String(taken), ASSAY_DATA_DIR: dataDir, ASSAY_LOG_LEVEL: 'warn' });
      expect(await s.exited).toBe(2);
      expect(s.output().trim()).toBe(`error: port ${taken} is already in use — set PORT to another port, or stop what listens on it`);
      expect(s.output()).not.toContain('sk-lw-');
      // Nothing was created: no database, no key file, no secret key.
      expect(readdirSync(dataDir)).toEqual([]);
    } finally {
      await new Promise((resolve) => blocker.close(resolve));
    }

    // So the next start on a free port is a first start: it creates project default and prints its key.
    const next = spawnAssay(['serve'], { PORT: '0', ASSAY_DATA_DIR: dataDir, ASSAY_LOG_LEVEL: 'warn' });
    const [, port] = await next.waitFor(/listening on http:\/\/localhost:(\d+)/);
    const [, key] = next.output().match(/Created project "default"[^\n]*\n\s+(sk-lw-[A-Za-z0-9]{40})\n/) ?? [];
    expect(key).toBeDefined();
    expect(readFileSync(path.join(dataDir, 'api-key'), 'utf8').trim()).toBe(key);
    expect((await fetch(`http://127.0.0.1:${port}/api/experiments`, { headers: { authorization: `Bearer ${key}` } })).status).toBe(200);
    next.child.kill('SIGTERM');
    expect(await next.exited).toBe(0);
  });

  it('refuses a data directory it cannot write, naming it, with exit code 2', async () => {
    // A path through a plain file: no folder can be made there, for root as for anyone.
    const parent = tempDir();
    writeFileSync(path.join(parent, 'plain-file'), 'x');
    const dataDir = path.join(parent, 'plain-file', 'data');
    for (const env of [{}, { ASSAY_SECRET_KEY: 'a-secret-key-of-at-least-32-characters' }]) {
      const s = spawnAssay(['serve'], { PORT: '0', ASSAY_DATA_DIR: dataDir, ASSAY_LOG_LEVEL: 'warn', ...env });
      expect(await s.exited).toBe(2);
      expect(s.output()).toContain(`ASSAY_DATA_DIR ${dataDir} is not writable (ENOTDIR)`);
      expect(s.output()).not.toMatch(/\n\s+at /);
    }
  });

  it('names the setting when start-up cannot use it: HOST, DATABASE_URL (credentials masked), ASSAY_DATA_DIR (at once)', async () => {
    const host = spawnAssay(['serve'], { PORT: '0', HOST: '999.1.1.1', ASSAY_DATA_DIR: tempDir(), ASSAY_LOG_LEVEL: 'warn' });
    expect(await host.exited).toBe(2);
    expect(host.output()).toContain('error: HOST=999.1.1.1 cannot be listened on (ENOTFOUND): set HOST to an address of this machine');

    // A database that does not exist on the local server (trust auth: the password is never checked, only hidden).
    const missing = `assay_review_missing_${Date.now().toString(36)}`;
    const db = spawnAssay(['serve'], { PORT: '0', DATABASE_URL: `postgres://postgres:hunter2secret@127.0.0.1:5432/${missing}`, ASSAY_DATA_DIR: tempDir(), ASSAY_LOG_LEVEL: 'warn' });
    expect(await db.exited).toBe(2);
    expect(db.output()).toContain(`DATABASE_URL=postgres://***@127.0.0.1:5432/${missing}: cannot connect to the database: database "${missing}" does not exist (3D000)`);
    expect(db.output()).not.toContain('hunter2secret');
    expect(db.output()).not.toContain('Migration');

    // Node's recursive mkdir never returns for a folder under /proc: start-up hung without a word.
    const started = Date.now();
    const proc = spawnAssay(['serve'], { PORT: '0', ASSAY_DATA_DIR: '/proc/assay-data', ASSAY_LOG_LEVEL: 'warn' });
    expect(await Promise.race([proc.exited, new Promise((resolve) => setTimeout(() => resolve('hung'), 20_000))])).toBe(2);
    expect(Date.now() - started).toBeLessThan(20_000);
    expect(proc.output()).toContain('ASSAY_DATA_DIR /proc/assay-data is not writable (ENOENT)');
    if (proc.child.exitCode === null) proc.child.kill('SIGKILL');
  });

  it('uses ASSAY_API_KEY for project default when given', async () => {
    const key = `sk-lw-${'A1b2C3d4E5'.repeat(4)}`;
    const s = spawnAssay(['serve'], { PORT: '0', ASSAY_DATA_DIR: tempDir(), ASSAY_API_KEY: key, ASSAY_LOG_LEVEL: 'warn' });
    const [, port] = await s.waitFor(/listening on http:\/\/localhost:(\d+)/);
    expect(s.output()).not.toContain('shown once');
    expect((await fetch(`http://127.0.0.1:${port}/api/experiments`, { headers: { authorization: `Bearer ${key}` } })).status).toBe(200);
    s.child.kill('SIGTERM');
    expect(await s.exited).toBe(0);
  });

  it('finishes an in-flight request on SIGTERM before exiting', async () => {
    const dataDir = tempDir();
    const s = spawnAssay(['serve'], { PORT: '0', ASSAY_DATA_DIR: dataDir, ASSAY_LOG_LEVEL: 'warn' });
    const [, key] = await s.waitFor(/^\s+(sk-lw-[A-Za-z0-9]{40})$/m);
    const [, port] = await s.waitFor(/listening on http:\/\/localhost:(\d+)/);
    // A slow upload: the body arrives in pieces after SIGTERM has been sent.
    let pulls = 0;
    const stream = new ReadableStream<Uint8Array>({
      async pull(controller) {
        pulls++;
        if (pulls === 1) {
          controller.enqueue(new TextEncoder().encode('a,b\n'));
          return;
        }
        // The first chunk is on its way; give the server time to parse the request's head
        // (otherwise, on a loaded machine, the connection can still count as idle and be closed
        // by the shutdown before the request exists), so it is in flight when SIGTERM arrives.
        await new Promise((r) => setTimeout(r, 1_000));
        s.child.kill('SIGTERM');
        await s.waitFor(/SIGTERM received/);
        await new Promise((r) => setTimeout(r, 300));
        controller.enqueue(new TextEncoder().encode('1,2\n'));
        controller.close();
      },
    }, { highWaterMark: 0 });
    const res = await fetch(`http://127.0.0.1:${port}/api/datasets?name=slow`, {
      method: 'POST', body: stream, duplex: 'half', headers: { 'content-type': 'text/csv', authorization: `Bearer ${key}` },
    } as RequestInit);
    expect(res.status).toBe(201);
    expect(await res.json()).toMatchObject({ rowCount: 1 });
    expect(await s.exited).toBe(0);
  });

  it('exits 2 with a message naming the variable on a bad configuration', async () => {
    for (const env of [{ PORT: 'eighty' }, { ASSAY_API_KEY: 'sk-lw-short' }, { DATABASE_URL: 'mysql://x' }, { ASSAY_MAX_BODY_BYTES: '-5' }]) {
      const s = spawnAssay(['serve'], { ASSAY_DATA_DIR: tempDir(), ...env });
      expect(await s.exited, JSON.stringify(env)).toBe(2);
      expect(s.output()).toContain(Object.keys(env)[0]);
      expect(s.output()).not.toMatch(/at .*\.ts:\d+/);
    }
  });

  it('answers requests the HTTP parser rejects with a JSON error, and keeps serving', async () => {
    const key = `sk-lw-${'Z9y8X7w6V5'.repeat(4)}`;
    const s = spawnAssay(['serve'], { PORT: '0', ASSAY_DATA_DIR: tempDir(), ASSAY_API_KEY: key, ASSAY_LOG_LEVEL: 'warn' });
    const [, port] = await s.waitFor(/listening on http:\/\/localhost:(\d+)/);
    /** Sends raw bytes and reads until the server closes the connection. */
    const raw = (bytes: string) =>
      new Promise<string>((resolve, reject) => {
        const socket = net.connect(Number(port), '127.0.0.1', () => socket.end(bytes));
        let text = '';
        socket.setEncoding('utf8');
        socket.on('data', (d: string) => (text += d));
        socket.on('close', () => resolve(text));
        socket.on('error', reject);
      });
    const parse = (text: string) => {
      const [head, body] = text.split('\r\n\r\n');
      return { status: Number(head!.split(' ')[1]), head: head!, body: JSON.parse(body!) as { error: string; message: string } };
    };
    const garbage = parse(await raw('NOT HTTP AT ALL\r\n\r\n'));
    expect(garbage.status).toBe(400);
    expect(garbage.head).toMatch(/content-type: application\/json/i);
    expect(garbage.body).toMatchObject({ error: 'malformed_request', message: expect.stringContaining('not valid HTTP') });
    const badHeader = parse(await raw('GET /healthz HTTP/1.1\r\nHost: x\r\nBad Header Name: 1\r\n\r\n'));
    expect(badHeader.status).toBe(400);
    expect(badHeader.body.error).toBe('malformed_request');
    // Node's default header limit is 16 KB.
    const huge = parse(await raw(`GET /healthz HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(20_000)}\r\n\r\n`));
    expect(huge.status).toBe(431);
    expect(huge.body).toMatchObject({ error: 'headers_too_large' });
    // The server is unharmed.
    expect((await fetch(`http://127.0.0.1:${port}/api/experiments`, { headers: { authorization: `Bearer ${key}` } })).status).toBe(200);
    s.child.kill('SIGTERM');
    expect(await s.exited).toBe(0);
  });
});
