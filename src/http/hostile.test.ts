// Property-based hostile input (issue 2 §5): random and malicious bodies, content types and
// path values against every write route in the route table. Whatever arrives, the answer is
// a JSON object (never a 500 or HTML), nothing hangs, no prototype is polluted, and what is
// stored afterwards is exactly what the successful requests wrote.
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { experimentDocumentSchema } from '../core/model/experiment.js';
import { ADMIN_TOKEN, startTestAssay, type TestAssay } from '../testing/harness.js';

let t: TestAssay;
let sentinel: { experiment: unknown; rows: unknown };

beforeAll(async () => {
  t = await startTestAssay({ maxBodyBytes: 512 * 1024 });
  await t.req('POST', '/api/experiments', { body: { slug: 'sentinel', name: 'Sentinel', targets: [{ id: 't', type: 'code', code: 'return 1' }] } });
  await t.req('POST', '/api/datasets', { body: { name: 'Sentinel rows', slug: 'sentinel-rows', rows: [{ a: 1 }] } });
  sentinel = await snapshotSentinel();
});
afterAll(() => t.close());

async function snapshotSentinel() {
  const experiment = await (await t.req('GET', '/api/experiments/sentinel')).json();
  const rows = await (await t.req('GET', '/api/datasets/sentinel-rows')).json();
  return { experiment, rows };
}

const CONTENT_TYPES = ['application/json', 'application/yaml', 'text/csv', 'application/x-ndjson', 'text/plain', 'multipart/form-data', ''];
const POLLUTION = [
  '{"__proto__":{"polluted":true},"name":"x","targets":[]}',
  '{"name":"x","constructor":{"prototype":{"polluted":true}}}',
  '{"name":"p","targets":[{"id":"t","type":"code","code":"1","__proto__":{"polluted":1}}]}',
  '__proto__:\n  polluted: true\nname: y\n',
  'name: z\ntargets:\n  - id: t\n    type: code\n    code: "1"\n    __proto__: { polluted: true }\n',
  '__proto__,b\n1,2\n',
  '{"rows":[{"__proto__":{"polluted":true}}],"name":"r"}',
];

const deep = (n: number, open: string, close: string) => open.repeat(n) + close.repeat(n);

/** Valid bodies with hostile content (any unicode, odd keys), so some writes succeed. */
const validArb: fc.Arbitrary<string> = fc.oneof(
  fc
    .record({ name: fc.string({ minLength: 1, maxLength: 50 }).filter((n) => n.trim().length > 0), code: fc.string({ minLength: 1, maxLength: 100 }) })
    .map(({ name, code }) => JSON.stringify({ name, targets: [{ id: 't', type: 'code', code }], dataset: { rows: [{ [name]: code }] } })),
  fc
    .array(fc.dictionary(fc.string({ minLength: 1, maxLength: 10 }).filter((k) => !['__proto__', 'constructor', 'prototype'].includes(k)), fc.jsonValue({ maxDepth: 2 })), { maxLength: 20 })
    .map((rows) => JSON.stringify({ name: 'rows', rows })),
  fc
    .array(fc.array(fc.string({ maxLength: 10 }), { minLength: 2, maxLength: 2 }), { maxLength: 20 })
    .map((rows) => `a,b\n${rows.map((r) => r.map((c) => `"${c.replace(/"/g, '""')}"`).join(',')).join('\n')}\n`),
);

/** Bodies: JSON values of every shape, document-like objects with wrong types, and attacks. */
const bodyArb: fc.Arbitrary<string | Uint8Array> = fc.oneof(
  validArb,
  validArb,
  fc.jsonValue({ maxDepth: 4 }).map((v) => JSON.stringify(v)),
  fc
    .record(
      {
        name: fc.oneof(fc.string(), fc.integer(), fc.constant(null)),
        slug: fc.oneof(fc.string(), fc.constantFrom('runs', 'UPPER', 'ok-slug', '')),
        targets: fc.oneof(fc.anything({ maxDepth: 3 }), fc.array(fc.record({ id: fc.string(), type: fc.constantFrom('code', 'http', 'prompt', 'x'), code: fc.anything() }))),
        evaluators: fc.anything({ maxDepth: 3 }),
        execution: fc.anything({ maxDepth: 2 }),
        dataset: fc.anything({ maxDepth: 3 }),
        rows: fc.oneof(fc.array(fc.dictionary(fc.string(), fc.jsonValue({ maxDepth: 2 }))), fc.anything({ maxDepth: 2 })),
        workbenchState: fc.anything({ maxDepth: 4 }),
      },
      { requiredKeys: [] },
    )
    .map((v) => JSON.stringify(v)),
  fc.string({ maxLength: 300 }),
  fc.uint8Array({ maxLength: 300 }),
  fc.constantFrom(...POLLUTION),
  fc.constantFrom(
    deep(100_000, '[', ']'),
    deep(50_000, '{"a":', '}').replace(/}$/, '1}'),
    `{"name":"${'x'.repeat(600_000)}"}`,
    `{"name":"ok","targets":[{"id":"t","type":"code","code":"${'y'.repeat(300_000)}"}]}`,
    `a: &a ["x","x","x","x","x","x","x","x","x"]\nb: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]\nc: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]\nd: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c]\ne: [*d,*d,*d,*d,*d,*d,*d,*d,*d]\n`,
    'a,b\n"unterminated\n',
    new Uint8Array([0x7b, 0x22, 0x6e, 0x22, 0x3a, 0x22, 0xc3, 0x28, 0x22, 0x7d]),
  ),
);

