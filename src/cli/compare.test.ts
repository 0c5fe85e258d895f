// The regression gate in CI (issue "compare runs"): `assay run --baseline … --fail-on-regression
// / --max-drop / --markdown` and `assay compare`, as real processes against a real server.
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type CliServer, startCliServer } from '../testing/spawn.js';

const KEY = `sk-lw-${'GateCliTst'.repeat(4)}`;
let server: CliServer;
let dataDir: string;

beforeAll(async () => {
  server = await startCliServer(KEY, 'assay-gate-cli-');
  dataDir = server.dataDir;
  // Under variant=bad the first 30 of 60 rows fail; some rows (i ≥ 55) fail always, so
  // "no failed cell" never holds and only the gate can tell good from bad.
  const res = await server.post('/api/experiments', {
    slug: 'gate', name: 'gate',
    dataset: { rows: Array.from({ length: 60 }, (_, i) => ({ i, expected: i >= 55 ? 'never' : 'yes' })) },
    targets: [{ id: 'model', type: 'code', code: "return parameters.variant === 'bad' && row.i < 30 ? 'no' : 'yes'" }],
    evaluators: [{ id: 'exact', name: 'Exact', type: 'exact_match', inputs: { output: 'output', expected_output: 'row.expected' } }],
  });
  expect(res.status).toBe(201);
});
afterAll(() => server.stop());

const run = (args: string[], env: Record<string, string> = {}) => server.run(args, { GITHUB_STEP_SUMMARY: '', ...env });
const runIdOf = (out: string) => /Run (run_\w+) started/.exec(out)![1]!;

