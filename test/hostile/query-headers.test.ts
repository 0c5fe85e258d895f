// Hostile query strings and headers (issue 6): random query parameters (the route's own names
// with wrong values, unknown names, repeated keys, broken percent-encoding, huge values) on
// every GET route of the route table, with random headers (Authorization variants, X-Auth-Token,
// Last-Event-ID junk, Accept / Content-Type junk, oversized values). Then raw bytes on a real
// socket: malformed request lines, invalid header bytes, oversized headers and URLs. No 500,
// no hang, JSON errors with the LangWatch 401 texts, and the server keeps answering.
import net from 'node:net';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { listen, startTestAssay, type TestAssay } from '../../src/testing/harness.js';
import { startRun, waitForRun } from '../../src/testing/runs.js';
import { expectHealthy, saneAnswer, seedFor, within } from './support.js';

const SEED = seedFor(60606);

let t: TestAssay;
let other: { key: string; projectId: string };
/** Values for path parameters, by name: things that exist in the project. */
const PARAMS: Record<string, string> = {};

beforeAll(async () => {
  t = await startTestAssay();
  other = await t.otherProject();
  await t.req('POST', '/api/experiments', {
    body: { slug: 'qs', name: 'Query strings', dataset: { rows: [{ q: 'a' }, { q: 'b' }] }, targets: [{ id: 't', type: 'code', code: 'return row.q' }], evaluators: [{ id: 'e', type: 'langevals/exact_match', inputs: { output: 'output', expected_output: 'row.q' } }] },
  });
  const ds = (await (await t.req('POST', '/api/datasets', { body: { name: 'QS rows', slug: 'qs-rows', rows: [{ a: 1 }, { a: 2 }] } })).json()) as { id: string };
  const runId = await startRun(t, 'qs');
  await waitForRun(t, runId);
  Object.assign(PARAMS, { slug: 'qs', runId, idOrSlug: ds.id, id: t.projectId });
});
afterAll(() => t.close());

/** Percent-encoded or deliberately broken query text. */
const queryValue = fc.oneof(
  fc.string({ maxLength: 20 }).map(encodeURIComponent),
  fc.constantFrom('', '0', '-1', '1e3', '1.5', '99999999999999999999', 'NaN', 'true', 'null', '%', '%ZZ', '%00', '%E0%A4%A', '%C0%AF', '+', '&', '==', '[]', '{}', 'a'.repeat(10_000), encodeURIComponent('😀\u2028'), '../..', 'jsonl', 'csv', 'junit', 'xml'),
);
const queryKey = fc.oneof(
  fc.constantFrom('page', 'pageSize', 'experimentSlug', 'offset', 'limit', 'version', 'format', 'lastEventId', 'baseline', 'name', 'slug', '__proto__', 'constructor', 'a[b]', 'a[]', ''),
  fc.string({ maxLength: 8 }).map(encodeURIComponent),
);
const queryArb = fc.array(fc.tuple(queryKey, queryValue), { maxLength: 5 }).map((pairs) => pairs.map(([k, v]) => `${k}=${v}`).join('&'));

type Auth = { kind: 'valid' | 'other' | 'missing' | 'invalid'; headers: Record<string, string> };

/** Authorization variants: valid forms, another project's key, malformed and junk. */
function authArb(): fc.Arbitrary<Auth> {
  const b64 = (s: string) => Buffer.from(s).toString('base64');
  return fc.oneof(
    {
      weight: 5,
      arbitrary: fc.constantFrom<Auth>(
        { kind: 'valid', headers: { 'x-auth-token': t.key } },
        { kind: 'valid', headers: { authorization: `Bearer ${t.key}` } },
        { kind: 'valid', headers: { authorization: `bearer    ${t.key}  ` } },
        { kind: 'valid', headers: { authorization: `Basic ${b64(`${t.projectId}:${t.key}`)}` } },
        { kind: 'valid', headers: { authorization: `Basic ${b64(`default:${t.key}`)}` } },
        { kind: 'valid', headers: { authorization: 'Basic !!!notbase64', 'x-auth-token': t.key } },
        { kind: 'other', headers: { authorization: `Bearer ${other.key}` } },
      ),
    },
    {
      weight: 3,
      arbitrary: fc.constantFrom<Auth>(
        { kind: 'invalid', headers: { authorization: `Basic ${b64(`${other.projectId}:${t.key}`)}` } },
        { kind: 'missing', headers: {} },
        { kind: 'missing', headers: { authorization: 'Bearer' } },
        { kind: 'missing', headers: { authorization: 'Bearer    ' } },
        { kind: 'missing', headers: { authorization: 'Basic' } },
        { kind: 'missing', headers: { authorization: `Basic ${b64(':')}` } },
        { kind: 'missing', headers: { 'x-auth-token': ' ' } },
        // A Basic header without a key falls through to the next form (here: none).
        { kind: 'missing', headers: { authorization: `Basic ${b64(`${t.projectId}:`)}x` } },
        { kind: 'invalid', headers: { authorization: `Bearer ${'k'.repeat(100_000)}` } },
        { kind: 'invalid', headers: { authorization: `Bearer ${t.key}x` } },
        { kind: 'invalid', headers: { authorization: `Bearer ${t.key.toUpperCase()}` } },
        { kind: 'invalid', headers: { 'x-auth-token': `${t.key} ${t.key}` } },
        { kind: 'invalid', headers: { authorization: 'Bearer sk-lw-0000000000000000000000000000000000000000' } },
      ),
    },
    {
      weight: 1,
      arbitrary: fc
        .string({ minLength: 1, maxLength: 60 })
        .filter((s) => /^[\x21-\x7e][\x20-\x7e]*[\x21-\x7e]$|^[\x21-\x7e]$/.test(s))
        .map((junk): Auth => ({ kind: 'invalid', headers: { 'x-auth-token': junk } })),
    },
  );
}

