// `assay experiments list` and `assay runs list SLUG`, as real processes against a real server:
// the run ids `assay watch`, `compare` and `export` take, newest first, with status, cells and
// pass rate ("— (no evaluators)" for a run that judged nothing), `--limit` and `--json`.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type CliServer, startCliServer } from '../testing/spawn.js';

const KEY = `sk-lw-${'ListCmdTst'.repeat(4)}`;
let server: CliServer;

const env = { GITHUB_STEP_SUMMARY: '' };

beforeAll(async () => {
  server = await startCliServer(KEY, 'assay-list-commands-');
  const rows = Array.from({ length: 4 }, (_, i) => ({ q: `q${i}`, expected: i < 3 ? `q${i}` : 'other' }));
  const exact = [{ id: 'exact', name: 'Exact', type: 'exact_match', inputs: { output: 'output', expected_output: 'row.expected' } }];
  const echo = [{ id: 'echo', type: 'code', code: 'return row.q' }];
  expect((await server.post('/api/experiments', { slug: 'graded', name: 'Graded answers', dataset: { rows }, targets: echo, evaluators: exact })).status).toBe(201);
  expect((await server.post('/api/experiments', { slug: 'outputs', name: 'Outputs only', dataset: { rows }, targets: echo })).status).toBe(201);
  expect((await server.post('/api/experiments', { slug: 'unrun', name: 'Never run', dataset: { rows }, targets: echo })).status).toBe(201);
});
afterAll(async () => {
  await server.stop();
});

/** Starts a run over the API and waits for its end: the runs to list. */
async function finishedRun(slug: string): Promise<string> {
  const { runId } = (await (await server.post(`/api/experiments/${slug}/run`, {})).json()) as { runId: string };
  await expect
    .poll(async () => ((await (await fetch(`${server.base}/api/experiments/runs/${runId}`, { headers: { authorization: `Bearer ${KEY}` } })).json()) as { status: string }).status, { timeout: 60_000 })
    .toBe('completed');
  return runId;
}

