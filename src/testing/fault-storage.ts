// Makes a live SQLite database refuse writes, for the fault-injection suite. chmod is useless
// here: a server already holds its files open (permissions are checked at open only) and the
// suite runs as root, which ignores them anyway. The immutable attribute (`chattr +i`) is
// checked on every write, for root too: pwrite() to the database and its -wal then fails with
// EPERM, which better-sqlite3 reports as SQLITE_IOERR_WRITE, while reads keep working. The
// -shm file is left alone: SQLite maps it into memory, and a write to an immutable mapping is
// SIGBUS — a crash, not a read-only disk. `chattr -i` restores writes on the same connection.
import { execFileSync } from 'node:child_process';
import { appendFileSync, existsSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';

function chattr(flag: '+i' | '-i', files: string[]): void {
  const present = files.filter((f) => existsSync(f));
  if (present.length > 0) execFileSync('chattr', [flag, ...present], { stdio: 'pipe' });
}

/**
 * Why the immutable attribute cannot be used in `dir` (not root, no chattr, a filesystem
 * without the attribute), or null when it works: a write to an immutable file fails there.
 */
export function immutableUnsupported(dir: string): string | null {
  const probe = path.join(dir, `.immutable-probe-${process.pid}`);
  writeFileSync(probe, 'x');
  try {
    chattr('+i', [probe]);
  } catch (error) {
    rmSync(probe, { force: true });
    return `chattr +i failed: ${error instanceof Error ? error.message.split('\n')[0] : String(error)}`;
  }
  try {
    appendFileSync(probe, 'y');
    return 'a write to an immutable file succeeded';
  } catch {
    return null;
  } finally {
    chattr('-i', [probe]);
    rmSync(probe, { force: true });
  }
}

/** The files of the SQLite database `file` whose writes are refused (not its -shm). */
function writableFiles(file: string): string[] {
  return [file, `${file}-wal`];
}

/** Makes `file` (an SQLite database in WAL mode) refuse writes until the returned thaw(). */
export function freezeDatabase(file: string): () => void {
  const files = writableFiles(file);
  chattr('+i', files);
  let thawed = false;
  return () => {
    if (thawed) return;
    thawed = true;
    chattr('-i', files);
  };
}

/** Clears the attribute from every file of a database (for cleanup after a failed test). */
export function thawDatabase(file: string): void {
  chattr('-i', [...writableFiles(file), `${file}-shm`]);
}
