// Prompt targets end to end (issue 4): experiments whose targets are models, reached through
// the fake OpenAI and Anthropic servers (real HTTP, real wire protocols) with project-level
// provider settings: outputs, tokens, costs from the price table, structured output, the
// response cache, and clear failures.
import { calcPrice } from '@pydantic/genai-prices';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunSummary } from '../../core/model/summary.js';
import { type FakeLlmProvider } from '../../testing/fake-provider-core.js';
import { startFakeAnthropic } from '../../testing/fake-anthropic.js';
import { startFakeOpenAI } from '../../testing/fake-openai.js';
import { startTestAssay, type TestAssay } from '../../testing/harness.js';
import { startRun, waitForRun } from '../../testing/runs.js';

let t: TestAssay;
let openai: FakeLlmProvider;
let anthropic: FakeLlmProvider;

beforeAll(async () => {
  t = await startTestAssay();
  openai = await startFakeOpenAI({ apiKey: 'sk-openai-test-key-000000000000' });
  anthropic = await startFakeAnthropic({ apiKey: 'sk-ant-test-key-00000000000000' });
  expect((await t.req('PUT', '/api/providers/openai', { body: { apiKey: 'sk-openai-test-key-000000000000', baseUrl: openai.baseURL } })).status).toBe(200);
  expect((await t.req('PUT', '/api/providers/anthropic', { body: { apiKey: 'sk-ant-test-key-00000000000000', baseUrl: anthropic.url } })).status).toBe(200);
});
afterAll(async () => {
  await t.close();
  await openai.close();
  await anthropic.close();
});

const rows = [
  { question: 'Capital of France?', expected: 'Echo: Capital of France?' },
  { question: 'Capital of Japan?', expected: 'Echo: Capital of Japan?' },
  { question: 'Capital of Peru?', expected: 'Paris' },
];

function doc(slug: string, extra: Record<string, unknown> = {}) {
  return {
    slug, name: slug,
    dataset: { rows },
    targets: [
      { id: 'mini', type: 'prompt', model: 'openai/gpt-4o-mini', params: { temperature: 0, maxTokens: 50 }, messages: [{ role: 'system', content: 'Answer with the city only.' }, { role: 'user', content: '{{question}}' }] },
      { id: 'haiku', type: 'prompt', model: 'anthropic/claude-3-5-haiku-latest', params: { maxTokens: 50 }, messages: [{ role: 'user', content: '{{question}}' }] },
    ],
    evaluators: [{ id: 'exact', type: 'langevals/exact_match', settings: { case_sensitive: true }, inputs: { output: 'output', expected_output: 'row.expected' } }],
    ...extra,
  };
}

async function results(runId: string): Promise<any> {
  return (await t.req('GET', `/api/experiments/runs/${runId}/results`)).json();
}

