// A run held by its project's cap on a provider moved slowly with nothing saying why. Its event
// stream now says how many calls wait for a slot, and on what, while they wait (`waiting`, live
// only), and that none do once they are through. A real fake OpenAI server answering slowly,
// the server over loopback, and the typed client reading the stream as `assay run` does.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AssayClient } from '../src/client/index.js';
import type { StreamEvent } from '../src/client/events.js';
import { startFakeOpenAI } from '../src/testing/fake-openai.js';
import type { FakeLlmProvider } from '../src/testing/fake-provider-core.js';
import { listen, startTestAssay, type TestAssay } from '../src/testing/harness.js';
import { parsePrometheusText } from '../src/testing/prom-text.js';
import { startRun } from '../src/testing/runs.js';

const KEY = 'sk-slot-waits-000000000000000000000';
/** Long enough that calls queued behind the cap are still waiting at the once-a-second look. */
const LATENCY_MS = 1_200;

let t: TestAssay;
let gpu: FakeLlmProvider;
let server: Awaited<ReturnType<typeof listen>>;

beforeAll(async () => {
  gpu = await startFakeOpenAI({ apiKey: KEY, latencyMs: LATENCY_MS });
  t = await startTestAssay();
  server = await listen(t);
  expect((await t.req('PUT', '/api/providers/gpu', { body: { apiKey: KEY, baseUrl: gpu.baseURL } })).status).toBe(200);
  const experiment = (slug: string) => ({
    slug, name: slug,
    dataset: { rows: Array.from({ length: 4 }, (_, i) => ({ question: `q${i}` })) },
    targets: [{ id: 'local', type: 'prompt', model: 'gpu/small', messages: [{ role: 'user', content: '{{question}}' }] }],
    execution: { concurrency: 4, maxRetries: 0 },
  });
  for (const slug of ['capped', 'free']) expect((await t.req('POST', '/api/experiments', { body: experiment(slug) })).status).toBe(201);
  // Code targets, judged by a model of the capped provider: the judges wait.
  const judged = {
    slug: 'judged', name: 'judged',
    dataset: { rows: Array.from({ length: 4 }, (_, i) => ({ question: `q${i}` })) },
    targets: [{ id: 'echo', type: 'code', code: 'return row.question' }],
    evaluators: [{ id: 'judge', type: 'langevals/llm_boolean', settings: { model: 'gpu/judge' } }],
    execution: { concurrency: 4, maxRetries: 0 },
  };
  expect((await t.req('POST', '/api/experiments', { body: judged })).status).toBe(201);
  // Two code targets compared row by row by a judge of the capped provider: the comparisons,
  // which run once every cell is done, wait.
  const compared = {
    slug: 'compared', name: 'compared',
    dataset: { rows: Array.from({ length: 4 }, (_, i) => ({ question: `q${i}` })) },
    targets: [{ id: 'a', type: 'code', code: 'return row.question' }, { id: 'b', type: 'code', code: 'return row.question + "!"' }],
    evaluators: [{ id: 'pick', type: 'compare', targets: ['a', 'b'], settings: { model: 'gpu/judge', swap_and_reconcile: false } }],
    execution: { concurrency: 4, maxRetries: 0 },
  };
  expect((await t.req('POST', '/api/experiments', { body: compared })).status).toBe(201);
});
afterAll(async () => {
  await server?.close();
  await t?.close();
  await gpu?.close();
});

async function watch(slug: string, during?: () => Promise<void>): Promise<StreamEvent[]> {
  const runId = await startRun(t, slug);
  const client = new AssayClient({ endpoint: server.url, apiKey: t.key });
  const events: StreamEvent[] = [];
  const reading = (async () => {
    for await (const e of client.events(runId, { signal: AbortSignal.timeout(30_000) })) events.push(e);
  })();
  await Promise.all([reading, during?.()]);
  return events;
}

