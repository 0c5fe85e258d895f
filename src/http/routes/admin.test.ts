// The admin API's key administration (SPEC §2) on SQLite and PostgreSQL: every created key comes
// with its id, a project's keys are listed without their secrets, revoking takes the id and
// refuses the key itself without ever quoting it (bodies or logs), and revoked keys stop working.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { capturingLogger } from '../../testing/capture-logger.js';
import { allDatabases } from '../../testing/databases.js';
import { ADMIN_TOKEN, startTestAssay, type TestAssay } from '../../testing/harness.js';

const admin = { authorization: `Bearer ${ADMIN_TOKEN}` };

interface ListedKey { id: string; projectId: string; prefix: string; createdAt: number; revokedAt: number | null }
interface KeyList { apiKeys: ListedKey[]; pagination: { page: number; pageSize: number; totalHits: number; hasMore: boolean } }

describe.each(allDatabases())('admin API keys on $name', (db) => {
  let t: TestAssay;
  const logger = capturingLogger();
  /** Every secret a test saw: none may appear in any answer body or log line. */
  const secrets = new Set<string>();
  const bodies: string[] = [];

  beforeAll(async () => {
    t = await startTestAssay({}, await db.options(), { logger });
    secrets.add(t.key);
  });
  afterAll(async () => {
    await t.close();
    await db.cleanup();
  });

  /** An admin request whose body is kept for the no-secret check (bodies that hand out a key excepted). */
  async function call(method: string, path: string, init: { headers?: Record<string, string>; body?: unknown; handsOutKey?: boolean } = {}) {
    const res = await t.req(method, path, { key: null, headers: init.headers ?? admin, ...(init.body !== undefined ? { body: init.body } : {}) });
    const text = await res.text();
    if (!init.handsOutKey) bodies.push(text);
    return { status: res.status, body: text === '' ? undefined : (JSON.parse(text) as Record<string, unknown>) };
  }

  async function newProject(name: string) {
    const res = await call('POST', '/api/admin/projects', { body: { name }, handsOutKey: true });
    expect(res.status).toBe(201);
    const body = res.body as { id: string; slug: string; name: string; apiKey: string; keyId: string };
    secrets.add(body.apiKey);
    return body;
  }

  async function newKey(project: string) {
    const res = await call('POST', `/api/admin/projects/${project}/api-keys`, { handsOutKey: true });
    expect(res.status).toBe(201);
    const body = res.body as { id: string; apiKey: string };
    secrets.add(body.apiKey);
    return body;
  }

  const list = async (project: string, query = '') => {
    const res = await call('GET', `/api/admin/projects/${project}/api-keys${query}`);
    expect(res.status).toBe(200);
    return res.body as unknown as KeyList;
  };
  const works = async (key: string) => (await t.req('GET', '/api/experiments', { key })).status;

  it("answers every created key's id beside it, and lists keys by id with a masked prefix, never the secret", async () => {
    const project = await newProject('Keys A');
    expect(project.apiKey).toMatch(/^sk-lw-[A-Za-z0-9]{40}$/);
    expect(project.keyId).toMatch(/^key_/);
    // By id and by slug alike.
    const second = await newKey(project.id);
    const third = await newKey(project.slug);
    expect(second.id).toMatch(/^key_/);

    const listed = await list(project.slug);
    expect(listed.apiKeys.map((k) => k.id)).toEqual([project.keyId, second.id, third.id]);
    expect(listed.pagination).toEqual({ page: 1, pageSize: 50, totalHits: 3, hasMore: false });
    const [first] = listed.apiKeys;
    expect(first).toEqual({ id: project.keyId, projectId: project.id, prefix: `${project.apiKey.slice(0, 10)}…`, createdAt: expect.any(Number), revokedAt: null });
    expect(Math.abs(first!.createdAt - Date.now())).toBeLessThan(60_000);
    expect(await list(project.id)).toEqual(listed);

    const paged = await list(project.id, '?page=2&pageSize=2');
    expect(paged.apiKeys.map((k) => k.id)).toEqual([third.id]);
    expect(paged.pagination).toEqual({ page: 2, pageSize: 2, totalHits: 3, hasMore: false });
    expect((await list(project.id, '?pageSize=2')).pagination.hasMore).toBe(true);
  });

  it('revokes by id: the key stops working at once, the list shows when, the others go on', async () => {
    const project = await newProject('Keys B');
    const extra = await newKey(project.id);
    expect(await works(project.apiKey)).toBe(200);

    // The first key of a project can be revoked: its id came with it.
    expect((await call('DELETE', `/api/admin/api-keys/${project.keyId}`)).status).toBe(204);
    expect(await works(project.apiKey)).toBe(401);
    expect(await works(extra.apiKey)).toBe(200);
    const [revoked, active] = (await list(project.id)).apiKeys;
    expect(revoked!.revokedAt).toEqual(expect.any(Number));
    expect(active!.revokedAt).toBeNull();

    // Twice: still a 204, and the first time stays.
    expect((await call('DELETE', `/api/admin/api-keys/${project.keyId}`)).status).toBe(204);
    expect((await list(project.id)).apiKeys[0]!.revokedAt).toBe(revoked!.revokedAt);
  });

  it('refuses the key itself where an id belongs, with a 400 naming where ids are shown and never quoting it', async () => {
    const project = await newProject('Keys C');
    for (const value of [project.apiKey, project.apiKey.toUpperCase(), `Bearer ${project.apiKey}`]) {
      const res = await call('DELETE', `/api/admin/api-keys/${encodeURIComponent(value)}`);
      expect(res.status).toBe(400);
      expect(res.body).toMatchObject({ error: 'validation_error', issues: [{ path: ['id'] }] });
      expect(String(res.body!.message)).toContain('assay keys list');
      expect(JSON.stringify(res.body)).not.toContain(value.slice(6, 20));
    }
    // Nothing was revoked.
    expect(await works(project.apiKey)).toBe(200);

    // In place of a project too.
    for (const method of ['GET', 'POST']) {
      const res = await call(method, `/api/admin/projects/${project.apiKey}/api-keys`);
      expect(res.status, method).toBe(400);
      // Where a project's id or slug is listed, not a key's.
      expect(String(res.body!.message)).toContain("Pass the project's id (proj_…) or slug instead: `assay projects list`");
      expect(JSON.stringify(res.body)).not.toContain(project.apiKey.slice(6));
    }
  });

  it('quotes an unknown id in a 404 only when it has the shape of an id', async () => {
    const missing = await call('DELETE', '/api/admin/api-keys/key_missing');
    expect(missing).toMatchObject({ status: 404, body: { error: 'api_key_not_found', message: 'API key not found: key_missing' } });
    // A key pasted without its prefix is no id, and is not quoted back.
    const bare = 'AbCdEfGhIjKlMnOpQrStUvWxYz0123456789abcd';
    const unquoted = await call('DELETE', `/api/admin/api-keys/${bare}`);
    expect(unquoted.status).toBe(404);
    expect(JSON.stringify(unquoted.body)).not.toContain(bare);
    const noProject = await call('GET', `/api/admin/projects/${bare}/api-keys`);
    expect(noProject).toMatchObject({ status: 404, body: { error: 'project_not_found' } });
    expect(JSON.stringify(noProject.body)).not.toContain(bare);
    expect(await call('GET', '/api/admin/projects/proj_missing/api-keys')).toMatchObject({ status: 404, body: { message: 'Project not found: proj_missing' } });
  });

  it("keeps projects apart: a project's list holds only its own keys, and an unknown project is a 404", async () => {
    const a = await newProject('Iso A');
    const b = await newProject('Iso B');
    expect((await list(a.id)).apiKeys.map((k) => k.projectId)).toEqual([a.id]);
    expect((await list(b.slug)).apiKeys.map((k) => k.id)).toEqual([b.keyId]);
    expect((await call('GET', '/api/admin/projects/nope/api-keys')).status).toBe(404);
    // Revoking B's key leaves A's alone.
    expect((await call('DELETE', `/api/admin/api-keys/${b.keyId}`)).status).toBe(204);
    expect(await works(a.apiKey)).toBe(200);
    expect(await works(b.apiKey)).toBe(401);
  });

  it('lists every project, oldest first and paged, with its key counts and never a key', async () => {
    const a = await newProject('Listed A');
    const b = await newProject('Listed B');
    await newKey(b.id);
    expect((await call('DELETE', `/api/admin/api-keys/${b.keyId}`)).status).toBe(204);
    type Listed = { id: string; slug: string; name: string; createdAt: number; keyCount: number; activeKeyCount: number };
    const all: Listed[] = [];
    let total = 0;
    for (let page = 1; ; page++) {
      const res = await call('GET', `/api/admin/projects?page=${page}&pageSize=2`);
      expect(res.status).toBe(200);
      const body = res.body as unknown as { projects: Listed[]; pagination: { totalHits: number; hasMore: boolean; pageSize: number } };
      expect(body.pagination.pageSize).toBe(2);
      all.push(...body.projects);
      total = body.pagination.totalHits;
      if (!body.pagination.hasMore) break;
    }
    expect(all.length).toBe(total);
    // The harness's own project comes first: it is the oldest.
    expect(all[0]!.id).toBe(t.projectId);
    expect(all.find((p) => p.id === a.id)).toEqual({ id: a.id, slug: a.slug, name: 'Listed A', createdAt: expect.any(Number), keyCount: 1, activeKeyCount: 1 });
    expect(all.find((p) => p.id === b.id)).toMatchObject({ slug: b.slug, name: 'Listed B', keyCount: 2, activeKeyCount: 1 });
    expect(all.findIndex((p) => p.id === a.id)).toBeLessThan(all.findIndex((p) => p.id === b.id));
    expect((await call('GET', '/api/admin/projects', { headers: {} })).status).toBe(401);
    expect((await call('GET', '/api/admin/projects', { headers: { authorization: `Bearer ${a.apiKey}` } })).status).toBe(401);
  });

  it('refuses a project body with a key it does not take, naming the key and creating nothing', async () => {
    const before = (await call('GET', '/api/admin/projects')).body as { pagination: { totalHits: number } };
    // A misspelt `slug` used to make a project under the slug derived from the name instead.
    for (const body of [{ name: 'Typo Team', slg: 'typo' }, { name: 'Typo Team', description: 'ours' }]) {
      const res = await call('POST', '/api/admin/projects', { body });
      const extra = Object.keys(body)[1]!;
      expect(res.status, extra).toBe(400);
      expect(res.body).toMatchObject({ error: 'validation_error' });
      expect(String(res.body!.message)).toContain(`"${extra}"`);
    }
    const after = (await call('GET', '/api/admin/projects')).body as { pagination: { totalHits: number } };
    expect(after.pagination.totalHits).toBe(before.pagination.totalHits);
    expect((await call('POST', '/api/admin/projects', { body: { name: 'Typo Team', slug: 'typo' }, handsOutKey: true })).status).toBe(201);
  });

  it('asks for a slug when the name gives none, instead of calling every such project "project"', async () => {
    for (const name of ['中文团队', '!!!']) {
      const res = await call('POST', '/api/admin/projects', { body: { name } });
      expect(res.status, name).toBe(400);
      expect(res.body).toMatchObject({ error: 'validation_error', issues: [{ path: ['slug'] }] });
      expect(String(res.body!.message)).toContain(`No slug can be made from the name "${name}"`);
    }
    const named = await call('POST', '/api/admin/projects', { body: { name: '中文团队', slug: 'zh-team' }, handsOutKey: true });
    expect(named.status).toBe(201);
    expect(named.body).toMatchObject({ slug: 'zh-team', name: '中文团队' });
    secrets.add((named.body as { apiKey: string }).apiKey);
  });

  it('wants the admin token: none, a project key or a wrong token is a 401; without ASSAY_ADMIN_TOKEN a 404', async () => {
    const project = await newProject('Auth');
    const path = `/api/admin/projects/${project.id}/api-keys`;
    for (const headers of <Record<string, string>[]>[{}, { authorization: `Bearer ${project.apiKey}` }, { authorization: `Bearer ${'x'.repeat(40)}` }, { 'x-auth-token': project.apiKey }]) {
      const res = await call('GET', path, { headers });
      expect(res.status, JSON.stringify(headers)).toBe(401);
      // Without a bearer token the answer says which token: not a project key.
      if (!headers.authorization) expect(res.body?.message).toBe('Send the admin token (ASSAY_ADMIN_TOKEN) as Authorization: Bearer <token>');
      // A wrong bearer token is the admin token that is wrong, not "an API key unknown or revoked".
      else expect(res.body?.message).toBe('The admin token is wrong: send ASSAY_ADMIN_TOKEN as Authorization: Bearer <token>');
    }
    const revoke = await call('DELETE', `/api/admin/api-keys/${project.keyId}`, { headers: { authorization: `Bearer ${project.apiKey}` } });
    expect(revoke.status).toBe(401);
    expect(await works(project.apiKey)).toBe(200);

    const off = await startTestAssay({ adminToken: undefined }, await db.options());
    try {
      const res = await off.req('GET', `/api/admin/projects/${off.projectId}/api-keys`, { key: null, headers: admin });
      expect(res.status).toBe(404);
    } finally {
      await off.close();
    }
  });

  // Last: it checks what the tests above answered and logged.
  it('never put a key in an answer body (bar the one handing it out) or a log line', () => {
    expect(secrets.size).toBeGreaterThan(5);
    expect(bodies.length).toBeGreaterThan(20);
    for (const secret of secrets) {
      for (const body of bodies) expect(body).not.toContain(secret);
      for (const line of logger.lines) expect(JSON.stringify(line)).not.toContain(secret);
    }
  });
});

