// Issue 10, reproductions 1, 2 and 11: a project must never reach the operator's credentials.
// (1) A project that sets only `baseUrl` for a provider the server has a key for cannot make
// the server send that key (or its headers) there — refused at save, and settings stored before
// that rule carry no server credential. (2) With ASSAY_HTTP_TARGETS_ALLOW_PRIVATE=false a base
// URL the project chose on a private address is refused for every kind of call (prompt target,
// judge, embeddings, moderation) and nothing the address answered appears anywhere; the server's
// own base URL (the operator's choice) still works. (11) Server-wide credentials (provider keys,
// ASSAY_SECRET_*) reach only the projects in ASSAY_SHARED_CREDENTIALS_PROJECTS. The receivers
// are real HTTP servers on loopback that record every request.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFakeOpenAI } from '../../src/testing/fake-openai.js';
import type { FakeLlmProvider } from '../../src/testing/fake-provider-core.js';
import { startTestAssay, type TestAssay } from '../../src/testing/harness.js';
import { RECEIVER_MARKER, type Receiver, startReceiver } from '../../src/testing/receiver.js';

const SERVER_KEY = 'sk-server-operator-key-0123456789abcdef';
const SERVER_HEADER = 'server-header-secret-fedcba9876543210';
const SHARED_TOKEN = 'shared-env-token-value-13579bdf';
const PROJECT_KEY = 'sk-project-own-key-2468ace02468ace0';

let provider: FakeLlmProvider;
let receiver: Receiver;

beforeAll(async () => {
  provider = await startFakeOpenAI({ apiKey: SERVER_KEY });
  receiver = await startReceiver();
});
afterAll(async () => {
  await provider.close();
  await receiver.close();
});

/**
 * A prompt target on `provider/…`, a code target (whose output the evaluators always get to
 * judge), and a judge, an embeddings evaluator and moderation, all on `provider/…` models.
 */
function modelExperiment(slug: string, provider: string) {
  return {
    slug, name: slug,
    dataset: { rows: [{ question: 'Capital of France?', expected: 'Paris' }] },
    targets: [
      { id: 'p', type: 'prompt', model: `${provider}/gpt-4o-mini`, messages: [{ role: 'user', content: '{{question}}' }] },
      { id: 'code', type: 'code', code: "return 'Paris'" },
    ],
    evaluators: [
      { id: 'judge', type: 'langevals/llm_boolean', settings: { model: `${provider}/gpt-4o-mini` } },
      { id: 'similar', type: 'langevals/similarity', settings: { embeddings_model: `${provider}/text-embedding-3-small`, value: 'Paris' } },
      // Moderation exists only on provider openai.
      { id: 'moderated', type: 'openai/moderation', settings: { model: 'omni-moderation-latest' } },
    ],
  };
}

/** Everything a user can read about a run: poll body, results, events and every export. */
async function everythingAbout(t: TestAssay, runId: string, key?: string): Promise<string> {
  const paths = ['', '/results', '/events', '/export?format=jsonl', '/export?format=csv', '/export?format=junit'];
  const texts = await Promise.all(paths.map(async (p) => (await t.req('GET', `/api/experiments/runs/${runId}${p}`, key ? { key } : {})).text()));
  return texts.join('\n');
}

async function runOnce(t: TestAssay, doc: unknown, key?: string): Promise<{ runId: string; results: any; all: string }> {
  const create = await t.req('POST', '/api/experiments', { body: doc, ...(key ? { key } : {}) });
  expect(create.status, await create.clone().text()).toBe(201);
  const slug = (doc as { slug: string }).slug;
  const res = await t.req('POST', `/api/experiments/${slug}/run`, key ? { key } : {});
  const { runId } = (await res.json()) as { runId: string };
  const deadline = Date.now() + 30_000;
  for (;;) {
    const polled = (await (await t.req('GET', `/api/experiments/runs/${runId}`, key ? { key } : {})).json()) as { status: string };
    expect(polled.status).toBeDefined();
    if (polled.status !== 'running') break;
    if (Date.now() > deadline) throw new Error(`run ${runId} did not end`);
    await new Promise((r) => setTimeout(r, 20));
  }
  const results = await (await t.req('GET', `/api/experiments/runs/${runId}/results`, key ? { key } : {})).json();
  return { runId, results, all: await everythingAbout(t, runId, key) };
}

