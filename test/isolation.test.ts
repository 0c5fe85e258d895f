// The isolation walk (issue 6, SPEC §2): every route of the OpenAPI document — read at run
// time, so a new route is walked (or fails this test) without anyone remembering to add it —
// is called with project B's key and the ids, slugs and names of project A's things. A
// project-scoped route answers 404 exactly as for something that does not exist: never A's
// data, never a 403 that confirms existence. Lists called with B's key never contain A's
// items. Routes that do not take a project key are listed below with the reason, and B's key is
// refused there. Afterwards A's things are exactly as they were.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN_TOKEN, startTestAssay, type TestAssay } from '../src/testing/harness.js';
import { startRun, waitForRun } from '../src/testing/runs.js';

let t: TestAssay;
/** Project B: the caller. */
let b: { key: string; projectId: string };
/** Project A's things. */
const A = {
  experimentSlug: 'iso-exp',
  experimentName: 'Isolation experiment of A',
  experimentId: '',
  runId: '',
  otherRunId: '',
  deliveryId: '',
  datasetId: '',
  datasetSlug: 'iso-ds',
  datasetName: 'Isolation dataset of A',
  secretName: 'ISO_SECRET_A',
  secretValue: 'a-secret-value-0123456789',
  providerName: 'isoprov',
  providerBaseUrl: 'https://iso-a.invalid/v1',
  apiKeyId: '',
  webhookSecret: '',
  reviewComment: 'Reviewed by A: the judge missed it',
};

/** Routes that take no project key, and why. B's key must not open them either. */
const NOT_PROJECT_SCOPED: Record<string, string> = {
  'get /livez': 'liveness of the process alone: no credentials, no project data',
  'get /healthz': 'liveness probe: no credentials, no project data',
  'get /readyz': 'readiness probe (database reachable): no credentials, no project data',
  'get /api/openapi.json': 'the API description: no credentials, no project data',
  'post /api/admin/projects': 'admin API: ASSAY_ADMIN_TOKEN only; creates projects, belongs to no project',
  'post /api/admin/projects/{id}/api-keys': 'admin API: ASSAY_ADMIN_TOKEN only; addresses any project by id by design',
  'delete /api/admin/api-keys/{id}': 'admin API: ASSAY_ADMIN_TOKEN only; addresses any key by id by design',
  'get /api/admin/projects': 'admin API: ASSAY_ADMIN_TOKEN only; lists every project (never a key) by design',
  'get /api/admin/projects/{id}/api-keys': 'admin API: ASSAY_ADMIN_TOKEN only; lists the keys of any project (never the keys themselves) by design',
};

/**
 * Project routes where B's call legitimately succeeds on B's own things (names are per
 * project): creating, or the create-or-replace of a name. They run after every 404 check, and
 * A's things must be untouched afterwards.
 */
const ACTS_ON_B: Record<string, string> = {
  'post /api/experiments': 'creates an experiment in B',
  'put /api/experiments/{slug}': 'creates B\'s own experiment of that slug (PUT creates when free)',
  'post /api/datasets': 'creates a dataset in B',
  'put /api/secrets/{name}': 'stores B\'s own secret of that name',
  'put /api/providers/{name}': 'stores B\'s own settings for that provider',
  'post /api/webhooks/secret': 'rotates B\'s own webhook signing secret',
};

/** A valid body for each write route, so that only existence can decide the answer. */
function bodyFor(method: string, path: string): unknown {
  if (method === 'get' || method === 'delete') return undefined;
  if (/\/\{slug\}\/run$/.test(path)) return {};
  if (/\/runs\/\{runId\}\/(abort|resume)$/.test(path)) return {};
  if (/\/abort$/.test(path)) return { runId: A.runId };
  // A cell A's run has: only the run's owner decides the answer.
  if (/\/runs\/\{runId\}\/reviews$/.test(path)) return { rowIndex: 0, targetId: 'echo', verdict: 'failed', comment: 'B was here' };
  if (/^\/api\/datasets\/\{idOrSlug\}\/records$/.test(path)) return { rows: [{ question: 'from B' }] };
  if (/^\/api\/experiments(\/\{slug\})?$/.test(path)) return experimentDoc('B\'s experiment');
  if (path === '/api/datasets') return { name: 'B dataset', rows: [{ a: 1 }] };
  if (/^\/api\/secrets\/\{name\}$/.test(path)) return { value: 'b-value' };
  if (/^\/api\/providers\/\{name\}$/.test(path)) return { baseUrl: 'https://iso-b.invalid/v1' };
  return {};
}

