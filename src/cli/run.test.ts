// `assay run` and `assay demo` as real processes against a real server.
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { refuseFirstCall, startFakeAgent } from '../testing/fake-agent.js';
import { type CliServer, spawnAssay, startCliServer } from '../testing/spawn.js';

const KEY = `sk-lw-${'RunCliTest'.repeat(4)}`;
let server: CliServer;
let dataDir: string;

beforeAll(async () => {
  server = await startCliServer(KEY, 'assay-run-cli-');
  dataDir = server.dataDir;
  const doc = {
    slug: 'cli', name: 'cli',
    dataset: { rows: [{ q: 'a', expected: 'A' }, { q: 'b', expected: 'B' }, { q: 'c', expected: 'nope' }] },
    targets: [{ id: 'upper', type: 'code', code: 'return String(row.q).toUpperCase() + (parameters.suffix ?? "")' }],
    evaluators: [
      { id: 'exact', type: 'exact_match', inputs: { output: 'output', expected_output: 'row.expected' } },
      { id: 'distance', type: 'string_distance', inputs: { output: 'output', expected_output: 'row.expected' } },
    ],
  };
  expect((await server.post('/api/experiments', doc)).status).toBe(201);
  // Every target call fails: the run could not do its work (status failed, all_targets_failed).
  const broken = { ...doc, slug: 'broken', name: 'broken', targets: [{ id: 'upper', type: 'code', code: 'throw new Error("no provider key")' }] };
  expect((await server.post('/api/experiments', broken)).status).toBe(201);
  // The same, with control characters in what the failed call said.
  const hostile = { ...doc, slug: 'hostile', name: 'hostile', targets: [{ id: 'upper', type: 'code', code: 'throw new Error("no key \\u001b]0;owned\\u0007 here")' }] };
  expect((await server.post('/api/experiments', hostile)).status).toBe(201);
  // 200 rows whose every call fails alike: the run stops after the first 20.
  const refused = { ...broken, slug: 'refused', name: 'refused', dataset: { rows: Array.from({ length: 200 }, (_, i) => ({ q: `q${i}`, expected: 'x' })) } };
  expect((await server.post('/api/experiments', refused)).status).toBe(201);
});
afterAll(() => server.stop());

const run = (args: string[], env: Record<string, string> = {}) => server.run(args, env);

