// SPEC §4 "Secrets and providers" through the HTTP API: values go in and never come out
// (names only, keys masked), merge-patch semantics for providers, the environment underneath,
// isolation between projects, validation errors that name the field and never the value.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestAssay, type TestAssay } from '../../testing/harness.js';

const SECRET = 'tok-3f9a1c7e5b2d4068-ultra-secret';
const API_KEY = 'sk-proj-a1b2c3d4e5f6g7h8i9j0wxyz';
const ENV_KEY = 'sk-env-000000000000000000000000beef';

let t: TestAssay;
/** Every response body the tests saw, to check no value ever came back. */
const seen: string[] = [];

async function call(method: string, path: string, init: Parameters<TestAssay['req']>[2] = {}): Promise<{ status: number; body: any }> {
  const res = await t.req(method, path, init);
  const text = await res.text();
  seen.push(text);
  return { status: res.status, body: text === '' ? null : JSON.parse(text) };
}

beforeAll(async () => {
  t = await startTestAssay({
    providers: { openai: { apiKey: ENV_KEY, baseUrl: 'https://api.openai.example/v1' }, anthropic: { apiKey: 'short-env' } },
  });
});
afterAll(async () => {
  await t.close();
  const all = seen.join('\n');
  for (const value of [SECRET, API_KEY, ENV_KEY, 'short-env', 'hdr-value-9c8b7a6d5e4f3a2b1c0d']) expect(all).not.toContain(value);
  expect(all.length).toBeGreaterThan(1000);
});

