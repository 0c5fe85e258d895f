// GET /metrics as an operator scrapes it: after a real run (a prompt target on the fake OpenAI
// server, an HTTP target on the fake agent with a secret header), the exposition parses, its
// counters equal the run's summary and the fake provider's own counts, and no label carries a
// run id, a slug, a row value or a secret. Plus the token and the off switch.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../config/env.js';
import { capturingLogger } from '../testing/capture-logger.js';
import { connectionCounts } from '../http/connections.js';
import { stalledWrites } from '../http/sse-stalls.js';
import { startFakeAgent, type FakeAgent } from '../testing/fake-agent.js';
import { startFakeOpenAI } from '../testing/fake-openai.js';
import { FakeHttpError, type FakeLlmProvider } from '../testing/fake-provider-core.js';
import { startTestAssay, type TestAssay } from '../testing/harness.js';
import { parsePrometheusText } from '../testing/prom-text.js';
import { startRun, waitForRun } from '../testing/runs.js';

const OPENAI_KEY = 'sk-openai-metrics-test-000000000000';
const SECRET = 'S3CRET-value-never-in-metrics-0042';
/** A valid slug that would explode a label's cardinality if it were ever used as one. */
const SLUG = 'hostile-slug-0123456789-abcdefghij';
/** Row values with markers to look for in the output. */
const MARKER = 'row-marker-7f3a';

let t: TestAssay;
let openai: FakeLlmProvider;
let agent: FakeAgent;
let throttled = 0;
const logger = capturingLogger();
const lines = logger.lines;

beforeAll(async () => {
  t = await startTestAssay({ envSecrets: { BOT_TOKEN: SECRET } }, undefined, { logger });
  openai = await startFakeOpenAI({
    apiKey: OPENAI_KEY,
    // Questions that ask for it are refused with 429, once each (maxRetries: 0).
    respond: (r) => {
      if (r.prompt.includes('RATE')) {
        throttled++;
        throw new FakeHttpError(429, 'Rate limit reached');
      }
      return undefined;
    },
  });
  agent = await startFakeAgent();
  expect((await t.req('PUT', '/api/providers/openai', { body: { apiKey: OPENAI_KEY, baseUrl: openai.baseURL } })).status).toBe(200);
});
afterAll(async () => {
  await t.close();
  await openai.close();
  await agent.close();
});

const rows = [
  { question: `${MARKER} one`, expected: `${MARKER} one` },
  { question: `${MARKER} two RATE`, expected: 'x' },
  { question: `${MARKER} three`, expected: 'nope' },
  { question: `${MARKER} four RATE`, expected: 'x' },
  { question: `${MARKER} five`, expected: `${MARKER} five` },
];

async function scrape(headers: Record<string, string> = {}): Promise<string> {
  const res = await t.req('GET', '/metrics', { key: null, headers });
  expect(res.status).toBe(200);
  expect(res.headers.get('content-type')).toContain('text/plain');
  return res.text();
}