const pathValueArb = fc.oneof(
  fc.constantFrom('sentinel', 'sentinel-rows', 'nope', 'runs', '..', '%2e%2e', "x' OR '1'='1", 'ds_01', 'proj_x', 'key_x'),
  fc.string({ minLength: 1, maxLength: 40 }).map(encodeURIComponent),
  fc.constant('a'.repeat(5000)),
);

describe('hostile input on every write route', () => {
  it('never answers 500, HTML or a hang, and stores only what succeeded', async () => {
    const writeRoutes = t.assay.http.routes.routes.filter((r) => r.method !== 'get');
    expect(writeRoutes.length).toBeGreaterThanOrEqual(8);
    let successes = 0;
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(...writeRoutes),
        pathValueArb,
        bodyArb,
        fc.constantFrom(...CONTENT_TYPES),
        fc.constantFrom('project', 'project', 'project', 'admin', 'none'),
        fc.oneof(fc.constant('ok'), fc.string({ maxLength: 30 })).map(encodeURIComponent),
        async (route, pathValue, body, contentType, auth, queryValue) => {
          // Leave the sentinel alone so we can check nothing else touched it.
          const value = pathValue.startsWith('sentinel') ? 'not-sentinel' : pathValue;
          const path = route.path.replace(/\{[^}]+\}/g, value) + `?name=${queryValue}&slug=${queryValue}`;
          const headers: Record<string, string> = {};
          if (contentType) headers['content-type'] = contentType;
          if (auth === 'admin') headers.authorization = `Bearer ${ADMIN_TOKEN}`;
          const res = await t.req(route.method.toUpperCase(), path, { key: auth === 'project' ? t.key : null, raw: body, headers });
          expect(res.status, `${route.method} ${path}`).toBeLessThan(500);
          if (res.status !== 204) {
            expect(res.headers.get('content-type') ?? '').toContain('application/json');
            const parsed = (await res.json()) as Record<string, unknown>;
            expect(typeof parsed).toBe('object');
            if (res.status >= 400) expect(typeof parsed.error).toBe('string');
          }
          if (res.status < 300) successes++;
          expect(({} as Record<string, unknown>).polluted).toBeUndefined();
        },
      ),
      { numRuns: 400, seed: Number(process.env.FC_SEED ?? Date.now() % 2 ** 31) },
    );

    // The sentinel records are exactly as they were.
    expect(await snapshotSentinel()).toEqual(sentinel);
    // Every stored experiment document is still valid; every stored row is a plain object.
    const list = (await (await t.req('GET', '/api/experiments?pageSize=200')).json()) as { experiments: { slug: string }[] };
    for (const e of list.experiments) {
      const got = (await (await t.req('GET', `/api/experiments/${e.slug}`)).json()) as { document: unknown };
      expect(experimentDocumentSchema.safeParse(got.document).success, e.slug).toBe(true);
    }
    const datasets = (await (await t.req('GET', '/api/datasets?pageSize=200')).json()) as { datasets: { id: string; rowCount: number }[] };
    for (const d of datasets.datasets) {
      const page = (await (await t.req('GET', `/api/datasets/${d.id}?limit=1000`)).json()) as { rows: unknown[] };
      expect(page.rows.length).toBe(Math.min(d.rowCount, 1000));
      for (const row of page.rows) expect(Object.getPrototypeOf(row)).toBe(Object.prototype);
    }
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    console.log(`hostile: 400 requests, ${successes} accepted`);
  }, 120_000);
});