describe('prompt targets', () => {
  it('runs OpenAI and Anthropic targets with tokens and costs from the price table', async () => {
    expect((await t.req('POST', '/api/experiments', { body: doc('two-models') })).status).toBe(201);
    const runId = await startRun(t, 'two-models');
    const done = await waitForRun(t, runId);
    expect(done.status).toBe('completed');
    expect(done.summary).toMatchObject({ totalCells: 6, completedCells: 6, totalPassed: 4, totalFailed: 2 });
    const res = await results(runId);
    for (const d of res.dataset) {
      expect(d.tokens.input).toBeGreaterThan(0);
      expect(d.tokens.output).toBeGreaterThan(0);
      const [provider, model] = d.targetId === 'mini' ? ['openai', 'gpt-4o-mini'] : ['anthropic', 'claude-3-5-haiku-latest'];
      const expected = calcPrice({ input_tokens: d.tokens.input, output_tokens: d.tokens.output }, model, { providerId: provider })!.total_price;
      expect(d.cost).toBeCloseTo(expected, 12);
    }
    expect(res.dataset.find((d: any) => d.targetId === 'mini' && d.index === 0).predicted.output).toBe('Echo: Capital of France?');
    // The rendered messages reached the provider: system prompt and the row's question.
    const sent = openai.requests.find((r) => JSON.stringify(r.body).includes('Capital of Japan?'))!;
    expect(JSON.stringify(sent.body)).toContain('Answer with the city only.');
    const summary = done.summary!;
    const sumTargets = res.dataset.reduce((a: number, d: any) => a + d.cost, 0);
    expect(summary.targetCost).toBeCloseTo(sumTargets, 10);
    expect(summary.totalCost).toBeCloseTo(sumTargets, 10);
    expect(summary.targets.map((x: any) => x.tokens.input)).toEqual([
      res.dataset.filter((d: any) => d.targetId === 'mini').reduce((a: number, d: any) => a + d.tokens.input, 0),
      res.dataset.filter((d: any) => d.targetId === 'haiku').reduce((a: number, d: any) => a + d.tokens.input, 0),
    ]);
  });

  it('prefers the provider-reported cost', async () => {
    openai.setBehaviour({ reportCost: () => 0.125 });
    try {
      await t.req('POST', '/api/experiments', { body: { ...doc('reported'), targets: [doc('x').targets[0]] } });
      const done = await waitForRun(t, await startRun(t, 'reported'));
      expect(done.summary!.targetCost).toBeCloseTo(3 * 0.125, 10);
    } finally {
      openai.setBehaviour({ reportCost: false });
    }
  });

  it('counts calls to a model without a price apart, never as $0', async () => {
    const priced = doc('x').targets[0]!;
    const unpriced = { ...priced, id: 'inhouse', model: 'openai/acme-inhouse-7b' };
    await t.req('POST', '/api/experiments', { body: { ...doc('unpriced'), targets: [priced, unpriced] } });
    const done = await waitForRun(t, await startRun(t, 'unpriced'));
    expect(done.status).toBe('completed');
    const res = await results(done.runId);
    const dataset = res.dataset as { targetId: string; cost: number | null }[];
    expect(dataset.filter((d) => d.targetId === 'inhouse').map((d) => d.cost)).toEqual([null, null, null]);
    const s = done.summary as RunSummary;
    expect(s.unpricedCalls).toBe(3);
    expect(s.targets.map((x) => [x.targetId, x.unpricedCalls])).toEqual([['mini', undefined], ['inhouse', 3]]);
    expect(s.targets[1]!.totalCost).toBe(0);
    expect(s.totalCost).toBeGreaterThan(0);
    expect(s.totalCost).toBeCloseTo(s.targets[0]!.totalCost, 10);
  });

  it('returns the parsed object when the target has an output schema', async () => {
    const schema = { type: 'object', properties: { city: { type: 'string' }, confidence: { type: 'number', minimum: 0, maximum: 1 } }, required: ['city', 'confidence'], additionalProperties: false };
    await t.req('POST', '/api/experiments', {
      body: { slug: 'structured', name: 's', dataset: { rows }, targets: [{ id: 'mini', type: 'prompt', model: 'openai/gpt-4o-mini', outputSchema: schema, messages: [{ role: 'user', content: '{{question}}' }] }] },
    });
    const done = await waitForRun(t, await startRun(t, 'structured'));
    expect(done.status).toBe('completed');
    const out = (await results(done.runId)).dataset[0].predicted.output;
    expect(typeof out.city).toBe('string');
    expect(out.confidence).toBeGreaterThanOrEqual(0);
    const body = openai.requests.at(-1)!.body as { response_format?: { type: string } };
    expect(body.response_format?.type).toBe('json_schema');
  });

  it('binds LangWatch-style variables to row columns', async () => {
    await t.req('POST', '/api/experiments', {
      body: { slug: 'vars', name: 'v', dataset: { rows: [{ q: 'Say hi' }] }, targets: [{ id: 'mini', type: 'prompt', model: 'openai/gpt-4o-mini', variables: { input: 'row.q', tone: { value: 'warm' } }, messages: [{ role: 'user', content: '{{input}} ({{tone}})' }] }] },
    });
    const done = await waitForRun(t, await startRun(t, 'vars'));
    expect((await results(done.runId)).dataset[0].predicted.output).toBe('Echo: Say hi (warm)');
  });
});

