// Issue 10: "a secret may be bound to allowed origins". A project secret stored with
// `allowedOrigins`, or a server secret with ASSAY_SECRET_ORIGINS_<NAME>, is sent only to those
// origins: an HTTP target whose URL (rendered per row) goes elsewhere fails its cell before any
// request leaves, and the other origin receives nothing.
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
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

  it('keeps the binding when only a new value is stored, and unbinds with allowedOrigins null', async () => {
    elsewhere.reset();
    // Rotating the value with {"value"} alone had unbound it: the new value went anywhere.
    const rotated = await t.req('PUT', '/api/secrets/TOKEN', { body: { value: `${TOKEN}-rotated` } });
    expect(rotated.status).toBe(200);
    expect(await rotated.json()).toMatchObject({ allowedOrigins: [trusted.url] });
    const kept = await run('rotated', doc('rotated', 'TOKEN', [elsewhere.url]));
    expect(kept[0]!.error).toBe(`secret "TOKEN" may only be sent to ${trusted.url} (its allowed origins), not to ${elsewhere.url}`);
    expect(elsewhere.requests).toHaveLength(0);
    const unbound = await t.req('PUT', '/api/secrets/TOKEN', { body: { value: TOKEN, allowedOrigins: null } });
    expect(await unbound.json()).not.toHaveProperty('allowedOrigins');
    const cells = await run('unbound', doc('unbound', 'TOKEN', [elsewhere.url]));
    expect(cells[0]!.error).toBeNull();
    expect(elsewhere.requests).toHaveLength(1);
  });
});

describe('a bound secret cannot be read back through a filter or a spelling', () => {
  beforeEach(() => {
    trusted.reset();
    elsewhere.reset();
  });

  it('quotes no URL rendered from secrets in an error, whatever filter made it', async () => {
    const transforms = [
      `{{ secrets.ENV_TOKEN | base64_encode }}`,
      `{{ secrets.ENV_TOKEN | split: '' | reverse | join: '' }}`,
      `{{ secrets.ENV_TOKEN | split: '' | join: ' ' }}`,
      `http://{{ secrets.ENV_TOKEN | downcase }}.example/`,
      `{{ secrets.ENV_TOKEN | upcase }}://x.example/`,
    ];
    const body = {
      slug: 'filtered', name: 'filtered', dataset: { rows: [{ q: 'x' }] }, evaluators: [],
      targets: transforms.map((url, i) => ({ id: `t${i}`, type: 'http', url, body: { q: 'x' } })),
    };
    const cells = await run('filtered', body);
    expect(cells).toHaveLength(transforms.length);
    const forms = [ENV_TOKEN, Buffer.from(ENV_TOKEN).toString('base64'), [...ENV_TOKEN].reverse().join(''), [...ENV_TOKEN].join(' '), ENV_TOKEN.toUpperCase()];
    for (const cell of cells) {
      expect(cell.error).toContain('not shown: the URL template reads secrets');
      for (const form of forms) expect(cell.error).not.toContain(form);
    }
    expect(elsewhere.requests).toHaveLength(0);
  });

  it('quotes no URL that reads secrets through a computed name (a row column, an assign), once the name is in scope', async () => {
    // A plain {{secrets.ENV_TOKEN}} in a header puts the secret in the target's scope; the URL
    // then reads it under a name no static analysis sees.
    const urls = [
      `{{ [k].ENV_TOKEN | split: "" | join: "_" | raw }}`,
      `{% assign n = "sec" | append: "rets" %}{{ [n].ENV_TOKEN | split: "" | reverse | join: "" }}`,
      `http://{{ [k].ENV_TOKEN | base64_encode | downcase }}.example/`,
    ];
    const body = {
      slug: 'computed', name: 'computed', dataset: { rows: [{ k: 'secrets' }] }, evaluators: [],
      targets: urls.map((url, i) => ({ id: `t${i}`, type: 'http', url, headers: { 'X-Tok': '{{ secrets.ENV_TOKEN }}' }, body: { q: 'x' } })),
    };
    const cells = await run('computed', body);
    expect(cells).toHaveLength(urls.length);
    const forms = [ENV_TOKEN, [...ENV_TOKEN].join('_'), [...ENV_TOKEN].reverse().join(''), Buffer.from(ENV_TOKEN).toString('base64').toLowerCase()];
    for (const cell of cells) {
      expect(cell.error).toContain('not shown: the URL template reads secrets');
      for (const form of forms) expect(cell.error).not.toContain(form);
    }
    expect(elsewhere.requests).toHaveLength(0);
  });

  it('drops a header that reads secrets through a computed name when a redirect leaves the origin', async () => {
    trusted.answer = () => ({ status: 307, headers: { location: `${elsewhere.url}/landed` }, body: '' });
    try {
      const body = {
        slug: 'computed-redirect', name: 'computed-redirect', dataset: { rows: [{ k: 'secrets' }] }, evaluators: [],
        targets: [{ id: 't', type: 'http', url: `${trusted.url}/start`, body: { q: 'x' }, headers: { 'X-A': '{{ secrets.ENV_TOKEN }}', 'X-B': '{{ [k].ENV_TOKEN }}', 'X-C': '{% assign n = "sec" | append: "rets" %}{{ [n].ENV_TOKEN }}' } }],
      };
      await run('computed-redirect', body);
      expect(trusted.requests[0]?.headers['x-b']).toBe(ENV_TOKEN);
      expect(elsewhere.requests).toHaveLength(1);
      for (const name of ['x-a', 'x-b', 'x-c']) expect(elsewhere.requests[0]!.headers[name], name).toBeUndefined();
    } finally {
      trusted.reset();
    }
  });

  it('drops a header that reads secrets through an escaped name when a redirect leaves the origin', async () => {
    trusted.answer = () => ({ status: 302, headers: { location: `${elsewhere.url}/landed` }, body: '' });
    try {
      const body = {
        slug: 'escaped', name: 'escaped', dataset: { rows: [{ q: 'x' }] }, evaluators: [],
        targets: [{ id: 't', type: 'http', method: 'GET', url: `${trusted.url}/start`, headers: { 'X-Tok': '{{ ["\\u0073ecrets"].ENV_TOKEN }}' } }],
      };
      await run('escaped', body);
      // The template did read the secret: the trusted origin got it.
      expect(trusted.requests[0]?.headers['x-tok']).toBe(ENV_TOKEN);
      expect(elsewhere.requests).toHaveLength(1);
      expect(elsewhere.requests[0]!.headers['x-tok']).toBeUndefined();
    } finally {
      trusted.reset();
    }
  });
});