function sentServerCredential(): boolean {
  return receiver.requests.some((r) => JSON.stringify(r.headers).includes(SERVER_KEY) || JSON.stringify(r.headers).includes(SERVER_HEADER));
}

describe("the server's provider key goes only to the server's base URL", () => {
  let t: TestAssay;
  beforeAll(async () => {
    t = await startTestAssay({ providers: { openai: { apiKey: SERVER_KEY, baseUrl: provider.baseURL, headers: { 'x-operator': SERVER_HEADER } } } });
  });
  afterAll(() => t.close());

  it('refuses a project base URL without a project key, naming apiKey', async () => {
    const res = await t.req('PUT', '/api/providers/openai', { body: { baseUrl: `${receiver.url}/v1` } });
    expect(res.status).toBe(400);
    const body = (await res.json()) as { error: string; issues: { path: string[] }[]; message: string };
    expect(body.error).toBe('validation_error');
    expect(body.issues[0]!.path).toEqual(['apiKey']);
    expect(body.message).not.toContain(SERVER_KEY);
  });

  it('sends no server credential to a base URL stored without a key (settings saved before the rule)', async () => {
    receiver.reset();
    // Written straight to storage: the shape a project could have saved before the 400 existed.
    await t.assay.stores.providers.put(t.projectId, 'openai', { baseUrl: `${receiver.url}/v1`, at: Date.now() });
    // The AI SDK reads OPENAI_API_KEY from the process environment when given no key: it must not.
    process.env.OPENAI_API_KEY = SERVER_KEY;
    try {
      const { results, all } = await runOnce(t, modelExperiment('theft-stored', 'openai'));
      expect(results.dataset[0].error).toContain("the project set its own base URL, and the server's key is only sent to the server's base URL");
      expect(receiver.requests).toHaveLength(0);
      expect(all).not.toContain(SERVER_KEY);
    } finally {
      delete process.env.OPENAI_API_KEY;
      await t.assay.stores.providers.remove(t.projectId, 'openai');
    }
  });

  it("sends the project's own key, and none of the server's headers, to the project's base URL", async () => {
    receiver.reset();
    receiver.answer = () => ({ status: 500, headers: { 'content-type': 'application/json' }, body: JSON.stringify({ error: { message: 'upstream broke' } }) });
    try {
      expect((await t.req('PUT', '/api/providers/openai', { body: { baseUrl: `${receiver.url}/v1`, apiKey: PROJECT_KEY } })).status).toBe(200);
      await runOnce(t, modelExperiment('own-key', 'openai'));
      // The target, the judge, the embeddings and moderation all called the project's URL…
      expect(new Set(receiver.requests.map((r) => r.path))).toEqual(new Set(['/v1/chat/completions', '/v1/embeddings', '/v1/moderations']));
      // …each with the project's key and never the server's key or headers.
      for (const r of receiver.requests) expect(r.headers.authorization).toBe(`Bearer ${PROJECT_KEY}`);
      expect(sentServerCredential()).toBe(false);
    } finally {
      receiver.reset();
      await t.req('DELETE', '/api/providers/openai');
    }
  });

  it("still serves the server's key at the server's base URL", async () => {
    const before = provider.requests.length;
    const { results } = await runOnce(t, modelExperiment('server-url', 'openai'));
    expect(results.dataset[0].error).toBeNull();
    expect(provider.requests.length).toBeGreaterThan(before);
  });
});

