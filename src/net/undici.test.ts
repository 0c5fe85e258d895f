// undici's HTTP/1 parser stays on V8's baseline WebAssembly compiler (src/net/undici.ts,
// docs/decisions.md "llhttp stays on V8's baseline compiler"): a first run of a fresh server
// must not spend ≈ 200 ms of a compiler thread optimizing it. A child process sends enough
// requests through an Agent for V8 to tier the parser up, with V8 printing every WebAssembly
// compilation; the control loads undici without src/net/undici.ts and must show the tier-up.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';

const dir = mkdtempSync(path.join(os.tmpdir(), 'assay-llhttp-tiers-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** The parser's main function is ≈ 33 KB of WebAssembly; the rest are small helpers. */
const BIG_FUNCTION_BYTES = 10_000;

/** Runs `requests` keep-alive requests through an Agent loaded `via` our loader or undici itself; returns V8's compilation trace. */
function compilations(via: 'assay' | 'assay, optimized' | 'undici', requests: number, nodeArgs: string[] = []): string {
  const src = JSON.stringify(pathToFileURL(path.join(import.meta.dirname, 'undici.ts')).href);
  const main = path.join(dir, `${via.replace(/\W+/g, '-')}${nodeArgs.join('')}.mjs`);
  writeFileSync(main, `import http from 'node:http';
import { createRequire } from 'node:module';
const { Agent, request } = ${via !== 'undici'
    ? `await import(${src}).then((m) => (${via === 'assay, optimized' ? 'm.optimizeHttpParser(), ' : ''}{ Agent: m.undiciAgent().Agent, request: (url, { dispatcher, ...options }) => m.request(dispatcher, url, options) }))`
    : `createRequire(${JSON.stringify(path.join(import.meta.dirname, 'undici.ts'))})('undici')`};
const answer = JSON.stringify({ id: 'chatcmpl-1', object: 'chat.completion', choices: [{ index: 0, message: { role: 'assistant', content: 'Echo: a question' }, finish_reason: 'stop' }] });
const server = http.createServer((req, res) => req.resume().on('end', () => res.writeHead(200, { 'content-type': 'application/json' }).end(answer)));
await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
const agent = new Agent({ pipelining: 1, keepAliveTimeout: 30_000 });
const origin = 'http://127.0.0.1:' + server.address().port;
let left = ${requests};
await Promise.all(Array.from({ length: 20 }, async () => {
  while (left-- > 0) {
    const r = await request(origin + '/v1/chat/completions', { dispatcher: agent, method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"model":"m"}' });
    JSON.parse(await r.body.text());
  }
}));
await agent.close();
server.close();
console.log('DONE');`);
  const r = spawnSync(process.execPath, [...nodeArgs, '--import', 'tsx', '--trace-wasm-compilation-times', main], { cwd: path.join(import.meta.dirname, '..', '..'), encoding: 'utf8', timeout: 120_000 });
  if (r.status !== 0 || !r.stdout.includes('DONE')) throw new Error(`the child failed (exit ${r.status}):\n${r.stderr}`);
  return r.stdout;
}

/** Sizes of the WebAssembly function bodies V8 compiled with the named compiler. */
function bodies(trace: string, compiler: 'Liftoff' | 'TurboFan'): number[] {
  return [...trace.matchAll(new RegExp(`using ${compiler}, .*?bodysize (\\d+)`, 'g'))].map((m) => Number(m[1]));
}

describe("undici's HTTP/1 parser", () => {
  it('is compiled by the baseline compiler only, however hot it gets', () => {
    const trace = compilations('assay', 3_000);
    expect(bodies(trace, 'Liftoff').some((size) => size > BIG_FUNCTION_BYTES)).toBe(true);
    expect(bodies(trace, 'TurboFan').filter((size) => size > BIG_FUNCTION_BYTES)).toEqual([]);
  }, 150_000);

  it('is optimized again when node is started with --no-liftoff-only (the operator\'s opt-out)', () => {
    const trace = compilations('assay', 3_000, ['--no-liftoff-only']);
    expect(bodies(trace, 'TurboFan').filter((size) => size > BIG_FUNCTION_BYTES).length).toBeGreaterThan(0);
  }, 150_000);

  it('is optimized again when the composition root says so (ASSAY_OPTIMIZE_HTTP_PARSER=true, the same opt-out from the environment)', () => {
    const trace = compilations('assay, optimized', 3_000);
    expect(bodies(trace, 'TurboFan').filter((size) => size > BIG_FUNCTION_BYTES).length).toBeGreaterThan(0);
  }, 150_000);

  it('is optimized by TurboFan when undici is loaded on its own (the control)', () => {
    const trace = compilations('undici', 3_000);
    expect(bodies(trace, 'TurboFan').filter((size) => size > BIG_FUNCTION_BYTES).length).toBeGreaterThan(0);
  }, 150_000);
});

describe('request() on an Agent', () => {
  it("sends the method, path, query, headers and body, and reads the answer, without loading undici's index", () => {
    const src = JSON.stringify(pathToFileURL(path.join(import.meta.dirname, 'undici.ts')).href);
    const main = path.join(dir, 'request.mjs');
    writeFileSync(main, `import http from 'node:http';
import { createRequire } from 'node:module';
const m = await import(${src});
let seen;
const server = http.createServer((req, res) => {
  let body = '';
  req.on('data', (d) => (body += d)).on('end', () => {
    seen = { method: req.method, url: req.url, header: req.headers['x-test'], body };
    res.writeHead(201, { 'content-type': 'text/plain', 'x-answer': 'yes' }).end('made');
  });
});
await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
const agent = new (m.undiciAgent().Agent)({ pipelining: 1 });
const r = await m.request(agent, 'http://127.0.0.1:' + server.address().port + '/v1/messages?beta=true', { method: 'POST', headers: { 'x-test': 'a' }, body: '{"q":1}' });
const text = await r.body.text();
const index = Object.keys(createRequire(import.meta.url).cache).some((k) => k.endsWith('/node_modules/undici/index.js'));
await agent.close();
server.close();
console.log(JSON.stringify({ status: r.statusCode, answer: r.headers['x-answer'], text, seen, index }));`);
    const r = spawnSync(process.execPath, ['--import', 'tsx', main], { cwd: path.join(import.meta.dirname, '..', '..'), encoding: 'utf8', timeout: 60_000 });
    expect(r.stderr).toBe('');
    expect(JSON.parse(r.stdout)).toEqual({ status: 201, answer: 'yes', text: 'made', seen: { method: 'POST', url: '/v1/messages?beta=true', header: 'a', body: '{"q":1}' }, index: false });
  }, 60_000);
});