// A target whose URL has a fixed origin sends every row to that origin: a secret it reads that
// is bound elsewhere would fail every cell, so the start (and the estimate) refuse it before
// anything is stored. A templated origin may differ per row and stays checked call by call.
describe('a secret bound elsewhere than a fixed URL, at the start', () => {
  const FIXED = 'fixed-token-value-5e6f7a8b9c0d';
  const fixedDoc = (slug: string, url: string, target: object = {}) => ({
    slug, name: slug, dataset: { rows: [{ q: 'one' }, { q: 'two' }] }, evaluators: [],
    targets: [{ id: 'agent', type: 'http', url, auth: { type: 'bearer', token: '{{secrets.FIXED_TOKEN}}' }, body: { q: '{{ q }}' }, ...target }],
  });
  const runsOf = async (slug: string) => ((await (await t.req('GET', `/api/experiments/runs?experimentSlug=${slug}`)).json()) as { runs: unknown[] }).runs;

  beforeEach(async () => {
    trusted.reset();
    elsewhere.reset();
    expect((await t.req('PUT', '/api/secrets/FIXED_TOKEN', { body: { value: FIXED, allowedOrigins: [trusted.url] } })).status).toBe(200);
  });

  it("refuses the start and the estimate naming the target, the secret, its allowed origins and the URL's origin, and stores nothing", async () => {
    expect((await t.req('POST', '/api/experiments', { body: fixedDoc('fixed-elsewhere', `${elsewhere.url}/chat?q={{ q }}`) })).status).toBe(201);
    const expected = `A secret would be sent outside its allowed origins: target "agent" sends {{secrets.FIXED_TOKEN}} to ${elsewhere.url}, but the secret may only be sent to ${trusted.url}. Each call would fail before sending anything: point the target's url at an allowed origin, or add that origin to the secret's allowedOrigins, then start the run again`;
    for (const path of ['run', 'estimate']) {
      const res = await t.req('POST', `/api/experiments/fixed-elsewhere/${path}`);
      expect(res.status, path).toBe(400);
      const text = await res.text();
      expect(text).not.toContain(FIXED);
      const body = JSON.parse(text) as { error: string; message: string; issues: unknown[] };
      expect(body.error).toBe('validation_error');
      expect(body.message).toBe(expected);
      expect(body.issues).toEqual([{ path: ['targets', 0, 'url'], message: `sends secret "FIXED_TOKEN" to ${elsewhere.url}, outside its allowed origins (${trusted.url})` }]);
    }
    expect(await runsOf('fixed-elsewhere')).toEqual([]);
    expect(elsewhere.requests).toHaveLength(0);

    // At an allowed origin, the same target runs.
    expect((await t.req('PUT', '/api/experiments/fixed-elsewhere', { body: fixedDoc('fixed-elsewhere', `${trusted.url}/chat?q={{ q }}`) })).status).toBe(200);
    await waitForRun(t, await startRun(t, 'fixed-elsewhere'));
    expect(trusted.requests.map((r) => r.headers.authorization)).toEqual([`Bearer ${FIXED}`, `Bearer ${FIXED}`]);
  });

  it('checks a server secret bound by ASSAY_SECRET_ORIGINS_<NAME>, one read in a header or as a whole, and only the selected targets', async () => {
    const body = {
      slug: 'fixed-env', name: 'fixed-env', dataset: { rows: [{ q: 'x' }] }, evaluators: [],
      targets: [
        { id: 'header', type: 'http', url: `${elsewhere.url}/chat`, headers: { 'X-Token': '{{ secrets.ENV_TOKEN }}' }, body: { q: 'x' } },
        { id: 'whole', type: 'http', url: `${elsewhere.url}/all`, headers: { 'X-All': '{{ secrets | json | size }}' }, body: { q: 'x' } },
        { id: 'fine', type: 'http', url: `${trusted.url}/chat`, headers: { 'X-Token': '{{ secrets.ENV_TOKEN }}' }, body: { q: 'x' } },
      ],
    };
    expect((await t.req('POST', '/api/experiments', { body })).status).toBe(201);
    const res = await t.req('POST', '/api/experiments/fixed-env/run');
    expect(res.status).toBe(400);
    const refused = (await res.json()) as { message: string; issues: { path: unknown[]; message: string }[] };
    expect(refused.message).toContain(`target "header" sends {{secrets.ENV_TOKEN}} to ${elsewhere.url}, but the secret may only be sent to ${trusted.url}`);
    // A template reading `secrets` as a whole sends them all.
    expect(refused.message).toContain(`target "whole" sends {{secrets.ENV_TOKEN}} to ${elsewhere.url}`);
    expect(refused.message).toContain(`target "whole" sends {{secrets.FIXED_TOKEN}} to ${elsewhere.url}`);
    expect(refused.message).not.toContain('target "fine"');
    expect(refused.issues.map((i) => i.path)).toEqual(expect.arrayContaining([['targets', 0, 'url'], ['targets', 1, 'url']]));
    expect(JSON.stringify(refused)).not.toContain(ENV_TOKEN);
    expect(JSON.stringify(refused)).not.toContain(FIXED);
    // The target at the allowed origin alone starts.
    await waitForRun(t, await startRun(t, 'fixed-env', { targets: ['fine'] }));
    expect(trusted.requests).toHaveLength(1);
    expect(elsewhere.requests).toHaveLength(0);
  });

  it('leaves a URL whose origin is templated to the check of each call: the run starts, and only the bound origin receives the secret', async () => {
    const body = {
      slug: 'templated-origin', name: 'templated-origin', evaluators: [],
      dataset: { rows: [{ base: trusted.url }, { base: elsewhere.url }] },
      targets: [{ id: 'agent', type: 'http', url: '{{ base }}/chat', auth: { type: 'bearer', token: '{{secrets.FIXED_TOKEN}}' }, body: { q: 'x' } }],
    };
    expect((await t.req('POST', '/api/experiments', { body })).status).toBe(201);
    const started = await t.req('POST', '/api/experiments/templated-origin/run');
    expect(started.status).toBe(200);
    const runId = ((await started.json()) as { runId: string }).runId;
    await waitForRun(t, runId);
    const results = (await (await t.req('GET', `/api/experiments/runs/${runId}/results`)).json()) as { dataset: { index: number; error: string | null }[] };
    expect(results.dataset.map((d) => d.error)).toEqual([null, `secret "FIXED_TOKEN" may only be sent to ${trusted.url} (its allowed origins), not to ${elsewhere.url}`]);
    expect(elsewhere.requests).toHaveLength(0);
  });
});
