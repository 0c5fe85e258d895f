// What a new user's review of `assay run` found, as real processes against a real server: a run
// whose evaluators skipped every cell passed any gate; --max-drop compared whole-run pass rates
// of runs over other rows; the experiment's threshold was printed as the verdict while
// --fail-under decided; --fail-under 0.9 read as 0.9 %; a server gone as the run ended lost it.
import { readFileSync, rmSync } from 'node:fs';
import { createServer, type Server, Socket } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiError, UnreachableError } from '../client/index.js';
import { type CliServer, spawnAssay, startCliServer } from '../testing/spawn.js';
import { CliError } from './cli-error.js';
import { asCliError } from './connection.js';
import { checkRunOptions } from './run-options.js';
import { persistent } from './run-report.js';

const KEY = `sk-lw-${'GateCliTst'.repeat(4)}`;
let server: CliServer;

const rows = [{ q: 'a', expected: 'A' }, { q: 'b', expected: 'B' }, { q: 'c', expected: 'x' }, { q: 'd', expected: 'x' }];
const upper = { id: 'upper', type: 'code', code: 'return String(row.q).toUpperCase()' };
const exact = { id: 'exact', type: 'exact_match', inputs: { output: 'output', expected_output: 'row.expected' } };
const silent = { id: 'silent', type: 'custom_code', settings: { code: 'return null' } };

beforeAll(async () => {
  server = await startCliServer(KEY, 'assay-run-gate-cli-');
  for (const doc of [
    { slug: 'nothing', name: 'nothing', dataset: { rows }, targets: [upper], evaluators: [silent] },
    { slug: 'partly', name: 'partly', dataset: { rows }, targets: [upper], evaluators: [silent, exact] },
    { slug: 'half', name: 'half', dataset: { rows }, targets: [upper], evaluators: [exact], thresholds: { passRate: 100 } },
    { slug: 'scoped', name: 'scoped', dataset: { rows }, targets: [upper], evaluators: [exact] },
    { slug: 'unjudged', name: 'unjudged', dataset: { rows }, targets: [upper], evaluators: [] },
  ]) expect((await server.post('/api/experiments', doc)).status).toBe(201);
});
afterAll(() => server.stop());

const run = (args: string[]) => server.run(args, { GITHUB_STEP_SUMMARY: '' });