describe('assay experiments list / runs list', { timeout: 300_000 }, () => {
  it('says how long a run ran beside its duration when it stood ended for a while before a resume', async () => {
    const failing = [{ id: 'echo', type: 'code', code: 'if (row.q === "q3") throw new Error("down"); return row.q' }];
    expect((await server.post('/api/experiments', { slug: 'resumed', name: 'Resumed', dataset: { rows: [{ q: 'q0' }, { q: 'q3' }] }, targets: failing })).status).toBe(201);
    const runId = await finishedRun('resumed');
    // 1.5 s ended, then its errored cell runs again.
    await new Promise((r) => setTimeout(r, 1500));
    expect((await server.post(`/api/experiments/runs/${runId}/resume`, { retryErrors: true })).status).toBe(200);
    await expect
      .poll(async () => ((await (await fetch(`${server.base}/api/experiments/runs/${runId}`, { headers: { authorization: `Bearer ${KEY}` } })).json()) as { status: string }).status, { timeout: 60_000 })
      .toBe('completed');
    const listed = await server.run(['runs', 'list', 'resumed'], env);
    expect(listed.out).toMatch(new RegExp(`^${runId}\\s+resumed\\s+completed\\s+2/2\\s.*\\s(\\d+\\.\\d) s \\((\\d+\\.\\d) s running\\)$`, 'm'));
    const [run] = JSON.parse((await server.run(['runs', 'list', 'resumed', '--json'], env)).out) as { durationMs: number; runningMs: number }[];
    expect(run!.durationMs - run!.runningMs).toBeGreaterThanOrEqual(1500);
  });


  it('lists the runs of an experiment newest first, with --limit and --json, and the experiments with their latest run', async () => {
    const ids: string[] = [];
    for (let i = 0; i < 3; i++) ids.push(await finishedRun('graded'));
    const outputsId = await finishedRun('outputs');

    const limited = await server.run(['runs', 'list', 'graded', '--limit', '2'], env);
    expect(limited.code).toBe(0);
    const lines = limited.out.trim().split('\n');
    expect(lines[0]).toMatch(/^RUN ID\s+EXPERIMENT\s+STATUS\s+CELLS\s+PASS RATE\s+STARTED\s+DURATION$/);
    // Newest first, every id whole (it is what `assay watch` takes).
    expect(lines.slice(1, 3).map((l) => l.split(/\s+/)[0])).toEqual([ids[2], ids[1]]);
    for (const line of lines.slice(1, 3)) {
      expect(line).toMatch(/^run_\w+\s+graded\s+completed\s+4\/4\s+75\.0%\s+\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ\s+\d+\.\d s$/);
    }
    expect(lines[3]).toBe('(the newest 2 of 3 runs; --limit N shows more)');
    expect(lines).toHaveLength(4);

    const json = await server.run(['runs', 'list', 'graded', '--json'], env);
    expect(json.code).toBe(0);
    const parsed = JSON.parse(json.out) as { runId: string }[];
    expect(parsed.map((r) => r.runId)).toEqual([...ids].reverse());
    expect(parsed[0]).toEqual(expect.objectContaining({ experiment: 'graded', status: 'completed', progress: 4, total: 4, passRate: 75, finishedAt: expect.any(String) as unknown, durationMs: expect.any(Number) as unknown }));
    // Never resumed: it ran for all of its duration.
    expect((parsed[0] as unknown as { runningMs: number }).runningMs).toBe((parsed[0] as unknown as { durationMs: number }).durationMs);

    // A run with no evaluator judged nothing: no pass rate, as `assay run` says it.
    const outputs = await server.run(['runs', 'list', 'outputs'], env);
    expect(outputs.out).toMatch(new RegExp(`${outputsId}\\s+outputs\\s+completed\\s+4/4\\s+— \\(no evaluators\\)`));
    expect((await server.run(['runs', 'list', 'unrun'], env)).out).toContain('No runs of unrun yet: `assay run unrun` starts one');

    const experiments = await server.run(['experiments', 'list'], env);
    expect(experiments.code).toBe(0);
    expect(experiments.out).toMatch(/^SLUG\s+NAME\s+RUNS\s+LATEST RUN\s+STATUS\s+PASS RATE\s+WHEN$/m);
    expect(experiments.out).toMatch(new RegExp(`^graded\\s+Graded answers\\s+3\\s+${ids[2]}\\s+completed\\s+75\\.0%\\s+\\d{4}-\\d\\d-\\d\\dT[\\d:]+Z$`, 'm'));
    expect(experiments.out).toMatch(new RegExp(`^outputs\\s+Outputs only\\s+1\\s+${outputsId}\\s+completed\\s+— \\(no evaluators\\)`, 'm'));
    expect(experiments.out).toMatch(/^unrun\s+Never run\s+0\s+-\s+no runs$/m);
    // The web page's order: most recently run first, never run last (the API lists by last change: unrun, made last, came first).
    const slugs = experiments.out.trim().split('\n').slice(1).map((l) => l.split(/\s+/)[0]);
    expect(slugs).toEqual(['outputs', 'graded', 'resumed', 'unrun']);
    const experimentsJson = JSON.parse((await server.run(['experiments', 'list', '--json'], env)).out) as { slug: string; latestRun: { runId: string; passRate: number | null } | null }[];
    expect(experimentsJson.find((e) => e.slug === 'graded')?.latestRun).toEqual(expect.objectContaining({ runId: ids[2], passRate: 75 }));
    expect(experimentsJson.find((e) => e.slug === 'outputs')?.latestRun).toEqual(expect.objectContaining({ runId: outputsId, passRate: null }));
    expect(experimentsJson.find((e) => e.slug === 'unrun')?.latestRun).toBeNull();
    expect(experimentsJson.map((e) => e.slug)).toEqual(slugs);
  });

  it('says what it needs: a slug (the server lists runs per experiment), a known experiment, a whole --limit', async () => {
    const noSlug = await server.run(['runs', 'list'], env);
    expect(noSlug.code).toBe(2);
    expect(noSlug.out).toContain("missing required argument 'slug'");
    expect(noSlug.out).toContain('`assay experiments list` shows the slugs');
    const unknown = await server.run(['runs', 'list', 'nope'], env);
    expect(unknown.code).toBe(2);
    expect(unknown.out).toMatch(/error: 404 .*nope/);
    for (const bad of ['0', '2.5']) {
      const limited = await server.run(['runs', 'list', 'graded', '--limit', bad], env);
      expect(limited.code).toBe(2);
      expect(limited.out).toContain(`--limit takes a number of runs from 1 to 10000 (got "${bad}")`);
    }
    const noKey = await server.run(['experiments', 'list'], { ...env, ASSAY_API_KEY: '' });
    expect(noKey.code).toBe(2);
    expect(noKey.out).toContain('hint: give a project API key');
  });
});
