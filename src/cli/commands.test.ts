// The local admin commands and `assay push`, run as real processes.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawnAssay, type Spawned } from '../testing/spawn.js';

let dataDir: string;
let server: Spawned;
let port: string;
let key: string;

beforeAll(async () => {
  dataDir = mkdtempSync(path.join(os.tmpdir(), 'assay-cli-'));
  server = spawnAssay(['serve'], { PORT: '0', ASSAY_DATA_DIR: dataDir, ASSAY_LOG_LEVEL: 'warn' });
  [, key] = (await server.waitFor(/^\s+(sk-lw-[A-Za-z0-9]{40})$/m)) as unknown as [string, string];
  [, port] = (await server.waitFor(/listening on http:\/\/localhost:(\d+)/)) as unknown as [string, string];
});
afterAll(async () => {
  server.child.kill('SIGTERM');
  await server.exited;
  rmSync(dataDir, { recursive: true, force: true });
});

async function run(args: string[], env: Record<string, string> = {}) {
  const p = spawnAssay(args, { ASSAY_DATA_DIR: dataDir, ...env });
  const code = await p.exited;
  return { code, out: p.output() };
}

describe('assay projects / keys', { timeout: 120_000 }, () => {
  it('creates a project and a key that both authenticate against the running server', async () => {
    const created = await run(['projects', 'create', 'Team Rocket']);
    expect(created.code).toBe(0);
    expect(created.out).toContain('Project team-rocket');
    const projectKey = /(sk-lw-[A-Za-z0-9]{40})/.exec(created.out)![1]!;
    const extra = await run(['keys', 'create', '--project', 'team-rocket']);
    expect(extra.code).toBe(0);
    const extraKey = /(sk-lw-[A-Za-z0-9]{40})/.exec(extra.out)![1]!;
    for (const k of [projectKey, extraKey]) {
      expect((await fetch(`http://127.0.0.1:${port}/api/experiments`, { headers: { authorization: `Bearer ${k}` } })).status).toBe(200);
    }
    const missing = await run(['keys', 'create', '--project', 'nope']);
    expect(missing.code).toBe(2);
    expect(missing.out).toContain('No project "nope"');
    const clash = await run(['projects', 'create', 'Again', '--slug', 'team-rocket']);
    expect(clash.code).toBe(2);
    expect(clash.out).toContain('A project with the slug "team-rocket" already exists');
    // The same name again (a provisioning script run twice) is refused naming the project, not made `team-rocket-2`…
    const projectId = /Project team-rocket \((proj_[0-9A-Za-z]+)\) created/.exec(created.out)![1]!;
    const again = await run(['projects', 'create', 'Team Rocket']);
    expect(again.code).toBe(2);
    expect(again.out).toContain(`A project with the slug "team-rocket" already exists: ${projectId}, named "Team Rocket"`);
    expect(again.out).toContain('--if-not-exists');
    // … or, with --if-not-exists, accepted: exit 0, the existing project's id, no key.
    const idempotent = await run(['projects', 'create', 'Team Rocket', '--if-not-exists']);
    expect(idempotent.code).toBe(0);
    expect(idempotent.out).toContain(`Project team-rocket (${projectId}) already exists: nothing created.`);
    expect(idempotent.out).not.toMatch(/sk-lw-[A-Za-z0-9]{40}/);
    expect((await run(['projects', 'list'])).out).not.toContain('team-rocket-2');
    const unnamed = await run(['projects', 'create', ' ']);
    expect(unnamed.code).toBe(2);
    expect(unnamed.out).toContain('A project needs a name');
  });

  it('lists projects in aligned columns, whatever the length of their slugs and key counts', async () => {
    expect((await run(['projects', 'create', 'X'])).code).toBe(0);
    expect((await run(['projects', 'create', 'A Much Longer Project Name', '--slug', 'a-much-longer-project-slug'])).code).toBe(0);
    const listed = await run(['projects', 'list']);
    expect(listed.code).toBe(0);
    const lines = listed.out.split('\n').filter((l) => /^ {2}\S+ +proj_/.test(l));
    expect(lines.length).toBeGreaterThanOrEqual(3);
    // Each column starts at the same place on every line: the id, the creation time and the key counts.
    for (const column of [/proj_/, /created /, /\d+ keys? \(/]) {
      expect(new Set(lines.map((l) => l.search(column))).size).toBe(1);
    }
    expect(lines.find((l) => l.startsWith('  x '))).toMatch(/^ {2}x +proj_\w+ {2}created \S+ {2}1 key \(1 active\) +X$/);
  });

  it('migrate reports an up-to-date database', async () => {
    const res = await run(['migrate']);
    expect(res.code).toBe(0);
    expect(res.out).toContain('up to date');
  });
});

describe('assay push', { timeout: 120_000 }, () => {
  it('creates, then updates, an experiment from a YAML file', async () => {
    const file = path.join(dataDir, 'exp.yaml');
    writeFileSync(file, 'name: Pushed Eval\ntargets:\n  - { id: t, type: code, code: "return row.q" }\n');
    const env = { ASSAY_ENDPOINT: `http://127.0.0.1:${port}`, ASSAY_API_KEY: key };
    const first = await run(['push', file], env);
    expect(first.out).toContain('Created experiment pushed-eval (version 1)');
    expect(first.code).toBe(0);
    // The same file again (a CI job pushing on every commit) makes no new version.
    const same = await run(['push', file], env);
    expect(same.out).toContain('Unchanged: experiment pushed-eval (version 1)');
    writeFileSync(file, 'name: Pushed Eval\ntargets:\n  - { id: t, type: code, code: "return row.q + 1" }\n');
    const second = await run(['push', file], env);
    expect(second.out).toContain('Updated experiment pushed-eval (version 2)');
    const got = await (await fetch(`http://127.0.0.1:${port}/api/experiments/pushed-eval`, { headers: { 'x-auth-token': key } })).json();
    expect(got).toMatchObject({ slug: 'pushed-eval', version: 2 });
  });

  it("pushes a YAML file past the server's 128 KiB YAML body limit (3,000 inline rows), and refuses what the server would", async () => {
    const file = path.join(dataDir, 'big-rows.yaml');
    const rows = Array.from({ length: 3000 }, (_, i) => `    - { question: "What is question number ${i} about, in a sentence?", expected: "answer ${i}" }`);
    writeFileSync(file, ['name: Big Rows', 'dataset:', '  rows:', ...rows, 'targets:', '  - { id: t, type: code, code: "return row.question" }', ''].join('\n'));
    const env = { ASSAY_ENDPOINT: `http://127.0.0.1:${port}`, ASSAY_API_KEY: key };
    const pushed = await run(['push', file], env);
    expect(pushed.out).toContain('Created experiment big-rows (version 1)');
    expect(pushed.code).toBe(0);
    const got = (await (await fetch(`http://127.0.0.1:${port}/api/experiments/big-rows`, { headers: { 'x-auth-token': key } })).json()) as { document: { dataset: { rows: unknown[] } } };
    expect(got.document.dataset.rows).toHaveLength(3000);
    expect(got.document.dataset.rows[2999]).toEqual({ question: 'What is question number 2999 about, in a sentence?', expected: 'answer 2999' });
    // Values the server's YAML reader refuses are refused here too, with their line, not sent as something else.
    const set = path.join(dataDir, 'set.yaml');
    writeFileSync(set, 'name: Set\ndataset:\n  rows:\n    - q: !!set {a, b}\n');
    const refused = await run(['push', set], env);
    expect(refused.out).toContain(`error: ${set}: Invalid YAML at line 4: !!set has no JSON form`);
    expect(refused.code).toBe(2);
    const broken = path.join(dataDir, 'broken.yaml');
    writeFileSync(broken, 'name: Broken\ntargets: [\n');
    const invalid = await run(['push', broken], env);
    expect(invalid.out).toContain(`error: ${broken} is not valid YAML: `);
    expect(invalid.out).toMatch(/\(line \d+, column \d+/);
    expect(invalid.code).toBe(2);
  });

  it('reads a JSON file saved with a byte order mark, and its help names the LANGWATCH_* variables', async () => {
    const file = path.join(dataDir, 'bom.json');
    writeFileSync(file, `\uFEFF${JSON.stringify({ name: 'With BOM', targets: [{ id: 't', type: 'code', code: 'return 1' }] })}`);
    const pushed = await run(['push', file], { LANGWATCH_ENDPOINT: `http://127.0.0.1:${port}`, LANGWATCH_API_KEY: key });
    expect(pushed.out).toContain('Created experiment with-bom (version 1)');
    expect(pushed.code).toBe(0);
    const help = await run(['push', '--help']);
    expect(help.out).toContain('$LANGWATCH_ENDPOINT');
    expect(help.out).toContain('$LANGWATCH_API_KEY');
  });

  it('points each issue of a refused YAML file at its line, and a compile error at the line inside the code block', async () => {
    const file = path.join(dataDir, 'lines.yaml');
    writeFileSync(file, [
      'name: Lines',
      'dataset:',
      '  rows:',
      '    - question: hi',
      'targets:',
      '  - id: upper',
      '    type: code',
      '    code: |',
      '      const x = row.question;',
      '      return x.toUpperCase(;',
      'evaluators:',
      '  - id: ex',
      '    type: langevals/exact_matc',
      '',
    ].join('\n'));
    const refused = await run(['push', file], { ASSAY_ENDPOINT: `http://127.0.0.1:${port}`, ASSAY_API_KEY: key });
    expect(refused.code).toBe(2);
    expect(refused.out).toContain(`  - ${file}:13: evaluators.0.type: unknown evaluator type "langevals/exact_matc"`);
    expect(refused.out).toContain(`  - ${file}:10: targets.0.code: code does not compile: Unexpected token ';' (line 2)`);
  });

  it('reports invalid documents, bad files and an unreachable server with exit 2', async () => {
    const bad = path.join(dataDir, 'bad.yaml');
    writeFileSync(bad, 'name: Bad\ntargets: []\n');
    const env = { ASSAY_ENDPOINT: `http://127.0.0.1:${port}`, ASSAY_API_KEY: key };
    const invalid = await run(['push', bad], env);
    expect(invalid.code).toBe(2);
    expect(invalid.out).toContain('targets');
    const absent = await run(['push', path.join(dataDir, 'absent.yaml')], env);
    expect(absent.code).toBe(2);
    expect(absent.out).toContain('absent.yaml: no such file (ENOENT)');
    const unreachable = await run(['push', bad], { ASSAY_ENDPOINT: 'http://127.0.0.1:9', ASSAY_API_KEY: key });
    expect(unreachable.code).toBe(2);
    expect(unreachable.out).toContain('Cannot reach');
    const big = path.join(dataDir, 'big.yaml');
    writeFileSync(big, `name: Big\n# ${'x'.repeat(4096)}\n`);
    // Refused from its size alone, before reading it or reaching any server.
    const tooBig = await run(['push', big], { ASSAY_ENDPOINT: 'http://127.0.0.1:9', ASSAY_API_KEY: key, ASSAY_MAX_BODY_BYTES: '2048' });
    expect(tooBig.code).toBe(2);
    expect(tooBig.out).toContain("over the server's request body limit of 2.0 KiB (ASSAY_MAX_BODY_BYTES");
    const noKey = await run(['push', bad], { ASSAY_ENDPOINT: `http://127.0.0.1:${port}` });
    expect(noKey.code).toBe(2);
    expect(noKey.out).toContain('401');
  });
});
