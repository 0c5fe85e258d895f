// The web page's serving rules: which requests get index.html, the caching of hashed assets,
// the CSP, and that API clients keep their JSON 404s.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { gunzipSync } from 'node:zlib';
import { type Context, Hono } from 'hono';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { HttpEnv } from '../context.js';
import { startTestAssay, type TestAssay } from '../../testing/harness.js';
import { PAGE_CSP, webPageRoutes } from './web-page.js';

const HTML = 'text/html,application/xhtml+xml,*/*;q=0.8';
let dir: string;
let app: Hono<HttpEnv>;
const bigScript = `console.log(${JSON.stringify('x'.repeat(5000))});`;

beforeAll(() => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'assay-web-'));
  mkdirSync(path.join(dir, '_app'));
  writeFileSync(path.join(dir, 'index.html'), '<!doctype html><title>page</title><script type="module" src="/_app/index-abc.js"></script>');
  writeFileSync(path.join(dir, '_app', 'index-abc.js'), bigScript);
  writeFileSync(path.join(dir, '_app', 'index-abc.css'), 'body{}');
  writeFileSync(path.join(dir, 'secret.txt'), 'not an asset');
  app = new Hono<HttpEnv>();
  app.get('/api/experiments', (c) => c.json({ experiments: [] }));
  const noRoute = (c: Context) => c.json({ error: 'not_found' }, 404);
  const web = webPageRoutes(app, dir, noRoute);
  app.notFound(async (c) => (await web.page(c)) ?? noRoute(c));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('web page routes', () => {
  it.each(['/', '/default/experiments', '/default/experiments/capitals', '/default/experiments/capitals?runId=run_01'])('serves index.html for a browser navigation to %s', async (url) => {
    const res = await app.request(url, { headers: { accept: HTML } });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toContain('text/html');
    expect(res.headers.get('cache-control')).toBe('no-cache');
    expect(res.headers.get('content-security-policy')).toBe(PAGE_CSP);
    expect(await res.text()).toContain('/_app/index-abc.js');
  });

  it('has a CSP that allows only its own origin and no inline script or style', () => {
    expect(PAGE_CSP).toContain("default-src 'self'");
    expect(PAGE_CSP).toMatch(/script-src 'self'(;|$)/);
    expect(PAGE_CSP).toMatch(/style-src 'self'(;|$)/);
    expect(PAGE_CSP).not.toContain('unsafe');
  });

  it.each([
    ['an API path', '/api/nothing', HTML],
    ['the docs', '/docs/whatever', HTML],
    ['a probe', '/healthz', HTML],
    ['the process probe', '/livez', HTML],
    ['metrics', '/metrics', HTML],
    ['a client that does not accept HTML', '/default/experiments', 'application/json'],
    ['a client that sends no Accept', '/default/experiments', ''],
  ])('keeps the JSON 404 for %s', async (_what, url, accept) => {
    const res = await app.request(url, { headers: accept ? { accept } : {} });
    expect(res.status).toBe(404);
    expect(await res.json()).toEqual({ error: 'not_found' });
  });

  it('does not answer a POST with the page', async () => {
    const res = await app.request('/default/experiments', { method: 'POST', headers: { accept: HTML } });
    expect(res.status).toBe(404);
  });

  it('never shadows an API route', async () => {
    const res = await app.request('/api/experiments', { headers: { accept: HTML } });
    expect(await res.json()).toEqual({ experiments: [] });
  });

  it('serves hashed assets as immutable, gzipped when asked', async () => {
    const plain = await app.request('/_app/index-abc.js');
    expect(plain.status).toBe(200);
    expect(plain.headers.get('cache-control')).toBe('public, max-age=31536000, immutable');
    expect(plain.headers.get('content-type')).toContain('text/javascript');
    expect(await plain.text()).toBe(bigScript);
    const zipped = await app.request('/_app/index-abc.js', { headers: { 'accept-encoding': 'gzip, br' } });
    expect(zipped.headers.get('content-encoding')).toBe('gzip');
    expect(gunzipSync(Buffer.from(await zipped.arrayBuffer())).toString()).toBe(bigScript);
    const css = await app.request('/_app/index-abc.css');
    expect(css.headers.get('content-type')).toContain('text/css');
  });

  it.each(['/_app/missing.js', '/_app/..%2Fsecret.txt', '/_app/secret.txt', '/_app/.hidden.js'])('answers %s with the JSON 404', async (url) => {
    const res = await app.request(url, { headers: { accept: HTML } });
    expect(res.status).toBe(404);
    expect(await res.json()).toEqual({ error: 'not_found' });
  });

  it('says the page is not built when index.html is missing', async () => {
    const empty = new Hono<HttpEnv>();
    const web = webPageRoutes(empty, path.join(dir, 'nowhere'), (c) => c.json({ error: 'not_found' }, 404));
    empty.notFound(async (c) => (await web.page(c))!);
    const res = await empty.request('/', { headers: { accept: HTML } });
    expect(res.status).toBe(503);
    expect(await res.text()).toContain('npm run build:web');
  });
});

describe('the real app', () => {
  let t: TestAssay;
  beforeAll(async () => {
    t = await startTestAssay();
  });
  afterAll(() => t.close());

  it('answers a browser navigation with HTML and an API client with its JSON 404', async () => {
    const page = await t.req('GET', '/default/experiments/x?runId=run_1', { key: null, headers: { accept: HTML } });
    expect(page.headers.get('content-type')).toContain('text/html');
    expect(page.headers.get('content-security-policy')).toBe(PAGE_CSP);
    const api = await t.req('GET', '/default/experiments/x', { key: null, headers: { accept: 'application/json' } });
    expect(api.status).toBe(404);
    expect(await api.json()).toMatchObject({ error: 'not_found', message: 'No route for GET /default/experiments/x' });
    const unknownApi = await t.req('GET', '/api/nope', { key: null, headers: { accept: HTML } });
    expect(unknownApi.status).toBe(404);
    expect(await unknownApi.json()).toMatchObject({ error: 'not_found' });
  });
});