describe('GET /metrics after a run', () => {
  let runId: string;
  let summary: Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any -- the poll body, read field by field
  let text: string;

  beforeAll(async () => {
    const created = await t.req('POST', '/api/experiments', {
      body: {
        slug: SLUG, name: 'metrics',
        dataset: { rows },
        targets: [
          { id: 'mini-target', type: 'prompt', model: 'openai/gpt-4o-mini', messages: [{ role: 'user', content: '{{question}}' }] },
          { id: 'bot-target', type: 'http', url: `${agent.url}/chat`, headers: { authorization: 'Bearer {{secrets.BOT_TOKEN}}' }, body: { message: '{{question}}' }, outputPath: '$.reply' },
        ],
        evaluators: [{ id: 'exact-evaluator-id', type: 'langevals/exact_match', inputs: { output: 'output', expected_output: 'row.expected' } }],
        execution: { maxRetries: 0, concurrency: 2 },
      },
    });
    expect(created.status).toBe(201);
    runId = await startRun(t, SLUG);
    const run = await waitForRun(t, runId);
    expect(run.status).toBe('completed');
    summary = run.summary!;
    text = await scrape();
  });

  it('parses as Prometheus text and includes the process metrics', () => {
    const m = parsePrometheusText(text);
    expect(m.types.get('assay_cells_total')).toBe('counter');
    expect(m.types.get('assay_cell_duration_seconds')).toBe('histogram');
    expect(m.samples.some((s) => s.name === 'nodejs_eventloop_lag_seconds')).toBe(true);
    expect(m.samples.some((s) => s.name === 'process_cpu_user_seconds_total')).toBe(true);
  });

  it("exposes what the process's listeners refused and its streams cut, as they stand", async () => {
    // As a flood and stalled readers would leave them (src/http/connections.test.ts and
    // sse-stalled.test.ts make them happen for real).
    connectionCounts.refusedPerClient += 3;
    connectionCounts.refusedServerBusy += 1;
    stalledWrites.cuts += 2;
    const m = parsePrometheusText(await scrape());
    expect(m.sum('assay_connections_refused_total', { reason: 'per_client' })).toBeGreaterThanOrEqual(3);
    expect(m.types.get('assay_connections_open')).toBe('gauge');
    expect(m.types.get('assay_connections_refused_total')).toBe('counter');
    expect(m.sum('assay_connections_refused_total', { reason: 'per_client' })).toBe(connectionCounts.refusedPerClient);
    expect(m.sum('assay_connections_refused_total', { reason: 'server_busy' })).toBe(connectionCounts.refusedServerBusy);
    expect(m.types.get('assay_request_body_timeouts_total')).toBe('counter');
    expect(m.sum('assay_sse_streams_cut_total')).toBe(stalledWrites.cuts);
  });

  it('counts cells by outcome exactly as the run summary does', () => {
    const m = parsePrometheusText(text);
    expect(summary.totalCells).toBe(10);
    expect(m.sum('assay_cells_total')).toBe(summary.totalCells);
    expect(m.sum('assay_cells_total', { outcome: 'passed' })).toBe(summary.totalPassed);
    expect(m.sum('assay_cells_total', { outcome: 'error' })).toBe(summary.failedCells);
    expect(m.sum('assay_cells_total', { outcome: 'failed' })).toBe(summary.totalFailed - summary.failedCells);
    // The two refused prompts are the prompt target's errors; the agent answered everything.
    expect(m.sum('assay_cells_total', { target_type: 'prompt', outcome: 'error' })).toBe(2);
    expect(m.sum('assay_cells_total', { target_type: 'http', outcome: 'error' })).toBe(0);
    expect(m.sum('assay_cell_duration_seconds_count')).toBe(10);
    expect(m.sum('assay_target_call_duration_seconds_count', { target_type: 'http' })).toBe(5);
  });

  it('counts evaluator results by catalogue evaluator, not by the experiment\'s id', () => {
    const m = parsePrometheusText(text);
    const evaluated = summary.evaluators[0];
    expect(m.sum('assay_evaluations_total', { evaluator: 'exact_match' })).toBe(evaluated.passed + evaluated.failed + evaluated.errors + evaluated.skipped);
    expect(m.sum('assay_evaluations_total', { evaluator: 'exact_match', outcome: 'passed' })).toBe(evaluated.passed);
    expect(m.sum('assay_evaluator_duration_seconds_count', { evaluator: 'exact_match' })).toBe(8);
  });

  it('counts provider calls and 429s as the fake provider saw them', () => {
    const m = parsePrometheusText(text);
    const labels = { provider: 'openai', model: 'gpt-4o-mini' };
    expect(throttled).toBe(2);
    expect(m.sum('assay_provider_calls_total', labels)).toBe(openai.calls);
    expect(m.sum('assay_provider_calls_total', { ...labels, outcome: 'throttled' })).toBe(throttled);
    expect(m.sum('assay_provider_calls_total', { ...labels, outcome: 'ok' })).toBe(openai.calls - throttled);
    // Two 429s halved the adaptive limit twice from ASSAY_MODEL_CONCURRENCY; three successes barely grew it back.
    const limit = m.sum('assay_model_concurrency_limit', labels);
    expect(limit).toBeGreaterThan(0);
    expect(limit).toBeLessThanOrEqual(t.config.modelConcurrency / 4 + 1);
    expect(m.sum('assay_model_calls_in_flight', labels)).toBe(0);
  });

  it('counts the run start and its end, and the requests by route template', () => {
    const m = parsePrometheusText(text);
    expect(m.sum('assay_runs_started_total', { kind: 'new' })).toBe(1);
    expect(m.sum('assay_runs_finished_total', { status: 'completed' })).toBe(1);
    expect(m.sum('assay_runs_active')).toBe(0);
    expect(m.sum('assay_http_requests_total', { method: 'POST', route: '/api/experiments/:slug/run', status: '200' })).toBe(1);
    expect(m.sum('assay_http_requests_total', { method: 'GET', route: '/api/experiments/runs/:runId' })).toBeGreaterThan(0);
  });

  it('never puts a run id, a slug, a row value or a secret in a label', async () => {
    // Requests for unknown paths with hostile values must not become series either.
    await t.req('GET', `/api/experiments/runs/${runId}-x`);
    await t.req('GET', `/nope/${SECRET}/${MARKER}`);
    const m = parsePrometheusText(await scrape());
    const values = m.samples.flatMap((s) => Object.values(s.labels));
    for (const forbidden of [runId, SLUG, MARKER, SECRET, 'exact-evaluator-id', 'mini-target', 'bot-target', t.projectId, t.key]) {
      expect(values.filter((v) => v.includes(forbidden))).toEqual([]);
    }
    expect(m.sum('assay_http_requests_total', { route: 'unmatched', status: '404' })).toBeGreaterThan(0);
    // The secret did reach the agent: it was used, just never reported.
    expect(agent.requests.some((r) => r.headers.authorization === `Bearer ${SECRET}`)).toBe(true);
  });
});

