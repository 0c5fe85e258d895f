// An `outputPath` evaluates on the server's main thread, so it may hold it for 100 ms of the
// thread's own time at most, as a template render may (security review of 2026-12-07). Its step
// bound alone let a path run for 0.3–1.1 s: `$.a[*][?(@ > 1 && @ < 5 || @ == 7)]` on an answer of
// 190,000 one-item arrays stayed under 2,000,000 steps and held the main thread ≈ 0.45 s of CPU
// (1 s of wall time on a loaded 2-core machine) before answering with its four matches.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFakeAgent, type FakeAgent } from '../../src/testing/fake-agent.js';
import { startTestAssay, type TestAssay } from '../../src/testing/harness.js';
import { startRun, waitForRun } from '../../src/testing/runs.js';
import { expectHealthy, probing, saneAnswer } from './support.js';

/** 190,000 one-item arrays (the answer bounds allow 200,000 arrays and objects): 1.8 MB. */
const ANSWER = JSON.stringify({ a: Array.from({ length: 190_000 }, (_, i) => [i]) });
/** Longest /healthz delay allowed (the thread's CPU waits left out): room for a loaded CI machine, as in templates.test.ts. */
const HEALTH_BOUND_MS = 1_500;

let t: TestAssay;
let agent: FakeAgent;

beforeAll(async () => {
  t = await startTestAssay();
  agent = await startFakeAgent({ keepRequests: 0, handler: () => ({ status: 200, body: ANSWER, headers: { 'content-type': 'application/json' } }) });
});
afterAll(async () => {
  await t?.close();
  await agent?.close();
});

let slugs = 0;

/** Runs one cell of an HTTP target reading the answer through `outputPath`; its error and output. */
async function runPath(outputPath: string): Promise<{ error: string | null; output: unknown; worst: number }> {
  const slug = `jp-time-${++slugs}`;
  const target = { id: 't', type: 'http', method: 'GET', url: `${agent.url}/doc`, outputPath, timeoutMs: 10_000 };
  const saved = await t.req('POST', '/api/experiments', { body: { slug, name: slug, dataset: { rows: [{ q: 1 }] }, targets: [target], execution: { maxRetries: 0 } } });
  expect(saved.status, JSON.stringify(await saneAnswer(saved, outputPath))).toBe(201);
  let runId = '';
  const worst = await probing(t, async () => {
    runId = await startRun(t, slug);
    await waitForRun(t, runId, 30_000);
  });
  const results = (await (await t.req('GET', `/api/experiments/runs/${runId}/results`)).json()) as { dataset: { error: string | null; predicted?: { output: unknown } }[] };
  const cell = results.dataset[0]!;
  return { error: cell.error, output: cell.predicted?.output, worst };
}

describe('an outputPath that takes long on a large answer', () => {
  it('fails its cell once it has held the main thread 100 ms, within its step bound', async () => {
    const path = '$.a[*][?(@ > 1 && @ < 5 || @ == 7)]';
    const { error, output, worst } = await runPath(path);
    expect(output, 'the cell has no output').toBeUndefined();
    expect(error).toBe(`outputPath ${path} is too costly on this response (more than 100 ms): select less, with fewer "..", "*" or filters`);
    expect(worst, '/healthz delayed').toBeLessThan(HEALTH_BOUND_MS);
    await expectHealthy(t);
  }, 60_000);

  it('still answers a path that reads a few values of the same answer', async () => {
    const { error, output } = await runPath('$.a[100000]');
    expect(error).toBeNull();
    expect(output).toEqual([100_000]);
  }, 60_000);
});
