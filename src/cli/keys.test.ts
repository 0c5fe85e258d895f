// `assay keys list` and `assay keys revoke`, and the key ids `assay projects create` and
// `assay keys create` print, run as real processes against the database of a running server.
import { mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import pg from 'pg';
import { TEST_PG_URL } from '../testing/databases.js';
import { spawnAssay, type Spawned } from '../testing/spawn.js';

let dataDir: string;
let server: Spawned;
let base: string;
let firstKey: string;

beforeAll(async () => {
  dataDir = mkdtempSync(path.join(os.tmpdir(), 'assay-keys-'));
  server = spawnAssay(['serve'], { PORT: '0', ASSAY_DATA_DIR: dataDir, ASSAY_LOG_LEVEL: 'warn' });
  [, firstKey] = (await server.waitFor(/^\s+(sk-lw-[A-Za-z0-9]{40})$/m)) as unknown as [string, string];
  const [, port] = (await server.waitFor(/listening on http:\/\/localhost:(\d+)/)) as unknown as [string, string];
  base = `http://127.0.0.1:${port}`;
});
afterAll(async () => {
  server.child.kill('SIGTERM');
  await server.exited;
  rmSync(dataDir, { recursive: true, force: true });
});

async function run(args: string[]) {
  const p = spawnAssay(args, { ASSAY_DATA_DIR: dataDir });
  const code = await p.exited;
  return { code, out: p.output() };
}

async function run2(args: string[], dir: string) {
  const p = spawnAssay(args, { ASSAY_DATA_DIR: dir });
  const code = await p.exited;
  return { code, out: p.output() };
}

const status = async (key: string) => (await fetch(`${base}/api/experiments`, { headers: { authorization: `Bearer ${key}` } })).status;
const KEY = /(sk-lw-[A-Za-z0-9]{40})/;

describe('assay keys list / revoke', { timeout: 240_000 }, () => {
  it('prints each new key beside its id, lists keys without their secrets, and revokes by id', async () => {
    const created = await run(['projects', 'create', 'Key Ring']);
    expect(created.code).toBe(0);
    const [, firstId, projectKey] = /API key (key_\w+) \(shown once\): (sk-lw-[A-Za-z0-9]{40})/.exec(created.out)!;
    const extra = await run(['keys', 'create', '--project', 'key-ring']);
    expect(extra.code).toBe(0);
    const [, extraId, extraKey] = /API key (key_\w+) for key-ring \(shown once\): (sk-lw-[A-Za-z0-9]{40})/.exec(extra.out)!;

    const listed = await run(['keys', 'list', '--project', 'key-ring']);
    expect(listed.code).toBe(0);
    expect(listed.out).toMatch(/^API keys of project key-ring \(proj_\w+\):$/m);
    expect(listed.out).toContain(`${firstId}  ${projectKey!.slice(0, 10)}…  created `);
    expect(listed.out).toContain(`${extraId}  ${extraKey!.slice(0, 10)}…  created `);
    expect(listed.out).toMatch(/created \d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ {2}active$/m);
    expect(listed.out).not.toMatch(KEY);

    const revoked = await run(['keys', 'revoke', firstId!]);
    expect(revoked.code).toBe(0);
    expect(revoked.out).toContain(`API key ${firstId} (${projectKey!.slice(0, 10)}…) of project key-ring revoked.`);
    expect(await status(projectKey!)).toBe(401);
    expect(await status(extraKey!)).toBe(200);
    const after = await run(['keys', 'list', '--project', 'key-ring']);
    expect(after.out).toMatch(new RegExp(`${firstId}  .*  revoked \\d{4}-\\d\\d-\\d\\dT[\\d:]+Z$`, 'm'));
    expect(after.out).toMatch(new RegExp(`${extraId}  .*  active$`, 'm'));

    const again = await run(['keys', 'revoke', firstId!]);
    expect(again.code).toBe(0);
    expect(again.out).toContain('was already revoked at');
  });

  it('revokes the key printed at first start, found by `keys list --project default`', async () => {
    const listed = await run(['keys', 'list', '--project', 'default']);
    expect(listed.code).toBe(0);
    const [, id] = new RegExp(`(key_\\w+)  ${firstKey.slice(0, 10)}…`).exec(listed.out)!;
    // The first start printed the same id beside the key.
    expect(server.output()).toContain(`DELETE /api/admin/api-keys/{id}): ${id}`);
    expect(await status(firstKey)).toBe(200);
    expect((await run(['keys', 'revoke', id!])).code).toBe(0);
    expect(await status(firstKey)).toBe(401);
  });

  it('lists every project with its key counts, never a key', async () => {
    expect((await run(['projects', 'create', 'Listed Twice', '--slug', 'listed'])).code).toBe(0);
    expect((await run(['keys', 'create', '--project', 'listed'])).code).toBe(0);
    const listed = await run(['projects', 'list']);
    expect(listed.code).toBe(0);
    expect(listed.out).toMatch(/^\d+ projects:$/m);
    // The first start's project comes first: oldest first.
    expect(listed.out).toMatch(/ projects:\n {2}default {2,}proj_\w+ {2,}created \d{4}-\d\d-\d\dT[\d:]+Z {2,}\d+ keys? \(\d+ active\) {2,}Default$/m);
    expect(listed.out).toMatch(/^ {2}listed {2,}proj_\w+ {2,}created [\dT:Z-]+ {2,}2 keys \(2 active\) {2,}Listed Twice$/m);
    // Each column starts at one place on every line.
    const lines = listed.out.split('\n').filter((l) => l.includes('proj_'));
    for (const column of ['proj_', 'created']) expect(new Set(lines.map((l) => l.indexOf(column))).size).toBe(1);
    expect(listed.out).not.toMatch(KEY);
  });

  it('refuses to work on a database that is not there, creating nothing (run outside the server\'s folder)', async () => {
    const elsewhere = mkdtempSync(path.join(os.tmpdir(), 'assay-keys-elsewhere-'));
    try {
      const missing = path.join(elsewhere, 'data');
      for (const args of [['keys', 'list', '--project', 'default'], ['keys', 'create', '--project', 'default'], ['keys', 'revoke', 'key_x'], ['projects', 'list']]) {
        const p = spawnAssay(args, { ASSAY_DATA_DIR: missing });
        expect(await p.exited, args.join(' ')).toBe(2);
        expect(p.output().trim()).toBe(`error: no Assay database at ${path.join(missing, 'assay.db')} (ASSAY_DATA_DIR=${missing}): run this in the server's directory or set ASSAY_DATA_DIR / DATABASE_URL`);
      }
      // Without ASSAY_DATA_DIR: ./.assay of the folder the command runs in.
      const here = spawnAssay(['keys', 'list', '--project', 'default'], {}, undefined, ['sh', '-c', 'cd "$0" && exec "$@"', elsewhere]);
      expect(await here.exited).toBe(2);
      expect(here.output()).toContain(`no Assay database at ${path.join(elsewhere, '.assay', 'assay.db')} (ASSAY_DATA_DIR unset, so ./.assay)`);
      expect(readdirSync(elsewhere)).toEqual([]);
      // Creating a project makes the database (as the first start does), readable by its owner only.
      expect((await run2(['projects', 'create', 'First'], missing)).code).toBe(0);
      expect(statSync(path.join(missing, 'assay.db')).mode & 0o777).toBe(0o600);
      expect((await run2(['projects', 'list'], missing)).out).toMatch(/^1 project:\n {2}first {2}proj_/m);
    } finally {
      rmSync(elsewhere, { recursive: true, force: true });
    }
  });

  it('works on PostgreSQL through DATABASE_URL, and names it (masked) when the database is not there', async () => {
    const name = `assay_review_${Date.now().toString(36)}_${Math.random().toString(36).slice(2, 6)}`;
    const admin = new pg.Client({ connectionString: TEST_PG_URL });
    await admin.connect();
    try {
      await admin.query(`CREATE DATABASE ${name}`);
      const url = new URL(TEST_PG_URL);
      url.pathname = `/${name}`;
      const env = { DATABASE_URL: url.toString(), ASSAY_DATA_DIR: path.join(dataDir, 'unused') };
      const pgRun = async (args: string[], extra: Record<string, string> = {}) => {
        const p = spawnAssay(args, { ...env, ...extra });
        return { code: await p.exited, out: p.output() };
      };
      // No SQLite file is asked for: the database is PostgreSQL's.
      expect((await pgRun(['projects', 'list'])).out).toContain('No projects yet');
      expect((await pgRun(['projects', 'create', 'On Postgres'])).code).toBe(0);
      expect((await pgRun(['projects', 'list'])).out).toMatch(/^ {2}on-postgres {2}proj_\w+ {2}created [\dT:Z-]+ {2}1 key \(1 active\) {2}On Postgres$/m);

      const missing = `${name}_missing`;
      url.pathname = `/${missing}`;
      url.password = 'hunter2secret';
      for (const args of [['projects', 'list'], ['migrate']]) {
        const gone = await pgRun(args, { DATABASE_URL: url.toString() });
        expect(gone.code, args.join(' ')).toBe(2);
        expect(gone.out).toContain(`DATABASE_URL=postgres://***@${url.host}/${missing}: cannot connect to the database: database "${missing}" does not exist (3D000)`);
        expect(gone.out).not.toContain('hunter2secret');
      }
    } finally {
      await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await admin.end();
    }
  });

  it('refuses the key itself (exit 2, without printing it), unknown ids and projects, and missing arguments', async () => {
    const created = await run(['projects', 'create', 'Careful']);
    const [, key] = KEY.exec(created.out)!;

    const bySecret = await run(['keys', 'revoke', key!]);
    expect(bySecret.code).toBe(2);
    expect(bySecret.out).toContain('assay keys list');
    expect(bySecret.out).not.toContain(key!.slice(6));
    expect(await status(key!)).toBe(200);

    const secretAsProject = await run(['keys', 'list', '--project', key!]);
    expect(secretAsProject.code).toBe(2);
    expect(secretAsProject.out).not.toContain(key!.slice(6));

    const missing = await run(['keys', 'revoke', 'key_missing']);
    expect(missing.code).toBe(2);
    expect(missing.out).toContain('API key not found: key_missing');

    const noProject = await run(['keys', 'list', '--project', 'nope']);
    expect(noProject.code).toBe(2);
    expect(noProject.out).toContain('No project "nope"');

    expect((await run(['keys', 'list'])).code).toBe(2);
    expect((await run(['keys', 'revoke'])).code).toBe(2);
  });
});