describe('admin API keys in the OpenAPI document', () => {
  it('documents the list route, its fields and the ids beside created keys', async () => {
    const t = await startTestAssay();
    try {
      type Op = { parameters?: { name: string; in: string }[]; responses: Record<string, { content?: Record<string, { schema: Record<string, unknown> }> }> };
      const doc = (await (await t.req('GET', '/api/openapi.json', { key: null })).json()) as { paths: Record<string, Record<string, Op>> };
      const schemaOf = (op: Op | undefined, status: string) => JSON.stringify(op?.responses[status]?.content?.['application/json']?.schema);
      const listOp = doc.paths['/api/admin/projects/{id}/api-keys']?.get;
      expect(listOp?.parameters?.map((p) => `${p.in} ${p.name}`).sort()).toEqual(['path id', 'query page', 'query pageSize']);
      const list = schemaOf(listOp, '200');
      for (const field of ['apiKeys', 'id', 'projectId', 'prefix', 'createdAt', 'revokedAt', 'pagination']) expect(list).toContain(`"${field}"`);
      expect(list).not.toContain('"apiKey"');
      expect(schemaOf(doc.paths['/api/admin/projects']?.post, '201')).toContain('"keyId"');
      const projectsOp = doc.paths['/api/admin/projects']?.get;
      expect(projectsOp?.parameters?.map((p) => `${p.in} ${p.name}`).sort()).toEqual(['query page', 'query pageSize']);
      for (const field of ['projects', 'id', 'slug', 'name', 'createdAt', 'keyCount', 'activeKeyCount', 'pagination']) expect(schemaOf(projectsOp, '200')).toContain(`"${field}"`);
      expect(schemaOf(doc.paths['/api/admin/projects/{id}/api-keys']?.post, '201')).toContain('"id"');
    } finally {
      await t.close();
    }
  });
});
