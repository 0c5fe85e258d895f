// Input the API would not read is refused, not dropped (found by a review on 2026-12-05): unknown
// keys of run requests, resume and abort bodies and dataset uploads, bodies sent to routes that
// take none, keys beside a workbenchState, a body on a GET HTTP target, a threshold on an
// evaluator without a score, and ?name= beside a JSON upload. Each answer is a 400 naming what
// was not taken, and nothing is started or stored.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestAssay, type TestAssay } from '../testing/harness.js';

let t: TestAssay;
let stoppedRun: string;

beforeAll(async () => {
  t = await startTestAssay();
  await t.client.json('POST', '/api/experiments', {
    slug: 'plain', name: 'plain',
    dataset: { rows: [{ q: 'a' }, { q: 'b' }] },
    targets: [{ id: 'echo', type: 'code', code: 'return row.q' }],
  });
  stoppedRun = (await t.client.startRun('plain')).runId;
  await t.client.waitForEnd(stoppedRun, 30_000);
});
afterAll(() => t.close());

/** `error` is LangWatch's text on its own routes (the abort form answers "Invalid request body"). */
async function refused(method: string, path: string, body: unknown, error = 'validation_error') {
  const res = await t.req(method, path, { body });
  const answer = (await res.json()) as { error: string; message: string; issues?: { path: unknown[] }[] };
  expect(res.status, `${method} ${path}: ${answer.message}`).toBe(400);
  expect(answer.error).toBe(error);
  return answer;
}

const runCount = async () => ((await (await t.req('GET', '/api/experiments/runs?experimentSlug=plain')).json()) as { runs: unknown[] }).runs.length;

describe('input the API would not read', () => {
  it('a run request with a misspelt key starts nothing (repeat, row_indexes)', async () => {
    const before = await runCount();
    for (const body of [{ repeat: 3 }, { row_indexes: [0] }, { budget_usd: 0.01 }]) {
      const answer = await refused('POST', '/api/experiments/plain/run', body);
      expect(answer.message).toContain(Object.keys(body)[0]);
    }
    // The LangWatch prefix too.
    await refused('POST', '/api/evaluations/v3/plain/run', { rows: [0] });
    expect(await runCount()).toBe(before);
  });

  it('resume and abort bodies name their unknown key', async () => {
    const resume = await refused('POST', `/api/experiments/runs/${stoppedRun}/resume`, { retry_errors: true });
    expect(resume.message).toBe('Unknown key "retry_errors": the resume body takes only retryErrors (a boolean)');
    const abort = await refused('POST', '/api/experiments/abort', { runId: stoppedRun, reason: 'x' }, 'Invalid request body');
    expect(abort.message).toBe('Unknown key "reason": the abort body takes runId and projectId');
    // LangWatch's own form is still taken (the run has ended: 409, not 400).
    expect((await t.req('POST', '/api/experiments/abort', { body: { runId: stoppedRun, projectId: 'proj_x' } })).status).toBe(409);
  });

  it('a route that takes no body refuses one with content, and takes none, whitespace or {}', async () => {
    const answer = await refused('POST', `/api/experiments/runs/${stoppedRun}/abort`, { runId: 'run_other', force: true });
    expect(answer.message).toBe('POST /api/experiments/runs/{runId}/abort takes no body; send none (or {})');
    const secret = await refused('POST', '/api/webhooks/secret', { secret: 'my-own-secret-value' });
    expect(secret.message).toContain('takes no body');
    // A large body, or a YAML one, is refused for being there, not for its size or type.
    for (const [raw, type] of <[string, string][]>[[`{"pad":"${'x'.repeat(64 * 1024)}"}`, 'application/json'], ['force: true\n', 'application/yaml']]) {
      const res = await t.req('POST', `/api/experiments/runs/${stoppedRun}/abort`, { raw, headers: { 'content-type': type } });
      expect(res.status, type).toBe(400);
      expect(((await res.json()) as { message: string }).message).toBe('POST /api/experiments/runs/{runId}/abort takes no body; send none (or {})');
    }
    for (const raw of [undefined, '', '  \n', '{}']) {
      const res = await t.req('POST', `/api/experiments/runs/${stoppedRun}/abort`, { ...(raw === undefined ? {} : { raw }), headers: { 'content-type': 'application/json' } });
      expect(res.status, JSON.stringify(raw)).toBe(409);
    }
  });

  it('dataset uploads: unknown keys, and ?name= beside a JSON body', async () => {
    const create = await refused('POST', '/api/datasets', { name: 'ds', rows: [{ a: 1 }], description: 'kept?' });
    expect(create.issues?.[0]?.path).toEqual([]);
    expect(create.message).toContain('description');
    const query = await refused('POST', '/api/datasets?name=from-query', { name: 'from-body', rows: [{ a: 1 }] });
    expect(query.message).toBe('?name= is for CSV and JSON Lines uploads; a JSON body gives name and slug as its own fields');
    expect((await t.req('POST', '/api/datasets', { body: { name: 'ds', slug: 'ds', rows: [{ a: 1 }] } })).status).toBe(201);
    const append = await refused('POST', '/api/datasets/ds/records', { rows: [{ a: 2 }], replace: true });
    expect(append.message).toContain('replace');
    const stored = (await (await t.req('GET', '/api/datasets/ds')).json()) as { rowCount: number; version: number };
    expect(stored).toMatchObject({ rowCount: 1, version: 1 });
  });

  it('keys beside a workbenchState are refused instead of dropped', async () => {
    const answer = await refused('POST', '/api/experiments', { workbenchState: {}, slug: 'wb', execution: { repeats: 5 } });
    expect(answer.message).toContain('Unknown key "execution" beside workbenchState');
  });

  it('a GET HTTP target with a body, and a threshold on an evaluator without a score, are refused at save', async () => {
    const get = await refused('PUT', '/api/experiments/get-body', {
      name: 'g', dataset: { rows: [{ q: 'a' }] },
      targets: [{ id: 'h', type: 'http', method: 'GET', url: 'http://example.com/q', body: { ignored: true } }],
    });
    expect(get.issues?.[0]?.path).toEqual(['targets', 0, 'body']);
    const threshold = await refused('PUT', '/api/experiments/threshold', {
      name: 't', dataset: { rows: [{ q: 'a' }] },
      targets: [{ id: 'echo', type: 'code', code: 'return row.q' }],
      evaluators: [{ id: 'exact', type: 'exact_match', threshold: 0 }],
    });
    expect(threshold.issues?.[0]).toEqual({ path: ['evaluators', 0, 'threshold'], message: 'exact_match reports no score (it reports passed), so a threshold cannot apply; use negate to invert its verdict' });
  });
});
