// Abuse limits (issue 6) through the real app: open SSE streams per API key (429 + Retry-After,
// freed when a stream ends or its client goes away), runs started per window per key, row count
// and row size of uploads and run data (413 naming the row), and the HTTP-target network guard.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FakeClock } from '../testing/fake-clock.js';
import { startFakeAgent, type FakeAgent } from '../testing/fake-agent.js';
import { listen, startTestAssay, type TestAssay } from '../testing/harness.js';
import { agentExperiment, parseSse, startRun, waitForRun } from '../testing/runs.js';
import { StartWindow, StreamSlots } from './limits.js';

async function create(t: TestAssay, doc: unknown): Promise<void> {
  const res = await t.req('POST', '/api/experiments', { body: doc });
  if (res.status !== 201) throw new Error(`create failed: ${await res.text()}`);
}

/** Retries `attempt` until it gives a status other than 429, at most `ms`. */
async function untilNot429(attempt: () => Promise<Response>, ms = 3_000): Promise<Response> {
  const deadline = Date.now() + ms;
  for (;;) {
    const res = await attempt();
    if (res.status !== 429 || Date.now() > deadline) return res;
    await res.body?.cancel();
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe('StreamSlots and StartWindow', () => {
  it('counts streams per key, releases once, and 0 means no limit', () => {
    let max = 2;
    const slots = new StreamSlots(() => max);
    const a1 = slots.acquire('a');
    slots.acquire('a');
    expect(() => slots.acquire('a')).toThrow(expect.objectContaining({ code: 'rate_limited', meta: { limit: 2, retryAfterSeconds: 5 } }));
    slots.acquire('b');
    a1();
    a1();
    expect(slots.count('a')).toBe(1);
    slots.acquire('a');
    max = 0;
    for (let i = 0; i < 10; i++) slots.acquire('a');
    expect(slots.count('a')).toBe(12);
  });

  it('slides its window, says when the next start is allowed, and gives back cancelled starts', async () => {
    const clock = new FakeClock();
    const window = new StartWindow(() => 3, () => 60_000, clock);
    window.reserve('k');
    await clock.advance(10_000);
    window.reserve('k');
    const cancel = window.reserve('k');
    cancel();
    window.reserve('k');
    await clock.advance(5_000);
    try {
      window.reserve('k');
      expect.unreachable();
    } catch (error) {
      // The oldest start (t=0) leaves the window at t=60 s; now is t=15 s.
      expect(error).toMatchObject({ code: 'rate_limited', meta: { limit: 3, windowSeconds: 60, retryAfterSeconds: 45 } });
      expect((error as Error).message).toBe('Too many runs started with this API key: at most 3 per minute; the next one is allowed in 45 s');
    }
    window.reserve('other');
    await clock.advance(45_000);
    window.reserve('k');
    expect(() => window.reserve('k')).toThrow(/allowed in 10 s/);
    // Idle keys are forgotten after a window.
    await clock.advance(120_000);
    window.reserve('fresh');
    expect(window.size).toBe(1);
  });
});

describe('open SSE streams per API key', () => {
  let t: TestAssay;
  let agent: FakeAgent;
  let server: { url: string; close(): Promise<void> };
  beforeAll(async () => {
    t = await startTestAssay({ ssePerKey: 2 });
    agent = await startFakeAgent({ latencyMs: 100 });
    server = await listen(t);
    // 40 cells one at a time: ~4 s of events, long enough to hold streams open on a busy machine.
    await create(t, agentExperiment('slow', agent.url, 40, { execution: { concurrency: 1 } }));
    await create(t, agentExperiment('quick', agent.url, 2));
  });
  afterAll(async () => {
    await server.close();
    await t.close();
    await agent.close();
  });

  const events = (runId: string, key = t.key, signal?: AbortSignal) =>
    fetch(`${server.url}/api/experiments/runs/${runId}/events`, { headers: { 'x-auth-token': key }, ...(signal ? { signal } : {}) });

  it('refuses a third stream with 429 and Retry-After, and frees a slot when a client disconnects', async () => {
    const runId = await startRun(t, 'slow');
    const first = new AbortController();
    const a = await events(runId, t.key, first.signal);
    const b = await events(runId);
    expect([a.status, b.status]).toEqual([200, 200]);

    const refused = await events(runId);
    expect(refused.status).toBe(429);
    expect(refused.headers.get('retry-after')).toBe('5');
    expect(await refused.json()).toEqual({
      error: 'rate_limited', message: 'Too many open event streams for this API key: the limit is 2; close one and retry', limit: 2, retryAfterSeconds: 5,
    });
    // POST /run in SSE mode counts too, and a refused one starts no run.
    const before = (await (await t.req('GET', '/api/experiments/runs?experimentSlug=quick')).json()) as { runs: unknown[] };
    const sseRun = await fetch(`${server.url}/api/experiments/quick/run`, { method: 'POST', headers: { 'x-auth-token': t.key, accept: 'text/event-stream' } });
    expect(sseRun.status).toBe(429);
    expect(sseRun.headers.get('retry-after')).toBe('5');
    await sseRun.body?.cancel();
    const after = (await (await t.req('GET', '/api/experiments/runs?experimentSlug=quick')).json()) as { runs: unknown[] };
    expect(after.runs.length).toBe(before.runs.length);

    // The client of the first stream goes away (socket closed): its slot comes back.
    first.abort();
    const third = await untilNot429(() => events(runId));
    expect(third.status).toBe(200);
    expect((await events(runId)).status).toBe(429);

    // Another key of the same project has its own count.
    const other = await t.assay.projects.createKey(t.projectId);
    const own = await events(runId, other.apiKey);
    expect(own.status).toBe(200);
    await own.body?.cancel();

    // Streams that end with the run (done) give their slots back as well.
    await Promise.all([b.text(), third.text()]);
    expect((await waitForRun(t, runId)).status).toBe('completed');
    const again = await untilNot429(() => events(runId));
    expect(again.status).toBe(200);
    const { events: replayed } = parseSse(await again.text());
    expect(replayed.at(-1)?.type).toBe('done');
  }, 20_000);

  it('frees the slot of a POST /run stream cancelled by the client', async () => {
    const held = await Promise.all([0, 1].map(() => fetch(`${server.url}/api/experiments/slow/run`, { method: 'POST', headers: { 'x-auth-token': t.key, accept: 'text/event-stream' } })));
    expect(held.map((r) => r.status)).toEqual([200, 200]);
    expect((await fetch(`${server.url}/api/experiments/slow/run`, { method: 'POST', headers: { 'x-auth-token': t.key, accept: 'text/event-stream' } })).status).toBe(429);
    const reader = held[0]!.body!.getReader();
    const first = new TextDecoder().decode((await reader.read()).value);
    const runId = /"runId":"(run_[^"]+)"/.exec(first)![1]!;
    await reader.cancel();
    const next = await untilNot429(() => fetch(`${server.url}/api/experiments/quick/run`, { method: 'POST', headers: { 'x-auth-token': t.key, accept: 'text/event-stream' } }));
    expect(next.status).toBe(200);
    expect(parseSse(await next.text()).events.at(-1)?.type).toBe('done');
    // Cancelling the stream did not stop its run.
    expect((await waitForRun(t, runId)).status).toBe('completed');
    await held[1]!.body?.cancel();
  }, 20_000);
});

