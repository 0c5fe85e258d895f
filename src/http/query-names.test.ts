// Query parameters an endpoint does not take are refused with a 400 naming them, on a real
// server: a misspelt page size must not quietly hand back the default page.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestAssay, type TestAssay } from '../testing/harness.js';
import { checkQueryNames } from './query-names.js';

let t: TestAssay;
let runId: string;

beforeAll(async () => {
  t = await startTestAssay();
  await t.client.json('POST', '/api/experiments', { slug: 'q', name: 'Q', dataset: { rows: [{ a: 1 }, { a: 2 }] }, targets: [{ id: 't', type: 'code', code: 'return 1' }] });
  runId = (await t.client.startRun('q')).runId;
  expect((await t.client.waitForEnd(runId, 30_000)).status).toBe('completed');
});
afterAll(() => t.close());

const errorOf = async (path: string) => {
  const res = await t.req('GET', path);
  return { status: res.status, body: (await res.json()) as { error: string; message: string; issues?: { path: unknown[] }[] } };
};

describe('unknown query parameters', () => {
  it('a misspelt page size on the runs list is a 400 naming it and what the endpoint takes', async () => {
    const { status, body } = await errorOf('/api/experiments/runs?experimentSlug=q&pagesize=1');
    expect(status).toBe(400);
    expect(body.error).toBe('validation_error');
    expect(body.message).toContain('"pagesize"');
    expect(body.message).toContain('pageSize');
    expect(body.message).toContain('metadata.KEY');
    expect(body.issues?.[0]?.path).toEqual(['pagesize']);
  });

  it('the names an endpoint takes still work, with metadata filters and the LangWatch experimentSlug on results', async () => {
    const list = await t.req('GET', '/api/experiments/runs?experimentSlug=q&page=1&pageSize=1&metadata.branch=main');
    expect(list.status).toBe(200);
    const results = await t.req('GET', `/api/evaluations/v3/runs/${runId}/results?experimentSlug=q&offset=0&limit=1`);
    expect(results.status).toBe(200);
    expect(((await results.json()) as { dataset: unknown[] }).dataset).toHaveLength(1);
    expect((await t.req('GET', `/api/experiments/runs/${runId}?`)).status).toBe(200);
  });

  it('an endpoint that takes none refuses any', async () => {
    const { status, body } = await errorOf(`/api/experiments/runs/${runId}?verbose=1`);
    expect(status).toBe(400);
    expect(body.message).toBe('Unknown query parameter "verbose": this endpoint takes no query parameters');
  });

  it('a name given twice is refused instead of one value being dropped', async () => {
    const { status, body } = await errorOf(`/api/experiments/runs/${runId}/results?limit=1&limit=1000`);
    expect(status).toBe(400);
    expect(body.message).toContain('"limit" is given more than once');
  });

  it('authentication is checked first: without a key an unknown parameter is still a 401', async () => {
    const res = await t.req('GET', `/api/experiments/runs/${runId}?verbose=1`, { key: null });
    expect(res.status).toBe(401);
  });

  it('long or odd names are cut and quoted, never echoed whole', () => {
    const allowed = { names: new Set(['a']), prefixes: [] };
    expect(() => checkQueryNames(`/x?${'n'.repeat(5000)}=1`, allowed)).toThrow(/"n{60}"/);
    expect(() => checkQueryNames('/x?%3Cscript%3E=1', allowed)).toThrow('Unknown query parameter "<script>"');
    expect(() => checkQueryNames('/x?a=1', allowed)).not.toThrow();
    expect(() => checkQueryNames('/x', allowed)).not.toThrow();
  });
});
