// Compatibility: the published LangWatch client (npm langwatch@0.16.1, legacy
// /api/evaluations/v3 paths) runs an Assay experiment end to end, and its printSummary()
// exit code is 0 for an all-pass run and 1 when a cell fails an evaluator.
import { spawn } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { listen, startTestAssay, type TestAssay } from '../src/testing/harness.js';

let t: TestAssay;
let server: { url: string; close(): Promise<void> };

beforeAll(async () => {
  t = await startTestAssay();
  server = await listen(t);
  const experiment = (slug: string, rows: { q: string; expected: string }[]) => ({
    slug, name: slug,
    dataset: { rows },
    targets: [{ id: 'upper', type: 'code', code: 'return row.q.toUpperCase()' }],
    evaluators: [{ id: 'exact', type: 'langevals/exact_match', settings: { case_sensitive: true }, inputs: { output: 'output', expected_output: 'row.expected' } }],
  });
  await t.req('POST', '/api/experiments', { body: experiment('all-pass', [{ q: 'a', expected: 'A' }, { q: 'b', expected: 'B' }, { q: 'c', expected: 'C' }]) });
  await t.req('POST', '/api/experiments', { body: experiment('one-fails', [{ q: 'a', expected: 'A' }, { q: 'b', expected: 'b' }]) });
});
afterAll(async () => {
  await server?.close();
  await t?.close();
});

const SCRIPT = `
const { LangWatch } = require('langwatch');
(async () => {
  const result = await new LangWatch().experiments.run(process.argv[1], { pollInterval: 200, timeout: 30000 });
  console.log('RESULT ' + JSON.stringify({ status: result.status, passed: result.passed, failed: result.failed, runId: result.runId }));
  result.printSummary();
})().catch((e) => { console.error(e.name + ': ' + e.message); process.exit(3); });
`;

function runClient(slug: string, key = t.key): Promise<{ code: number | null; out: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['-e', SCRIPT, slug], {
      env: { PATH: process.env.PATH, LANGWATCH_API_KEY: key, LANGWATCH_ENDPOINT: server.url },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (out += d));
    child.on('exit', (code) => resolve({ code, out }));
  });
}

describe('langwatch@0.16.1 client', () => {
  it('runs an all-pass experiment to completion and exits 0', async () => {
    const { code, out } = await runClient('all-pass');
    expect(out).toContain('RESULT');
    const result = JSON.parse(/RESULT (.*)/.exec(out)![1]!);
    expect(result).toMatchObject({ status: 'completed', failed: 0 });
    expect(out).toContain('EXPERIMENT RESULTS');
    expect(out).toContain('upper');
    expect(code, out).toBe(0);
    // The run it reported is the one Assay stored.
    const poll = (await (await t.req('GET', `/api/experiments/runs/${result.runId}`)).json()) as { summary: { totalPassed: number } };
    expect(poll.summary.totalPassed).toBe(3);
  }, 60_000);

  it('exits 1 when a cell fails an evaluator', async () => {
    const { code, out } = await runClient('one-fails');
    const result = JSON.parse(/RESULT (.*)/.exec(out)![1]!);
    expect(result).toMatchObject({ status: 'completed', failed: 1 });
    expect(code).toBe(1);
  }, 60_000);

  it('reports an unknown experiment and a bad key as the client expects', async () => {
    const missing = await runClient('no-such-experiment');
    expect(missing.code).toBe(3);
    expect(missing.out).toContain('not found');
    const badKey = await runClient('all-pass', 'sk-lw-0000000000000000000000000000000000000000');
    expect(badKey.code).toBe(3);
    expect(badKey.out).toMatch(/Unauthorized|API key/i);
  }, 60_000);
});
