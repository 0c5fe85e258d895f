// The data directory and database helpers of start-up and the admin commands: a folder that
// cannot be made is refused at once (not Node's endless recursive mkdir), the SQLite file is
// created for its owner only, and a database that cannot be reached is named, masked.
import { chmodSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from './env.js';
import { DataDirNotWritable } from './secret-key.js';
import { createPrivateFile, databaseFailure, makeDataDir } from './storage.js';

const root = mkdtempSync(path.join(os.tmpdir(), 'assay-storage-config-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

describe('makeDataDir', () => {
  it('makes missing parents, and accepts a folder that exists', async () => {
    const dir = path.join(root, 'a', 'b', 'c');
    await makeDataDir(dir);
    expect(statSync(dir).isDirectory()).toBe(true);
    await makeDataDir(dir);
  });

  it('refuses a folder that cannot be made at once, naming ASSAY_DATA_DIR (Node 20 recursive mkdir loops on /proc/x)', async () => {
    const started = Date.now();
    const error = await makeDataDir('/proc/assay-x/data').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DataDirNotWritable);
    expect((error as Error).message).toContain('ASSAY_DATA_DIR /proc/assay-x/data is not writable (ENOENT)');
    expect(Date.now() - started).toBeLessThan(2_000);
    writeFileSync(path.join(root, 'file'), 'x');
    expect(((await makeDataDir(path.join(root, 'file', 'data')).catch((e: unknown) => e)) as Error).message).toContain('(ENOTDIR)');
  });
});

describe('createPrivateFile', () => {
  it("creates the file 0600 whatever the umask, and leaves an existing file's mode alone", async () => {
    const file = path.join(root, 'assay.db');
    const before = process.umask(0o000);
    try {
      await createPrivateFile(file);
    } finally {
      process.umask(before);
    }
    expect(statSync(file).mode & 0o777).toBe(0o600);
    chmodSync(file, 0o640);
    await createPrivateFile(file);
    expect(statSync(file).mode & 0o777).toBe(0o640);
  });
});

describe('DATABASE_URL in messages', () => {
  it('names DATABASE_URL for a failure to reach the database, and leaves a failing statement as it came', () => {
    const url = 'postgres://bob:s3cret@db:5432/assay';
    const missing = Object.assign(new Error('database "assay" does not exist'), { code: '3D000' });
    const wrapped = new Error('Migration  failed: database "assay" does not exist', { cause: missing });
    const named = databaseFailure(url, wrapped);
    expect(named).toBeInstanceOf(ConfigError);
    expect((named as ConfigError).problems).toEqual(['DATABASE_URL=postgres://***@db:5432/assay: cannot connect to the database: database "assay" does not exist (3D000)']);

    // A refused connection to a name with two addresses: an AggregateError without a message.
    const refused = Object.assign(new AggregateError([Object.assign(new Error('connect ECONNREFUSED ::1:5432'), { code: 'ECONNREFUSED', syscall: 'connect' })], ''), { code: 'ECONNREFUSED' });
    expect((databaseFailure(url, refused) as ConfigError).problems[0]).toBe('DATABASE_URL=postgres://***@db:5432/assay: cannot connect to the database: connect ECONNREFUSED ::1:5432');

    const statement = new Error('Migration 009-reviews failed: relation "runs" does not exist', { cause: Object.assign(new Error('relation "runs" does not exist'), { code: '42P01' }) });
    expect(databaseFailure(url, statement)).toBe(statement);
    expect(databaseFailure(undefined, wrapped)).toBe(wrapped);
  });
});

describe('DATABASE_URL of SQLite', () => {
  it('takes sqlite:// as the embedded default, and refuses a path it would not use', () => {
    expect(loadConfig({ DATABASE_URL: 'sqlite://' }).databaseUrl).toBeUndefined();
    // The file named was never opened (the database is ASSAY_DATA_DIR/assay.db): refused, not ignored.
    let error: unknown;
    try {
      loadConfig({ DATABASE_URL: 'sqlite:///var/lib/assay/x.db' });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).problems).toEqual([
      'DATABASE_URL (value hidden): sqlite:// takes no path: the embedded database is always ASSAY_DATA_DIR/assay.db, so set ASSAY_DATA_DIR to choose its folder (and leave DATABASE_URL unset, or exactly sqlite://)',
    ]);
  });
});