describe('the regression gate', { timeout: 180_000 }, () => {
  let good: string;
  let bad: string;

  it('a first run has no previous run: it says so and the gate passes', async () => {
    const first = await run(['run', 'gate', '--param', 'variant=good', '--baseline', 'previous', '--fail-on-regression']);
    expect(first.out).toContain('No previous finished run to compare with');
    expect(first.code).toBe(0);
    good = runIdOf(first.out);
    // `assay compare` of that first run has nothing to compare with: it names the argument, not the API's ?baseline=.
    const alone = await run(['compare', good]);
    expect(alone.out).toContain(`to compare with; name the baseline: \`assay compare ${good} BASELINE_RUN_ID\``);
    expect(alone.out).not.toContain('?baseline=');
    expect(alone.code).toBe(2);
  });

  it('an unchanged candidate exits 0, writes the Markdown table and appends it to $GITHUB_STEP_SUMMARY', async () => {
    const md = path.join(dataDir, 'report.md');
    const step = path.join(dataDir, 'step-summary.md');
    writeFileSync(step, '# earlier step\n');
    const same = await run(['run', 'gate', '--param', 'variant=good', '--baseline', 'previous', '--fail-on-regression', '--markdown', md], { GITHUB_STEP_SUMMARY: step });
    expect(same.out).toContain(`Compared with ${good}: NO SIGNIFICANT CHANGE`);
    expect(same.code).toBe(0);
    const table = readFileSync(md, 'utf8');
    expect(table).toContain('| evaluator | target | baseline | candidate | delta | p (Holm) | |');
    expect(table).toMatch(/\| Exact \| model \| 91\.7% \| 91\.7% \| 0\.0 pts \|/);
    const summary = readFileSync(step, 'utf8');
    expect(summary.startsWith('# earlier step\n')).toBe(true);
    expect(summary).toContain(table);
  });

  it('a regressed candidate exits 1 with --fail-on-regression and lists the regressed rows', async () => {
    const worse = await run(['run', 'gate', '--param', 'variant=bad', '--baseline', 'previous', '--fail-on-regression']);
    expect(worse.out).toContain('REGRESSED');
    expect(worse.out).toMatch(/regressed rows: 0 \(model\/exact\), 1 \(model\/exact\)/);
    expect(worse.code).toBe(1);
    bad = runIdOf(worse.out);
  });

  it('--max-drop gates on the pass-rate drop in points', async () => {
    // 55 → 25 passing rows of 60: a drop of 50 points.
    expect((await run(['run', 'gate', '--param', 'variant=bad', '--baseline', good, '--max-drop', '10'])).code).toBe(1);
    const within = await run(['run', 'gate', '--param', 'variant=bad', '--baseline', good, '--max-drop', '60']);
    expect(within.out).toContain('pass rate over the 60 matched rows fell 50.0 points against the baseline (91.7% -> 41.7%; max drop 60)');
    expect(within.code).toBe(0);
  });

  it('assay compare prints the comparison of finished runs; --fail-on-regression makes it a gate', async () => {
    const shown = await run(['compare', bad, good]);
    expect(shown.out).toContain(`Compared with ${good}: REGRESSED`);
    expect(shown.out).toMatch(/Exact × model\s+91\.7%\s+41\.7%\s+-50\.0 pts/);
    expect(shown.code).toBe(0);
    expect((await run(['compare', bad, good, '--fail-on-regression'])).code).toBe(1);
    expect((await run(['compare', good, bad, '--fail-on-regression'])).code).toBe(0);
  });

  it('runs that share no row are not compared: the gate says it could not judge, exit 2', async () => {
    const first = runIdOf((await run(['run', 'gate', '--rows', '0-9', '--no-wait'])).out);
    await run(['watch', first]);
    const second = await run(['run', 'gate', '--rows', '20-29', '--baseline', first, '--fail-on-regression']);
    expect(second.out).toContain(`Compared with ${first}: NOTHING TO COMPARE: no row of the run matches one of the baseline (their rows differ: another experiment, dataset or row selection)`);
    expect(second.out).toContain('the regression gate could not judge: no row of the run matches one of the baseline (exit 2)');
    expect(second.code).toBe(2);
    const compared = await run(['compare', runIdOf(second.out), first, '--fail-on-regression']);
    expect(compared.out).toContain('--fail-on-regression: no row matched, so nothing was judged (exit 2)');
    expect(compared.code).toBe(2);
    // Without a gate it is information only.
    expect((await run(['compare', runIdOf(second.out), first])).code).toBe(0);
  });

  it('runs of two different experiments are not compared: both gates of assay run and the gate of assay compare exit 2', async () => {
    // A new user's trial compared runs of two experiments and saw "NOTHING TO COMPARE" exit 0: it passed no gate.
    const res = await server.post('/api/experiments', {
      slug: 'gate-other', name: 'gate other',
      dataset: { rows: Array.from({ length: 5 }, (_, i) => ({ question: `q${i}`, expected: 'yes' })) },
      targets: [{ id: 'model', type: 'code', code: "return 'yes'" }],
      evaluators: [{ id: 'exact', name: 'Exact', type: 'exact_match', inputs: { output: 'output', expected_output: 'row.expected' } }],
    });
    expect(res.status).toBe(201);
    const other = await run(['run', 'gate-other', '--baseline', good, '--fail-on-regression']);
    expect(other.out).toContain(`Compared with ${good}: NOTHING TO COMPARE`);
    expect(other.out).toContain('the regression gate could not judge');
    expect(other.code).toBe(2);
    const dropped = await run(['run', 'gate-other', '--baseline', good, '--max-drop', '5']);
    expect(dropped.out).toContain('the regression gate could not judge');
    expect(dropped.code).toBe(2);
    const otherRun = runIdOf(other.out);
    const compared = await run(['compare', otherRun, good, '--fail-on-regression']);
    expect(compared.out).toContain('NOTHING TO COMPARE');
    expect(compared.out).toContain('--fail-on-regression: no row matched, so nothing was judged (exit 2)');
    expect(compared.code).toBe(2);
    // Without a gate it is information only, as the trial saw.
    expect((await run(['compare', otherRun, good])).code).toBe(0);
  });

  it('refuses what cannot work with exit 2 and a message', async () => {
    const noBaseline = await run(['run', 'gate', '--fail-on-regression']);
    expect(noBaseline.code).toBe(2);
    expect(noBaseline.out).toContain('need --baseline');
    const missing = await run(['run', 'gate', '--baseline', 'run_missing']);
    expect(missing.code).toBe(2);
    expect(missing.out).toContain('Baseline run not found: run_missing');
    expect((await run(['compare', 'run_missing'])).code).toBe(2);
    expect((await run(['compare', bad, '--alpha', '3'])).code).toBe(2);
    expect((await run(['run', 'gate', '--baseline', 'previous', '--no-wait'])).code).toBe(2);
  });
});