/** `assay_run_calls_waiting` by what holds the calls, as GET /metrics has it now. */
async function waitingGauge(): Promise<Record<string, number>> {
  const text = await (await t.req('GET', '/metrics', { key: null })).text();
  const samples = parsePrometheusText(text).samples.filter((x) => x.name === 'assay_run_calls_waiting');
  return Object.fromEntries(samples.map((x) => [x.labels.held_by!, x.value]));
}

const words = (events: StreamEvent[]) => events.flatMap((e) => (e.type === 'waiting' ? [e] : []));

/**
 * The run ended, and its words: first that 2–3 calls wait for gpu's cap of 1 (one call at a
 * time: at the first look three of the four were waiting, or two on a machine so busy that the
 * look came after the first call's answer), last that none do. Answers the words.
 */
function saidTheCapHeld(events: StreamEvent[]) {
  expect(events.at(-1)?.type).toBe('done');
  const said = words(events);
  expect(said[0]?.waits).toHaveLength(1);
  expect(said[0]!.waits[0]).toMatchObject({ kind: 'provider', name: 'gpu', limit: 1 });
  expect([2, 3]).toContain(said[0]!.waits[0]!.calls);
  expect(said.at(-1)?.waits).toEqual([]);
  return said;
}

describe('calls waiting for a slot', () => {
  it('a run under its provider\'s cap says how many calls wait for it, then that none do', async () => {
    expect((await t.req('PUT', '/api/providers/gpu', { body: { maxConcurrency: 1 } })).status).toBe(200);
    // An operator's scrape while the run waits counts the calls held by the cap.
    let scraped: Record<string, number> = {};
    const events = await watch('capped', async () => {
      for (let i = 0; i < 40 && !(scraped.provider! > 0); i++) {
        scraped = await waitingGauge();
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    });
    const said = saidTheCapHeld(events);
    expect(scraped).toMatchObject({ model: 0, origin: 0 });
    expect(scraped.provider).toBeGreaterThanOrEqual(1);
    expect(scraped.provider).toBeLessThanOrEqual(3);
    expect(await waitingGauge()).toEqual({ provider: 0, model: 0, origin: 0 });
    // Fewer as the calls go through, one source (this process), and none at the end.
    const counts = said.map((w) => w.waits[0]?.calls ?? 0);
    expect(counts).toEqual([...counts].sort((a, b) => b - a));
    expect(new Set(said.map((w) => w.source)).size).toBe(1);
    expect(events.filter((e) => e.type === 'target_result' && e.error === undefined)).toHaveLength(4);
  });

  it('counts judges waiting for the cap too', async () => {
    expect((await t.req('PUT', '/api/providers/gpu', { body: { maxConcurrency: 1 } })).status).toBe(200);
    const events = await watch('judged');
    saidTheCapHeld(events);
    expect(events.filter((e) => e.type === 'evaluator_result' && e.result.status === 'processed')).toHaveLength(4);
  });

  it('counts comparisons waiting for the cap, once the cells are done', async () => {
    expect((await t.req('PUT', '/api/providers/gpu', { body: { maxConcurrency: 1 } })).status).toBe(200);
    const events = await watch('compared');
    const said = saidTheCapHeld(events);
    // Told after the last cell: the code targets wait for nothing, the judge's comparisons do.
    const lastCell = events.findLastIndex((e) => e.type === 'target_result');
    expect(events.indexOf(said[0]!)).toBeGreaterThan(lastCell);
    expect(events.filter((e) => e.type === 'evaluator_result' && e.evaluatorId === 'pick' && e.result.status === 'processed')).toHaveLength(4);
  });

  it('a run its slots let through at once says nothing of waiting', async () => {
    expect((await t.req('PUT', '/api/providers/gpu', { body: { maxConcurrency: null } })).status).toBe(200);
    const events = await watch('free');
    expect(events.at(-1)?.type).toBe('done');
    expect(words(events)).toEqual([]);
  });
});
