// `assay watch`, `resume`, `abort` and `export`, as real processes against a real server: a run
// started with --no-wait is followed to its end and gated on; a run stopped with `assay abort`
// goes on with `assay resume` and is gated as `assay run` gates; `assay export` writes a run's
// cells (only the failed ones, chosen columns) to standard output or a file.
import { mkdtempSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type FakeAgent, startFakeAgent } from '../testing/fake-agent.js';
import { type CliServer, spawnAssay, startCliServer } from '../testing/spawn.js';

const KEY = `sk-lw-${'RunCmdsTst'.repeat(4)}`;
let server: CliServer;
let agent: FakeAgent;
/** Answers 6 calls, then holds every answer until released: a run that stops at 6/20 while running. */
let paced: FakeAgent;
/** Fails the rows `q4` and `q5` while `flaky` is set. */
let flakyAgent: FakeAgent;
let flaky = true;

beforeAll(async () => {
  server = await startCliServer(KEY, 'assay-run-commands-');
  agent = await startFakeAgent({ reply: (m) => m });
  const rows = Array.from({ length: 6 }, (_, i) => ({ q: `q${i}`, expected: i < 4 ? `q${i}` : 'something else' }));
  const exact = [{ id: 'exact', name: 'Exact', type: 'exact_match', inputs: { output: 'output', expected_output: 'row.expected' } }];
  expect((await server.post('/api/experiments', { slug: 'quick', name: 'quick', dataset: { rows }, targets: [{ id: 'echo', type: 'code', code: 'return row.q' }], evaluators: exact })).status).toBe(201);
  // One cell at a time against an agent that the test holds: a run that stays running until released.
  const slow = { slug: 'slow', name: 'slow', dataset: { rows }, targets: [{ id: 'bot', type: 'http', url: `${agent.url}/chat`, body: { message: '{{q}}' }, outputPath: '$.reply' }], evaluators: exact, execution: { concurrency: 1, maxRetries: 0 } };
  expect((await server.post('/api/experiments', slow)).status).toBe(201);
  paced = await startFakeAgent({ reply: (m) => m, handler: () => (paced.calls === 6 ? void paced.hold() : undefined) });
  const twenty = Array.from({ length: 20 }, (_, i) => ({ q: `q${i}`, expected: `q${i}` }));
  const pacedExperiment = { slug: 'paced', name: 'paced', dataset: { rows: twenty }, targets: [{ id: 'bot', type: 'http', url: `${paced.url}/chat`, body: { message: '{{q}}' }, outputPath: '$.reply' }], evaluators: exact, execution: { concurrency: 1, maxRetries: 0 } };
  expect((await server.post('/api/experiments', pacedExperiment)).status).toBe(201);
  flakyAgent = await startFakeAgent({
    reply: (m) => m,
    handler: (req) => (flaky && ['q4', 'q5'].includes(String((req.body as { message?: unknown }).message)) ? { status: 500, body: { error: 'down' } } : undefined),
  });
  const flakyExperiment = { slug: 'flaky', name: 'flaky', dataset: { rows: rows.map((r) => ({ q: r.q, expected: r.q })) }, targets: [{ id: 'bot', type: 'http', url: `${flakyAgent.url}/chat`, body: { message: '{{q}}' }, outputPath: '$.reply' }], evaluators: exact, execution: { concurrency: 1, maxRetries: 0 } };
  expect((await server.post('/api/experiments', flakyExperiment)).status).toBe(201);
});
afterAll(async () => {
  agent.release();
  paced.release();
  await server.stop();
  await Promise.all([agent.close(), paced.close(), flakyAgent.close()]);
});

const poll = async (runId: string) =>
  (await (await fetch(`${server.base}/api/experiments/runs/${runId}`, { headers: { authorization: `Bearer ${KEY}` } })).json()) as { status: string; progress: number };