/** Other headers, any of which may be junk (header values are ByteStrings without CR, LF, NUL). */
const headerValue = fc.oneof(
  fc.string({ maxLength: 30 }).filter((s) => /^[\x20-\x7e]*$/.test(s)).map((s) => s.trim()),
  fc.constantFrom('', '-1', '1e400', '99999999999999999999', '0x10', ' 5 ', '\t7', 'NaN', '%', 'ÿÿÿ', 'x'.repeat(50_000), '*/*', 'text/event-stream', 'application/json;q=0'),
);
const extraHeaders = fc.dictionary(
  fc.constantFrom('last-event-id', 'accept', 'content-type', 'accept-encoding', 'accept-language', 'range', 'if-none-match', 'origin', 'cookie', 'x-forwarded-for', 'x-request-id', 'content-length-junk', 'transfer-encoding-junk'),
  headerValue,
  { maxKeys: 4 },
);

function pathOf(template: string): string {
  return template.replace(/\{([^}]+)\}/g, (_, name: string) => {
    const value = PARAMS[name];
    if (value === undefined) throw new Error(`no value for path parameter {${name}}: add one to PARAMS`);
    return encodeURIComponent(value);
  });
}

describe('hostile query strings and headers', () => {
  it('on every GET route: no 500, no hang, JSON errors, the LangWatch 401 texts', async () => {
    const routes = t.assay.http.routes.routes.filter((r) => r.method === 'get');
    expect(routes.length).toBeGreaterThanOrEqual(15);
    const statuses = new Map<number, number>();
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...routes), queryArb, authArb(), extraHeaders, async (route, query, auth, extra) => {
        const url = `${pathOf(route.path)}${query ? `?${query}` : ''}`;
        const headers = { ...extra, ...auth.headers };
        const what = `GET ${url.slice(0, 150)} ${JSON.stringify(headers).slice(0, 150)}`;
        const res = await within(t.req('GET', url, { key: null, headers }), 10_000, what);
        statuses.set(res.status, (statuses.get(res.status) ?? 0) + 1);
        const body = await saneAnswer(res, what);
        // Probes and the API description take no key.
        const open = route.path === '/livez' || route.path === '/healthz' || route.path === '/readyz' || route.path === '/api/openapi.json';
        if (open) return;
        // The admin API takes the operator's token, never a project's key: every variant is a 401.
        if (route.path.startsWith('/api/admin/')) {
          expect(res.status, what).toBe(401);
          if (auth.kind === 'missing') expect(body, what).toMatchObject({ error: 'Missing credentials', message: expect.stringContaining('ASSAY_ADMIN_TOKEN') });
          return;
        }
        if (auth.kind === 'missing') expect(body, what).toMatchObject({ error: 'Missing credentials' });
        if (auth.kind === 'invalid') expect(body, what).toMatchObject({ error: 'Invalid credentials' });
        if (auth.kind === 'other') expect([200, 400, 404], what).toContain(res.status);
        // 409: a read-once answer read again (the webhook signing secret).
        if (auth.kind === 'valid') expect([200, 400, 404, 409], `${what}: ${JSON.stringify(body).slice(0, 200)}`).toContain(res.status);
        // Another project's key never sees this project's things.
        if (auth.kind === 'other' && res.status === 200 && body) {
          const text = JSON.stringify(body);
          for (const value of [PARAMS.runId!, PARAMS.idOrSlug!, 'Query strings', 'QS rows']) expect(text, what).not.toContain(value);
        }
      }),
      { numRuns: 400, seed: SEED },
    );
    await expectHealthy(t);
    console.log(`query strings and headers: seed ${SEED}, 400 requests, statuses ${JSON.stringify(Object.fromEntries(statuses))}`);
  }, 60_000);
});