function experimentDoc(name: string) {
  return {
    slug: A.experimentSlug,
    name,
    dataset: { rows: [{ question: 'q1', expected: 'q1' }, { question: 'q2', expected: 'x' }] },
    targets: [{ id: 'echo', type: 'code', code: 'return row.question' }],
    evaluators: [{ id: 'exact', type: 'langevals/exact_match', inputs: { output: 'output', expected_output: 'row.expected' } }],
  };
}

/** Path parameter values: A's things, by parameter name (and, for `name`, by route). */
function paramValue(name: string, path: string, variant: number): string {
  switch (name) {
    case 'slug':
      return A.experimentSlug;
    case 'runId':
      return variant === 0 ? A.runId : A.otherRunId;
    case 'deliveryId':
      return A.deliveryId;
    case 'idOrSlug':
      return variant === 0 ? A.datasetId : A.datasetSlug;
    case 'name':
      if (path.startsWith('/api/secrets/')) return A.secretName;
      if (path.startsWith('/api/providers/')) return A.providerName;
      break;
    case 'id':
      if (path.startsWith('/api/admin/projects/')) return t.projectId;
      if (path.startsWith('/api/admin/api-keys/')) return A.apiKeyId;
      break;
  }
  throw new Error(`route ${path}: no value of project A for path parameter {${name}}; add one to paramValue()`);
}

/** Query parameters worth filling with A's things, by name. */
function queryValue(name: string): string | undefined {
  return ({ experimentSlug: A.experimentSlug, baseline: A.otherRunId, runId: A.runId, datasetId: A.datasetId, dataset_id: A.datasetId, rowIndex: '0', targetId: 'echo' } as Record<string, string>)[name];
}

/** Texts that only A's things contain: none may appear in any answer to B. */
function fingerprints(): string[] {
  return [t.projectId, t.key, A.deliveryId, A.experimentId, A.experimentName, A.runId, A.otherRunId, A.datasetId, A.datasetName, A.secretName, A.secretValue, A.providerBaseUrl, A.apiKeyId, A.webhookSecret, A.reviewComment];
}

/** Everything of A, read with A's key: must be identical before and after the walk. */
async function snapshotA(): Promise<unknown> {
  const get = async (p: string) => {
    const res = await t.req('GET', p);
    return { status: res.status, body: (await res.json()) as unknown };
  };
  return {
    experiment: await get(`/api/experiments/${A.experimentSlug}`),
    experiments: await get('/api/experiments'),
    dataset: await get(`/api/datasets/${A.datasetId}?limit=1000`),
    datasetVersions: await get(`/api/datasets/${A.datasetId}/versions`),
    datasetUsers: await get(`/api/datasets/${A.datasetId}/experiments`),
    datasets: await get('/api/datasets'),
    secrets: await get('/api/secrets'),
    providers: await get('/api/providers'),
    run: await get(`/api/experiments/runs/${A.runId}`),
    otherRun: await get(`/api/experiments/runs/${A.otherRunId}`),
    runs: await get(`/api/experiments/runs?experimentSlug=${A.experimentSlug}`),
    results: await get(`/api/experiments/runs/${A.runId}/results`),
    webhookSecret: await get('/api/webhooks/secret'),
    webhooks: await get(`/api/experiments/runs/${A.runId}/webhooks`),
    reviews: await get(`/api/experiments/runs/${A.runId}/reviews`),
  };
}

interface Operation {
  method: string;
  path: string;
  security: unknown[];
  parameters: { in: string; name: string; required?: boolean }[];
}

