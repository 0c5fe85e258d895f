// What `assay run` and `assay compare` check about the files they will write, and what `assay
// run --data` and `assay push` check about the files they read, all before the first request:
// the endpoint here (port 9, discard) answers nothing, so a check that did not happen first
// shows as "Cannot reach" instead of its own message.
import { execFileSync } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Spawned, spawnAssay } from '../testing/spawn.js';
import { firstInvalidUtf8 } from './text-file.js';
import { namespacesUnsupported } from '../testing/namespaces.js';

const NOWHERE = 'http://127.0.0.1:9';
let dir: string;
const children: Spawned[] = [];

beforeAll(() => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'assay-input-files-'));
});
afterAll(() => {
  for (const c of children) if (c.child.exitCode === null) c.child.kill('SIGKILL');
  rmSync(dir, { recursive: true, force: true });
});

async function assay(args: string[], env: Record<string, string> = {}, wrap: string[] = []) {
  const p = spawnAssay(args, { ASSAY_ENDPOINT: NOWHERE, ASSAY_API_KEY: `sk-lw-${'InputFiles'.repeat(4)}`, GITHUB_STEP_SUMMARY: '', ...env }, undefined, wrap);
  children.push(p);
  const code = await p.exited;
  return { code, out: p.output() };
}

const file = (name: string, content: string | Buffer) => {
  const p = path.join(dir, name);
  writeFileSync(p, content);
  return p;
};


describe('report files, checked before the run', { timeout: 120_000 }, () => {
  it('refuses a report path that is a directory, for every report flag and for compare', async () => {
    const folder = path.join(dir, 'reports');
    mkdirSync(folder);
    for (const [flag, what] of [['--junit', 'JUnit report'], ['--json', 'JSON report'], ['--markdown', 'Markdown report']]) {
      const res = await assay(['run', 'x', flag!, folder]);
      expect(res.out).toContain(`error: Cannot write the ${what} to ${folder}: it is a directory`);
      expect(res.out).not.toContain('Cannot reach');
      expect(res.code).toBe(2);
    }
    const compared = await assay(['compare', 'run_1', '--markdown', folder]);
    expect(compared.out).toContain(`error: Cannot write the Markdown report to ${folder}: it is a directory`);
    expect(compared.code).toBe(2);
  });

  it('refuses two report flags naming the same file', async () => {
    const res = await assay(['run', 'x', '--json', path.join(dir, 'same.out'), '--markdown', `${dir}/./same.out`]);
    expect(res.out).toContain(`error: --json and --markdown name the same file (${path.join(dir, 'same.out')}): give each report a file of its own`);
    expect(res.code).toBe(2);
  });

  it('refuses an existing report file it cannot write', async () => {
    const readOnly = file('read-only.json', '{}');
    if (process.getuid?.() !== 0) {
      chmodSync(readOnly, 0o444);
      const res = await assay(['run', 'x', '--json', readOnly]);
      expect(res.out).toContain(`error: Cannot write the JSON report to ${readOnly}: it is not writable (EACCES)`);
      expect(res.code).toBe(2);
      return;
    }
    // Root writes a 0444 file anyway: a read-only mount is what it cannot write.
    // Not skipped when namespaces are missing: a test that passes without checking would look green.
    const unsupported = namespacesUnsupported();
    if (unsupported) throw new Error(`this test needs mount namespaces as root (unshare -m) to make a file read-only: ${unsupported}`);
    const wrap = ['unshare', '-m', 'sh', '-c', `mount --bind "${dir}" "${dir}" && mount -o remount,bind,ro "${dir}" && exec "$@"`, 'sh'];
    const res = await assay(['run', 'x', '--json', readOnly], {}, wrap);
    expect(res.out).toContain(`error: Cannot write the JSON report to ${readOnly}: it is not writable (EROFS)`);
    expect(res.code).toBe(2);
  });

  it('refuses an unwritable GITHUB_STEP_SUMMARY by name, for run and compare, but not with --no-wait', async () => {
    const folder = path.join(dir, 'step-summary-dir');
    mkdirSync(folder);
    const run = await assay(['run', 'x'], { GITHUB_STEP_SUMMARY: folder });
    expect(run.out).toContain(`error: Cannot append the Markdown summary to GITHUB_STEP_SUMMARY (${folder}): it is a directory`);
    expect(run.code).toBe(2);
    const missing = path.join(dir, 'no-such-folder', 'summary.md');
    const compared = await assay(['compare', 'run_1'], { GITHUB_STEP_SUMMARY: missing });
    expect(compared.out).toContain(`error: Cannot append the Markdown summary to GITHUB_STEP_SUMMARY (${missing}): folder ${path.dirname(missing)} does not exist`);
    expect(compared.code).toBe(2);
    // --no-wait writes no summary: it goes on to the server (here: nowhere).
    expect((await assay(['run', 'x', '--no-wait'], { GITHUB_STEP_SUMMARY: folder })).out).toContain('Cannot reach');
  });
});