describe('ASSAY_SHARED_CREDENTIALS_PROJECTS', () => {
  let t: TestAssay;
  let other: { key: string; projectId: string };
  beforeAll(async () => {
    t = await startTestAssay({
      providers: { openai: { apiKey: SERVER_KEY, baseUrl: provider.baseURL } },
      envSecrets: { SHARED_TOKEN },
      sharedCredentialsProjects: ['default'],
    });
    other = await t.otherProject();
  });
  afterAll(() => t.close());

  it("lets only the named projects spend the server's provider key", async () => {
    const before = provider.requests.length;
    const { results } = await runOnce(t, modelExperiment('not-shared', 'openai'), other.key);
    expect(results.dataset[0].error).toContain("this project may not use the server's key (ASSAY_SHARED_CREDENTIALS_PROJECTS)");
    expect(provider.requests.length).toBe(before);
    const view = (await (await t.req('GET', '/api/providers', { key: other.key })).json()) as { providers: { name: string; apiKey: string | null }[] };
    expect(view.providers.find((p) => p.name === 'openai')?.apiKey).toBeNull();
    // The named project still has it.
    expect((await runOnce(t, modelExperiment('shared', 'openai'))).results.dataset[0].error).toBeNull();
  });

  it('gives ASSAY_SECRET_* values only to the named projects', async () => {
    receiver.reset();
    const doc = (slug: string) => ({
      slug, name: slug,
      dataset: { rows: [{ q: 'x' }] },
      targets: [{ id: 'agent', type: 'http', url: `${receiver.url}/chat`, headers: { authorization: 'Bearer {{secrets.SHARED_TOKEN}}' }, body: { q: '{{q}}' }, outputPath: '$.reply' }],
      evaluators: [],
    });
    // A project not named has no such secret: its run is refused at the start, before any cell.
    expect((await t.req('POST', '/api/experiments', { body: doc('env-secret-other'), key: other.key })).status).toBe(201);
    const refused = await t.req('POST', '/api/experiments/env-secret-other/run', { key: other.key });
    expect(refused.status).toBe(400);
    expect(((await refused.json()) as { message: string }).message).toContain('target "agent" reads {{secrets.SHARED_TOKEN}}');
    expect(receiver.requests).toHaveLength(0);
    const allowed = await runOnce(t, doc('env-secret-default'));
    expect(allowed.results.dataset[0].error).toBeNull();
    expect(receiver.requests.map((r) => r.headers.authorization)).toEqual([`Bearer ${SHARED_TOKEN}`]);
  });
});

describe('the network guard covers model calls (ASSAY_HTTP_TARGETS_ALLOW_PRIVATE=false)', () => {
  let t: TestAssay;
  beforeAll(async () => {
    // The server's own base URL is on loopback too: the operator chose it, so it is not guarded.
    t = await startTestAssay({ httpTargetsAllowPrivate: false, providers: { openai: { apiKey: SERVER_KEY, baseUrl: provider.baseURL } } });
  });
  afterAll(() => t.close());

  it('refuses a project base URL on a loopback address for targets, judges, embeddings and moderation', async () => {
    receiver.reset();
    expect((await t.req('PUT', '/api/providers/local', { body: { baseUrl: `${receiver.url}/v1` } })).status).toBe(200);
    expect((await t.req('PUT', '/api/providers/openai', { body: { baseUrl: `${receiver.url}/v1`, apiKey: PROJECT_KEY } })).status).toBe(200);
    for (const name of ['local', 'openai']) {
      const { results, all } = await runOnce(t, modelExperiment(`guarded-${name}`, name));
      expect(results.dataset.find((d: any) => d.targetId === 'p').error).toMatch(/refused to call http:\/\/127\.0\.0\.1:\d+: it is a loopback address; private networks are not allowed/);
      expect(all).not.toContain(RECEIVER_MARKER);
      // Every evaluator on the code target's cell called the project's URL and was refused.
      const onCode = results.evaluations.filter((e: any) => e.targetId === 'code');
      expect(onCode.map((e: any) => e.evaluator).sort()).toEqual(['judge', 'moderated', 'similar']);
      for (const e of onCode) {
        expect(e.status, e.evaluator).toBe('error');
        expect(e.details, e.evaluator).toContain('private networks are not allowed');
      }
    }
    expect(receiver.requests).toHaveLength(0);
  });
});
