// SPEC §2: the three header forms, the 401 bodies, revocation, admin API, project isolation.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN_TOKEN, startTestAssay, type TestAssay } from '../testing/harness.js';

let t: TestAssay;
beforeAll(async () => {
  t = await startTestAssay();
  const created = await t.req('POST', '/api/experiments', { body: { slug: 'alpha', name: 'Alpha', targets: [{ id: 't', type: 'code', code: 'return 1' }] } });
  expect(created.status).toBe(201);
});
afterAll(() => t.close());

const basic = (user: string, pass: string) => `Basic ${Buffer.from(`${user}:${pass}`).toString('base64')}`;

describe('project API keys', () => {
  it('accepts Bearer, X-Auth-Token and Basic projectId:key', async () => {
    for (const headers of <Record<string, string>[]>[
      { authorization: `Bearer ${t.key}` },
      { 'x-auth-token': t.key },
      { authorization: basic(t.projectId, t.key) },
      { authorization: basic('default', t.key) },
    ]) {
      const res = await t.req('GET', '/api/experiments/alpha', { key: null, headers });
      expect(res.status, JSON.stringify(headers)).toBe(200);
    }
  });

  it('answers 401 Missing credentials without a key', async () => {
    const res = await t.req('GET', '/api/experiments', { key: null });
    expect(res.status).toBe(401);
    expect(await res.json()).toMatchObject({ error: 'Missing credentials' });
  });

  it('answers 401 Invalid credentials for a wrong key, and for Basic naming another project', async () => {
    for (const headers of <Record<string, string>[]>[
      { 'x-auth-token': 'sk-lw-0000000000000000000000000000000000000000' },
      { authorization: 'Bearer nonsense' },
      { authorization: basic('proj_someone_else', t.key) },
    ]) {
      const res = await t.req('GET', '/api/experiments', { key: null, headers });
      expect(res.status).toBe(401);
      expect(await res.json()).toMatchObject({ error: 'Invalid credentials' });
    }
  });

  it('says a valid key under Basic naming another project is not that project\'s, rather than unknown', async () => {
    const other = await t.req('GET', '/api/experiments', { key: null, headers: { authorization: basic('proj_someone_else', t.key) } });
    expect(other.status).toBe(401);
    const body = (await other.json()) as { error: string; message: string };
    expect(body.error).toBe('Invalid credentials');
    expect(body.message).toContain('not a key of project "proj_someone_else"');
    // A key that is no key at all, under any project, stays "unknown or revoked".
    const unknown = await t.req('GET', '/api/experiments', { key: null, headers: { authorization: basic(t.projectId, 'sk-lw-nope') } });
    expect(((await unknown.json()) as { message: string }).message).toBe('The API key is unknown or revoked');
  });

  it('falls through a malformed Basic header to X-Auth-Token, first match wins', async () => {
    const res = await t.req('GET', '/api/experiments', { key: null, headers: { authorization: 'Basic !!!notbase64', 'x-auth-token': t.key } });
    expect(res.status).toBe(200);
  });

  it('stores only a hash of the key', async () => {
    const keys = await t.assay.stores.apiKeys.listForProject(t.projectId);
    expect(JSON.stringify(keys)).not.toContain(t.key);
    expect(keys[0]?.prefix).toMatch(/^sk-lw-.{4}…$/);
  });
});

