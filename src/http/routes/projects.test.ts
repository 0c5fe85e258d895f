// GET /api/projects/current and LangWatch's GET /api/me/project: the key's own project, 401
// without a valid key, and in OpenAPI.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestAssay, type TestAssay } from '../../testing/harness.js';

let t: TestAssay;
beforeAll(async () => {
  t = await startTestAssay();
});
afterAll(() => t.close());

describe('GET /api/projects/current', () => {
  it("answers the key's project", async () => {
    const res = await t.req('GET', '/api/projects/current');
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ id: t.projectId, slug: 'default', name: 'Default' });
  });

  it("answers another project's key with that project, never the first", async () => {
    const other = await t.otherProject();
    const res = await t.req('GET', '/api/projects/current', { key: other.key });
    expect(await res.json()).toMatchObject({ id: other.projectId, slug: 'other-1' });
  });

  it('refuses a missing or wrong key with the LangWatch 401 texts', async () => {
    const missing = await t.req('GET', '/api/projects/current', { key: null });
    expect(missing.status).toBe(401);
    expect(await missing.json()).toMatchObject({ error: 'Missing credentials' });
    const wrong = await t.req('GET', '/api/projects/current', { key: 'sk-lw-' + 'x'.repeat(40) });
    expect(wrong.status).toBe(401);
    expect(await wrong.json()).toMatchObject({ error: 'Invalid credentials' });
  });

  it('is declared in the OpenAPI document with its response schema', async () => {
    const doc = (await (await t.req('GET', '/api/openapi.json')).json()) as any;
    const op = doc.paths['/api/projects/current'].get;
    expect(Object.keys(op.responses['200'].content['application/json'].schema.properties).sort()).toEqual(['id', 'name', 'slug']);
  });
});

describe('GET /api/me/project (LangWatch CLI identity notice)', () => {
  it("answers the key's project in LangWatch's shape", async () => {
    const res = await t.req('GET', '/api/me/project', { headers: { authorization: `Bearer ${t.key}` } });
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ id: t.projectId, name: 'Default', slug: 'default', isPersonal: false });
  });

  it('refuses a missing key with the LangWatch 401 text', async () => {
    const res = await t.req('GET', '/api/me/project', { key: null });
    expect(res.status).toBe(401);
    expect(await res.json()).toMatchObject({ error: 'Missing credentials' });
  });
});
