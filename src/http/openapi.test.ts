// SPEC §5: the OpenAPI 3.1 document is valid, lists every route of the SPEC (an independent
// list below, so a route that goes missing fails here) and nothing else, and gives every 2xx JSON
// answer a concrete schema (issue 11: no client or page can be generated from untyped records).
import { Validator } from '@seriousme/openapi-schema-validator';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestAssay, type TestAssay } from '../testing/harness.js';

/** Routes the SPEC (§2, §4, §5) promises, written out by hand rather than read from the server. */
const RUN_ROUTES = [
  'GET /runs', 'POST /{slug}/run', 'GET /runs/{runId}', 'GET /runs/{runId}/results', 'POST /runs/{runId}/abort', 'POST /abort',
  'POST /runs/{runId}/resume', 'GET /runs/{runId}/events', 'GET /runs/{runId}/export',
  // Comparisons (SPEC §5, issue "compare runs").
  'GET /runs/{runId}/compare', 'GET /runs/{runId}/compare/export',
  // Webhooks (SPEC §5 second wave, docs/webhooks.md): a run's delivery log.
  'GET /runs/{runId}/webhooks', 'POST /runs/{runId}/webhooks/{deliveryId}/redeliver',
  // Reviews (SPEC §5 second wave, docs/reviews.md).
  'PUT /runs/{runId}/reviews', 'GET /runs/{runId}/reviews',
  // A run's rows as its targets saw them (the rows sent as `data` included).
  'GET /runs/{runId}/rows',
  // What a prompt target sent for one row (docs/experiments.md).
  'GET /runs/{runId}/request',
  // What a run would cost, before it starts (docs/experiments.md).
  'POST /{slug}/estimate',
];
const SPEC_ROUTES = [
  'GET /livez', 'GET /healthz', 'GET /readyz', 'GET /api/openapi.json', 'GET /api/evaluators',
  'POST /api/admin/projects', 'POST /api/admin/projects/{id}/api-keys', 'DELETE /api/admin/api-keys/{id}',
  // Key administration: a project's keys by id (issue "API key administration").
  'GET /api/admin/projects/{id}/api-keys',
  // Every project, for an operator who has only the admin token (a new user's review).
  'GET /api/admin/projects',
  'POST /api/experiments', 'GET /api/experiments', 'GET /api/experiments/{slug}', 'PUT /api/experiments/{slug}', 'DELETE /api/experiments/{slug}',
  'POST /api/datasets', 'GET /api/datasets', 'GET /api/datasets/{idOrSlug}', 'POST /api/datasets/{idOrSlug}/records', 'DELETE /api/datasets/{idOrSlug}',
  // A dataset's versions and the experiments that run it (the web page's Datasets pages).
  'GET /api/datasets/{idOrSlug}/versions', 'GET /api/datasets/{idOrSlug}/experiments',
  'PUT /api/secrets/{name}', 'GET /api/secrets', 'DELETE /api/secrets/{name}',
  'PUT /api/providers/{name}', 'GET /api/providers', 'DELETE /api/providers/{name}',
  // The run page's sign-in (SPEC §9, issue "the run page"): the key's project.
  'GET /api/projects/current',
  // LangWatch's identity call (its TypeScript SDK 1.8 CLI; issue 15).
  'GET /api/me/project',
  // The project's webhook signing secret: read, rotate.
  'GET /api/webhooks/secret', 'POST /api/webhooks/secret',
  // Every run route is served under both prefixes (SPEC §5).
  ...['/api/experiments', '/api/evaluations/v3'].flatMap((prefix) => RUN_ROUTES.map((r) => r.replace(' /', ` ${prefix}/`))),
];

/**
 * Answers whose body is free-form by nature: the OpenAPI document itself, a dataset's rows (the
 * user's columns) and evaluator settings given as JSON Schema.
 */
const FREE_FORM = new Set(['GET /api/openapi.json']);

type Schema = Record<string, unknown>;