describe('runs started per API key', () => {
  let t: TestAssay;
  beforeAll(async () => {
    t = await startTestAssay({ runRateLimit: 3, runRateWindowMs: 3_000 });
    await create(t, { slug: 'tiny', name: 'tiny', dataset: { rows: [{ q: 'a' }] }, targets: [{ id: 'echo', type: 'code', code: 'return row.q' }] });
  });
  afterAll(() => t.close());

  it('answers 429 with Retry-After past the limit, counts only started runs, and allows the next after the window', async () => {
    // Refused requests do not use up the allowance.
    expect((await t.req('POST', '/api/experiments/nope/run')).status).toBe(404);
    expect((await t.req('POST', '/api/experiments/tiny/run', { body: { data: 'x' } })).status).toBe(400);
    const ids = [await startRun(t, 'tiny'), await startRun(t, 'tiny'), await startRun(t, 'tiny')];
    const refused = await t.req('POST', '/api/experiments/tiny/run');
    expect(refused.status).toBe(429);
    const retryAfter = Number(refused.headers.get('retry-after'));
    expect(retryAfter).toBeGreaterThanOrEqual(1);
    expect(retryAfter).toBeLessThanOrEqual(3);
    const body = (await refused.json()) as Record<string, unknown>;
    expect(body).toMatchObject({ error: 'rate_limited', limit: 3, windowSeconds: 3, retryAfterSeconds: retryAfter });
    expect(body.message).toMatch(/^Too many runs started with this API key: at most 3 per 3 s; the next one is allowed in \d s$/);
    // The legacy prefix shares the count; another key has its own.
    expect((await t.req('POST', '/api/evaluations/v3/tiny/run')).status).toBe(429);
    const other = await t.assay.projects.createKey(t.projectId);
    expect((await t.req('POST', '/api/experiments/tiny/run', { key: other.apiKey })).status).toBe(200);

    await new Promise((r) => setTimeout(r, retryAfter * 1000));
    const allowed = await t.req('POST', '/api/experiments/tiny/run');
    expect(allowed.status).toBe(200);
    for (const id of ids) expect((await waitForRun(t, id)).status).toBe('completed');
  }, 15_000);

  it('counts a resume as a start', async () => {
    await new Promise((r) => setTimeout(r, 3_100));
    const runId = await startRun(t, 'tiny');
    await waitForRun(t, runId);
    await startRun(t, 'tiny');
    // Not resumable (completed, no retryErrors): 409, and the allowance is given back.
    expect((await t.req('POST', `/api/experiments/runs/${runId}/resume`, { body: {} })).status).toBe(409);
    await startRun(t, 'tiny');
    const refused = await t.req('POST', `/api/experiments/runs/${runId}/resume`, { body: { retryErrors: true } });
    expect(refused.status).toBe(429);
    expect(refused.headers.get('retry-after')).toMatch(/^[123]$/);
  }, 10_000);
});