describe('response cache', () => {
  it('a second identical run makes no provider call and costs 0', async () => {
    await t.req('POST', '/api/experiments', { body: doc('cached', { execution: { cache: true } }) });
    const first = await waitForRun(t, await startRun(t, 'cached'));
    expect(first.summary!.targetCost).toBeGreaterThan(0);
    const before = openai.calls + anthropic.calls;
    const second = await waitForRun(t, await startRun(t, 'cached'));
    expect(openai.calls + anthropic.calls).toBe(before);
    expect(second.summary).toMatchObject({ totalCells: 6, targetCost: 0, totalCost: 0, totalPassed: 4 });
    // Served from the cache: free, not unpriced.
    expect(second.summary).not.toHaveProperty('unpricedCalls');
    const res = await results(second.runId);
    expect(res.dataset.every((d: any) => d.cached === true && d.cost === 0)).toBe(true);
    expect(res.dataset.map((d: any) => d.predicted.output)).toEqual((await results(first.runId)).dataset.map((d: any) => d.predicted.output));
    // Without cache the same experiment calls again.
    await t.req('PUT', '/api/experiments/cached', { body: doc('cached', { execution: { cache: false } }) });
    await waitForRun(t, await startRun(t, 'cached'));
    expect(openai.calls + anthropic.calls).toBe(before + 6);
  });
});

describe('failures', () => {
  it('a rejected key is a cell error naming the provider, not retried', async () => {
    await t.req('PUT', '/api/providers/openai', { body: { apiKey: 'sk-wrong-key-00000000000000000000' } });
    try {
      await t.req('POST', '/api/experiments', { body: { ...doc('bad-key'), targets: [doc('x').targets[0]] } });
      const before = openai.calls;
      const done = await waitForRun(t, await startRun(t, 'bad-key'));
      expect(done.status).toBe('failed');
      expect(done.message).toContain('openai refused the API key (HTTP 401): the key is missing or invalid');
      expect(openai.calls - before).toBe(3);
      expect(JSON.stringify(done)).not.toContain('sk-wrong-key');
    } finally {
      await t.req('PUT', '/api/providers/openai', { body: { apiKey: 'sk-openai-test-key-000000000000' } });
    }
  });

  it('a call that hangs past the timeout fails its cell as timed out, and its request is cancelled', async () => {
    // The lean chat path cancels through the deadline itself (no AbortSignal is made for it):
    // the fake provider must see each hung connection closed when the time runs out.
    openai.setBehaviour({ hangRate: 1 });
    try {
      const slug = 'hangs';
      await t.req('POST', '/api/experiments', { body: { ...doc(slug), targets: [doc('x').targets[0]], execution: { timeoutMs: 300, maxRetries: 0 } } });
      const done = await waitForRun(t, await startRun(t, slug));
      expect(done.summary).toMatchObject({ totalCells: 3, failedCells: 3 });
      expect(done.summary!.targets[0]).toMatchObject({ targetId: 'mini', errors: 3 });
      const res = await results(done.runId);
      expect(res.dataset).toHaveLength(3);
      for (const d of res.dataset) expect(d.error).toMatch(/timed out after 300 ms/);
      // Closed by the client, not left hanging until the fake server stops.
      await expect.poll(() => openai.inFlight.get('gpt-4o-mini') ?? 0, { timeout: 5_000 }).toBe(0);
    } finally {
      openai.setBehaviour({ hangRate: 0 });
    }
  });

  it('an unconfigured provider fails its cells with what to set', async () => {
    await t.req('POST', '/api/experiments', { body: { slug: 'no-google', name: 'g', dataset: { rows }, targets: [{ id: 'g', type: 'prompt', model: 'google/gemini-2.5-flash', messages: [{ role: 'user', content: '{{question}}' }] }] } });
    const done = await waitForRun(t, await startRun(t, 'no-google'));
    expect(done.status).toBe('failed');
    expect(done.message).toContain('GOOGLE_GENERATIVE_AI_API_KEY');
  });

  it('retries 429s honouring Retry-After and completes every cell', async () => {
    openai.setBehaviour({ failRate: 0.4, failStatus: 429, retryAfterMs: 300 });
    try {
      await t.req('POST', '/api/experiments', { body: { ...doc('throttled', { execution: { maxRetries: 8 } }), targets: [doc('x').targets[0]] } });
      const done = await waitForRun(t, await startRun(t, 'throttled'), 60_000);
      console.log(JSON.stringify(done).slice(0, 800));
      expect(done.summary).toMatchObject({ totalCells: 3, completedCells: 3 });
    } finally {
      openai.setBehaviour({ failRate: 0 });
    }
  });
});