describe('secrets', () => {
  it('stores a secret, lists names only, replaces and deletes it', async () => {
    const put = await call('PUT', '/api/secrets/BOT_TOKEN', { body: { value: SECRET } });
    expect(put.status).toBe(200);
    expect(put.body).toEqual({ name: 'BOT_TOKEN', updatedAt: expect.any(Number) });
    await call('PUT', '/api/secrets/A_FIRST', { body: { value: 'x' } });
    const list = await call('GET', '/api/secrets');
    expect(list.body).toEqual({ secrets: [{ name: 'A_FIRST', updatedAt: expect.any(Number) }, { name: 'BOT_TOKEN', updatedAt: put.body.updatedAt }] });
    const again = await call('PUT', '/api/secrets/BOT_TOKEN', { body: { value: `${SECRET}-2` } });
    expect(again.status).toBe(200);
    expect((await t.assay.secrets.resolveAll(t.projectId)).values.BOT_TOKEN).toBe(`${SECRET}-2`);
    await call('PUT', '/api/secrets/BOT_TOKEN', { body: { value: SECRET } });

    expect((await call('DELETE', '/api/secrets/A_FIRST')).status).toBe(204);
    const missing = await call('DELETE', '/api/secrets/A_FIRST');
    expect(missing.status).toBe(404);
    expect(missing.body).toMatchObject({ error: 'secret_not_found', message: 'Secret not found: A_FIRST', name: 'A_FIRST' });
    expect((await call('GET', '/api/secrets')).body.secrets.map((s: { name: string }) => s.name)).toEqual(['BOT_TOKEN']);
  });

  it('keeps projects apart', async () => {
    const other = await t.otherProject();
    expect((await call('GET', '/api/secrets', { key: other.key })).body).toEqual({ secrets: [] });
    expect((await call('DELETE', '/api/secrets/BOT_TOKEN', { key: other.key })).status).toBe(404);
    await call('PUT', '/api/secrets/BOT_TOKEN', { key: other.key, body: { value: 'theirs' } });
    expect((await t.assay.secrets.resolveAll(other.projectId)).values).toEqual({ BOT_TOKEN: 'theirs' });
    expect((await t.assay.secrets.resolveAll(t.projectId)).values.BOT_TOKEN).toBe(SECRET);
    expect((await call('DELETE', '/api/secrets/BOT_TOKEN', { key: other.key })).status).toBe(204);
    expect((await t.assay.secrets.resolveAll(t.projectId)).values.BOT_TOKEN).toBe(SECRET);
    expect((await call('GET', '/api/secrets', { key: null })).status).toBe(401);
  });

  it('refuses bad names and values, naming the field and never echoing the value', async () => {
    const cases: [string, unknown, (string | number)[]][] = [
      ['/api/secrets/bot_token', { value: SECRET }, ['name']],
      ['/api/secrets/__proto__', { value: SECRET }, ['name']],
      ['/api/secrets/constructor', { value: SECRET }, ['name']],
      ['/api/secrets/1ABC', { value: SECRET }, ['name']],
      [`/api/secrets/${'A'.repeat(129)}`, { value: SECRET }, ['name']],
      ['/api/secrets/OK', { value: '' }, ['value']],
      ['/api/secrets/OK', { value: 42 }, ['value']],
      ['/api/secrets/OK', { value: 'é'.repeat(8193) }, ['value']],
      ['/api/secrets/OK', {}, ['value']],
      ['/api/secrets/OK', { value: SECRET, valeu: SECRET }, []],
      ['/api/secrets/OK', [SECRET], []],
    ];
    for (const [path, body, field] of cases) {
      const res = await call('PUT', path, { body });
      expect(res.status, path).toBe(400);
      expect(res.body.error).toBe('validation_error');
      expect(res.body.issues[0].path, JSON.stringify(body)).toEqual(field);
    }
    // Exactly 16 KiB of UTF-8 is fine.
    expect((await call('PUT', '/api/secrets/BIG', { body: { value: 'é'.repeat(8192) } })).status).toBe(200);
    expect((await call('DELETE', '/api/secrets/bad-name')).status).toBe(400);
  });

  it('answers a malformed body without quoting it', async () => {
    for (const raw of [`{"value": ${SECRET}}`, `{"value": "${SECRET}"`, `value=${SECRET}`]) {
      const res = await call('PUT', '/api/secrets/BOT_TOKEN', { raw, headers: { 'content-type': 'application/json' } });
      expect(res.status).toBe(400);
      expect(res.body.error).toBe('Invalid JSON body');
    }
    const polluted = await call('PUT', '/api/secrets/BOT_TOKEN', { raw: `{"value":"x","__proto__":{"polluted":"${SECRET}"}}`, headers: { 'content-type': 'application/json' } });
    expect(polluted.status).toBe(400);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect((await t.assay.secrets.resolveAll(t.projectId)).values.BOT_TOKEN).toBe(SECRET);
  });

  it('keeps at most 200 secrets a project; a stored one can still be replaced', async () => {
    const { key } = await t.otherProject();
    for (let i = 0; i < 200; i++) expect((await t.req('PUT', `/api/secrets/S_${i}`, { key, body: { value: 'v' } })).status).toBe(200);
    const refused = await call('PUT', '/api/secrets/ONE_MORE', { key, body: { value: 'v' } });
    expect(refused.status).toBe(400);
    expect(refused.body.message).toBe('The project has 200 secrets, the most it may have: delete one before adding "ONE_MORE"');
    expect((await t.req('PUT', '/api/secrets/S_199', { key, body: { value: 'rotated' } })).status).toBe(200);
    expect((await t.req('DELETE', '/api/secrets/S_199', { key })).status).toBe(204);
    expect((await t.req('PUT', '/api/secrets/ONE_MORE', { key, body: { value: 'v' } })).status).toBe(200);
  });

  it('treats __PROTO__ as an ordinary name', async () => {
    expect((await call('PUT', '/api/secrets/__PROTO__', { body: { value: 'p' } })).status).toBe(200);
    const resolved = (await t.assay.secrets.resolveAll(t.projectId)).values;
    expect(Object.getPrototypeOf(resolved)).toBe(Object.prototype);
    expect(Object.hasOwn(resolved, '__PROTO__')).toBe(true);
    expect((await call('DELETE', '/api/secrets/__PROTO__')).status).toBe(204);
  });

  it('leaves out a stored value that does not open (key changed, row copied) and keeps the rest', async () => {
    const other = await t.otherProject();
    await call('PUT', '/api/secrets/COPIED', { key: other.key, body: { value: SECRET } });
    // Copy the other project's sealed value into this project's row: it must not open here.
    const sealed = (await t.assay.stores.secrets.get(other.projectId, 'COPIED'))!.sealedValue;
    await t.assay.stores.secrets.put(t.projectId, 'COPIED', sealed, Date.now());
    const resolved = (await t.assay.secrets.resolveAll(t.projectId)).values;
    expect(resolved).not.toHaveProperty('COPIED');
    expect(resolved.BOT_TOKEN).toBe(SECRET);
    // Its name is still listed, so it can be stored again or deleted.
    expect((await call('GET', '/api/secrets')).body.secrets.map((s: { name: string }) => s.name)).toContain('COPIED');
    expect((await call('DELETE', '/api/secrets/COPIED')).status).toBe(204);
  });
});