/** The plain progress lines (stdout is a pipe: a line at each 10% step). */
const progressLines = (out: string) => out.split('\n').filter((l) => l.startsWith('progress '));
const counted = (line: string) => Number(/^progress (\d+)\//.exec(line)![1]);
const rateOf = (line: string) => /, ([\d.]+) cells\/s$/.exec(line)?.[1];

const env = { GITHUB_STEP_SUMMARY: '' };
const runIdOf = (out: string) => /Run (run_\w+) started/.exec(out)![1]!;

describe('commands on a run by its id', { timeout: 300_000 }, () => {
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

  it('assay watch of a running run starts at its count and measures cells/s over live cells only; of a finished run, one line', async () => {
    const { runId } = (await (await server.post('/api/experiments/paced/run', {})).json()) as { runId: string };
    // 6 cells done, the 7th held by the agent: the run is running at 6/20.
    await expect.poll(() => paced.calls, { timeout: 30_000 }).toBe(7);
    await expect.poll(async () => (await poll(runId)).progress, { timeout: 30_000 }).toBe(6);
    const watch = spawnAssay(['watch', runId], { ASSAY_ENDPOINT: server.base, ASSAY_API_KEY: KEY, ...env });
    await watch.waitFor(new RegExp(`Run ${runId}: running, 6/20 cells`));
    await watch.waitFor(/^progress 6\/20/m);
    // From here the cells are live, none faster than the agent's 100 ms answer (14 of them: over
    // the second a rate needs).
    paced.setBehaviour({ latencyMs: 100 });
    paced.release();
    expect(await watch.exited).toBe(0);
    const lines = progressLines(watch.output());
    // No line for the replayed cells 1–5: the backlog is one line at the count the run was at, with no rate.
    expect(lines.map(counted).filter((n) => n < 6)).toEqual([]);
    expect(lines[0]).toBe('progress 6/20 (30%), 0 failing');
    expect(lines.at(-1)).toMatch(/^progress 20\/20 \(100%\), 0 failing, [\d.]+ cells\/s$/);
    // A rate once a second has passed (none over less), never above what live cells allow.
    for (const line of lines.slice(1)) {
      const rate = rateOf(line);
      if (rate !== undefined) expect(Number(rate)).toBeLessThanOrEqual(1000 / 100);
    }

    // Finished: the whole stream is a replay, said as one line.
    const again = await server.run(['watch', runId], env);
    expect(again.code).toBe(0);
    expect(progressLines(again.out)).toEqual(['progress 20/20 (100%), 0 failing']);
  });

  it('assay watch of a run resumed with --retry-errors prints no earlier execution\'s count as live, though they pass the count it is at', async () => {
    // The flaky agent fails q4 and q5: the run completes at 6/6 with two errors.
    flaky = true;
    const { runId } = (await (await server.post('/api/experiments/flaky/run', {})).json()) as { runId: string };
    await expect.poll(async () => (await poll(runId)).status, { timeout: 30_000 }).toBe('completed');
    // Resumed, retrying them, with the agent holding its answers: the run is running at 4/6 (its
    // history reached 6/6 before).
    flaky = false;
    flakyAgent.hold();
    const before = flakyAgent.calls;
    expect((await server.post(`/api/experiments/runs/${runId}/resume`, { retryErrors: true })).status).toBe(200);
    await expect.poll(() => flakyAgent.calls, { timeout: 30_000 }).toBe(before + 1);
    expect(await poll(runId)).toMatchObject({ status: 'running', progress: 4 });
    const watch = spawnAssay(['watch', runId], { ASSAY_ENDPOINT: server.base, ASSAY_API_KEY: KEY, ...env });
    await watch.waitFor(new RegExp(`Run ${runId}: running, 4/6 cells`));
    flakyAgent.release();
    expect(await watch.exited, watch.output()).toBe(0);
    flaky = true;
    // The current execution's counts only, each once and rising, to 6/6; the first execution's
    // 4/6 … 6/6 (before its `resumed`) were printed as live lines before the stream said where
    // its replay ends. (The new counts are lines of their own, or one folded line when the
    // stream opened after they were stored.)
    const counts = progressLines(watch.output()).map(counted);
    expect(counts.at(-1), watch.output()).toBe(6);
    // The retried cells answered this time: nothing is failing any more (the errors of the execution before were counted on).
    expect(progressLines(watch.output()).at(-1)).toMatch(/^progress 6\/6 \(100%\), 0 failing/);
    expect(counts.every((n, i) => n >= 5 && (i === 0 || n > counts[i - 1]!)), watch.output()).toBe(true);
  });

  it('assay resume --retry-errors shows the new execution only, says what its duration counts, and a refusal names --retry-errors', async () => {
    const { runId } = (await (await server.post('/api/experiments/flaky/run', {})).json()) as { runId: string };
    await expect.poll(async () => (await poll(runId)).status, { timeout: 30_000 }).toBe('completed');
    flaky = false;
    const resumed = await server.run(['resume', runId, '--retry-errors'], env);
    expect(resumed.out).toContain(`Run ${runId} resumed, retrying its errors`);
    expect(resumed.out).toContain(`Run ${runId} COMPLETED`);
    expect(resumed.code).toBe(0);
    // The first execution's 1/6 … 6/6 are history: none of them is a line.
    const lines = progressLines(resumed.out);
    expect(lines.map(counted).filter((n) => n < 4)).toEqual([]);
    expect(lines.at(-1)).toMatch(/^progress 6\/6 \(100%\)/);
    // The summary's duration runs from the run's first start, the time before the resume included.
    expect(resumed.out).toMatch(/duration \d+\.\d s since start/);

    const refused = await server.run(['resume', runId], env);
    expect(refused.code).toBe(2);
    expect(refused.out).toContain(`error: Run ${runId} is completed: only a stopped or failed run resumes, or a completed one with --retry-errors (its errored cells run again)`);
    expect(refused.out).not.toContain('retryErrors');
  });
});
