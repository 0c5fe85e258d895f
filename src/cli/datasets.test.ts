// `assay datasets …` and `assay run --dataset`, as real processes against a real server:
// upload each file kind, append, list, show a page and an older version, delete, and the
// mistakes a user makes (a taken slug, a file of another kind, --data with --dataset, an append
// of other columns); a delete refused while an experiment runs the dataset, then done after
// `assay experiments archive`.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawnAssay, type Spawned } from '../testing/spawn.js';

let dir: string;
let server: Spawned;
let env: Record<string, string>;

beforeAll(async () => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'assay-cli-datasets-'));
  server = spawnAssay(['serve'], { PORT: '0', ASSAY_DATA_DIR: path.join(dir, 'data'), ASSAY_LOG_LEVEL: 'warn' });
  const [, key] = (await server.waitFor(/^\s+(sk-lw-[A-Za-z0-9]{40})$/m)) as unknown as [string, string];
  const [, port] = (await server.waitFor(/listening on http:\/\/localhost:(\d+)/)) as unknown as [string, string];
  env = { ASSAY_ENDPOINT: `http://127.0.0.1:${port}`, ASSAY_API_KEY: key };
});
afterAll(async () => {
  server.child.kill('SIGTERM');
  await server.exited;
  rmSync(dir, { recursive: true, force: true });
});

async function assay(...args: string[]) {
  const p = spawnAssay(args, env);
  const code = await p.exited;
  return { code, out: p.output() };
}

function file(name: string, text: string): string {
  const at = path.join(dir, name);
  writeFileSync(at, text);
  return at;
}

async function api(method: string, route: string) {
  const res = await fetch(`${env.ASSAY_ENDPOINT}${route}`, { method, headers: { 'x-auth-token': env.ASSAY_API_KEY! } });
  return (await res.json()) as Record<string, unknown>;
}