async function operations(): Promise<Operation[]> {
  const doc = (await (await t.req('GET', '/api/openapi.json', { key: null })).json()) as {
    paths: Record<string, Record<string, { security?: unknown[]; parameters?: Operation['parameters'] }>>;
  };
  return Object.entries(doc.paths).flatMap(([path, ops]) =>
    Object.entries(ops).map(([method, op]) => ({ method, path, security: op.security ?? [], parameters: op.parameters ?? [] })),
  );
}

function urlFor(op: Operation, variant: number): string {
  const path = op.path.replace(/\{([^}]+)\}/g, (_, name: string) => encodeURIComponent(paramValue(name, op.path, variant)));
  const query = op.parameters
    .filter((p) => p.in === 'query' && queryValue(p.name) !== undefined)
    .map((p) => `${p.name}=${encodeURIComponent(queryValue(p.name)!)}`)
    .join('&');
  return query ? `${path}?${query}` : path;
}

beforeAll(async () => {
  t = await startTestAssay();
  b = await t.otherProject();
  // Project A: an experiment with a completed run and a stopped one, a dataset, a secret, a provider and a second key.
  const created = (await (await t.req('POST', '/api/experiments', { body: experimentDoc(A.experimentName) })).json()) as { id: string };
  A.experimentId = created.id;
  A.runId = await startRun(t, A.experimentSlug);
  await waitForRun(t, A.runId);
  expect((await t.req('PUT', `/api/experiments/runs/${A.runId}/reviews`, { body: { rowIndex: 1, targetId: 'echo', verdict: 'passed', comment: A.reviewComment } })).status).toBe(200);
  // With a webhook (to a port nothing listens on): A has a delivery for the redelivery route.
  A.otherRunId = await startRun(t, A.experimentSlug, { data: Array.from({ length: 200 }, (_, i) => ({ question: `slow ${i}`, expected: 'x' })), concurrency: 1, webhookUrl: 'http://127.0.0.1:9/hook' });
  await t.req('POST', `/api/experiments/runs/${A.otherRunId}/abort`);
  await waitForRun(t, A.otherRunId);
  A.deliveryId = ((await (await t.req('GET', `/api/experiments/runs/${A.otherRunId}/webhooks`)).json()) as { deliveries: { id: string }[] }).deliveries[0]!.id;
  const ds = (await (await t.req('POST', '/api/datasets', { body: { name: A.datasetName, slug: A.datasetSlug, rows: [{ question: 'a' }] } })).json()) as { id: string };
  A.datasetId = ds.id;
  expect((await t.req('PUT', `/api/secrets/${A.secretName}`, { body: { value: A.secretValue } })).status).toBe(200);
  expect((await t.req('PUT', `/api/providers/${A.providerName}`, { body: { baseUrl: A.providerBaseUrl, apiKey: 'sk-iso-a-0000000000000000' } })).status).toBe(200);
  const key = await t.req('POST', `/api/admin/projects/${t.projectId}/api-keys`, { key: null, headers: { authorization: `Bearer ${ADMIN_TOKEN}` } });
  A.apiKeyId = ((await key.json()) as { id: string }).id;
  A.webhookSecret = ((await (await t.req('GET', '/api/webhooks/secret')).json()) as { secret: string }).secret;
});
afterAll(() => t.close());

