// Issue 10, reproduction 10: failed authentication is slowed per client address. Over a real
// loopback connection, 100 wrong admin tokens in a minute are answered 401 and the 101st 429
// with Retry-After; the address stays blocked for the right token and for project keys too
// (one throttle for both), while the admin token itself must be 32 characters or more.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/env.js';
import { ADMIN_TOKEN, listen, startTestAssay, type TestAssay } from '../../src/testing/harness.js';

let t: TestAssay;
let server: { url: string; close(): Promise<void> };

beforeAll(async () => {
  t = await startTestAssay({ authFailuresPerMinute: 100 });
  server = await listen(t);
});
afterAll(async () => {
  await server.close();
  await t.close();
});

const admin = (token: string) => fetch(`${server.url}/api/admin/projects`, { method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, body: '{"name":"x"}' });

describe('failed-auth throttling', () => {
  it('answers the 101st wrong admin token from one address with 429 and Retry-After, then blocks it', async () => {
    for (let i = 0; i < 100; i++) {
      const res = await admin(`wrong-token-${i}-0123456789abcdef0123456789`);
      expect(res.status, `attempt ${i + 1}`).toBe(401);
      await res.arrayBuffer();
    }
    const limited = await admin('wrong-token-101-0123456789abcdef0123456789');
    expect(limited.status).toBe(429);
    expect(Number(limited.headers.get('retry-after'))).toBeGreaterThanOrEqual(59);
    expect(await limited.json()).toMatchObject({ error: 'rate_limited' });
    // While blocked, even the right token is not checked: a guess that happened to be right
    // would otherwise tell the guesser so.
    expect((await admin(ADMIN_TOKEN)).status).toBe(429);
    const project = await fetch(`${server.url}/api/experiments`, { headers: { 'x-auth-token': t.key } });
    expect(project.status).toBe(429);
    // Requests without credentials are not authentication attempts: /healthz still answers.
    expect((await fetch(`${server.url}/healthz`)).status).toBe(200);
  });

  it('refuses an admin token shorter than 32 characters at start-up', () => {
    expect(() => loadConfig({ ASSAY_ADMIN_TOKEN: 'a'.repeat(31) })).toThrow(/ASSAY_ADMIN_TOKEN \(value hidden\): must be at least 32 characters/);
    expect(loadConfig({ ASSAY_ADMIN_TOKEN: 'a'.repeat(32) }).adminToken).toBe('a'.repeat(32));
  });
});
