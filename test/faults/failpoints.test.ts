// The failpoint switch itself (src/app/runs/failpoints.ts): what ASSAY_FAILPOINTS accepts, and
// that a misspelt point is an error rather than a fault suite that silently injects nothing.
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseFailpoints } from '../../src/app/runs/failpoints.js';

const MODULE = path.resolve(import.meta.dirname, '../../src/app/runs/failpoints.ts');

/** Calls failpoint(name) `times` times in a fresh process with ASSAY_FAILPOINTS = `spec`. */
function callInChild(spec: string | undefined, name: string, times: number) {
  const script = `import { failpoint } from ${JSON.stringify(MODULE)}; for (let i = 0; i < ${times}; i++) failpoint(${JSON.stringify(name)}); console.log('alive');`;
  const env = { PATH: process.env.PATH, ...(spec === undefined ? {} : { ASSAY_FAILPOINTS: spec }) };
  return spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { env, encoding: 'utf8', timeout: 60_000 });
}

describe('ASSAY_FAILPOINTS', () => {
  it('parses names with probabilities (1 when omitted)', () => {
    expect(parseFailpoints('commit.before:0.05, commit.after:0.1,finish.before')).toEqual(
      new Map([['commit.before', 0.05], ['commit.after', 0.1], ['finish.before', 1]]),
    );
    expect(parseFailpoints('')).toEqual(new Map());
  });

  it('rejects unknown points and probabilities outside [0, 1]', () => {
    expect(() => parseFailpoints('commit.befor:0.1')).toThrow(/unknown failpoint "commit.befor"/);
    expect(() => parseFailpoints('commit.before:2')).toThrow(/between 0 and 1/);
    expect(() => parseFailpoints('commit.before:x')).toThrow(/between 0 and 1/);
  });

  it('kills the process at an armed point, and does nothing when unset or armed elsewhere', () => {
    const unset = callInChild(undefined, 'commit.before', 1000);
    expect(unset.status).toBe(0);
    expect(unset.stdout).toContain('alive');
    const elsewhere = callInChild('commit.after:1', 'commit.before', 1000);
    expect(elsewhere.status).toBe(0);
    const armed = callInChild('commit.before:1', 'commit.before', 1);
    expect(armed.signal).toBe('SIGKILL');
    expect(armed.stdout).not.toContain('alive');
  }, 120_000);
});