describe('isolation walk over the OpenAPI document', () => {
  it('answers project B with 404 on every route that names A\'s things, and lists none of them', async () => {
    const ops = await operations();
    expect(ops.length).toBeGreaterThanOrEqual(40);
    const before = await snapshotA();
    const leaks = fingerprints();
    const walked: string[] = [];
    const call = async (op: Operation, variant: number) => {
      const url = urlFor(op, variant);
      const body = bodyFor(op.method, op.path);
      const res = await t.req(op.method.toUpperCase(), url, { key: b.key, ...(body === undefined ? {} : { body }) });
      const text = await res.text();
      const what = `${op.method.toUpperCase()} ${url} with B's key → ${res.status} ${text.slice(0, 200)}`;
      expect(res.status, what).not.toBe(403);
      expect(res.status, what).toBeLessThan(500);
      // A's names may come back only as the echo of what B itself sent (`Dataset not found: ds_…`).
      const sent = decodeURIComponent(url) + JSON.stringify(body ?? null);
      for (const leak of leaks.filter((l) => !sent.includes(l))) expect(text, `${what}: contains ${leak}`).not.toContain(leak);
      walked.push(`${op.method} ${op.path}`);
      return { status: res.status, text, what };
    };

    // Routes outside projects: each listed with its reason; B's project key opens none of them.
    for (const op of ops.filter((o) => !o.security.some((s) => typeof s === 'object' && s !== null && ('bearer' in s || 'xAuthToken' in s)))) {
      const id = `${op.method} ${op.path}`;
      expect(NOT_PROJECT_SCOPED[id], `${id} takes no project key: list it in NOT_PROJECT_SCOPED with the reason`).toBeDefined();
      const { status, what } = await call(op, 0);
      if (op.path.startsWith('/api/admin/')) expect(status, what).toBe(401);
      else expect(status, what).toBe(200);
    }

    const scoped = ops.filter((o) => NOT_PROJECT_SCOPED[`${o.method} ${o.path}`] === undefined);
    const later = scoped.filter((o) => ACTS_ON_B[`${o.method} ${o.path}`] !== undefined);
    for (const op of scoped.filter((o) => !later.includes(o))) {
      const id = `${op.method} ${op.path}`;
      if (/\{[^}]+\}/.test(op.path)) {
        // Every way of naming A's thing (id and slug; both of A's runs) is unknown to B.
        for (const variant of [0, 1]) {
          const { status, what } = await call(op, variant);
          expect(status, what).toBe(404);
        }
      } else if (op.method === 'get') {
        // A list (or a lookup by query): B sees none of A's items (checked in call), or 404 for A's names.
        const { status, what } = await call(op, 0);
        expect([200, 404], what).toContain(status);
        if (op.parameters.some((p) => p.in === 'query' && queryValue(p.name) !== undefined && p.name !== 'page')) expect(status, what).toBe(404);
      } else if (op.path.endsWith('/abort')) {
        const { status, what } = await call(op, 0);
        expect(status, what).toBe(404);
      } else {
        throw new Error(`${id}: a write route without path parameters; say what B's call must do (ACTS_ON_B, or a case here)`);
      }
    }

    // Routes where B acts on its own things: they succeed in B, and leave A's alone.
    for (const op of later) {
      const { status, what } = await call(op, 0);
      expect(status, what).toBeGreaterThanOrEqual(200);
      expect(status, what).toBeLessThan(300);
    }

    // Every route of the document was walked.
    const all = ops.map((o) => `${o.method} ${o.path}`);
    expect([...new Set(walked)].sort()).toEqual([...new Set(all)].sort());
    // A's things are exactly as they were, and A's keys still work.
    expect(await snapshotA()).toEqual(before);
    console.log(`isolation walk: ${all.length} routes, ${walked.length} calls with project B's key`);
  }, 60_000);

  it('also keeps B out with a Basic header naming A\'s project, and A out of B\'s things', async () => {
    const basic = Buffer.from(`${t.projectId}:${b.key}`).toString('base64');
    const res = await t.req('GET', `/api/experiments/${A.experimentSlug}`, { key: null, headers: { authorization: `Basic ${basic}` } });
    expect(res.status).toBe(401);
    expect(await res.json()).toMatchObject({ error: 'Invalid credentials' });
    // The other way round: B's experiment of the same slug is invisible to A.
    expect([200, 201]).toContain((await t.req('PUT', `/api/experiments/${A.experimentSlug}`, { key: b.key, body: experimentDoc('B\'s experiment') })).status);
    const mine = (await (await t.req('GET', `/api/experiments/${A.experimentSlug}`)).json()) as { name: string };
    expect(mine.name).toBe(A.experimentName);
    const theirs = (await (await t.req('GET', `/api/experiments/${A.experimentSlug}`, { key: b.key })).json()) as { name: string };
    expect(theirs.name).toBe('B\'s experiment');
  });
});

