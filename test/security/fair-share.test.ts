// One project must not hold another's calls back by queueing many of its own on a limit they
// share: a model on the server's key (ASSAY_MODEL_CONCURRENCY), an HTTP origin
// (ASSAY_LIMIT_PER_KEY) or a worker's cells (ASSAY_WORKER_CONCURRENCY). Those limits were first come, first served, so a run at concurrency 50
// queued 48 calls past the two slots, and another project's three-row run waited behind all of
// them. Projects now take a shared limit's slots in turns. What a user notices: the small run
// finishes while the big one has done only a few of its cells. Real servers on loopback.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFakeAgent, type FakeAgent } from '../../src/testing/fake-agent.js';
import { startFakeOpenAI } from '../../src/testing/fake-openai.js';
import type { FakeLlmProvider } from '../../src/testing/fake-provider-core.js';
import { startTestAssay, type TestAssay } from '../../src/testing/harness.js';
import type { PolledRun } from '../../src/testing/runs.js';

const SERVER_KEY = 'sk-server-operator-key-fair-0123456789';

let provider: FakeLlmProvider;
let agent: FakeAgent;
let t: TestAssay;
let other: { key: string; projectId: string };

beforeAll(async () => {
  provider = await startFakeOpenAI({ apiKey: SERVER_KEY, latencyMs: 50 });
  agent = await startFakeAgent({ latencyMs: 50 });
  t = await startTestAssay({ modelConcurrency: 2, limitPerKey: 2, providers: { openai: { apiKey: SERVER_KEY, baseUrl: provider.baseURL } } });
  other = await t.otherProject();
});
afterAll(async () => {
  await t?.close();
  await provider?.close();
  await agent?.close();
});

const targets = {
  model: [{ id: 'p', type: 'prompt', model: 'openai/gpt-4o-mini', messages: [{ role: 'user', content: '{{question}}' }] }],
  agent: () => [{ id: 'a', type: 'http', url: `${agent.url}/chat`, method: 'POST', body: { message: '{{question}}' }, outputPath: '$.reply' }],
};

async function poll(runId: string, key: string, on = t): Promise<PolledRun> {
  return (await (await on.req('GET', `/api/experiments/runs/${runId}`, { key })).json()) as PolledRun;
}

/** Starts a run of `rows` rows; returns its id. */
async function start(slug: string, rows: number, concurrency: number, target: unknown[], key: string, on = t, evaluators: unknown[] = []): Promise<string> {
  const body = {
    slug, name: slug,
    dataset: { rows: Array.from({ length: rows }, (_, i) => ({ question: `Question ${i}?` })) },
    targets: target,
    evaluators,
    execution: { maxRetries: 0, concurrency },
  };
  expect((await on.req('POST', '/api/experiments', { body, key })).status).toBe(201);
  const started = await on.req('POST', `/api/experiments/${slug}/run`, { key });
  expect(started.status).toBe(200);
  return ((await started.json()) as { runId: string }).runId;
}

async function until(runId: string, key: string, done: (r: PolledRun) => boolean, on = t): Promise<PolledRun> {
  const deadline = Date.now() + 60_000;
  for (;;) {
    const r = await poll(runId, key, on);
    if (done(r)) return r;
    if (Date.now() > deadline) throw new Error(`run ${runId} at ${r.progress}/${r.total}, ${r.status}, after 60 s`);
    await new Promise((res) => setTimeout(res, 10));
  }
}

/** Project default's big run and another project's small one on one limit of two; returns the big run as it was when the small one ended. */
async function bigAndSmall(name: string, target: unknown[], on: TestAssay, otherKey: string, evaluators: unknown[] = []): Promise<PolledRun> {
  // 200 cells, 50 at a time, on a limit of 2: 48 calls queue behind the two held slots.
  const big = await start(`big-${name}`, 200, 50, target, on.key, on, evaluators);
  await until(big, on.key, (r) => r.progress >= 2, on);
  const small = await start(`small-${name}`, 3, 3, target, otherKey, on, evaluators);
  const done = await until(small, otherKey, (r) => r.status !== 'running', on);
  const bigAtThatPoint = await poll(big, on.key, on);
  expect(done).toMatchObject({ status: 'completed', summary: { completedCells: 3 } });
  const results = (await (await on.req('GET', `/api/experiments/runs/${small}/results`, { key: otherKey })).json()) as { evaluations: { status: string }[] };
  expect(results.evaluations.map((e) => e.status)).toEqual(evaluators.map(() => 'processed').flatMap((s) => [s, s, s]));
  expect((await on.req('POST', `/api/experiments/runs/${big}/abort`)).status).toBe(200);
  await until(big, on.key, (r) => r.status !== 'running', on);
  return bigAtThatPoint;
}

// First come, first served, the small run would wait for the 48 queued cells (and those that
// replace them as they finish); in turns, for about one of the big run's calls each.
function expectServedInTurns(big: PolledRun): void {
  expect(big.status).toBe('running');
  expect(big.progress, JSON.stringify(big)).toBeLessThan(40);
}

describe('projects take the slots of a shared limit in turns', () => {
  it('a small run of another project finishes while a big run queues on the same model (server key)', async () => {
    expectServedInTurns(await bigAndSmall('model', targets.model, t, other.key));
  });

  it('… and on the same HTTP origin', async () => {
    expectServedInTurns(await bigAndSmall('agent', targets.agent(), t, other.key));
  });

  it("… and for a judge's model calls (an evaluator on the server's key)", async () => {
    const judged = await startTestAssay({ modelConcurrency: 2, limitPerKey: 1_000, providers: { openai: { apiKey: SERVER_KEY, baseUrl: provider.baseURL } } });
    try {
      const second = await judged.otherProject();
      const big = await bigAndSmall('judged', targets.agent(), judged, second.key, [{ id: 'judge', type: 'langevals/llm_boolean', settings: { model: 'openai/gpt-4o-mini' } }]);
      expectServedInTurns(big);
    } finally {
      await judged.close();
    }
  });

  it("… and for a worker's cell slots (ASSAY_WORKER_CONCURRENCY)", async () => {
    const worker = await startTestAssay({ workerConcurrency: 2 });
    try {
      const second = await worker.otherProject();
      expectServedInTurns(await bigAndSmall('cells', targets.agent(), worker, second.key));
    } finally {
      await worker.close();
    }
  });
});