describe('assay datasets', { timeout: 120_000 }, () => {
  it('uploads a CSV, appends JSON Lines, lists, shows the latest and an older version, and deletes', async () => {
    expect((await assay('datasets', 'list')).out).toContain('No datasets yet: upload one with `assay datasets upload FILE.csv`');
    const csv = file('capitals.csv', 'question,expected\nCapital of France?,Paris\nCapital of Peru?,Lima\n');
    const created = await assay('datasets', 'upload', csv);
    expect(created.code).toBe(0);
    expect(created.out).toContain('Created dataset capitals (version 1, 2 rows; columns: question, expected)');
    const appended = await assay('datasets', 'append', 'capitals', file('more.jsonl', '{"question":"Capital of Chad?","expected":"N\'Djamena","region":"Africa"}\n'), '--new-columns');
    expect(appended.code).toBe(0);
    expect(appended.out).toContain('Appended to dataset capitals (version 2, 3 rows; columns: question, expected, region)');
    // What the server holds, read apart from the CLI.
    expect(await api('GET', '/api/datasets/capitals')).toMatchObject({ version: 2, rowCount: 3, rows: [{ question: 'Capital of France?' }, { question: 'Capital of Peru?' }, { question: 'Capital of Chad?', region: 'Africa' }] });

    const listed = await assay('datasets', 'list');
    expect(listed.out).toMatch(/^capitals\s+capitals\s+3\s+2\s+question, expected, region$/m);
    const shown = await assay('datasets', 'show', 'capitals', '--offset', '1', '--limit', '1');
    expect(shown.out).toContain('Dataset capitals (version 2, 3 rows; columns: question, expected, region)');
    expect(shown.out).toMatch(/^\s+1\s+Capital of Peru\?\s+Lima$/m);
    expect(shown.out).toContain('rows 1–1 of 3; next page: --offset 2');
    const old = await assay('datasets', 'show', 'capitals', '--dataset-version', '1', '--jsonl');
    expect(old.out.trim().split('\n').map((l) => JSON.parse(l) as unknown)).toEqual([
      { question: 'Capital of France?', expected: 'Paris' },
      { question: 'Capital of Peru?', expected: 'Lima' },
    ]);

    expect((await assay('datasets', 'delete', 'capitals')).out).toContain('Deleted dataset capitals');
    const gone = await assay('datasets', 'show', 'capitals');
    expect(gone.code).toBe(2);
    expect(gone.out).toContain('404 Dataset not found: capitals');
  });

  it('uploads a JSON array under --name and --slug, and runs an experiment on it with assay run --dataset', async () => {
    const json = file('rows.json', JSON.stringify([{ q: 'a', expected: 'a' }, { q: 'b', expected: 'x' }]));
    const created = await assay('datasets', 'upload', json, '--name', 'Two rows', '--slug', 'two');
    expect(created.out).toContain('Created dataset two (version 1, 2 rows; columns: q, expected)');
    expect(await api('GET', '/api/datasets/two')).toMatchObject({ name: 'Two rows', rowCount: 2 });
    const doc = file('echo.yaml', 'slug: echo\nname: Echo\ndataset:\n  rows:\n    - { q: z, expected: z }\ntargets:\n  - { id: echo, type: code, code: "return row.q" }\nevaluators:\n  - { id: ex, type: langevals/exact_match }\n');
    expect((await assay('push', doc)).code).toBe(0);
    const run = await assay('run', 'echo', '--dataset', 'two', '--fail-under', '100');
    // Row b fails exact match: the gate sees the dataset's rows, not the experiment's one row.
    expect(run.out).toContain('cells 2  passed 1  failed 1');
    expect(run.code).toBe(1);
  });

  it('refuses an append whose columns are not the dataset\'s, naming them, and stores nothing; --new-columns adds a column on purpose', async () => {
    expect((await assay('datasets', 'upload', file('questions.csv', 'question,expected,product\nq1,a1,p\nq2,a2,p\n'), '--slug', 'questions')).code).toBe(0);
    // The finding: a file of other columns was appended as version 2, its rows with an empty question.
    const other = await assay('datasets', 'append', 'questions', file('other.csv', 'foo,bar\n1,2\n3,4\n'));
    expect(other.code).toBe(2);
    expect(other.out).toContain('400 The appended rows\' columns do not match dataset "questions" ("question", "expected", "product"): they lack columns "question", "expected", "product" and bring columns "foo", "bar", which it does not have; nothing was appended.');
    expect(other.out).toContain('to add columns, append with ?newColumns=allow (assay datasets append --new-columns)');
    const typo = await assay('datasets', 'append', 'questions', file('typo.jsonl', '{"questoin":"q3","expected":"a3","product":"p"}\n'));
    expect(typo.code).toBe(2);
    expect(typo.out).toContain('400 Appended row 1 (counting from 1) brings column "questoin" (did you mean "question"?), which dataset "questions"');
    expect(await api('GET', '/api/datasets/questions')).toMatchObject({ version: 1, rowCount: 2, columns: ['question', 'expected', 'product'] });

    const added = await assay('datasets', 'append', 'questions', file('region.csv', 'question,expected,product,region\nq3,a3,p,EU\n'), '--new-columns');
    expect(added.code).toBe(0);
    expect(added.out).toContain('Appended to dataset questions (version 2, 3 rows; columns: question, expected, product, region)');
    // --new-columns lets rows bring columns, not lack them.
    const lacks = await assay('datasets', 'append', 'questions', file('lacks.csv', 'question,expected,notes\nq4,a4,n\n'), '--new-columns');
    expect(lacks.code).toBe(2);
    expect(lacks.out).toContain('they lack columns "product", "region"; nothing was appended.');
    expect(await api('GET', '/api/datasets/questions')).toMatchObject({ version: 2, rowCount: 3 });
  });

  it('says what to do about a taken slug, a file of another kind, and --data with --dataset', async () => {
    const csv = file('dup.csv', 'a\n1\n');
    expect((await assay('datasets', 'upload', csv, '--slug', 'dup')).code).toBe(0);
    const taken = await assay('datasets', 'upload', csv, '--slug', 'dup');
    expect(taken.code).toBe(2);
    expect(taken.out).toContain('409 The slug "dup" is already taken in this project');
    expect(taken.out).toContain(`hint: add rows to it with \`assay datasets append dup ${csv}\``);
    const yaml = await assay('datasets', 'upload', file('rows.yaml', 'a: 1\n'));
    expect(yaml.code).toBe(2);
    expect(yaml.out).toContain('a dataset file is .csv (a header line, then a row a line), .jsonl (one JSON object a line) or .json');
    const both = await assay('run', 'echo', '--dataset', 'dup', '--data', csv);
    expect(both.code).toBe(2);
    expect(both.out).toContain('--data and --dataset both name the rows to run: give one');
    const limit = await assay('datasets', 'show', 'dup', '--limit', '0');
    expect(limit.out).toContain('--limit must be a whole number from 1 to 1000, not "0"');
  });

  it('refuses to delete a dataset an experiment runs, saying how to archive it; `assay experiments archive` does, and the delete goes through', async () => {
    expect((await assay('datasets', 'upload', file('kept.csv', 'q,expected\na,a\n'), '--slug', 'kept')).code).toBe(0);
    const doc = file('on-kept.yaml', 'slug: on-kept\nname: On kept\ndataset: { datasetId: kept }\ntargets:\n  - { id: echo, type: code, code: "return row.q" }\nevaluators:\n  - { id: ex, type: langevals/exact_match }\n');
    expect((await assay('push', doc)).code).toBe(0);
    const ran = await assay('run', 'on-kept');
    expect(ran.code).toBe(0);
    const runId = /(run_[0-9A-Za-z]+)/.exec(ran.out)![1]!;

    const refused = await assay('datasets', 'delete', 'kept');
    expect(refused.code).toBe(2);
    expect(refused.out).toContain('409 Dataset "kept" is used by experiment "on-kept": point it at another dataset, or archive it (`assay experiments archive on-kept` or DELETE /api/experiments/on-kept; its runs stay readable), then delete it');

    const archived = await assay('experiments', 'archive', 'on-kept');
    expect(archived.code).toBe(0);
    expect(archived.out).toContain('Archived experiment on-kept: its runs stay readable by run id');
    // What the server holds, read apart from the CLI: the experiment is gone, its run is not.
    expect(await api('GET', '/api/experiments/on-kept')).toMatchObject({ error: 'experiment_not_found' });
    expect(await api('GET', `/api/experiments/runs/${runId}`)).toMatchObject({ runId, status: 'completed' });
    expect((await assay('datasets', 'delete', 'kept')).out).toContain('Deleted dataset kept');

    const again = await assay('experiments', 'archive', 'on-kept');
    expect(again.code).toBe(2);
    expect(again.out).toContain('404 Experiment not found: on-kept');
  });
});