describe('assay run', { timeout: 120_000 }, () => {
  it('exits 1 when a cell fails, prints the summary and the runUrl, and writes JUnit and JSON', async () => {
    const junit = path.join(dataDir, 'report.xml');
    const json = path.join(dataDir, 'run.json');
    const { code, out } = await run(['run', 'cli', '--junit', junit, '--json', json]);
    expect(out).toContain('3 cells');
    expect(out).toMatch(/progress 3\/3 \(100%\)/);
    expect(out).toContain('COMPLETED');
    expect(out).toContain('passed 2  failed 1');
    // A code target costs nothing: $0, and its calls are not "calls with no known price".
    expect(out).toMatch(/ cost \$0\n/);
    expect(out).toMatch(/\n {2}upper +2 +1 +0 +\d+ ms +\$0\n/);
    expect(out).not.toContain('leaves out');
    // A score-only evaluator gives no verdict: no pass rate in the table, its mean score instead.
    expect(out).toMatch(/String Distance\s+0\s+0\s+0\s+0\s+-\s+0\.\d{3}/);
    expect(out).toMatch(/Exact Match\s+2\s+1\s+0\s+0\s+66\.7%/);
    expect(out).toMatch(/\/default\/experiments\/cli\?runId=run_/);
    expect(code).toBe(1);
    expect(readFileSync(junit, 'utf8')).toContain('<failure');
    expect(JSON.parse(readFileSync(json, 'utf8'))).toMatchObject({ status: 'completed', summary: { totalCells: 3 } });
  });

  it('exits 0 when the run passes: --rows, --fail-under, --param and --data', async () => {
    expect((await run(['run', 'cli', '--rows', '0,1'])).code).toBe(0);
    expect((await run(['run', 'cli', '--fail-under', '60'])).code).toBe(0);
    expect((await run(['run', 'cli', '--fail-under', '70'])).code).toBe(1);
    const file = path.join(dataDir, 'rows.jsonl');
    writeFileSync(file, '{"q":"x","expected":"X!"}\n{"q":"y","expected":"Y!"}\n');
    const withData = await run(['run', 'cli', '--data', file, '--param', 'suffix=!']);
    expect(withData.out).toContain('passed 2  failed 0');
    expect(withData.code).toBe(0);
    const csv = path.join(dataDir, 'rows.csv');
    writeFileSync(csv, 'q,expected\nz,Z\n');
    expect((await run(['run', 'cli', '--data', csv])).code).toBe(0);
  });

  it('exits 2 when the run failed (every target call failed), with the reason and its reports written', async () => {
    const json = path.join(dataDir, 'broken.json');
    const { code, out } = await run(['run', 'broken', '--json', json]);
    expect(out).toContain('FAILED');
    expect(out).toContain('failed: ');
    // Why, from the summary: the three calls failed alike.
    expect(out).toMatch(/commonest errors\n\s+3 × target upper: [^\n]*no provider key/);
    expect(code).toBe(2);
    expect(JSON.parse(readFileSync(json, 'utf8'))).toMatchObject({ status: 'failed', error: 'all_targets_failed' });
    // What a failed call said reaches the terminal without its control characters.
    const hostile = await run(['run', 'hostile']);
    expect(hostile.code).toBe(2);
    expect(hostile.out).toMatch(/failed: Every target call failed; first error: [^\n]*no key ]0;owned here/);
    // eslint-disable-next-line no-control-regex -- the characters it must not find
    expect(hostile.out).not.toMatch(/[\u0007\u001b]/);
  });

  it('says a run stopped early because its first calls all failed, and how to go on', async () => {
    const { code, out } = await run(['run', 'refused']);
    expect(code).toBe(2);
    expect(out).toMatch(/failed: The first \d+ target calls all failed, so the run stopped early; first error: upper: [^\n]*no provider key[^\n]*\. Fix the cause, then resume the run with `assay resume run_\w+ --retry-errors`/);
    const cells = Number(/(\d+) target calls all failed/.exec(out)![1]);
    expect(cells).toBeGreaterThanOrEqual(20);
    expect(cells).toBeLessThan(200);
  });

  it('--max-errors sets the run\'s own limit, and refuses what is not a count', async () => {
    const limited = await run(['run', 'refused', '--max-errors', '3']);
    expect(limited.code).toBe(2);
    // Three failures stop it; the calls then in flight (concurrency 10) finish: well under 20.
    const cells = Number(/The first (\d+) target calls all failed/.exec(limited.out)![1]);
    expect(cells).toBeGreaterThanOrEqual(3);
    expect(cells).toBeLessThan(20);
    for (const bad of ['0', '-1', '2.5', 'ten', '']) {
      const refused = await run(['run', 'refused', '--max-errors', bad]);
      expect(refused.code, bad).toBe(2);
      expect(refused.out, bad).toContain('--max-errors takes a whole number of failed target calls');
    }
  });

  it('exits 0 at once with --no-wait', async () => {
    const { code, out } = await run(['run', 'cli', '--no-wait']);
    expect(code).toBe(0);
    expect(out).toMatch(/Run run_\w+ started: 3 cells/);
    expect(out).not.toContain('COMPLETED');
  });

  it('exits 2 when it cannot run', async () => {
    const unknown = await run(['run', 'nope']);
    expect(unknown.code).toBe(2);
    expect(unknown.out).toContain('Experiment not found: nope');
    expect((await run(['run', 'cli'], { ASSAY_API_KEY: 'sk-lw-wrong' })).code).toBe(2);
    expect((await run(['run', 'cli'], { ASSAY_ENDPOINT: 'http://127.0.0.1:9' })).code).toBe(2);
    expect((await run(['run', 'cli', '--rows', 'one'])).code).toBe(2);
    expect((await run(['run', 'cli', '--param', 'novalue'])).code).toBe(2);
    expect((await run(['run', 'cli', '--data', '/nonexistent.jsonl'])).code).toBe(2);
  });

  it('refuses empty values and flags --no-wait would ignore, before starting a run', async () => {
    for (const args of [['--rows', ''], ['--fail-under', ''], ['--max-drop', '', '--baseline', 'previous']]) {
      const res = await run(['run', 'cli', ...args]);
      expect(res.code).toBe(2);
      expect(res.out).toContain('(got "")');
      expect(res.out).not.toContain('started');
    }
    const noWait = await run(['run', 'cli', '--no-wait', '--junit', 'r.xml', '--fail-under', '50']);
    expect(noWait.code).toBe(2);
    expect(noWait.out).toContain('--fail-under, --junit act on the finished run: they cannot be used with --no-wait');
    expect(noWait.out).not.toContain('started');
  });

  it('--rows past the end of the dataset: a warning names them, and a run of no cell does not pass', async () => {
    const partly = await run(['run', 'cli', '--rows', '0,5']);
    expect(partly.out).toContain("warning: --rows 5 is past the dataset's end (it has 3 rows, 0-2) and was not run");
    expect(partly.code).toBe(0);
    // None in range: the server refuses the run (no run of 0 cells shown as passed).
    const none = await run(['run', 'cli', '--rows', '5,7']);
    expect(none.out).toContain('--rows selects none of the 3 rows (indices 0–2): 5, 7 are out of range');
    expect(none.out).not.toContain('started');
    expect(none.code).toBe(2);
    const file = path.join(dataDir, 'two.jsonl');
    writeFileSync(file, '\uFEFF{"q":"x","expected":"X"}\n{"q":"y","expected":"Y"}\n');
    const data = await run(['run', 'cli', '--data', file, '--rows', '1,2']);
    expect(data.code).toBe(2);
    expect(data.out).toContain('has 2 rows, so row 2 is not in it');
    expect(data.out).not.toContain('started');
  });

  it('says when calls are backing off, with the reason and the wait, instead of standing still', async () => {
    // Each row's first call is refused with a 429 asking for 2 s; the second answers.
    const agent = await startFakeAgent({ handler: refuseFirstCall({ status: 429, headers: { 'retry-after': '2' }, body: 'slow down \u001b[31mnow' }) });
    try {
      const doc = {
        slug: 'throttled', name: 'throttled', dataset: { rows: [{ q: 'a' }, { q: 'b' }] },
        targets: [{ id: 'agent', type: 'http', url: `${agent.url}/chat`, body: { message: '{{q}}' }, outputPath: '$.reply' }],
        execution: { maxRetries: 2 },
      };
      expect((await server.post('/api/experiments', doc)).status).toBe(201);
      const { code, out } = await run(['run', 'throttled']);
      expect(code).toBe(0);
      expect(out).toMatch(/\n {2}[12] calls? backing off \(HTTP 429[^\n]*\), next try in [12] s\n/);
      // What the agent answered is quoted without its escape sequence.
      expect(out).not.toContain('\u001b[31m');
      expect(out).toContain('passed 2  failed 0');
    } finally {
      await agent.close();
    }
  });

  it('says when calls wait for a slot, and on what, instead of standing still', async () => {
    // One call at a time to an origin (ASSAY_LIMIT_PER_KEY=1) that answers in 2 s: the other rows' calls wait.
    const agent = await startFakeAgent({ latencyMs: 2_000 });
    const limited = await startCliServer(KEY, 'assay-run-waits-', undefined, { ASSAY_LIMIT_PER_KEY: '1' });
    try {
      const doc = {
        slug: 'one-at-a-time', name: 'one-at-a-time', dataset: { rows: [{ q: 'a' }, { q: 'b' }, { q: 'c' }] },
        targets: [{ id: 'agent', type: 'http', url: `${agent.url}/chat`, body: { message: '{{q}}' }, outputPath: '$.reply' }],
        execution: { concurrency: 3 },
      };
      expect((await limited.post('/api/experiments', doc)).status).toBe(201);
      const { code, out } = await limited.run(['run', 'one-at-a-time']);
      expect(code).toBe(0);
      expect(out).toMatch(new RegExp(`\\n {2}[12] calls? waiting for ${agent.url.replace(/[.]/g, '\\.')} \\(1 at once\\)\\n`));
      expect(out).toContain('passed 3  failed 0');
    } finally {
      await limited.stop();
      await agent.close();
    }
  });

  it('a report folder that does not exist is refused before the run starts', async () => {
    const res = await run(['run', 'cli', '--junit', path.join(dataDir, 'missing', 'report.xml')]);
    expect(res.code).toBe(2);
    expect(res.out).toMatch(/Cannot write the JUnit report to \S+report\.xml: folder \S+missing does not exist/);
    expect(res.out).not.toContain('started');
  });
});

