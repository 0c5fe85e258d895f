import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { openDb } from './connect.js';

// The read-only root filesystem itself is tested end to end in test/faults/sqlite-temp-readonly.test.ts.
describe('SQLite temporary files', () => {
  const before = process.env.SQLITE_TMPDIR;
  const dirs: string[] = [];
  afterEach(() => {
    if (before === undefined) delete process.env.SQLITE_TMPDIR;
    else process.env.SQLITE_TMPDIR = before;
    for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
  });
  const dataDir = () => {
    const d = mkdtempSync(path.join(os.tmpdir(), 'assay-connect-'));
    dirs.push(d);
    return d;
  };

  it('go to a private folder of the data directory when the operator named none', async () => {
    delete process.env.SQLITE_TMPDIR;
    const dir = dataDir();
    const { db } = await openDb({ dataDir: dir });
    await db.destroy();
    expect(process.env.SQLITE_TMPDIR).toBe(path.join(dir, 'tmp'));
    expect(existsSync(path.join(dir, 'tmp'))).toBe(true);
  });

  it('stay where SQLITE_TMPDIR says when the operator set it', async () => {
    const chosen = dataDir();
    process.env.SQLITE_TMPDIR = chosen;
    const dir = dataDir();
    const { db } = await openDb({ dataDir: dir });
    await db.destroy();
    expect(process.env.SQLITE_TMPDIR).toBe(chosen);
    expect(existsSync(path.join(dir, 'tmp'))).toBe(false);
  });
});