describe('files sent: --data and push', { timeout: 120_000 }, () => {
  it('refuses invalid UTF-8 naming the file and the offset of the first bad byte', async () => {
    const rows = file('latin1.jsonl', Buffer.concat([Buffer.from('{"q":"caf'), Buffer.from([0xe9]), Buffer.from('"}\n')]));
    const data = await assay(['run', 'x', '--data', rows]);
    expect(data.out).toContain(`error: ${rows} is not valid UTF-8: the first invalid byte sequence is at byte offset 9; save it as UTF-8`);
    expect(data.code).toBe(2);
    const doc = file('latin1.yaml', Buffer.concat([Buffer.from('name: Caf'), Buffer.from([0xe9]), Buffer.from('\n')]));
    const pushed = await assay(['push', doc]);
    expect(pushed.out).toContain(`error: ${doc} is not valid UTF-8: the first invalid byte sequence is at byte offset 9`);
    expect(pushed.code).toBe(2);
  });

  it('refuses a FIFO or a directory instead of hanging on it', async () => {
    const fifo = path.join(dir, 'rows.jsonl');
    execFileSync('mkfifo', [fifo]);
    const data = await assay(['run', 'x', '--data', fifo]);
    expect(data.out).toContain(`error: Cannot read ${fifo}: it is a named pipe (FIFO), not a regular file`);
    expect(data.code).toBe(2);
    const docFifo = path.join(dir, 'exp.yaml');
    execFileSync('mkfifo', [docFifo]);
    const pushed = await assay(['push', docFifo]);
    expect(pushed.out).toContain(`error: Cannot read ${docFifo}: it is a named pipe (FIFO), not a regular file`);
    expect(pushed.code).toBe(2);
    const folder = path.join(dir, 'data.csv');
    mkdirSync(folder);
    expect((await assay(['run', 'x', '--data', folder])).out).toContain(`error: Cannot read ${folder}: it is a directory, not a regular file`);
  });

  it('says in words why a file cannot be read, for push, run --data and datasets upload', async () => {
    const absent = path.join(dir, 'nonexistent.yaml');
    const pushed = await assay(['push', absent]);
    expect(pushed.out).toContain(`error: Cannot read ${absent}: no such file (ENOENT)`);
    expect(pushed.code).toBe(2);
    const rows = path.join(dir, 'nonexistent.jsonl');
    expect((await assay(['run', 'x', '--data', rows])).out).toContain(`error: Cannot read ${rows}: no such file (ENOENT)`);
    const csv = path.join(dir, 'nonexistent.csv');
    const uploaded = await assay(['datasets', 'upload', csv]);
    expect(uploaded.out).toContain(`error: Cannot read ${csv}: no such file (ENOENT)`);
    expect(uploaded.code).toBe(2);
    // A path through a file, as if it were a folder.
    const through = path.join(file('plain.txt', 'x'), 'exp.yaml');
    expect((await assay(['push', through])).out).toContain(`error: Cannot read ${through}: a part of its path is a file, not a directory (ENOTDIR)`);
  });

  it('refuses --data larger than the server body limit before reading it', async () => {
    const big = file('big.jsonl', `${JSON.stringify({ q: 'x'.repeat(3000) })}\n`);
    const res = await assay(['run', 'x', '--data', big], { ASSAY_MAX_BODY_BYTES: '2048' });
    expect(res.out).toContain(`error: ${big} is 2.9 KiB, over the server's request body limit of 2.0 KiB (ASSAY_MAX_BODY_BYTES`);
    expect(res.code).toBe(2);
  });
});

describe('firstInvalidUtf8', () => {
  it('finds the first invalid sequence, past real U+FFFD characters, a byte order mark and 4-byte characters', () => {
    const bytes = (...parts: (string | number[])[]) => Buffer.concat(parts.map((p) => (typeof p === 'string' ? Buffer.from(p) : Buffer.from(p))));
    expect(firstInvalidUtf8(bytes('abc', [0xff]))).toBe(3);
    expect(firstInvalidUtf8(bytes([0xef, 0xbb, 0xbf], 'é\uFFFD😀', [0xe2, 0x82], 'A'))).toBe(3 + 2 + 3 + 4);
    // An overlong encoding and a lone surrogate are invalid too.
    expect(firstInvalidUtf8(bytes('x', [0xc0, 0xaf]))).toBe(1);
    expect(firstInvalidUtf8(bytes('xy', [0xed, 0xa0, 0x80]))).toBe(2);
  });
});
