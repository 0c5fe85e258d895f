// End to end: `assay serve` logs one warning line when the default ASSAY_HTTP_TARGETS_ALLOW_PRIVATE
// (true) meets a HOST other machines can reach, and none when bound to loopback or turned off.
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { spawnAssay } from '../testing/spawn.js';

const dirs: string[] = [];
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

/** The output of a server started with `env` and stopped once listening. */
async function startAndStop(env: Record<string, string>): Promise<string> {
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'assay-private-net-'));
  dirs.push(dataDir);
  const s = spawnAssay(['serve'], { PORT: '0', ASSAY_DATA_DIR: dataDir, ASSAY_API_KEY: `sk-lw-${'Pr1vateNet'.repeat(4)}`, ASSAY_LOG_LEVEL: 'warn', ...env });
  try {
    const [, port] = await s.waitFor(/Assay listening on http:\/\/[^:]+:(\d+)/);
    // Answering requests: the signal handlers are in place (they are set once start-up returns).
    expect((await fetch(`http://127.0.0.1:${port}/healthz`)).status).toBe(200);
  } catch (error) {
    s.child.kill('SIGKILL');
    throw error;
  }
  s.child.kill('SIGTERM');
  expect(await s.exited).toBe(0);
  return s.output();
}

const WARNING = /ASSAY_HTTP_TARGETS_ALLOW_PRIVATE is unset, so true, and HOST=0\.0\.0\.0 accepts connections from other machines/;

describe('the private-network warning at start-up', { timeout: 120_000 }, () => {
  it('is one warn line on the default HOST, and absent on loopback or with the setting false', async () => {
    const exposed = await startAndStop({});
    const lines = exposed.split('\n').filter((l) => WARNING.test(l));
    expect(lines, exposed).toHaveLength(1);
    expect(JSON.parse(lines[0]!)).toMatchObject({ level: 40 });
    expect(lines[0]).toContain('Set ASSAY_HTTP_TARGETS_ALLOW_PRIVATE=false to refuse them');

    for (const env of [{ HOST: '127.0.0.1' }, { ASSAY_HTTP_TARGETS_ALLOW_PRIVATE: 'false' }] as Record<string, string>[]) {
      const out = await startAndStop(env);
      expect(out, JSON.stringify(env)).toContain('Assay listening on');
      expect(out, JSON.stringify(env)).not.toContain('ASSAY_HTTP_TARGETS_ALLOW_PRIVATE');
    }
  });
});