describe('rows per upload and bytes per row', () => {
  let t: TestAssay;
  beforeAll(async () => {
    t = await startTestAssay({ maxRows: 5, maxRowBytes: 1024 });
    await create(t, { slug: 'rows', name: 'rows', dataset: { rows: [{ q: 'a' }] }, targets: [{ id: 'echo', type: 'code', code: 'return row.q' }] });
  });
  afterAll(() => t.close());

  const big = 'x'.repeat(1100);
  const rows = (n: number) => Array.from({ length: n }, (_, i) => ({ q: `row ${i}` }));

  it('refuses an oversized row with 413 naming it, in JSON, CSV and JSON Lines uploads', async () => {
    const json = await t.req('POST', '/api/datasets', { body: { name: 'j', rows: [{ q: 'ok' }, { q: big }] } });
    expect(json.status).toBe(413);
    expect(await json.json()).toMatchObject({
      error: 'payload_too_large', message: 'rows[1] is 1108 bytes as JSON; a row may have at most 1024 bytes',
      rowIndex: 1, rowBytes: 1108, limitBytes: 1024, issues: [{ path: ['rows', 1] }],
    });

    const csv = await t.req('POST', '/api/datasets?name=c', { raw: `q,r\nok,1\nfine,2\n${big},3\n`, headers: { 'content-type': 'text/csv' } });
    expect(csv.status).toBe(413);
    expect(await csv.json()).toMatchObject({
      error: 'payload_too_large', message: 'The row at line 4 (row index 2) is 1116 bytes as JSON; a row may have at most 1024 bytes',
      rowIndex: 2, line: 4, issues: [{ path: ['line', 4] }],
    });

    const jsonl = await t.req('POST', '/api/datasets?name=l', { raw: `{"q":"ok"}\n\n${JSON.stringify({ q: big })}\n{"q":"after"}\n`, headers: { 'content-type': 'application/x-ndjson' } });
    expect(jsonl.status).toBe(413);
    expect(await jsonl.json()).toMatchObject({ error: 'payload_too_large', rowIndex: 1, line: 3, message: 'The row at line 3 (row index 1) is 1108 bytes as JSON; a row may have at most 1024 bytes' });

    // A last line without its newline, and multi-byte characters counted as UTF-8 bytes.
    const tail = await t.req('POST', '/api/datasets?name=l', { raw: `{"q":"ok"}\n${JSON.stringify({ q: 'é'.repeat(600) })}`, headers: { 'content-type': 'application/x-ndjson' } });
    expect(tail.status).toBe(413);
    expect(await tail.json()).toMatchObject({ line: 2, rowBytes: 1208 });

    // Nothing was stored; appends obey the same limits.
    const ok = await t.req('POST', '/api/datasets', { body: { name: 'ok', slug: 'ok', rows: rows(2) } });
    expect(ok.status).toBe(201);
    const append = await t.req('POST', '/api/datasets/ok/records', { raw: `q\nfine\n${big}\n`, headers: { 'content-type': 'text/csv' } });
    expect(append.status).toBe(413);
    const list = (await (await t.req('GET', '/api/datasets')).json()) as { datasets: { slug: string; rowCount: number; version: number }[] };
    expect(list.datasets.map((d) => [d.slug, d.rowCount, d.version])).toEqual([['ok', 2, 1]]);
  });

  it('refuses the first row past the row limit with 413, in every upload form and in run data', async () => {
    expect((await t.req('POST', '/api/datasets', { body: { name: 'five', rows: rows(5) } })).status).toBe(201);
    const json = await t.req('POST', '/api/datasets', { body: { name: 'six', rows: rows(6) } });
    expect(json.status).toBe(413);
    expect(await json.json()).toMatchObject({
      error: 'payload_too_large', message: 'Too many rows: at most 5 are accepted in one upload or run; rows[5] is over the limit', rowIndex: 5, limitRows: 5,
    });
    const csv = await t.req('POST', '/api/datasets?name=c', { raw: `q\n${rows(8).map((r) => r.q).join('\n')}\n`, headers: { 'content-type': 'text/csv' } });
    expect(csv.status).toBe(413);
    expect(await csv.json()).toMatchObject({ message: 'Too many rows: at most 5 are accepted in one upload or run; the row at line 7 (row index 5) is over the limit', line: 7 });
    const jsonl = await t.req('POST', '/api/datasets?name=l', { raw: rows(6).map((r) => JSON.stringify(r)).join('\n'), headers: { 'content-type': 'application/x-ndjson' } });
    expect(jsonl.status).toBe(413);
    expect(await jsonl.json()).toMatchObject({ rowIndex: 5, line: 6 });

    const run = await t.req('POST', '/api/experiments/rows/run', { body: { data: rows(6) } });
    expect(run.status).toBe(413);
    expect(await run.json()).toMatchObject({ message: 'Too many rows: at most 5 are accepted in one upload or run; data[5] is over the limit' });
    expect((await t.req('POST', '/api/experiments/rows/run', { body: { data: rows(5) } })).status).toBe(200);
  });

  it('refuses an oversized row of run data (413) and of an experiment document (400), naming it', async () => {
    const run = await t.req('POST', '/api/experiments/rows/run', { body: { data: [{ q: 'a' }, { q: 'b' }, { q: big }] } });
    expect(run.status).toBe(413);
    expect(await run.json()).toMatchObject({ error: 'payload_too_large', message: 'data[2] is 1108 bytes as JSON; a row may have at most 1024 bytes', rowIndex: 2 });
    const doc = await t.req('POST', '/api/experiments', { body: { name: 'big rows', dataset: { rows: [{ q: 'a' }, { q: big }] }, targets: [{ id: 'echo', type: 'code', code: 'return 1' }] } });
    expect(doc.status).toBe(400);
    expect(await doc.json()).toMatchObject({
      error: 'validation_error', issues: [{ path: ['dataset', 'rows', 1], message: 'dataset.rows[1] is 1108 bytes as JSON; a row may have at most 1024 bytes' }],
    });
  });
});

