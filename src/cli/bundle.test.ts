// The bundled build that `npm start` runs (scripts/bundle.js → dist/bundle/): built here from the
// current sources into a folder of its own, then started as a real process. What a bundle can
// break is what a module finds next to itself at run time: package.json (the version), the web
// page's files, the Swagger UI's files, the evaluator worker's entry, the native addons.
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type CliServer, startCliServer } from '../testing/spawn.js';

const ROOT = path.resolve(import.meta.dirname, '../..');
const OUT = path.join(ROOT, 'dist', `.bundle-test-${process.pid}`);
const KEY = `sk-lw-${'BundleTest'.repeat(4)}`;
let server: CliServer;

beforeAll(async () => {
  execFileSync(process.execPath, [path.join(ROOT, 'scripts/bundle.js'), OUT], { stdio: 'pipe' });
  server = await startCliServer(KEY, 'assay-bundle-', path.join(OUT, 'main.js'));
}, 120_000);
afterAll(async () => {
  await server?.stop();
  rmSync(OUT, { recursive: true, force: true });
});

describe('the bundled build', { timeout: 120_000 }, () => {
  it('is ASCII, so V8 keeps its sources at one byte a character', () => {
    // One character outside Latin-1 in a comment doubles the heap a module's source takes
    // (docs/decisions.md, "An ASCII bundle").
    const wide = readdirSync(OUT)
      .filter((name) => name.endsWith('.js'))
      .filter((name) => [...readFileSync(path.join(OUT, name), 'utf8')].some((c) => c.charCodeAt(0) > 0xff));
    expect(wide).toEqual([]);
  });

  it('answers /healthz with the version of package.json', async () => {
    const version = (JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { version: string }).version;
    expect(await (await fetch(`${server.base}/healthz`)).json()).toEqual({ status: 'ok', version });
  });

  it('serves the Swagger UI and the web page from the package', async () => {
    const css = await fetch(`${server.base}/docs/assets/swagger-ui.css`);
    expect(css.status).toBe(200);
    expect((await css.text()).length).toBeGreaterThan(10_000);
    const page = await fetch(`${server.base}/default/experiments/x`, { headers: { accept: 'text/html' } });
    expect(page.status).toBe(200);
    const html = await page.text();
    const asset = /\/_app\/[\w.-]+\.js/.exec(html)?.[0];
    expect(asset).toBeDefined();
    expect((await fetch(`${server.base}${asset}`)).status).toBe(200);
  });

  it('runs code targets in the sandbox and large evaluations in the worker pool', async () => {
    // 120,000 characters are above exact match's inline limit (100,000): the comparison is
    // offloaded to the pool, whose worker is the bundle's worker.js.
    const long = 'x'.repeat(120_000);
    const doc = {
      slug: 'bundle', name: 'bundle',
      dataset: { rows: [{ q: long, expected: long }, { q: 'short', expected: 'long' }] },
      targets: [{ id: 'echo', type: 'code', code: 'return row.q' }],
      evaluators: [{ id: 'exact', type: 'exact_match', inputs: { output: 'output', expected_output: 'row.expected' } }],
    };
    expect((await server.post('/api/experiments', doc)).status).toBe(201);
    const { code, out } = await server.run(['run', 'bundle']);
    expect(out).toContain('COMPLETED');
    expect(out).toContain('passed 1  failed 1');
    expect(code).toBe(1);
  });

  it('loads the packages evaluators import on first use (yaml, from its CommonJS build)', async () => {
    const doc = {
      slug: 'bundle-yaml', name: 'bundle-yaml',
      dataset: { rows: [{ q: 'a: 1\nb: [2, 3]\n' }, { q: 'a: [1, 2\n' }] },
      targets: [{ id: 'echo', type: 'code', code: 'return row.q' }],
      evaluators: [{ id: 'yaml', type: 'valid_format', settings: { format: 'yaml' } }],
    };
    expect((await server.post('/api/experiments', doc)).status).toBe(201);
    const { out } = await server.run(['run', 'bundle-yaml']);
    // One valid document passes, the broken one fails: neither is an evaluator error.
    expect(out).toMatch(/Valid Format\s+1\s+1\s+0\s/);
  });
});