/** Where a schema (resolved through $ref) is an object with no declared properties: an untyped record. */
function untyped(schema: Schema | undefined, doc: { components?: { schemas?: Record<string, Schema> } }, path: string, seen = new Set<Schema>()): string[] {
  if (!schema || seen.has(schema)) return [];
  seen.add(schema);
  if (typeof schema.$ref === 'string') return untyped(doc.components?.schemas?.[schema.$ref.split('/').pop()!], doc, path, seen);
  const out: string[] = [];
  for (const key of ['anyOf', 'oneOf', 'allOf'] as const) for (const s of (schema[key] as Schema[] | undefined) ?? []) out.push(...untyped(s, doc, path, seen));
  if (schema.type === 'array') out.push(...untyped(schema.items as Schema, doc, `${path}[]`, seen));
  if (schema.type === 'object' || schema.properties) {
    const props = (schema.properties ?? {}) as Record<string, Schema>;
    const extra = schema.additionalProperties;
    // A map whose values have a schema (`{name: string}`) is typed; an object of anything is not.
    const typedMap = typeof extra === 'object' && extra !== null && Object.keys(extra).length > 0;
    if (Object.keys(props).length === 0 && !typedMap) out.push(path || '(root)');
    if (typedMap) out.push(...untyped(extra as Schema, doc, `${path}{}`, seen));
    for (const [k, v] of Object.entries(props)) out.push(...untyped(v, doc, `${path}.${k}`, seen));
  }
  return out;
}

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

  it('documents a CSV or JSON Lines upload as text, not as the JSON body', async () => {
    const doc = (await (await t.req('GET', '/api/openapi.json', { key: null })).json()) as { paths: Record<string, Record<string, { requestBody: { content: Record<string, { schema: { type?: string; description?: string } }> } }>> };
    for (const path of ['/api/datasets', '/api/datasets/{idOrSlug}/records']) {
      const content = doc.paths[path]!.post!.requestBody.content;
      expect(content['text/csv']!.schema).toMatchObject({ type: 'string', description: expect.stringContaining('a header line of column names') });
      expect(content['application/x-ndjson']!.schema).toMatchObject({ type: 'string', description: expect.stringContaining('one JSON object a line') });
      expect(content['application/json']!.schema.type ?? 'ref').not.toBe('string');
    }
  });

  it("documents exactly the SPEC's routes", async () => {
    const doc = (await (await t.req('GET', '/api/openapi.json', { key: null })).json()) as { paths: Record<string, Record<string, unknown>> };
    const documented = Object.entries(doc.paths).flatMap(([p, ops]) => Object.keys(ops).map((m) => `${m.toUpperCase()} ${p}`));
    expect(documented.sort()).toEqual([...SPEC_ROUTES].sort());
  });

  it('gives every 2xx JSON answer a concrete schema', async () => {
    const doc = (await (await t.req('GET', '/api/openapi.json', { key: null })).json()) as {
      paths: Record<string, Record<string, { responses: Record<string, { content?: Record<string, { schema: Schema }> }> }>>;
      components?: { schemas?: Record<string, Schema> };
    };
    const problems: string[] = [];
    let checked = 0;
    for (const [p, ops] of Object.entries(doc.paths)) {
      for (const [method, op] of Object.entries(ops)) {
        const route = `${method.toUpperCase()} ${p}`;
        if (FREE_FORM.has(route)) continue;
        for (const [status, response] of Object.entries(op.responses)) {
          const schema = response.content?.['application/json']?.schema;
          if (!status.startsWith('2') || !schema) continue;
          checked++;
          // The user's own shapes: dataset rows and a cell's row (`entry`), free-form metadata, and
          // JSON Schemas (evaluator settings, a prompt target's output schema).
          const loose = untyped(schema, doc, '').filter((where) => !/(\.rows\[\]|\.entry|\.settings|\.outputSchema|\.metadata)$/.test(where));
          for (const where of loose) problems.push(`${route} ${status}: ${where}`);
        }
      }
    }
    expect(checked).toBeGreaterThan(30);
    expect(problems).toEqual([]);
  });

  it("documents the summary's runningTime beside its duration, saying what it counts", async () => {
    const doc = (await (await t.req('GET', '/api/openapi.json', { key: null })).json()) as {
      paths: Record<string, Record<string, { responses: Record<string, { content?: Record<string, { schema: Schema }> }> }>>;
      components?: { schemas?: Record<string, Schema> };
    };
    const resolve = (s: Schema): Schema => (typeof s.$ref === 'string' ? resolve(doc.components!.schemas![s.$ref.split('/').pop()!]!) : s);
    const poll = resolve(doc.paths['/api/experiments/runs/{runId}']!.get!.responses['200']!.content!['application/json']!.schema);
    const summary = resolve((poll.properties as Record<string, Schema>).summary!);
    const props = summary.properties as Record<string, Schema>;
    expect(props.duration).toMatchObject({ type: 'number' });
    expect(props.runningTime).toMatchObject({ type: 'number', description: expect.stringContaining('resume') });
    expect(summary.required).toContain('duration');
    expect(summary.required).not.toContain('runningTime');
  });

  it('serves the browsable docs page and its assets without internet', async () => {
    const slash = await t.req('GET', '/docs/', { key: null });
    expect(slash.status).toBe(301);
    expect(slash.headers.get('location')).toBe('/docs');
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
