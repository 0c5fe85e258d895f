// What an idle embedded server holds (issue 17, docs/benchmarks.md "Memory"): the packages only
// cluster mode or user code needs are loaded on first use, not at start-up. A real `startServer`
// in a child process with a module resolve hook that records every module it resolves.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';

const dir = mkdtempSync(path.join(os.tmpdir(), 'assay-startup-imports-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/**
 * Runs `startServer` on a fresh data directory, asks /healthz once, stops; returns the resolved
 * module URLs and the paths of the CommonJS modules loaded (a `createRequire` load, as
 * src/net/undici.ts does, passes no resolve hook).
 */
function resolvedAtStart(): string[] {
  const log = path.join(dir, 'resolved.txt');
  const required = path.join(dir, 'required.json');
  writeFileSync(path.join(dir, 'hooks.mjs'), `import { appendFileSync } from 'node:fs';
export async function resolve(specifier, context, next) {
  const r = await next(specifier, context);
  appendFileSync(${JSON.stringify(log)}, r.url + '\\n');
  return r;
}`);
  writeFileSync(path.join(dir, 'register.mjs'), `import { register } from 'node:module';
register(${JSON.stringify(pathToFileURL(path.join(dir, 'hooks.mjs')).href)});`);
  const src = (p: string) => JSON.stringify(pathToFileURL(path.join(import.meta.dirname, '..', p)).href);
  writeFileSync(path.join(dir, 'main.mjs'), `const { loadConfig } = await import(${src('config/env.ts')});
const { startServer } = await import(${src('cli/serve.ts')});
const config = loadConfig({ PORT: '0', HOST: '127.0.0.1', ASSAY_DATA_DIR: ${JSON.stringify(path.join(dir, 'data'))}, ASSAY_LOG_LEVEL: 'silent', ASSAY_API_KEY: 'sk-lw-${'StartupImp'.repeat(4)}' });
const server = await startServer(config, () => {});
const res = await fetch('http://127.0.0.1:' + server.port + '/healthz');
if (res.status !== 200) throw new Error('/healthz answered ' + res.status);
const { createRequire } = await import('node:module');
const { writeFileSync } = await import('node:fs');
writeFileSync(${JSON.stringify(required)}, JSON.stringify(Object.keys(createRequire(import.meta.url).cache)));
await server.stop();`);
  const r = spawnSync(process.execPath, ['--import', 'tsx', '--import', pathToFileURL(path.join(dir, 'register.mjs')).href, path.join(dir, 'main.mjs')], {
    cwd: path.join(import.meta.dirname, '..', '..'), encoding: 'utf8', timeout: 60_000,
  });
  if (r.status !== 0) throw new Error(`the server did not start and stop cleanly (exit ${r.status}):\n${r.stderr}`);
  return [...readFileSync(log, 'utf8').split('\n').filter(Boolean), ...(JSON.parse(readFileSync(required, 'utf8')) as string[])];
}

describe('start-up imports of an embedded server', () => {
  it('has undici\'s Agent ready but loads neither BullMQ, ioredis, isolated-vm, the statistics, the YAML, the CSV libraries nor the AI SDK until a request needs them', () => {
    const urls = resolvedAtStart();
    const pkg = (name: string) => urls.some((u) => u.includes(`/node_modules/${name}/`));
    // The hook saw the server's own storage being loaded: the list is real, not empty.
    expect(pkg('kysely')).toBe(true);
    // …and so did the CommonJS list (better-sqlite3 requires `bindings`, never resolved as ESM).
    expect(pkg('bindings')).toBe(true);
    expect(urls.some((u) => u.endsWith('/src/cli/serve.ts'))).toBe(true);
    // @stdlib: the first comparison or run with repeats (core/compare/fold.ts and repeats.ts,
    // imported by app/runs when needed).
    // The AI SDK: its provider packages and their utilities with the first call that needs them.
    const lazy = [
      'bullmq', 'ioredis', 'isolated-vm', 'csv-parse', 'csv-stringify', '@stdlib/stats-binomial-test', '@stdlib/stats-wilcoxon', '@stdlib/stats-base-dists-t-quantile',
      'ai', '@ai-sdk/openai', '@ai-sdk/anthropic', '@ai-sdk/provider-utils',
    ];
    expect(Object.fromEntries(lazy.map((name) => [name, pkg(name)]))).toEqual(Object.fromEntries(lazy.map((name) => [name, false])));
    expect(urls.filter((u) => u.endsWith('/src/http/yaml-body.ts'))).toEqual([]);
    expect(urls.filter((u) => /\/src\/core\/compare\/(fold|repeats|stats)\.ts$/.test(u))).toEqual([]);
    // A server that executes runs has undici's Agent loaded once it is up (cli/ready.ts), so a
    // first run's first call does not wait for it; undici's index (fetch, WebSocket, mocks)
    // stays unloaded until an SDK call needs it.
    expect(urls.some((u) => u.endsWith('/node_modules/undici/lib/dispatcher/agent.js'))).toBe(true);
    expect(urls.filter((u) => u.endsWith('/node_modules/undici/index.js') || u.includes('/node_modules/undici/lib/web/'))).toEqual([]);
  }, 90_000);
});

describe('the end of start-up in a cluster api process', () => {
  it('leaves undici unloaded: the api role executes no cell', () => {
    const src = (p: string) => JSON.stringify(pathToFileURL(path.join(import.meta.dirname, '..', p)).href);
    const script = `const { endStartUp } = await import(${src('cli/ready.ts')});
const { createRequire } = await import('node:module');
const loaded = () => Object.keys(createRequire(import.meta.url).cache).some((k) => k.includes('/node_modules/undici/'));
endStartUp({ mode: 'cluster', role: 'api', serves: true, executes: false, redisUrl: 'redis://127.0.0.1:1' });
const api = loaded();
endStartUp({ mode: 'cluster', role: 'all', serves: true, executes: true, redisUrl: 'redis://127.0.0.1:1' });
console.log(JSON.stringify({ api, all: loaded() }));`;
    writeFileSync(path.join(dir, 'ready.mjs'), script);
    const r = spawnSync(process.execPath, ['--import', 'tsx', path.join(dir, 'ready.mjs')], { cwd: path.join(import.meta.dirname, '..', '..'), encoding: 'utf8', timeout: 60_000 });
    expect(r.stderr).toBe('');
    expect(JSON.parse(r.stdout)).toEqual({ api: false, all: true });
  }, 90_000);
});