describe('providers', () => {
  it('lists the environment\'s providers, masked', async () => {
    const { body } = await call('GET', '/api/providers');
    expect(body.providers).toEqual([
      { name: 'anthropic', source: 'environment', baseUrl: null, apiKey: '…', apiKeySource: 'server', headers: {}, prices: {}, maxConcurrency: null, updatedAt: null },
      { name: 'openai', source: 'environment', baseUrl: 'https://api.openai.example/v1', apiKey: 'sk-…beef', apiKeySource: 'server', headers: {}, prices: {}, maxConcurrency: null, updatedAt: null },
    ]);
  });

  it('stores settings as a merge patch: absent keeps, null clears, headers merge per name', async () => {
    const put = await call('PUT', '/api/providers/ollama', {
      body: { apiKey: API_KEY, baseUrl: 'http://localhost:11434/v1', headers: { 'X-Org': 'hdr-value-9c8b7a6d5e4f3a2b1c0d', 'X-Short': 's' } },
    });
    expect(put.status).toBe(200);
    expect(put.body).toEqual({
      name: 'ollama', source: 'project', baseUrl: 'http://localhost:11434/v1', apiKey: 'sk-…wxyz', apiKeySource: 'project',
      headers: { 'x-org': 'hdr…1c0d', 'x-short': '…' }, prices: {}, maxConcurrency: null, updatedAt: expect.any(Number),
    });
    expect(await t.assay.providers.resolve(t.projectId, 'ollama')).toEqual({
      apiKey: API_KEY, baseUrl: 'http://localhost:11434/v1', headers: { 'x-org': 'hdr-value-9c8b7a6d5e4f3a2b1c0d', 'x-short': 's' }, chosenBy: 'project',
      // Its own key, base URL and headers: its calls count against a limit of its own.
      limitScope: t.projectId,
    });

    // Only the base URL changes; the key and headers stay.
    const moved = await call('PUT', '/api/providers/ollama', { body: { baseUrl: 'http://gpu-box:11434/v1' } });
    expect(moved.body).toMatchObject({ baseUrl: 'http://gpu-box:11434/v1', apiKey: 'sk-…wxyz', headers: { 'x-org': 'hdr…1c0d', 'x-short': '…' } });
    // One header added, one removed (names are case-insensitive), the third kept.
    const merged = await call('PUT', '/api/providers/ollama', { body: { headers: { 'x-short': null, 'X-New': 'n' } } });
    expect(merged.body.headers).toEqual({ 'x-org': 'hdr…1c0d', 'x-new': '…' });
    // An empty patch changes nothing but the time.
    expect((await call('PUT', '/api/providers/ollama', { body: {} })).body).toMatchObject({ apiKey: 'sk-…wxyz', headers: { 'x-org': 'hdr…1c0d', 'x-new': '…' } });
    const cleared = await call('PUT', '/api/providers/ollama', { body: { apiKey: null, headers: null } });
    expect(cleared.body).toMatchObject({ source: 'project', apiKey: null, headers: {}, baseUrl: 'http://gpu-box:11434/v1' });
    expect(await t.assay.providers.resolve(t.projectId, 'ollama')).toEqual({ baseUrl: 'http://gpu-box:11434/v1', chosenBy: 'project', limitScope: t.projectId });

    const list = (await call('GET', '/api/providers')).body.providers.map((p: { name: string; source: string }) => `${p.name}:${p.source}`);
    expect(list).toEqual(['anthropic:environment', 'ollama:project', 'openai:environment']);
  });

  it('refuses settings no call could use: a provider that is not built in, without a base URL', async () => {
    // Every call of `groq/…` failed with "unknown provider" while the key sat stored.
    const keyOnly = await call('PUT', '/api/providers/groq', { body: { apiKey: API_KEY } });
    expect(keyOnly.status).toBe(400);
    expect(keyOnly.body.issues).toEqual([{ path: ['baseUrl'], message: expect.stringContaining('"groq" is not a built-in provider (openai, anthropic, google, azure)') }]);
    expect((await call('GET', '/api/providers')).body.providers.map((p: { name: string }) => p.name)).not.toContain('groq');
    // With its base URL it is stored; taking the base URL away while the key stays is refused, and changes nothing.
    expect((await call('PUT', '/api/providers/groq', { body: { apiKey: API_KEY, baseUrl: 'https://api.groq.example/openai/v1' } })).status).toBe(200);
    expect((await call('PUT', '/api/providers/groq', { body: { baseUrl: null } })).status).toBe(400);
    expect((await call('GET', '/api/providers')).body.providers.find((p: { name: string }) => p.name === 'groq')).toMatchObject({ baseUrl: 'https://api.groq.example/openai/v1', apiKey: 'sk-…wxyz' });
    // Clearing everything is a removal, not refused.
    expect((await call('PUT', '/api/providers/groq', { body: { apiKey: null, baseUrl: null } })).status).toBe(200);
  });

  it('bounds prices and headers after merging, not only per patch, and keeps what was stored', async () => {
    const prices = (from: number, n: number) => Object.fromEntries(Array.from({ length: n }, (_, i) => [`model-${from + i}`, { input: 1, output: 2 }]));
    const headers = (from: number, n: number) => Object.fromEntries(Array.from({ length: n }, (_, i) => [`x-h${from + i}`, 'v']));
    expect((await call('PUT', '/api/providers/bounded', { body: { baseUrl: 'http://localhost:9/v1', prices: prices(0, 300), headers: headers(0, 30) } })).status).toBe(200);
    const tooManyPrices = await call('PUT', '/api/providers/bounded', { body: { prices: prices(300, 201) } });
    expect(tooManyPrices.status).toBe(400);
    expect(tooManyPrices.body.message).toContain('would have prices for 501 models; at most 500');
    expect(tooManyPrices.body.issues).toEqual([{ path: ['prices'], message: 'at most 500 models in all' }]);
    const tooManyHeaders = await call('PUT', '/api/providers/bounded', { body: { headers: headers(30, 21) } });
    expect(tooManyHeaders.status).toBe(400);
    expect(tooManyHeaders.body.issues).toEqual([{ path: ['headers'], message: 'at most 50 headers in all' }]);
    // Nothing of either refused patch was stored; replacing within the bound still works.
    const view = (await call('GET', '/api/providers')).body.providers.find((p: { name: string }) => p.name === 'bounded');
    expect(Object.keys(view.prices)).toHaveLength(300);
    expect(Object.keys(view.headers)).toHaveLength(30);
    expect((await call('PUT', '/api/providers/bounded', { body: { prices: { ...prices(300, 200), 'model-0': null } } })).status).toBe(200);
  });

  it('takes a cap on calls at once (maxConcurrency): shown, kept by other changes, cleared by null, refused out of range', async () => {
    const set = await call('PUT', '/api/providers/gpu', { body: { baseUrl: 'http://localhost:11434/v1', maxConcurrency: 2 } });
    expect(set.status).toBe(200);
    expect(set.body).toMatchObject({ name: 'gpu', baseUrl: 'http://localhost:11434/v1', maxConcurrency: 2 });
    // A cap of its own does not move the provider onto the project's quota, nor off it.
    const resolved = await t.assay.providers.resolve(t.projectId, 'gpu');
    expect(resolved.capKey).toBe(`cap:${t.projectId}/gpu/2`);
    expect((await call('PUT', '/api/providers/gpu', { body: { headers: { 'x-a': 'b' } } })).body).toMatchObject({ maxConcurrency: 2 });
    for (const [value, message] of [
      [0, 'Too small'],
      [1.5, 'expected int'],
      [1001, 'Too big'],
      ['2', 'expected number'],
    ] as const) {
      const refused = await call('PUT', '/api/providers/gpu', { body: { maxConcurrency: value } });
      expect(refused.status).toBe(400);
      expect(refused.body).toMatchObject({ error: 'validation_error', issues: [{ path: ['maxConcurrency'] }] });
      expect(refused.body.issues[0].message).toContain(message);
    }
    expect((await call('GET', '/api/providers')).body.providers.find((p: { name: string }) => p.name === 'gpu')).toMatchObject({ maxConcurrency: 2 });
    // The server's own provider may be capped for this project without a key of its own: its
    // calls stay on the server's quota (no limitScope) and are capped besides.
    expect((await call('PUT', '/api/providers/anthropic', { body: { maxConcurrency: 3 } })).body).toMatchObject({ source: 'project', apiKeySource: 'server', maxConcurrency: 3 });
    expect(await t.assay.providers.resolve(t.projectId, 'anthropic')).toEqual({ apiKey: 'short-env', chosenBy: 'server', capKey: `cap:${t.projectId}/anthropic/3` });
    expect((await call('PUT', '/api/providers/anthropic', { body: { maxConcurrency: null } })).body).toMatchObject({ maxConcurrency: null });
    expect((await call('PUT', '/api/providers/gpu', { body: { maxConcurrency: null } })).body).toMatchObject({ maxConcurrency: null });
    expect((await t.assay.providers.resolve(t.projectId, 'gpu')).capKey).toBeUndefined();
    // A name that is not built in needs its base URL for a cap alone too.
    const noEndpoint = await call('PUT', '/api/providers/nowhere', { body: { maxConcurrency: 2 } });
    expect(noEndpoint.status).toBe(400);
    expect(noEndpoint.body.issues).toEqual([{ path: ['baseUrl'], message: expect.stringContaining('is not a built-in provider') }]);
  });

  it("sends the server's key only to the server's base URL, and falls back when removed", async () => {
    // A base URL of the project's own without a key of its own: the server's key would go there.
    const refused = await call('PUT', '/api/providers/openai', { body: { baseUrl: 'http://proxy.local/v1' } });
    expect(refused.status).toBe(400);
    expect(refused.body).toMatchObject({ error: 'validation_error', issues: [{ path: ['apiKey'] }] });
    expect(refused.body.message).toContain("the server's key is only ever sent to the server's base URL");
    expect(await t.assay.providers.resolve(t.projectId, 'openai')).toEqual({ apiKey: ENV_KEY, baseUrl: 'https://api.openai.example/v1', chosenBy: 'server' });
    // The project's own key with the server's base URL; then its own base URL too.
    const own = await call('PUT', '/api/providers/openai', { body: { apiKey: API_KEY } });
    expect(own.body).toMatchObject({ source: 'project', baseUrl: 'https://api.openai.example/v1', apiKey: 'sk-…wxyz', apiKeySource: 'project' });
    await call('PUT', '/api/providers/openai', { body: { baseUrl: 'http://proxy.local/v1' } });
    expect(await t.assay.providers.resolve(t.projectId, 'openai')).toEqual({ apiKey: API_KEY, baseUrl: 'http://proxy.local/v1', chosenBy: 'project', limitScope: t.projectId });
    // Clearing its key while keeping its base URL is refused the same way.
    expect((await call('PUT', '/api/providers/openai', { body: { apiKey: null } })).status).toBe(400);

    // Another project still sees only the environment.
    const other = await t.otherProject();
    const theirs = (await call('GET', '/api/providers', { key: other.key })).body.providers;
    expect(theirs.map((p: { name: string }) => p.name)).toEqual(['anthropic', 'openai']);
    expect(theirs[1]).toMatchObject({ source: 'environment', apiKey: 'sk-…beef', apiKeySource: 'server', baseUrl: 'https://api.openai.example/v1' });
    expect(await t.assay.providers.resolve(other.projectId, 'openai')).toEqual({ apiKey: ENV_KEY, baseUrl: 'https://api.openai.example/v1', chosenBy: 'server' });
    expect((await call('DELETE', '/api/providers/openai', { key: other.key })).status).toBe(404);

    expect((await call('DELETE', '/api/providers/openai')).status).toBe(204);
    expect(await t.assay.providers.resolve(t.projectId, 'openai')).toEqual({ apiKey: ENV_KEY, baseUrl: 'https://api.openai.example/v1', chosenBy: 'server' });
    const gone = await call('DELETE', '/api/providers/openai');
    expect(gone.status).toBe(404);
    expect(gone.body).toMatchObject({ error: 'provider_not_found' });
    expect(await t.assay.providers.resolve(t.projectId, 'nothing-here')).toEqual({ chosenBy: 'server' });
  });

  it('refuses bad settings, naming the field and never echoing the value', async () => {
    const cases: [string, unknown, (string | number)[]][] = [
      ['/api/providers/OpenAI', { apiKey: API_KEY }, ['name']],
      ['/api/providers/__proto__', { apiKey: API_KEY }, ['name']],
      ['/api/providers/-x', {}, ['name']],
      ['/api/providers/ok', { apiKey: '' }, ['apiKey']],
      ['/api/providers/ok', { apiKey: `${API_KEY}\r\nX-Injected: 1` }, ['apiKey']],
      ['/api/providers/ok', { apiKey: 7 }, ['apiKey']],
      ['/api/providers/ok', { baseUrl: 'ftp://files.example' }, ['baseUrl']],
      ['/api/providers/ok', { baseUrl: 'not a url' }, ['baseUrl']],
      ['/api/providers/ok', { baseUrl: `https://user:${API_KEY}@host.example/v1` }, ['baseUrl']],
      ['/api/providers/ok', { baseUrl: 'https://host.example/v1#' }, ['baseUrl']],
      ['/api/providers/ok', { baseUrl: 'https://host.example/v1?x=1' }, ['baseUrl']],
      ['/api/providers/ok', { headers: { 'X-A': `v\n${API_KEY}` } }, ['headers', 'X-A']],
      ['/api/providers/ok', { headers: { 'Bad Header': 'v' } }, ['headers', 'Bad Header']],
      ['/api/providers/ok', { headers: { Host: 'evil.example' } }, ['headers', 'Host']],
      ['/api/providers/ok', { headers: { 'X-A': 'a', 'x-a': 'b' } }, ['headers']],
      ['/api/providers/ok', { headers: Object.fromEntries(Array.from({ length: 51 }, (_, i) => [`x-${i}`, 'v'])) }, ['headers']],
      ['/api/providers/ok', { headers: [API_KEY] }, ['headers']],
      ['/api/providers/ok', { api_key: API_KEY }, []],
    ];
    for (const [path, body, field] of cases) {
      const res = await call('PUT', path, { body });
      expect(res.status, `${path} ${JSON.stringify(body).slice(0, 60)}`).toBe(400);
      expect(res.body.error).toBe('validation_error');
      expect(res.body.issues[0].path, JSON.stringify(body).slice(0, 60)).toEqual(field);
    }
    const malformed = await call('PUT', '/api/providers/ok', { raw: `{"apiKey": ${API_KEY}}`, headers: { 'content-type': 'application/json' } });
    expect(malformed.body.error).toBe('Invalid JSON body');
    expect((await call('GET', '/api/providers')).body.providers.map((p: { name: string }) => p.name)).not.toContain('ok');
  });

  it('keeps a provider named like an Object.prototype member apart from the prototype', async () => {
    const res = await call('PUT', '/api/providers/constructor', { body: { baseUrl: 'http://c.example' } });
    expect(res.status).toBe(200);
    expect((await call('GET', '/api/providers')).body.providers.map((p: { name: string }) => p.name)).toContain('constructor');
    expect(await t.assay.providers.resolve(t.projectId, 'hasownproperty')).toEqual({ chosenBy: 'server' });
    expect((await call('DELETE', '/api/providers/constructor')).status).toBe(204);
  });

  it('shows stored fields that no longer decrypt as unreadable, and refuses to use them', async () => {
    // A provider that is not built in needs its base URL (an OpenAI-compatible endpoint).
    await call('PUT', '/api/providers/broken', { body: { baseUrl: 'https://llm.example/v1', apiKey: API_KEY, headers: { 'x-a': 'hdr-value-9c8b7a6d5e4f3a2b1c0d' } } });
    const stored = (await t.assay.stores.providers.get(t.projectId, 'broken'))!;
    // Swap the two sealed values: each is then opened with the other's AAD.
    await t.assay.stores.providers.put(t.projectId, 'broken', { sealedApiKey: stored.sealedHeaders, sealedHeaders: stored.sealedApiKey, at: Date.now() });
    const view = (await call('GET', '/api/providers')).body.providers.find((p: { name: string }) => p.name === 'broken');
    expect(view).toMatchObject({ apiKey: '[unreadable]', headers: {}, unreadable: ['apiKey', 'headers'] });
    const error = await t.assay.providers.resolve(t.projectId, 'broken').catch((e: unknown) => e as Error & { code: string });
    expect(error).toMatchObject({ code: 'secret_unreadable' });
    expect((error as Error).message).toContain('provider "broken"');
    // Headers can be set again (the unreadable ones are dropped), and the key overwritten.
    const fixed = await call('PUT', '/api/providers/broken', { body: { apiKey: API_KEY, headers: { 'x-b': 'b' } } });
    expect(fixed.body).toMatchObject({ apiKey: 'sk-…wxyz', headers: { 'x-b': '…' } });
    expect(fixed.body.unreadable).toBeUndefined();
    expect(await t.assay.providers.resolve(t.projectId, 'broken')).toEqual({ baseUrl: 'https://llm.example/v1', apiKey: API_KEY, headers: { 'x-b': 'b' }, chosenBy: 'project', limitScope: t.projectId });
  });
});
