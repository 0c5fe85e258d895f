// What a new user of `assay run` met, as real processes against a real server: no hint after a
// 401 without a key; `--rows 0-19` refused; no --repeats, --concurrency or --metadata; a
// --markdown report with only the totals; two unnamed evaluators of one type printed alike.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type CliServer, spawnAssay, startCliServer } from '../testing/spawn.js';

const KEY = `sk-lw-${'FlagCliTst'.repeat(4)}`;
let server: CliServer;

beforeAll(async () => {
  server = await startCliServer(KEY, 'assay-run-flags-cli-');
  const doc = {
    slug: 'capitals', name: 'capitals',
    dataset: { rows: Array.from({ length: 30 }, (_, i) => ({ q: `q${i}`, expected: `Q${i}`, other: 'nope' })) },
    targets: [{ id: 'upper', name: 'Upper-casing baseline written in code', type: 'code', code: 'return String(row.q).toUpperCase()' }],
    // Two evaluators of one type without a name: both "Exact Match" on the server.
    evaluators: [
      { id: 'exact', type: 'exact_match', inputs: { output: 'output', expected_output: 'row.expected' } },
      { id: 'exact_again', type: 'exact_match', inputs: { output: 'output', expected_output: 'row.other' } },
    ],
  };
  expect((await server.post('/api/experiments', doc)).status).toBe(201);
});
afterAll(() => server.stop());

const run = (args: string[]) => server.run(args, { GITHUB_STEP_SUMMARY: '' });
const runIdOf = (out: string) => /Run (run_\w+) started/.exec(out)![1]!;
const getRun = async (runId: string) => (await fetch(`${server.base}/api/experiments/runs/${runId}`, { headers: { authorization: `Bearer ${KEY}` } })).json() as Promise<{ metadata: unknown }>;

describe('assay run for a new user', { timeout: 120_000 }, () => {
  it('says how to give the API key after a 401', async () => {
    const none = spawnAssay(['run', 'capitals'], { ASSAY_ENDPOINT: server.base });
    expect(await none.exited).toBe(2);
    expect(none.output()).toContain('401 Send a project API key');
    expect(none.output()).toContain('hint: give a project API key with --api-key KEY or ASSAY_API_KEY=KEY');
    const wrong = await server.run(['run', 'capitals'], { ASSAY_API_KEY: `sk-lw-${'WrongKeyXx'.repeat(4)}` });
    expect(wrong.code).toBe(2);
    expect(wrong.out).toContain('hint: the key given (--api-key, else ASSAY_API_KEY, else LANGWATCH_API_KEY) is not a project key of this server');
  });

  it('takes --rows ranges, and refuses a backwards one before starting a run', async () => {
    const ranged = await run(['run', 'capitals', '--rows', '0-4,7,10-12']);
    expect(ranged.out).toContain('started: 9 cells');
    expect(ranged.code).toBe(1);
    const first20 = await run(['run', 'capitals', '--rows', '0-19']);
    expect(first20.out).toContain('started: 20 cells');
    const past = await run(['run', 'capitals', '--rows', '25-34']);
    expect(past.out).toContain("warning: --rows 30-34 are past the dataset's end (it has 30 rows, 0-29) and were not run");
    const backwards = await run(['run', 'capitals', '--rows', '19-0']);
    expect(backwards.code).toBe(2);
    expect(backwards.out).toContain('--rows: the range 19-0 runs backwards; write 0-19');
    expect(backwards.out).not.toContain('started');
  });

  it('--repeats, --concurrency and --metadata reach the run; bad values are refused with exit 2', async () => {
    const res = await run(['run', 'capitals', '--rows', '0-2', '--repeats', '2', '--concurrency', '1', '--metadata', 'commit=0123456', '--metadata', 'branch=main']);
    expect(res.out).toContain('started: 6 cells');
    expect((await getRun(runIdOf(res.out))).metadata).toEqual({ commit: '0123456', branch: 'main' });
    for (const [args, message] of [
      [['--repeats', '0'], '--repeats takes a whole number of runs of each cell, from 1 to 100 (got "0")'],
      [['--concurrency', 'many'], '--concurrency takes a whole number of cells run at once, from 1 to 1000 (got "many")'],
      [['--metadata', 'commit'], '--metadata needs key=value'],
    ] as const) {
      const bad = await run(['run', 'capitals', ...args]);
      expect(bad.code, args.join(' ')).toBe(2);
      expect(bad.out).toContain(message);
      expect(bad.out).not.toContain('started');
    }
    const help = await run(['run', '--help']);
    for (const flag of ['--repeats <n>', '--concurrency <n>', '--metadata <k=v>', '0-4,7,10-12']) expect(help.out).toContain(flag);
  });

  it('tells two unnamed evaluators of one type apart, and writes the target and evaluator tables to --markdown', async () => {
    const md = path.join(server.dataDir, 'report.md');
    const res = await run(['run', 'capitals', '--rows', '0-3', '--markdown', md]);
    expect(res.out).toMatch(/\n {2}Exact Match \(exact\) +4 +0/);
    // The name is cut, the id that tells the two apart stays whole.
    expect(res.out).toMatch(/\n {2}Exact M… \(exact_again\) +0 +4/);
    expect(res.out).toMatch(/\n {2}Upper-casing baseline… +0 +4 +0 +\d+ ms +\$0\n/);
    const report = readFileSync(md, 'utf8');
    expect(report).toMatch(/\| target \| passed \| failed \| errors \| avg latency \| cost \|\n\|---\|---:\|---:\|---:\|---:\|---:\|\n\| Upper-casing baseline written in code \| 0 \| 4 \| 0 \| \d+ ms \| \$0 \|/);
    expect(report).toContain('| Exact Match (exact) | 4 | 0 | 0 | 0 | 100.0% | - | - |');
    expect(report).toContain('| Exact Match (exact_again) | 0 | 4 | 0 | 0 | 0.0% | - | - |');
  });

  it('refuses --version after a subcommand instead of printing the version and passing without a run', async () => {
    const runsOf = async () => ((await (await fetch(`${server.base}/api/experiments/runs?experimentSlug=capitals`, { headers: { authorization: `Bearer ${KEY}` } })).json()) as { total: number }).total;
    const before = await runsOf();
    const stray = await run(['run', 'capitals', '--version', '2']);
    expect(stray.code).toBe(2);
    expect(stray.out).toContain("unknown option '--version'");
    expect(await runsOf()).toBe(before);
    const top = await run(['--version']);
    expect(top.code).toBe(0);
    expect(top.out.trim()).toMatch(/^\d+\.\d+\.\d+$/);
  });
});
