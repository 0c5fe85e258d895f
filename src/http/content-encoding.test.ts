// A request body sent compressed (Content-Encoding: gzip, br …) is refused with a 415 naming the
// coding, on every kind of body (a JSON document, a run request, a CSV upload), and nothing is
// stored or started. Nothing decodes such a body: read as it came, a gzip document failed as
// "not valid UTF-8", and a plain body labelled `br` was taken as if the header were absent.
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { listen, startTestAssay, type TestAssay } from '../testing/harness.js';

let t: TestAssay;
let server: Awaited<ReturnType<typeof listen>>;

const doc = { slug: 'zipped', name: 'Zipped', dataset: { rows: [{ q: 'a' }] }, targets: [{ id: 't', type: 'code', code: 'return row.q' }] };

beforeAll(async () => {
  t = await startTestAssay();
  server = await listen(t);
  expect((await t.req('POST', '/api/experiments', { body: { ...doc, slug: 'plain' } })).status).toBe(201);
});
afterAll(async () => {
  await server.close();
  await t.close();
});

function send(method: string, path: string, body: Uint8Array | string, headers: Record<string, string>) {
  return fetch(`${server.url}${path}`, { method, body, headers: { 'x-auth-token': t.key, ...headers } });
}

async function expectRefused(res: Response, coding: string) {
  expect(res.status).toBe(415);
  expect(await res.json()).toMatchObject({ error: 'unsupported_media_type', message: expect.stringContaining(`Content-Encoding "${coding}" is not supported`) });
}

describe('a compressed request body', () => {
  it('is refused with 415 naming the coding, and stores nothing', async () => {
    const json = { 'content-type': 'application/json' };
    await expectRefused(await send('POST', '/api/experiments', gzipSync(JSON.stringify(doc)), { ...json, 'content-encoding': 'gzip' }), 'gzip');
    expect((await t.req('GET', '/api/experiments/zipped')).status).toBe(404);

    await expectRefused(await send('POST', '/api/datasets?name=zipped', gzipSync('a,b\n1,2\n'), { 'content-type': 'text/csv', 'content-encoding': 'GZIP' }), 'gzip');
    expect(((await (await t.req('GET', '/api/datasets')).json()) as { datasets: unknown[] }).datasets).toEqual([]);

    // A plain body under a coding's name is not taken as plain: the run would start with a body
    // other than the one the client meant to send.
    await expectRefused(await send('POST', '/api/experiments/plain/run', '{"repeats":2}', { ...json, 'content-encoding': 'br' }), 'br');
    expect(((await (await t.req('GET', '/api/experiments/runs?experimentSlug=plain')).json()) as { runs: unknown[] }).runs).toEqual([]);
  });

  it('is read as usual with no coding or identity', async () => {
    const res = await send('POST', '/api/experiments', JSON.stringify({ ...doc, slug: 'identity' }), { 'content-type': 'application/json', 'content-encoding': 'identity' });
    expect(res.status).toBe(201);
  });
});
