// A method a path does not answer is a 405 that names the methods it does (with `Allow`),
// not a 404 "No route" that reads as a wrong path; a path no route has stays a 404.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestAssay, type TestAssay } from '../testing/harness.js';

let t: TestAssay;
beforeAll(async () => {
  t = await startTestAssay();
});
afterAll(() => t.close());

describe('a method the path does not answer', () => {
  it('is a 405 naming the methods it answers', async () => {
    const res = await t.req('PATCH', '/api/experiments/capitals');
    expect(res.status).toBe(405);
    const allow = res.headers.get('allow')!.split(', ').sort();
    expect(allow).toEqual(['DELETE', 'GET', 'HEAD', 'PUT']);
    const body = (await res.json()) as { error: string; message: string };
    expect(body.error).toBe('method_not_allowed');
    expect(body.message).toBe(`PATCH is not allowed on /api/experiments/capitals; it answers ${res.headers.get('allow')}`);
  });

  it('counts every route whose template matches the path (a run\'s abort is POST only)', async () => {
    const res = await t.req('GET', '/api/experiments/runs/run_x/abort');
    expect(res.status).toBe(405);
    expect(res.headers.get('allow')).toBe('POST');
    // The LangWatch alias answers alike.
    expect((await t.req('DELETE', '/api/evaluations/v3/runs/run_x/abort')).headers.get('allow')).toBe('POST');
  });

  it('leaves a path no route has a 404, without Allow', async () => {
    const res = await t.req('PATCH', '/api/nothing/here');
    expect(res.status).toBe(404);
    expect(res.headers.get('allow')).toBeNull();
    expect(await res.json()).toMatchObject({ error: 'not_found', message: 'No route for PATCH /api/nothing/here' });
  });

  it('says nothing of the admin API while it is off (no ASSAY_ADMIN_TOKEN): a 404, as for its other requests', async () => {
    const off = await startTestAssay({ adminToken: undefined });
    try {
      const res = await off.req('PATCH', '/api/admin/projects');
      expect(res.status).toBe(404);
      expect(res.headers.get('allow')).toBeNull();
      // The rest of the API still answers 405.
      expect((await off.req('PATCH', '/api/experiments/capitals')).status).toBe(405);
    } finally {
      await off.close();
    }
  });

  it('does not echo an API key pasted into the path', async () => {
    const res = await t.req('PATCH', '/api/admin/api-keys/sk-lw-secretsecret');
    expect(res.status).toBe(405);
    expect(await res.text()).not.toContain('secretsecret');
  });
});