describe('run logs', () => {
  it('writes one line per failed cell, and the run\'s start and end, with run and project ids (no trace id with tracing off)', () => {
    const failed = lines.filter((l) => l.msg === 'cell failed');
    expect(failed).toHaveLength(2);
    for (const l of failed) {
      expect(l.level).toBe('warn');
      expect(l.obj).toMatchObject({ runId: expect.stringMatching(/^run_/), projectId: t.projectId, targetId: 'mini-target', attempts: 1 });
      expect(String(l.obj.error)).toContain('429');
      expect('traceId' in l.obj).toBe(false);
    }
    expect(lines.filter((l) => l.msg === 'run started' || l.msg === 'run ended').map((l) => l.obj.runId)).toEqual([failed[0]!.obj.runId, failed[0]!.obj.runId]);
    expect(JSON.stringify(lines)).not.toContain(SECRET);
  });
});

describe('ASSAY_METRICS_TOKEN', () => {
  const token = 'metrics-token-0123456789abcdef';
  let guarded: TestAssay;
  beforeAll(async () => {
    guarded = await startTestAssay({ metrics: { enabled: true, token } });
  });
  afterAll(() => guarded.close());

  it('refuses a scrape without the bearer token, or with a wrong one, and serves it with the right one', async () => {
    const none = await guarded.req('GET', '/metrics', { key: null });
    expect(none.status).toBe(401);
    expect(await none.json()).toMatchObject({ error: 'Missing credentials', code: 'missing_credentials' });
    const wrong = await guarded.req('GET', '/metrics', { key: null, headers: { authorization: 'Bearer not-the-token-at-all' } });
    expect(wrong.status).toBe(401);
    expect(await wrong.json()).toMatchObject({ error: 'Invalid credentials', code: 'invalid_credentials' });
    const right = await guarded.req('GET', '/metrics', { key: null, headers: { authorization: `Bearer ${token}` } });
    expect(right.status).toBe(200);
    expect(await right.text()).toContain('assay_runs_started_total');
  });
});

describe('ASSAY_METRICS=false', () => {
  it('removes /metrics (a JSON 404) and stops counting', async () => {
    const off = await startTestAssay({ metrics: { enabled: false, token: undefined } });
    try {
      expect(off.assay.metrics).toBeNull();
      const res = await off.req('GET', '/metrics', { key: null });
      expect(res.status).toBe(404);
      expect(((await res.json()) as { error: string }).error).toBe('not_found');
    } finally {
      await off.close();
    }
  });

  it('is read from the environment, and a bad value or a short token stops start-up naming the variable', () => {
    expect(loadConfig({ ASSAY_METRICS: 'false' }).metrics.enabled).toBe(false);
    expect(loadConfig({}).metrics).toEqual({ enabled: true, token: undefined });
    expect(() => loadConfig({ ASSAY_METRICS: 'sometimes' })).toThrow(/ASSAY_METRICS="sometimes"/);
    expect(() => loadConfig({ ASSAY_METRICS_TOKEN: 'short' })).toThrow(/ASSAY_METRICS_TOKEN \(value hidden\)/);
  });
});