describe('the gate of `assay run`', { timeout: 180_000 }, () => {
  it('fails a run whose every evaluator skipped every cell, and warns of one that skipped all while others judged', async () => {
    const none = await run(['run', 'nothing', '--fail-under', '100']);
    expect(none.out).toContain('pass rate — (nothing judged)');
    expect(none.out).toContain("no verdict: every evaluator skipped every cell — nothing was checked (see each evaluator's skip reason in the results)");
    expect(none.code).toBe(1);
    const partly = await run(['run', 'partly', '--rows', '0-1']);
    expect(partly.out).toContain('warning: Custom Code skipped all 2 cells (custom code returned null: no verdict for this row): it checked nothing');
    expect(partly.code).toBe(0);
    const one = await run(['run', 'partly', '--rows', '0']);
    expect(one.out).toContain('warning: Custom Code skipped all 1 cell (custom code returned null: no verdict for this row): it checked nothing');
    // Compared with it, one row matched, in the singular (the Markdown report).
    const again = await run(['run', 'partly', '--rows', '0']);
    const [first, second] = [one, again].map((r) => /Run (run_\w+) started/.exec(r.out)![1]!);
    const md = path.join(os.tmpdir(), `assay-one-row-${process.pid}.md`);
    const compared = await run(['compare', second!, first!, '--markdown', md]);
    expect(compared.code).toBe(0);
    expect(readFileSync(md, 'utf8')).toContain(' 1 row matched');
    rmSync(md, { force: true });
  });

  it('passes a run with no evaluators on "no failed cell", shows no pass rate, and fails a pass-rate gate on it', async () => {
    const plain = await run(['run', 'unjudged']);
    expect(plain.out).toContain('cells 4  passed 4  failed 0  pass rate — (no evaluators)');
    expect(plain.out).toContain('gate: no failed cell (no evaluators: a cell fails when its target call failed) met');
    expect(plain.code).toBe(0);
    const gated = await run(['run', 'unjudged', '--fail-under', '50']);
    expect(gated.out).toContain('gate: NOT met — the run has no evaluators — nothing was judged, so it has no pass rate to hold to --fail-under 50%');
    expect(gated.code).toBe(1);
  });

  it('prints the gate that decides: --fail-under over the experiment\'s threshold', async () => {
    const under = await run(['run', 'half', '--fail-under', '40']);
    expect(under.out).toContain('gate: pass rate 50.0% ≥ 40% (--fail-under) met');
    expect(under.out).toContain("(the experiment's threshold, pass rate ≥ 100%, is not met; --fail-under decides)");
    expect(under.out).not.toContain('threshold: pass rate ≥ 100% NOT met');
    expect(under.code).toBe(0);
    const over = await run(['run', 'half', '--fail-under', '90']);
    expect(over.out).toContain('gate: pass rate 50.0% < 90% (--fail-under) NOT met');
    expect(over.code).toBe(1);
    const threshold = await run(['run', 'half']);
    expect(threshold.out).toContain("gate: pass rate 50.0% < 100% (the experiment's threshold) NOT met");
    expect(threshold.code).toBe(1);
  });

  it('refuses --fail-under 0.9 with a hint, before starting a run', async () => {
    const res = await run(['run', 'half', '--fail-under', '0.9']);
    expect(res.code).toBe(2);
    expect(res.out).toContain('--fail-under is a percentage from 0 to 100: 0.9 means 0.9 %; for 90 % write 90');
    expect(res.out).not.toContain('started');
    expect(checkRunOptions({ failUnder: '0' }).failUnder).toBe(0);
    expect(checkRunOptions({ failUnder: '1' }).failUnder).toBe(1);
  });

  it('--max-drop judges the rows both runs have, not whole runs of other rows', async () => {
    // The baseline ran row 0 only (100%); the run every row (50%): on the matched row, nothing fell.
    expect((await run(['run', 'scoped', '--rows', '0'])).code).toBe(0);
    const all = await run(['run', 'scoped', '--baseline', 'previous', '--max-drop', '5']);
    expect(all.out).toMatch(/warning: the baseline run_\w+ covered 1 of this run's 4 rows: the comparison judges the matched rows only/);
    expect(all.out).toContain('pass rate over the 1 matched row unchanged against the baseline (100.0% -> 100.0%; max drop 5)');
    expect(all.code).toBe(0);
    // The baseline ran rows 0-3 (50%), this run row 2 (0%, where the baseline was 0% too): no rise of points either.
    const one = await run(['run', 'scoped', '--rows', '2', '--baseline', 'previous', '--max-drop', '5']);
    expect(one.out).toContain('pass rate over the 1 matched row unchanged against the baseline (0.0% -> 0.0%; max drop 5)');
    expect(one.code).toBe(0);
  });

  it('waits for a server that goes away as the run ends, and reports once it is back', async () => {
    const proxy = await flakyProxy(new URL(server.base).port);
    try {
      const p = spawnAssay(['run', 'scoped', '--rows', '0'], { ASSAY_ENDPOINT: `http://127.0.0.1:${proxy.port}`, ASSAY_API_KEY: KEY, GITHUB_STEP_SUMMARY: '' });
      await p.waitFor(/started: 1 cell\n/);
      // The run ends before the CLI asks for it: the proxy then refuses connections for 3 s.
      await p.waitFor(/progress 1\/1/);
      expect(await p.exited).toBe(0);
      expect(p.output()).toContain('server unreachable, retrying for up to 2 min');
      expect(p.output()).toMatch(/Run run_\w+ COMPLETED/);
    } finally {
      proxy.close();
    }
  });
});

/**
 * A TCP proxy to `port` that goes away (closes its port, cuts every connection) as soon as an
 * event stream's answer has passed through whole, and listens again on the same port 3 s later.
 */
async function flakyProxy(port: string): Promise<{ port: number; close: () => void }> {
  const sockets = new Set<Socket>();
  let proxy: Server;
  // gone: it went away once (and does not again); down: for those 3 s.
  let gone = false;
  let down = false;
  const listen = (at: number) => new Promise<number>((resolve) => {
    proxy = createServer((client) => {
      const upstream = new Socket();
      sockets.add(client).add(upstream);
      let events = false;
      client.on('data', (d) => {
        // Gone: a request on a connection kept alive is cut, as a new connection is refused.
        if (down) return void client.destroy();
        if (/^GET [^ ]*\/events/.test(d.toString('latin1'))) events = true;
        upstream.write(d);
      });
      upstream.connect(Number(port), '127.0.0.1');
      upstream.on('data', (d) => {
        client.write(d);
        // The last chunk of a stream's chunked answer.
        if (events && d.toString('latin1').endsWith('0\r\n\r\n') && !gone) goAway();
      });
      for (const s of [client, upstream]) s.on('error', () => {}).on('close', () => { client.destroy(); upstream.destroy(); });
    }).listen(at, '127.0.0.1', () => resolve((proxy.address() as { port: number }).port));
  });
  const goAway = () => {
    gone = down = true;
    proxy.close();
    setTimeout(() => { for (const s of sockets) s.destroy(); }, 200);
    setTimeout(() => {
      down = false;
      void listen(bound);
    }, 3000);
  };
  const bound = await listen(0);
  return { port: bound, close: () => { proxy.close(); for (const s of sockets) s.destroy(); } };
}

describe('reads after the run', () => {
  it('are tried again while the server cannot be reached, saying so once', async () => {
    const said: string[] = [];
    let calls = 0;
    const again = persistent(new AbortController().signal, 10_000, (line) => said.push(line));
    const read = async () => {
      if (++calls < 3) throw new UnreachableError('http://x', { cause: { code: 'ECONNREFUSED' } });
      return 'ok';
    };
    expect(await again(read)).toBe('ok');
    expect(calls).toBe(3);
    expect(said).toHaveLength(1);
    expect(said[0]).toContain('server unreachable, retrying');
    await expect(again(async () => { throw new ApiError(400, { message: 'bad' }); })).rejects.toThrow('400 bad');
  }, 10_000);
});

describe('a 400 as the CLI prints it', () => {
  it('leaves out a bullet that repeats the headline, and keeps the others', () => {
    const error = new ApiError(400, {
      message: 'Invalid run: evaluator "e" maps expected_output to row.x, but the rows have no column "x"; every cell would skip it',
      issues: [
        { path: ['evaluators', 0, 'inputs', 'expected_output'], message: 'evaluator "e" maps expected_output to row.x, but the rows have no column "x"' },
        { path: ['repeats'], message: 'too many' },
      ],
    });
    const text = (asCliError(error) as CliError).message;
    expect(text.match(/no column "x"/g)).toHaveLength(1);
    expect(text).toContain('\n  - repeats: too many');
  });
});