describe('assay demo', { timeout: 120_000 }, () => {
  it('serves this machine only and prints no log lines, unless HOST and ASSAY_LOG_LEVEL say otherwise', async () => {
    const demoDir = mkdtempSync(path.join(os.tmpdir(), 'assay-demo-'));
    try {
      const quiet = spawnAssay(['demo', '--exit'], { PORT: '0', ASSAY_DATA_DIR: demoDir });
      expect(await quiet.exited, quiet.output()).toBe(0);
      // No JSON log line: neither "took run" / "run ended" nor the warning about other machines reaching HOST=0.0.0.0.
      expect(quiet.output()).not.toMatch(/^\{"level"/m);
      expect(quiet.output()).toMatch(/Assay listening on http:\/\/(localhost|127\.0\.0\.1):\d+ /);
      const loud = spawnAssay(['demo', '--exit'], { PORT: '0', ASSAY_DATA_DIR: demoDir, HOST: '0.0.0.0', ASSAY_LOG_LEVEL: 'info' });
      expect(await loud.exited, loud.output()).toBe(0);
      expect(loud.output()).toMatch(/"msg":"ASSAY_HTTP_TARGETS_ALLOW_PRIVATE is unset/);
      expect(loud.output()).toMatch(/"msg":"run ended"/);
    } finally {
      rmSync(demoDir, { recursive: true, force: true });
    }
  });

  it('runs the bundled demo with progress and a summary, without keys or network', async () => {
    const demoDir = mkdtempSync(path.join(os.tmpdir(), 'assay-demo-'));
    try {
      const p = spawnAssay(['demo', '--exit'], { PORT: '0', ASSAY_DATA_DIR: demoDir, ASSAY_LOG_LEVEL: 'warn' });
      const code = await p.exited;
      const out = p.output();
      expect(code).toBe(0);
      expect(out).toContain('26 rows × 2 targets = 52 cells');
      expect(out).toMatch(/progress 52\/52/);
      expect(out).toContain('FAQ bot (HTTP)');
      // Names longer than the column are cut with "…".
      expect(out).toContain('Keyword baseline (cod… ');
      expect(out).toMatch(/http:\/\/localhost:\d+\/demo\/experiments\/faq-demo\?runId=run_/);
      // One key on a fresh data directory, the demo project's: the default project's first key stays in its file.
      expect(out).toContain(`Created project "default" (its API key is in ${path.join(demoDir, 'api-key')})`);
      expect(out.match(/sk-lw-\w+/g)).toHaveLength(1);
      // With --exit the server has stopped: said, not offered as if the URL and the key worked now.
      expect(out).toMatch(/The demo's server has stopped \(--exit\)\. The run page above opens again once a server on this data directory listens on port \d+ \(npm start\), signed in with the demo project's key: sk-lw-\w+\n/);
      expect(out).not.toContain('Demo project key (sign in to the run page with it; API at');
      // A second demo uses the key the first one made and kept: the demo project still has one key.
      const key = /demo project's key: (sk-lw-\w+)/.exec(out)![1]!;
      expect(out).toContain(`kept in ${path.join(demoDir, 'demo-api-key')}: the next demo uses it again`);
      const again = spawnAssay(['demo', '--exit'], { PORT: '0', ASSAY_DATA_DIR: demoDir, ASSAY_LOG_LEVEL: 'warn' });
      expect(await again.exited).toBe(0);
      expect(/demo project's key: (sk-lw-\w+)/.exec(again.output())![1]).toBe(key);
      const keys = spawnAssay(['keys', 'list', '--project', 'demo'], { ASSAY_DATA_DIR: demoDir });
      expect(await keys.exited).toBe(0);
      expect(keys.output().match(/^ {2}key_/gm)).toHaveLength(1);
    } finally {
      rmSync(demoDir, { recursive: true, force: true });
    }
  });

  it('says what to do when the server already on the port keeps another data directory, before making one of its own', async () => {
    // `npm start` in one folder, `npm run demo` in another: the demo's data directory (./.assay
    // there) has no database, so the running server (this file's, on its own data directory) cannot
    // be using it. Said before anything is made, as `assay serve` makes nothing on a port in use.
    const parent = mkdtempSync(path.join(os.tmpdir(), 'assay-demo-'));
    const demoDir = path.join(parent, '.assay');
    const port = new URL(server.base).port;
    try {
      const p = spawnAssay(['demo', '--exit'], { PORT: port, ASSAY_DATA_DIR: demoDir, ASSAY_LOG_LEVEL: 'warn' });
      expect(await p.exited).toBe(2);
      expect(p.output()).toContain(
        `error: an Assay server is already running on port ${port} with a different data directory or database: this demo's ASSAY_DATA_DIR ${demoDir} holds no database, ` +
          `so that server keeps its projects elsewhere. Stop that server (the demo then starts its own), run the demo with PORT set to a free port, ` +
          `or set ASSAY_DATA_DIR (or DATABASE_URL) to that server's\n`,
      );
      expect(existsSync(demoDir)).toBe(false);
      // A data directory of its own (an earlier demo's): the server refuses the key made there.
      const migrated = spawnAssay(['migrate'], { ASSAY_DATA_DIR: demoDir });
      expect(await migrated.exited).toBe(0);
      const q = spawnAssay(['demo', '--exit'], { PORT: port, ASSAY_DATA_DIR: demoDir, ASSAY_LOG_LEVEL: 'warn' });
      expect(await q.exited).toBe(2);
      const out = q.output();
      expect(out).toContain(`Using the Assay server already running on port ${port}`);
      expect(out).toContain(
        `error: an Assay server is already running on port ${port} with a different data directory or database: it refused the demo's key (401), ` +
          `which was made in this demo's ASSAY_DATA_DIR ${demoDir}. Stop that server (the demo then starts its own), run the demo with PORT set to a free port, ` +
          `or set ASSAY_DATA_DIR (or DATABASE_URL) to that server's\n`,
      );
      expect(out).not.toMatch(/\n\s+at /);
      // The server is unharmed and has no demo experiment.
      expect((await fetch(`${server.base}/api/experiments/faq-demo`, { headers: { authorization: `Bearer ${KEY}` } })).status).toBe(404);
    } finally {
      rmSync(parent, { recursive: true, force: true });
    }
  });

});
