// `assay watch`, `resume`, `abort` and `export`, as real processes against a real server: a run
// started with --no-wait is followed to its end and gated on; a run stopped with `assay abort`
// goes on with `assay resume` and is gated as `assay run` gates; `assay export` writes a run's
// cells (only the failed ones, chosen columns) to standard output or a file.
import { mkdtempSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type FakeAgent, startFakeAgent } from '../testing/fake-agent.js';
import { type CliServer, startCliServer } from '../testing/spawn.js';

const KEY = `sk-lw-${'RunCmdsTst'.repeat(4)}`;
let server: CliServer;
let agent: FakeAgent;

beforeAll(async () => {
  server = await startCliServer(KEY, 'assay-run-commands-');
  agent = await startFakeAgent({ reply: (m) => m });
  const rows = Array.from({ length: 6 }, (_, i) => ({ q: `q${i}`, expected: i < 4 ? `q${i}` : 'something else' }));
  const exact = [{ id: 'exact', name: 'Exact', type: 'exact_match', inputs: { output: 'output', expected_output: 'row.expected' } }];
  expect((await server.post('/api/experiments', { slug: 'quick', name: 'quick', dataset: { rows }, targets: [{ id: 'echo', type: 'code', code: 'return row.q' }], evaluators: exact })).status).toBe(201);
  // One cell at a time against an agent that the test holds: a run that stays running until released.
  const slow = { slug: 'slow', name: 'slow', dataset: { rows }, targets: [{ id: 'bot', type: 'http', url: `${agent.url}/chat`, body: { message: '{{q}}' }, outputPath: '$.reply' }], evaluators: exact, execution: { concurrency: 1, maxRetries: 0 } };
  expect((await server.post('/api/experiments', slow)).status).toBe(201);
});
afterAll(async () => {
  agent.release();
  await server.stop();
  await agent.close();
});

const env = { GITHUB_STEP_SUMMARY: '' };
const runIdOf = (out: string) => /Run (run_\w+) started/.exec(out)![1]!;

describe('commands on a run by its id', { timeout: 120_000 }, () => {
  it('assay watch follows a run started with --no-wait to its summary, and gates on it as assay run does', async () => {
    const started = await server.run(['run', 'quick', '--no-wait'], env);
    expect(started.code).toBe(0);
    const runId = runIdOf(started.out);
    const watched = await server.run(['watch', runId, '--fail-under', '60'], env);
    expect(watched.out).toMatch(new RegExp(`Run ${runId}: (running|completed), \\d+/6 cells`));
    expect(watched.out).toContain('/experiments/quick?runId=' + runId);
    expect(watched.out).toMatch(/passed 4\b.*failed 2\b|4 passed.*2 failed/s);
    // 4 of 6 passed: 66.7% clears 60 (exit 0) and not 70 (exit 1).
    expect(watched.code).toBe(0);
    expect((await server.run(['watch', runId, '--fail-under', '70'], env)).code).toBe(1);
    const missing = await server.run(['watch', 'run_nope'], env);
    expect(missing.code).toBe(2);
    expect(missing.out).toContain('Run not found: run_nope');
  });

  it('assay abort stops a running run, and assay resume goes on to its end', async () => {
    agent.hold();
    const before = agent.calls;
    const started = await server.run(['run', 'slow', '--no-wait'], env);
    const runId = runIdOf(started.out);
    await expect.poll(() => agent.calls - before, { timeout: 10_000 }).toBe(1);
    const aborted = await server.run(['abort', runId], env);
    expect(aborted.code).toBe(0);
    agent.release();
    await expect.poll(async () => ((await (await fetch(`${server.base}/api/experiments/runs/${runId}`, { headers: { authorization: `Bearer ${KEY}` } })).json()) as { status: string }).status).toBe('stopped');

    const resumed = await server.run(['resume', runId, '--fail-under', '60'], env);
    expect(resumed.out).toContain(`Run ${runId} resumed`);
    expect(resumed.out).toContain(`Run ${runId} COMPLETED`);
    expect(resumed.code).toBe(0);
    const final = (await (await fetch(`${server.base}/api/experiments/runs/${runId}`, { headers: { authorization: `Bearer ${KEY}` } })).json()) as { status: string; progress: number };
    expect(final).toMatchObject({ status: 'completed', progress: 6 });
    // Nothing left to resume: the server's refusal, exit 2.
    const again = await server.run(['resume', runId], env);
    expect(again.code).toBe(2);
  });

  it('assay export writes the cells, the failed ones only, chosen columns, to standard output or a file', async () => {
    const runId = runIdOf((await server.run(['run', 'quick', '--no-wait'], env)).out);
    await server.run(['watch', runId], env);
    const csv = await server.run(['export', runId, '--format', 'csv', '--only', 'failed', '--columns', 'index,entry.q,output,exact.passed'], env);
    expect(csv.code).toBe(0);
    expect(csv.out.trim().split('\n')).toEqual(['index,entry.q,output,exact.passed', '4,q4,q4,false', '5,q5,q5,false']);
    const file = path.join(mkdtempSync(path.join(os.tmpdir(), 'assay-export-')), 'cells.jsonl');
    expect((await server.run(['export', runId, '--output', file], env)).code).toBe(0);
    expect(readFileSync(file, 'utf8').trim().split('\n')).toHaveLength(6);
    const bad = await server.run(['export', runId, '--format', 'xlsx'], env);
    expect(bad.code).toBe(2);
    expect(bad.out).toContain('--format is one of jsonl, csv, junit (got "xlsx")');
    const unknownColumn = await server.run(['export', runId, '--format', 'csv', '--columns', 'index,nope'], env);
    expect(unknownColumn.code).toBe(2);
    expect(unknownColumn.out).toContain('nope');
  });
});