describe('per-project prices', () => {
  it('a project price override wins over the price table, per model', async () => {
    const put = await t.req('PUT', '/api/providers/openai', { body: { prices: { 'gpt-4o-mini': { input: 1000, output: 2000 } } } });
    expect(put.status).toBe(200);
    expect(((await put.json()) as any).prices).toEqual({ 'gpt-4o-mini': { input: 1000, output: 2000 } });
    try {
      await t.req('POST', '/api/experiments', { body: { ...doc('priced'), targets: [doc('x').targets[0]] } });
      const done = await waitForRun(t, await startRun(t, 'priced'));
      const res = await results(done.runId);
      for (const d of res.dataset) expect(d.cost).toBeCloseTo((d.tokens.input * 1000 + d.tokens.output * 2000) / 1e6, 12);
    } finally {
      const cleared = await t.req('PUT', '/api/providers/openai', { body: { prices: { 'gpt-4o-mini': null } } });
      expect(((await cleared.json()) as any).prices).toEqual({});
    }
    const bad = await t.req('PUT', '/api/providers/openai', { body: { prices: { 'gpt-4o-mini': { input: -1, output: 1 } } } });
    expect(bad.status).toBe(400);
  });
});

describe('judges on a prompt run', () => {
  it('runs two models with three judges; judge costs are kept apart from target costs', async () => {
    const judges = [
      { id: 'helpful', type: 'langevals/llm_boolean', settings: { model: 'openai/gpt-4o-mini' } },
      { id: 'quality', type: 'langevals/llm_score', settings: { model: 'anthropic/claude-3-5-haiku-latest', max_tokens: 2048 } },
      { id: 'topic', type: 'langevals/llm_category', settings: { model: 'openai/gpt-4o-mini', categories: [{ name: 'geography', description: 'places' }, { name: 'other', description: 'anything else' }] } },
    ];
    const created = await t.req('POST', '/api/experiments', { body: doc('judged', { evaluators: judges }) });
    expect(created.status).toBe(201);
    const done = await waitForRun(t, await startRun(t, 'judged'));
    expect(done.status).toBe('completed');
    const res = await results(done.runId);
    expect(res.evaluations).toHaveLength(18);
    for (const e of res.evaluations) {
      expect(e.status, JSON.stringify(e)).toBe('processed');
      expect(e.cost).toBeGreaterThan(0);
      expect(typeof e.details).toBe('string');
    }
    expect(res.evaluations.filter((e: any) => e.evaluator === 'topic').every((e: any) => ['geography', 'other'].includes(e.label))).toBe(true);
    expect(res.evaluations.filter((e: any) => e.evaluator === 'quality').every((e: any) => typeof e.score === 'number')).toBe(true);
    for (const d of res.dataset) expect(d.tokens.input).toBeGreaterThan(0);
    const s = done.summary!;
    const judgeCost = res.evaluations.reduce((a: number, e: any) => a + e.cost, 0);
    const targetCost = res.dataset.reduce((a: number, d: any) => a + d.cost, 0);
    expect(s.evaluatorCost).toBeCloseTo(judgeCost, 10);
    expect(s.targetCost).toBeCloseTo(targetCost, 10);
    expect(s.totalCost).toBeCloseTo(judgeCost + targetCost, 10);
    expect(s.evaluators.map((e: any) => e.evaluatorId)).toEqual(['helpful', 'quality', 'topic']);
    expect(s.evaluators.find((e: any) => e.evaluatorId === 'quality').avgScore).toEqual(expect.any(Number));
  });

  it('a failing judge does not stop the other evaluators', async () => {
    const judges = [
      { id: 'broken', type: 'langevals/llm_boolean', settings: { model: 'openai/gpt-judge-broken' } },
      { id: 'exact', type: 'langevals/exact_match', inputs: { output: 'output', expected_output: 'row.expected' } },
    ];
    openai.setBehaviour({ models: { 'gpt-judge-broken': { failRate: 1, failStatus: 500 } } });
    try {
      await t.req('POST', '/api/experiments', { body: { ...doc('half-judged', { evaluators: judges }), targets: [doc('x').targets[0]] } });
      const done = await waitForRun(t, await startRun(t, 'half-judged'));
      const res = await results(done.runId);
      expect(res.evaluations.filter((e: any) => e.evaluator === 'broken').every((e: any) => e.status === 'error')).toBe(true);
      expect(res.evaluations.filter((e: any) => e.evaluator === 'exact').map((e: any) => e.passed)).toEqual([true, true, false]);
    } finally {
      openai.setBehaviour({ models: {} });
    }
  });
});