describe('ids of A given in bodies and queries of B\'s own requests', () => {
  /** B's own experiment and a completed run of it, so that only A's id decides each answer. */
  const B_SLUG = 'iso-exp-of-b';
  let bRunId = '';
  beforeAll(async () => {
    expect((await t.req('POST', '/api/experiments', { key: b.key, body: { ...experimentDoc('B\'s own'), slug: B_SLUG } })).status).toBe(201);
    const started = await t.req('POST', `/api/experiments/${B_SLUG}/run`, { key: b.key, body: {} });
    bRunId = ((await started.json()) as { runId: string }).runId;
    for (let i = 0; i < 300; i++) {
      const run = (await (await t.req('GET', `/api/experiments/runs/${bRunId}`, { key: b.key })).json()) as { status: string };
      if (run.status !== 'running') break;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  });

  /** The answer to B, which must name nothing of A's beyond what B sent. */
  async function asB(method: string, path: string, body?: unknown): Promise<{ status: number; text: string }> {
    const res = await t.req(method, path, { key: b.key, ...(body === undefined ? {} : { body }) });
    const text = await res.text();
    const sent = path + JSON.stringify(body ?? null);
    for (const leak of fingerprints().filter((l) => !sent.includes(l))) expect(text, `${method} ${path}: contains ${leak}`).not.toContain(leak);
    return { status: res.status, text };
  }

  it('answers "not found" for A\'s dataset, baseline run and saved-dataset reference', async () => {
    const before = await snapshotA();
    const cases: [string, string, unknown][] = [
      ['POST', `/api/experiments/${B_SLUG}/run`, { dataset_id: A.datasetId }],
      ['POST', `/api/experiments/${B_SLUG}/run`, { dataset_id: A.datasetSlug }],
      ['POST', `/api/experiments/${B_SLUG}/run`, { baselineRunId: A.runId }],
      ['POST', `/api/experiments/${B_SLUG}/estimate`, { dataset_id: A.datasetId }],
      ['POST', '/api/experiments', { ...experimentDoc('B refers to A'), slug: 'iso-ref-a', dataset: { datasetId: A.datasetId } }],
      ['POST', '/api/experiments', { ...experimentDoc('B refers to A'), slug: 'iso-ref-a', dataset: { datasetId: A.datasetSlug } }],
      ['GET', `/api/experiments/runs/${bRunId}/compare?baseline=${A.runId}`, undefined],
      ['GET', `/api/experiments/runs/${A.runId}/compare?baseline=${bRunId}`, undefined],
    ];
    for (const [method, path, body] of cases) {
      const { status, text } = await asB(method, path, body);
      const what = `${method} ${path} ${JSON.stringify(body ?? null).slice(0, 120)} → ${status} ${text.slice(0, 200)}`;
      // Not found, as for an id that does not exist (400 where the document names a field).
      expect([400, 404], what).toContain(status);
      expect(text, what).toMatch(/not found|does not exist|no (dataset|run)/i);
    }
    // B's runs after all that: only the one it started itself.
    const runs = (await (await t.req('GET', `/api/experiments/runs?experimentSlug=${B_SLUG}`, { key: b.key })).json()) as { runs: unknown[] };
    expect(runs.runs).toHaveLength(1);
    expect(await snapshotA()).toEqual(before);
    // The same ids resolve for their owner: only the project decided the answers above. (A's
    // dataset lacks the `expected` column the experiment reads, so a run of it is refused for that.)
    const own = async (method: string, path: string, body?: unknown) => {
      const res = await t.req(method, path, body === undefined ? {} : { body });
      return `${res.status} ${await res.text()}`;
    };
    expect(await own('POST', `/api/experiments/${A.experimentSlug}/estimate`, { dataset_id: A.datasetId })).toMatch(/^400 .*expected/);
    expect(await own('POST', `/api/experiments/${A.experimentSlug}/run`, { dataset_id: A.datasetSlug, baselineRunId: A.runId })).toMatch(/^400 .*expected/);
    expect(await own('POST', `/api/experiments/${A.experimentSlug}/estimate`, { baselineRunId: A.runId })).toMatch(/^200 /);
    expect(await own('POST', '/api/experiments', { ...experimentDoc('A refers to A'), slug: 'iso-ref-a', dataset: { datasetId: A.datasetId } })).toMatch(/^201 /);
    expect(await own('GET', `/api/experiments/runs/${A.runId}/compare?baseline=${A.otherRunId}`)).toMatch(/^200 /);
  });
});
