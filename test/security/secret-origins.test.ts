// Issue 10: "a secret may be bound to allowed origins". A project secret stored with
// `allowedOrigins`, or a server secret with ASSAY_SECRET_ORIGINS_<NAME>, is sent only to those
// origins: an HTTP target whose URL (rendered per row) goes elsewhere fails its cell before any
// request leaves, and the other origin receives nothing.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestAssay, type TestAssay } from '../../src/testing/harness.js';
import { type Receiver, startReceiver } from '../../src/testing/receiver.js';
import { startRun, waitForRun } from '../../src/testing/runs.js';

const TOKEN = 'bound-token-value-0f1e2d3c4b5a';
const ENV_TOKEN = 'env-bound-token-value-99aa88bb';

let t: TestAssay;
let trusted: Receiver;
let elsewhere: Receiver;

beforeAll(async () => {
  trusted = await startReceiver();
  elsewhere = await startReceiver();
  t = await startTestAssay({ envSecrets: { ENV_TOKEN }, envSecretOrigins: { ENV_TOKEN: [trusted.url] } });
});
afterAll(async () => {
  await t.close();
  await trusted.close();
  await elsewhere.close();
});

/** One HTTP target whose URL comes from the row, sending `{{secrets.NAME}}` as a bearer token. */
function doc(slug: string, secret: string, urls: string[]) {
  return {
    slug, name: slug,
    dataset: { rows: urls.map((url) => ({ url })) },
    targets: [{ id: 'agent', type: 'http', url: '{{ url }}/chat', auth: { type: 'bearer', token: `{{secrets.${secret}}}` }, body: { q: 'x' }, outputPath: '$.reply' }],
    evaluators: [],
  };
}

async function run(slug: string, body: unknown): Promise<{ index: number; error: string | null }[]> {
  expect((await t.req('POST', '/api/experiments', { body })).status).toBe(201);
  const runId = await startRun(t, slug);
  await waitForRun(t, runId);
  const results = (await (await t.req('GET', `/api/experiments/runs/${runId}/results`)).json()) as { dataset: { index: number; error: string | null }[] };
  return results.dataset;
}

describe('secrets bound to origins', () => {
  it('stores allowedOrigins normalised and lists them, refusing anything but an origin', async () => {
    const put = await t.req('PUT', '/api/secrets/TOKEN', { body: { value: TOKEN, allowedOrigins: [`${trusted.url}/`, trusted.url] } });
    expect(put.status).toBe(200);
    expect(await put.json()).toEqual({ name: 'TOKEN', updatedAt: expect.any(Number), allowedOrigins: [trusted.url] });
    const list = (await (await t.req('GET', '/api/secrets')).json()) as { secrets: unknown[] };
    expect(list.secrets).toEqual([{ name: 'TOKEN', updatedAt: expect.any(Number), allowedOrigins: [trusted.url] }]);
    for (const bad of [['https://a.example/v1'], ['https://a.example?x=1'], ['ftp://a.example'], ['https://user:pw@a.example'], []]) {
      const res = await t.req('PUT', '/api/secrets/OTHER', { body: { value: TOKEN, allowedOrigins: bad } });
      expect(res.status, JSON.stringify(bad)).toBe(400);
      const text = await res.text();
      expect(text).toContain('allowedOrigins');
      expect(text).not.toContain(TOKEN);
    }
  });

  it('sends a bound project secret only to its origins', async () => {
    trusted.reset();
    elsewhere.reset();
    const cells = await run('bound-project', doc('bound-project', 'TOKEN', [trusted.url, elsewhere.url]));
    expect(cells[0]!.error).toBeNull();
    expect(cells[1]!.error).toBe(`secret "TOKEN" may only be sent to ${trusted.url} (its allowed origins), not to ${elsewhere.url}`);
    expect(trusted.requests.map((r) => r.headers.authorization)).toEqual([`Bearer ${TOKEN}`]);
    expect(elsewhere.requests).toHaveLength(0);
  });

  it('binds ASSAY_SECRET_<NAME> with ASSAY_SECRET_ORIGINS_<NAME> the same way', async () => {
    trusted.reset();
    elsewhere.reset();
    const cells = await run('bound-env', doc('bound-env', 'ENV_TOKEN', [elsewhere.url, trusted.url]));
    expect(cells[0]!.error).toContain('secret "ENV_TOKEN" may only be sent to');
    expect(cells[1]!.error).toBeNull();
    expect(trusted.requests.map((r) => r.headers.authorization)).toEqual([`Bearer ${ENV_TOKEN}`]);
    expect(elsewhere.requests).toHaveLength(0);
  });

  it('unbinds a secret stored again without allowedOrigins', async () => {
    elsewhere.reset();
    expect((await t.req('PUT', '/api/secrets/TOKEN', { body: { value: TOKEN } })).status).toBe(200);
    const cells = await run('unbound', doc('unbound', 'TOKEN', [elsewhere.url]));
    expect(cells[0]!.error).toBeNull();
    expect(elsewhere.requests).toHaveLength(1);
  });
});
