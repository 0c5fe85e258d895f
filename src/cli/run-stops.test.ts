// `assay run` when it stops before the end, against a real server: --timeout in the middle of
// a run, Ctrl-C, a reader that leaves the pipe early (`| head -1`), and `assay compare` (or
// `assay run --baseline`) given a run that has not finished. The "hang" experiment calls an HTTP target that never
// answers, so its run stays running until the test aborts it.
import { existsSync } from 'node:fs';
import { createServer, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type CliServer, spawnAssay, startCliServer } from '../testing/spawn.js';

const KEY = `sk-lw-${'StopCliTst'.repeat(4)}`;
let server: CliServer;
let target: Server;
const held: ServerResponse[] = [];
const runIds: string[] = [];
const runIdOf = (out: string) => {
  const id = /Run (run_\w+) started/.exec(out)![1]!;
  runIds.push(id);
  return id;
};

beforeAll(async () => {
  target = createServer((req, res) => {
    req.resume();
    held.push(res);
  });
  await new Promise<void>((resolve) => target.listen(0, '127.0.0.1', resolve));
  server = await startCliServer(KEY, 'assay-stop-cli-');
  const hang = await server.post('/api/experiments', {
    slug: 'hang', name: 'hang',
    dataset: { rows: [{ q: 'a' }] },
    targets: [{ id: 'silent', type: 'http', url: `http://127.0.0.1:${(target.address() as AddressInfo).port}/chat`, body: { message: '{{q}}' } }],
  });
  expect(hang.status).toBe(201);
  const quick = await server.post('/api/experiments', {
    slug: 'quick', name: 'quick',
    dataset: { rows: Array.from({ length: 40 }, (_, i) => ({ q: `q${i}` })) },
    targets: [{ id: 'echo', type: 'code', code: 'return row.q' }],
    evaluators: [{ id: 'exact', type: 'exact_match', inputs: { output: 'output', expected_output: 'row.q' } }],
  });
  expect(quick.status).toBe(201);
});
afterAll(async () => {
  for (const id of runIds) await server.post(`/api/experiments/runs/${id}/abort`, {});
  for (const res of held) res.destroy();
  await new Promise((resolve) => target.close(resolve));
  await server.stop();
});

const assay = (args: string[], wrap: string[] = []) => spawnAssay(args, { ASSAY_ENDPOINT: server.base, ASSAY_API_KEY: KEY }, undefined, wrap);

describe('assay run stopping before the end', { timeout: 120_000 }, () => {
  it('--timeout in the middle of a run says where the run goes on and exits 2', async () => {
    const p = assay(['run', 'hang', '--timeout', '2']);
    const code = await p.exited;
    expect(p.output()).toMatch(/Timed out after 2 s; the run goes on at http:\/\/\S+\?runId=run_/);
    expect(p.output()).not.toContain('aborted');
    expect(code).toBe(2);
    runIdOf(p.output());
  });

  it('refuses a --timeout no timer can hold, instead of timing out at once', async () => {
    for (const value of ['9999999', 'Infinity', '']) {
      const p = assay(['run', 'hang', '--timeout', value]);
      expect(await p.exited).toBe(2);
      expect(p.output()).toContain('--timeout takes a number of seconds, at most 2147483');
      expect(p.output()).not.toContain('started');
    }
  });

  it('Ctrl-C stops waiting, says where the run goes on, and exits 130', async () => {
    const p = assay(['run', 'hang']);
    await p.waitFor(/started: 1 cell\n/);
    p.child.kill('SIGINT');
    expect(await p.exited).toBe(130);
    expect(p.output()).toMatch(/Stopped waiting; the run goes on at http:\/\/\S+\?runId=run_/);
    runIdOf(p.output());
  });

  it('a reader that leaves after one line: no EPIPE crash, the reports are written and the exit code is the verdict', async () => {
    const json = path.join(server.dataDir, 'piped.json');
    const p = assay(['run', 'quick', '--json', json], ['bash', '-c', 'set -o pipefail; "$@" | head -1', 'bash']);
    expect(await p.exited).toBe(0);
    expect(p.output()).toMatch(/^Run run_\w+ started: 40 cells\n$/);
    expect(existsSync(json)).toBe(true);
  });

  it('--baseline naming a run that is still running is refused before the run starts', async () => {
    const started = assay(['run', 'hang', '--no-wait']);
    expect(await started.exited).toBe(0);
    const id = runIdOf(started.output());
    const json = path.join(server.dataDir, 'baseline-running.json');
    const p = assay(['run', 'quick', '--baseline', id, '--json', json]);
    expect(await p.exited).toBe(2);
    expect(p.output()).toContain(`The baseline run ${id} is still running (0/1 cells)`);
    expect(p.output()).not.toContain('started');
    expect(existsSync(json)).toBe(false);
  });

  it('assay compare refuses a run that is still running rather than passing the gate', async () => {
    const started = assay(['run', 'hang', '--no-wait']);
    expect(await started.exited).toBe(0);
    const id = runIdOf(started.output());
    const p = assay(['compare', id, '--fail-on-regression']);
    expect(await p.exited).toBe(2);
    expect(p.output()).toContain(`The candidate run ${id} is still running (0/1 cells): compare it once it has finished`);
    expect(p.output()).not.toContain('NO SIGNIFICANT CHANGE');
  });
});
