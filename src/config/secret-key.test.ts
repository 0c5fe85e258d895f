// The encryption key: derived from ASSAY_SECRET_KEY, or a generated key file (0600) that is
// reused on restart and agreed on by processes that start at the same moment.
import { spawn } from 'node:child_process';
import { chmodSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ConfigError } from './env.js';
import { DataDirNotWritable, deriveSecretKey, loadSecretKey, SECRET_KEY_FILE, SecretKeyFileError } from './secret-key.js';

const dirs: string[] = [];
function tempDir(): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'assay-key-'));
  dirs.push(dir);
  return dir;
}
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

/** Loads the key in a separate Node process and prints it (base64). */
function keyInChild(dataDir: string): Promise<string> {
  const module = path.resolve(import.meta.dirname, 'secret-key.ts');
  const script = `const m = await import(${JSON.stringify(module)}); const k = await m.loadSecretKey({ secretKey: undefined, dataDir: ${JSON.stringify(dataDir)} }); process.stdout.write(k.key.toString('base64'));`;
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    child.once('exit', (code) => (code === 0 ? resolve(out) : reject(new Error(`child exited ${code}: ${err}`))));
  });
}

describe('ASSAY_SECRET_KEY', () => {
  it('derives a stable 32-byte key with HKDF-SHA256, different for different strings', async () => {
    const secret = 'a'.repeat(32);
    const key = deriveSecretKey(secret);
    expect(key).toHaveLength(32);
    expect(deriveSecretKey(secret).equals(key)).toBe(true);
    expect(deriveSecretKey(`${secret}b`).equals(key)).toBe(false);
    // Not the raw bytes, not a plain hash: a KDF output.
    expect(key.toString('utf8')).not.toContain('aaaa');
    const dataDir = tempDir();
    const loaded = await loadSecretKey({ secretKey: secret, dataDir });
    expect(loaded).toMatchObject({ source: 'env' });
    expect(loaded.key.equals(key)).toBe(true);
    // No key file is written when the variable is set.
    expect(readdirSync(dataDir)).toEqual([]);
  });
});

describe('the generated key file', () => {
  it('is created with mode 0600 (data dir created too) and reused on restart', async () => {
    const dataDir = path.join(tempDir(), 'nested', 'data');
    const first = await loadSecretKey({ secretKey: undefined, dataDir });
    expect(first).toMatchObject({ source: 'file', created: true, looseMode: false, file: path.join(dataDir, SECRET_KEY_FILE) });
    expect(first.key).toHaveLength(32);
    const file = path.join(dataDir, SECRET_KEY_FILE);
    if (process.platform !== 'win32') expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(Buffer.from(readFileSync(file, 'utf8').trim(), 'base64').equals(first.key)).toBe(true);
    const again = await loadSecretKey({ secretKey: undefined, dataDir });
    expect(again.created).toBe(false);
    expect(again.key.equals(first.key)).toBe(true);
    // No temporary files are left behind.
    expect(readdirSync(dataDir)).toEqual([SECRET_KEY_FILE]);
  });

  it('is agreed on by many loaders racing in one process', async () => {
    const dataDir = tempDir();
    const keys = await Promise.all(Array.from({ length: 20 }, () => loadSecretKey({ secretKey: undefined, dataDir })));
    expect(new Set(keys.map((k) => k.key.toString('base64'))).size).toBe(1);
    expect(keys.filter((k) => k.created)).toHaveLength(1);
    expect(readdirSync(dataDir)).toEqual([SECRET_KEY_FILE]);
  });

  it('is agreed on by processes starting at the same moment', async () => {
    const dataDir = tempDir();
    const keys = await Promise.all(Array.from({ length: 6 }, () => keyInChild(dataDir)));
    expect(new Set(keys).size).toBe(1);
    expect(Buffer.from(keys[0]!, 'base64')).toHaveLength(32);
    expect((await loadSecretKey({ secretKey: undefined, dataDir })).key.toString('base64')).toBe(keys[0]);
  }, 60_000);

  it('names ASSAY_DATA_DIR when the key file cannot be made there', async () => {
    const parent = tempDir();
    const notAFolder = path.join(parent, 'plain-file');
    writeFileSync(notAFolder, 'x');
    const dataDir = path.join(notAFolder, 'data');
    const error = await loadSecretKey({ secretKey: undefined, dataDir }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DataDirNotWritable);
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as Error).message).toContain(`ASSAY_DATA_DIR ${dataDir} is not writable (ENOTDIR)`);
  });

  it('refuses a corrupt file without quoting it, and reports a loose mode', async () => {
    const dataDir = tempDir();
    const file = path.join(dataDir, SECRET_KEY_FILE);
    writeFileSync(file, 'not-a-key-but-maybe-something-private\n', { mode: 0o600 });
    const error = await loadSecretKey({ secretKey: undefined, dataDir }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(SecretKeyFileError);
    expect((error as Error).message).toContain(file);
    expect((error as Error).message).not.toContain('maybe-something-private');
    writeFileSync(file, `${Buffer.alloc(16, 1).toString('base64')}\n`);
    await expect(loadSecretKey({ secretKey: undefined, dataDir })).rejects.toThrow(/32 base64-encoded bytes/);
    if (process.platform === 'win32') return;
    writeFileSync(file, `${Buffer.alloc(32, 7).toString('base64')}\n`);
    chmodSync(file, 0o644);
    const loose = await loadSecretKey({ secretKey: undefined, dataDir });
    expect(loose.looseMode).toBe(true);
    expect(loose.key.equals(Buffer.alloc(32, 7))).toBe(true);
  });
});