describe('admin API', () => {
  const admin = { authorization: `Bearer ${ADMIN_TOKEN}` };

  it('creates projects and keys, and revoked keys stop working at once', async () => {
    const res = await t.req('POST', '/api/admin/projects', { key: null, headers: admin, body: { name: 'Team B' } });
    expect(res.status).toBe(201);
    const project = (await res.json()) as { id: string; slug: string; apiKey: string };
    expect(project.slug).toBe('team-b');
    expect(project.apiKey).toMatch(/^sk-lw-[A-Za-z0-9]{40}$/);

    const keyRes = await t.req('POST', `/api/admin/projects/${project.id}/api-keys`, { key: null, headers: admin });
    expect(keyRes.status).toBe(201);
    const second = (await keyRes.json()) as { id: string; apiKey: string };
    expect((await t.req('GET', '/api/experiments', { key: second.apiKey })).status).toBe(200);

    expect((await t.req('DELETE', `/api/admin/api-keys/${second.id}`, { key: null, headers: admin })).status).toBe(204);
    const after = await t.req('GET', '/api/experiments', { key: second.apiKey });
    expect(after.status).toBe(401);
    expect(await after.json()).toMatchObject({ error: 'Invalid credentials' });
    // The project's first key still works.
    expect((await t.req('GET', '/api/experiments', { key: project.apiKey })).status).toBe(200);
  });

  it('refuses project keys and wrong tokens, and 409s an explicit slug clash', async () => {
    expect((await t.req('POST', '/api/admin/projects', { headers: { authorization: `Bearer ${t.key}` }, body: { name: 'x' } })).status).toBe(401);
    expect((await t.req('POST', '/api/admin/projects', { key: null, body: { name: 'x' } })).status).toBe(401);
    const clash = await t.req('POST', '/api/admin/projects', { key: null, headers: admin, body: { name: 'x', slug: 'default' } });
    expect(clash.status).toBe(409);
    expect(await clash.json()).toMatchObject({ error: 'slug_taken', slug: 'default', projectId: t.projectId, name: 'Default' });
    expect((await t.req('DELETE', '/api/admin/api-keys/key_missing', { key: null, headers: admin })).status).toBe(404);
    expect((await t.req('POST', '/api/admin/projects/proj_missing/api-keys', { key: null, headers: admin })).status).toBe(404);
  });

  it('409s a name whose derived slug another project holds, naming it, rather than making `-2`', async () => {
    const first = await t.req('POST', '/api/admin/projects', { key: null, headers: admin, body: { name: 'Team C' } });
    const made = (await first.json()) as { id: string; slug: string };
    expect(made.slug).toBe('team-c');
    const again = await t.req('POST', '/api/admin/projects', { key: null, headers: admin, body: { name: 'team c' } });
    expect(again.status).toBe(409);
    const body = (await again.json()) as Record<string, unknown>;
    expect(body).toMatchObject({ error: 'slug_taken', slug: 'team-c', projectId: made.id, name: 'Team C' });
    expect(body.message).toBe(`A project with the slug "team-c" already exists: ${made.id}, named "Team C". Pick another name or slug, or use that project`);
    expect(JSON.stringify(body)).not.toContain('sk-lw-');
    const list = (await (await t.req('GET', '/api/admin/projects?pageSize=200', { key: null, headers: admin })).json()) as { projects: { slug: string }[] };
    expect(list.projects.map((p) => p.slug).filter((s) => s.startsWith('team-c'))).toEqual(['team-c']);
  });

  it("refuses a project slug that is one of the server's own paths, and a name holding U+0000", async () => {
    // A project `api` would have had every runUrl (/api/experiments/<slug>?runId=…) answered by the API.
    for (const slug of ['api', 'docs', 'healthz', 'metrics', 'readyz']) {
      const res = await t.req('POST', '/api/admin/projects', { key: null, headers: admin, body: { name: 'x', slug } });
      expect(res.status).toBe(400);
      expect(JSON.stringify(await res.json())).toContain('reserved');
    }
    // Derived from the name, it steps aside instead.
    const derived = await t.req('POST', '/api/admin/projects', { key: null, headers: admin, body: { name: 'API' } });
    expect(((await derived.json()) as { slug: string }).slug).toBe('api-1');
    expect((await t.req('POST', '/api/admin/projects', { key: null, headers: admin, body: { name: 'API' } })).status).toBe(409);
    const nul = await t.req('POST', '/api/admin/projects', { key: null, headers: admin, body: { name: 'a\u0000b' } });
    expect(nul.status).toBe(400);
    expect(JSON.stringify(await nul.json())).toContain('U+0000');
  });

  it('is disabled (404) without ASSAY_ADMIN_TOKEN', async () => {
    const off = await startTestAssay({ adminToken: undefined });
    try {
      const res = await off.req('POST', '/api/admin/projects', { key: null, headers: { authorization: 'Bearer anything-at-all-here' }, body: { name: 'x' } });
      expect(res.status).toBe(404);
    } finally {
      await off.close();
    }
  });
});

describe('project isolation', () => {
  it("gives another project's key 404 for this project's experiments and datasets", async () => {
    const ds = await t.req('POST', '/api/datasets', { body: { name: 'Secret rows', rows: [{ a: 1 }] } });
    const { id: datasetId } = (await ds.json()) as { id: string };
    const other = await t.otherProject();
    const as = { key: other.key };
    for (const [method, path, body] of [
      ['GET', '/api/experiments/alpha'],
      ['PUT', '/api/experiments/alpha', undefined],
      ['DELETE', '/api/experiments/alpha'],
      ['GET', `/api/datasets/${datasetId}`],
      ['GET', '/api/datasets/secret-rows'],
      ['POST', `/api/datasets/${datasetId}/records`, { rows: [{ a: 2 }] }],
      ['DELETE', `/api/datasets/${datasetId}`],
    ] as const) {
      if (method === 'PUT') continue; // PUT creates in the caller's own project; covered below
      const res = await t.req(method, path, { ...as, ...(body ? { body } : {}) });
      expect(res.status, `${method} ${path}`).toBe(404);
    }
    expect(((await (await t.req('GET', '/api/experiments', as)).json()) as { experiments: unknown[] }).experiments).toEqual([]);
    expect(((await (await t.req('GET', '/api/datasets', as)).json()) as { datasets: unknown[] }).datasets).toEqual([]);
    // PUT with the same slug creates a separate experiment in the other project and leaves ours alone.
    const put = await t.req('PUT', '/api/experiments/alpha', { ...as, body: { name: 'Theirs', targets: [{ id: 'x', type: 'code', code: 'return 2' }] } });
    expect(put.status).toBe(201);
    const ours = (await (await t.req('GET', '/api/experiments/alpha')).json()) as { name: string; version: number };
    expect(ours).toMatchObject({ name: 'Alpha', version: 1 });
    // Our dataset is untouched by their attempts.
    expect(((await (await t.req('GET', `/api/datasets/${datasetId}`)).json()) as { rows: unknown[] }).rows).toEqual([{ a: 1 }]);
  });
});
