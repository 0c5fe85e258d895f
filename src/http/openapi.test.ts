// SPEC §5: the OpenAPI 3.1 document is valid and lists every route the server answers.
import { Validator } from '@seriousme/openapi-schema-validator';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestAssay, type TestAssay } from '../testing/harness.js';

let t: TestAssay;
beforeAll(async () => {
  t = await startTestAssay();
});
afterAll(() => t.close());

describe('OpenAPI', () => {
  it('validates against the OpenAPI 3.1 schema', async () => {
    const res = await t.req('GET', '/api/openapi.json', { key: null });
    expect(res.status).toBe(200);
    const doc = (await res.json()) as { openapi: string };
    expect(doc.openapi).toBe('3.1.0');
    const result = await new Validator().validate(doc as never);
    expect(result.errors ?? []).toEqual([]);
    expect(result.valid).toBe(true);
  });

  it('lists every registered route with its method', async () => {
    const doc = (await (await t.req('GET', '/api/openapi.json', { key: null })).json()) as { paths: Record<string, Record<string, unknown>> };
    const registered = t.assay.http.routes.routes;
    expect(registered.length).toBeGreaterThan(10);
    for (const { method, path } of registered) {
      expect(doc.paths[path]?.[method], `${method} ${path}`).toBeDefined();
    }
    const documented = Object.entries(doc.paths).flatMap(([p, ops]) => Object.keys(ops).map((m) => `${m} ${p}`));
    expect(documented.sort()).toEqual(registered.map((r) => `${r.method} ${r.path}`).sort());
  });

  it('serves the browsable docs page and its assets without internet', async () => {
    const page = await t.req('GET', '/docs', { key: null });
    expect(page.status).toBe(200);
    expect(await page.text()).toContain('/api/openapi.json');
    const asset = await t.req('GET', '/docs/assets/swagger-ui-bundle.js', { key: null });
    expect(asset.status).toBe(200);
    expect((await asset.text()).length).toBeGreaterThan(100_000);
    expect((await t.req('GET', '/docs/assets/..%2Fpackage.json', { key: null })).status).toBe(404);
  });

  it('answers unknown routes with a JSON 404, not HTML', async () => {
    const res = await t.req('GET', '/nowhere', { key: null });
    expect(res.status).toBe(404);
    expect(res.headers.get('content-type')).toContain('application/json');
    expect(await res.json()).toMatchObject({ error: 'not_found' });
  });
});
