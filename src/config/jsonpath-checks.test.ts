// The save-time outputPath check (jsonpath-checks.ts), alone and through a real server: a filter
// that calls a method is refused at save naming targets.N.outputPath, and one already stored
// (saved before the check existed) fails its cell with a clear error while the server stays up.
// Before, `@.repeat(100000000).split('')` killed the process with a V8 fatal error, on every resume.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { experimentDocumentSchema } from '../core/model/experiment.js';
import { startFakeAgent, type FakeAgent } from '../testing/fake-agent.js';
import { startTestAssay, type TestAssay } from '../testing/harness.js';
import { startRun, waitForRun } from '../testing/runs.js';
import { jsonPathCheck } from './jsonpath-checks.js';

const HOSTILE = "$[?(@.length > 1 && @.repeat(100000000).split('').length > 0)]";
const ALLOWED = "outputPath filters may only read and compare values (@.price > 10 && @.kind == 'x'); calls like .repeat() are not allowed";
const project = { id: 'p', slug: 'p', name: 'P', createdAt: 0 };

describe('jsonPathCheck', () => {
  it('names each HTTP target whose outputPath filter does more than read and compare', async () => {
    const doc = experimentDocumentSchema.parse({
      name: 'x',
      dataset: { rows: [{ q: 'a' }] },
      targets: [
        { id: 'fine', type: 'http', url: 'http://agent/chat', outputPath: "$.choices[?(@.message.role == 'assistant')].message.content" },
        { id: 'none', type: 'http', url: 'http://agent/chat' },
        { id: 'hostile', type: 'http', url: 'http://agent/chat', outputPath: HOSTILE },
        { id: 'spelled', type: 'http', url: 'http://agent/chat', outputPath: "$..[?(@['constructor'])]" },
        { id: 'code', type: 'code', code: 'return 1' },
      ],
    });
    const issues = await jsonPathCheck(doc, project);
    expect(issues).toEqual([
      { path: ['targets', 2, 'outputPath'], message: `a call at character 25 in filter "@.length > 1 && @.repeat(100000000).split('').length > 0": ${ALLOWED}` },
      { path: ['targets', 3, 'outputPath'], message: `reading "constructor" at character 3 in filter "@['constructor']": ${ALLOWED}` },
    ]);
  });
});

describe('a hostile outputPath through a real server', () => {
  let t: TestAssay;
  let agent: FakeAgent;

  beforeAll(async () => {
    t = await startTestAssay();
    agent = await startFakeAgent({ handler: () => ({ status: 200, body: { reply: 'hello', parts: ['ab', 'cd'] } }) });
  });
  afterAll(async () => {
    await t.close();
    await agent.close();
  });

  const experiment = (slug: string, outputPath: string) => ({
    slug,
    name: slug,
    dataset: { rows: [{ q: 1 }] },
    targets: [{ id: 'agent', type: 'http', url: `${agent.url}/chat`, body: { message: 'hi' }, outputPath }],
    execution: { maxRetries: 0 },
  });

  async function cellOf(slug: string): Promise<{ status: string; error: string | null; output: unknown }> {
    const run = await waitForRun(t, await startRun(t, slug), 20_000);
    const res = await t.req('GET', `/api/experiments/runs/${run.runId}/results`);
    const cell = ((await res.json()) as { dataset: { error: string | null; predicted?: { output: unknown } }[] }).dataset[0]!;
    return { status: run.status, error: cell.error, output: cell.predicted?.output };
  }

  it('is refused at save, naming targets.0.outputPath', async () => {
    const res = await t.req('POST', '/api/experiments', { body: experiment('hostile-save', HOSTILE) });
    expect(res.status).toBe(400);
    const body = (await res.json()) as { issues: { path: unknown[]; message: string }[] };
    expect(body.issues).toContainEqual({ path: ['targets', 0, 'outputPath'], message: expect.stringContaining(ALLOWED) });
    expect((await t.req('GET', '/api/experiments/hostile-save')).status).toBe(404);
  });

  it('fails its cell with a clear error when already stored, and the server stays healthy', async () => {
    const document = experimentDocumentSchema.parse(experiment('hostile-stored', HOSTILE));
    await t.assay.stores.experiments.create({ id: 'exp_hostile_stored', projectId: t.projectId, slug: 'hostile-stored', name: 'hostile-stored', document, at: Date.now() });
    const cell = await cellOf('hostile-stored');
    expect(cell.status).not.toBe('running');
    expect(cell.error).toBe(`invalid outputPath ${HOSTILE}: a call at character 25 in filter "@.length > 1 && @.repeat(100000000).split('').length > 0": ${ALLOWED}`);
    expect((await t.req('GET', '/healthz')).status).toBe(200);

    const saved = await t.req('POST', '/api/experiments', { body: experiment('fine', "$.parts[?(@.length > 1 && @ != 'cd')]") });
    expect(saved.status).toBe(201);
    expect(await cellOf('fine')).toMatchObject({ error: null, output: ['ab'] });
  });
});