describe('hostile bytes on a real socket', () => {
  it('answers malformed requests with a 4xx (or closes), never a 500, and keeps serving', async () => {
    const server = await listen(t);
    const { port } = new URL(server.url);
    /** Sends raw bytes, returns the status line (or '' when the server closed without one). */
    const raw = (bytes: string | Buffer) =>
      within(
        new Promise<string>((resolve) => {
          const socket = net.connect(Number(port), '127.0.0.1');
          let answer = '';
          socket.on('data', (chunk) => {
            answer += chunk.toString('latin1');
            if (answer.includes('\r\n')) socket.destroy();
          });
          socket.on('close', () => resolve(answer.split('\r\n')[0] ?? ''));
          socket.on('error', () => resolve(answer.split('\r\n')[0] ?? ''));
          socket.write(bytes);
          socket.end();
        }),
        10_000,
        `raw ${String(bytes).slice(0, 60)}`,
      );
    const key = t.key;
    const cases: (string | Buffer)[] = [
      'GARBAGE\r\n\r\n',
      'GET\r\n\r\n',
      'GET / HTTP/9.9\r\n\r\n',
      `GET /api/experiments HTTP/1.1\r\nHost: x\r\nX-Auth-Token: ${key}\r\nX-Bad: a\u0000b\r\n\r\n`,
      `GET /api/experiments HTTP/1.1\r\nHost: x\r\nX-Auth-Token: ${key}\r\nBad Header Name: v\r\n\r\n`,
      `GET /api/experiments HTTP/1.1\r\nHost: x\r\nX-Auth-Token: ${key}\r\nX-Big: ${'a'.repeat(100_000)}\r\n\r\n`,
      `GET /api/experiments?${'a=1&'.repeat(30_000)} HTTP/1.1\r\nHost: x\r\nX-Auth-Token: ${key}\r\n\r\n`,
      `GET /api/experiments HTTP/1.1\r\nHost: x\r\n${Array.from({ length: 3000 }, (_, i) => `X-H${i}: v`).join('\r\n')}\r\n\r\n`,
      `POST /api/experiments HTTP/1.1\r\nHost: x\r\nX-Auth-Token: ${key}\r\nContent-Length: 10\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n`,
      `POST /api/experiments HTTP/1.1\r\nHost: x\r\nX-Auth-Token: ${key}\r\nContent-Length: -1\r\n\r\n`,
      `POST /api/experiments HTTP/1.1\r\nHost: x\r\nX-Auth-Token: ${key}\r\nContent-Length: 99999999999999999999\r\n\r\n{}`,
      `POST /api/experiments HTTP/1.1\r\nHost: x\r\nX-Auth-Token: ${key}\r\nTransfer-Encoding: chunked\r\n\r\nZZZ\r\n{}\r\n0\r\n\r\n`,
      `GET /api/experiments/%ZZ HTTP/1.1\r\nHost: x\r\nX-Auth-Token: ${key}\r\n\r\n`,
      `GET /api/experiments/runs/${PARAMS.runId}/events HTTP/1.1\r\nHost: x\r\nX-Auth-Token: ${key}\r\nLast-Event-ID: \u00ff\u00fe\r\n\r\n`,
      `GET /${'a/'.repeat(20_000)} HTTP/1.1\r\nHost: x\r\n\r\n`,
      Buffer.from([0x16, 0x03, 0x01, 0x02, 0x00, 0x01, 0x00, 0x01, 0xfc, 0x03, 0x03]), // a TLS ClientHello
      Buffer.alloc(10_000, 0xff),
    ];
    const seen: string[] = [];
    try {
      for (const bytes of cases) {
        const status = await raw(bytes);
        const what = `${String(bytes).slice(0, 80)} → ${status}`;
        seen.push(status || '(closed)');
        if (status !== '') expect(status, what).toMatch(/^HTTP\/1\.1 (2|4)\d\d /);
        const health = await fetch(`${server.url}/healthz`);
        expect(health.status, what).toBe(200);
      }
    } finally {
      await server.close();
    }
    console.log(`raw socket: ${cases.length} malformed requests → ${seen.join(', ')}`);
  }, 60_000);
});
