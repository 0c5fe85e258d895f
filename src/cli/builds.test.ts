// bin/builds.js: which build `assay` runs. A developer who edits src/ must run the edit, not a
// stale build; an installed package (no src/) runs its build; the bundle goes first.
import { mkdirSync, mkdtempSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { upToDateBuild } from '../../bin/builds.js';

let dir: string;
const root = () => pathToFileURL(`${dir}/`);
/** Writes a file with the given modification time (seconds since the epoch). */
function file(rel: string, mtime: number): void {
  const p = path.join(dir, rel);
  mkdirSync(path.dirname(p), { recursive: true });
  writeFileSync(p, '');
  utimesSync(p, mtime, mtime);
}

beforeEach(() => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'assay-builds-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe('upToDateBuild', () => {
  it('runs the bundle when it is newer than every source, before the per-file build', () => {
    file('src/core/a.ts', 1000);
    file('dist/bundle/main.js', 2000);
    file('dist/cli/main.js', 2000);
    expect(upToDateBuild(root())?.entry).toBe('dist/bundle/main.js');
  });

  it('falls back to the per-file build when only it is newer than an edited source', () => {
    file('dist/bundle/main.js', 2000);
    file('src/core/a.ts', 3000);
    file('dist/cli/main.js', 4000);
    expect(upToDateBuild(root())?.entry).toBe('dist/cli/main.js');
  });

  it('runs the sources when every build is older than a source, or when asked to', () => {
    file('dist/bundle/main.js', 2000);
    file('dist/cli/main.js', 2000);
    file('src/deep/er/b.ts', 3000);
    expect(upToDateBuild(root())).toBeNull();
    file('src/deep/er/b.ts', 1000);
    expect(upToDateBuild(root())?.entry).toBe('dist/bundle/main.js');
    expect(upToDateBuild(root(), true)).toBeNull();
  });

  it('ignores tests and test helpers, which no build contains', () => {
    file('dist/bundle/main.js', 2000);
    file('src/core/a.ts', 1000);
    file('src/core/a.test.ts', 3000);
    file('src/testing/fake.ts', 3000);
    expect(upToDateBuild(root())?.entry).toBe('dist/bundle/main.js');
  });

  it('runs the first build of an installed package, which has no sources', () => {
    file('dist/cli/main.js', 1000);
    expect(upToDateBuild(root())?.entry).toBe('dist/cli/main.js');
    file('dist/bundle/main.js', 500);
    expect(upToDateBuild(root())?.entry).toBe('dist/bundle/main.js');
  });
});