describe('HTTP targets on private networks (ASSAY_HTTP_TARGETS_ALLOW_PRIVATE)', () => {
  let agent: FakeAgent;
  beforeAll(async () => {
    agent = await startFakeAgent();
  });
  afterAll(() => agent.close());

  it('with false, a run whose target is on 127.0.0.1 fails its cells with the refusal and never calls it', async () => {
    const t = await startTestAssay({ httpTargetsAllowPrivate: false });
    try {
      await create(t, agentExperiment('local', agent.url, 3));
      const before = agent.calls;
      const done = await waitForRun(t, await startRun(t, 'local'));
      const refusal = `refused to call ${agent.url}: it is a loopback address; private networks are not allowed`;
      expect(done).toMatchObject({ status: 'failed', error: 'all_targets_failed', summary: { failedCells: 3, completedCells: 0 } });
      const results = (await (await t.req('GET', `/api/experiments/runs/${done.runId}/results`)).json()) as { dataset: { error: string | null; attempts: number }[] };
      expect(results.dataset.map((d) => d.error)).toEqual([refusal, refusal, refusal]);
      // Not retried: the refusal is final.
      expect(results.dataset.map((d) => d.attempts)).toEqual([1, 1, 1]);
      expect(agent.calls).toBe(before);
    } finally {
      await t.close();
    }
  });

  it('with true (the default), the same run calls the agent and completes', async () => {
    const t = await startTestAssay({ httpTargetsAllowPrivate: true });
    try {
      await create(t, agentExperiment('local', agent.url, 3));
      const before = agent.calls;
      const done = await waitForRun(t, await startRun(t, 'local'));
      expect(done).toMatchObject({ status: 'completed', summary: { completedCells: 3, totalPassed: 3 } });
      expect(agent.calls).toBe(before + 3);
    } finally {
      await t.close();
    }
  });
});
