// SPEC §5–7 through the HTTP API, against a real fake agent on loopback: JSON and SSE runs,
// event order and replay, row overrides, abort and resume, retries honouring Retry-After,
// exports, and bad input.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFakeAgent, type FakeAgent } from '../../testing/fake-agent.js';
import { startTestAssay, type TestAssay } from '../../testing/harness.js';
import { agentExperiment, parseSse, poll, startRun, waitForRun } from '../../testing/runs.js';

let t: TestAssay;
let agent: FakeAgent;

beforeAll(async () => {
  t = await startTestAssay();
  agent = await startFakeAgent();
});
afterAll(async () => {
  await t.close();
  await agent.close();
});

async function create(doc: unknown): Promise<void> {
  const res = await t.req('POST', '/api/experiments', { body: doc });
  if (res.status !== 201) throw new Error(`create failed: ${await res.text()}`);
}

describe('starting and polling', () => {
  it('answers at once with runId, status, total and runUrl, then completes with a full summary', async () => {
    await create(agentExperiment('basic', agent.url, 12));
    const res = await t.req('POST', '/api/evaluations/v3/basic/run', { raw: '', headers: { 'content-type': 'application/json' } });
    expect(res.status).toBe(200);
    const started = (await res.json()) as { runId: string; status: string; total: number; runUrl: string };
    expect(started).toMatchObject({ status: 'running', total: 12 });
    expect(started.runId).toMatch(/^run_[0-9A-Z]{26}$/);
    expect(started.runUrl).toBe(`http://localhost:5560/default/experiments/basic?runId=${started.runId}`);
    const done = await waitForRun(t, started.runId);
    expect(done).toMatchObject({ status: 'completed', progress: 12, total: 12 });
    expect(done.summary).toMatchObject({
      runId: started.runId, totalCells: 12, completedCells: 12, failedCells: 0, totalPassed: 12, totalFailed: 0, passRate: 100,
      runUrl: started.runUrl, targets: [{ targetId: 'agent', passed: 12, failed: 0, errors: 0 }],
      evaluators: [{ evaluatorId: 'exact', passed: 12, failed: 0, passRate: 100 }],
    });
    expect(done.finishedAt).toBeGreaterThanOrEqual(done.startedAt);
    // Both prefixes serve the same run.
    expect(await (await t.req('GET', `/api/evaluations/v3/runs/${started.runId}`)).json()).toEqual(done);
  });

  it('lists runs newest first and counts them on the experiment list', async () => {
    await create(agentExperiment('listed', agent.url, 2));
    const first = await startRun(t, 'listed');
    await waitForRun(t, first);
    const second = await startRun(t, 'listed');
    await waitForRun(t, second);
    const list = (await (await t.req('GET', '/api/experiments/runs?experimentSlug=listed')).json()) as any;
    expect(list.runs.map((r: { runId: string }) => r.runId)).toEqual([second, first]);
    expect(list.runs[0].summary.evaluations.exact).toMatchObject({ averagePassed: 1 });
    expect(list.pagination).toMatchObject({ totalHits: 2, hasMore: false });
    const missing = await t.req('GET', '/api/experiments/runs');
    expect(missing.status).toBe(400);
    expect(await missing.json()).toMatchObject({ error: 'experimentSlug query parameter is required' });
    const experiments = (await (await t.req('GET', '/api/experiments?pageSize=200')).json()) as any;
    expect(experiments.experiments.find((e: { slug: string }) => e.slug === 'listed')).toMatchObject({ runsCount: 2 });
  });
});

describe('rows', () => {
  it('runs inline data, parameters merged into every row, row_indices with duplicates, repeats', async () => {
    await create({
      slug: 'rows', name: 'rows', dataset: { rows: [{ question: 'saved' }] },
      targets: [{ id: 'echo', type: 'code', code: 'return row' }],
    });
    const runId = await startRun(t, 'rows', {
      data: [{ question: 'a' }, { question: 'b' }, { question: 'c' }], parameters: { lang: 'fr', question: 'x' }, row_indices: [2, 0, 2, 7], repeats: 2,
    });
    const done = await waitForRun(t, runId);
    expect(done.total).toBe(6);
    expect(done.status).toBe('completed');
    const results = (await (await t.req('GET', `/api/experiments/runs/${runId}/results`)).json()) as any;
    expect(results.dataset.map((d: any) => [d.index, d.repeat])).toEqual([[0, 0], [0, 1], [2, 0], [2, 1], [2, 0], [2, 1]]);
    // Parameters win over same-named columns (LangWatch semantics).
    expect(results.dataset[0].entry).toEqual({ question: 'x', lang: 'fr' });
    expect(results.dataset[0].predicted.output).toEqual({ question: 'x', lang: 'fr' });
  });

  it('makes one row of the parameters when there are no rows', async () => {
    await create({ slug: 'params-only', name: 'p', targets: [{ id: 'echo', type: 'code', code: 'return parameters.model' }] });
    const runId = await startRun(t, 'params-only', { parameters: { model: 'gpt-5-mini' } });
    const done = await waitForRun(t, runId);
    expect(done).toMatchObject({ status: 'completed', total: 1 });
    const results = (await (await t.req('GET', `/api/experiments/runs/${runId}/results`)).json()) as any;
    expect(results.dataset[0].predicted.output).toBe('gpt-5-mini');
  });

  it('runs a saved dataset by dataset_id', async () => {
    await t.req('POST', '/api/datasets', { body: { name: 'Saved rows', slug: 'saved-rows', rows: [{ question: 'q1', expected: 'q1' }, { question: 'q2', expected: 'nope' }] } });
    await create(agentExperiment('by-dataset', agent.url, 1));
    const runId = await startRun(t, 'by-dataset', { dataset_id: 'saved-rows' });
    const done = await waitForRun(t, runId);
    expect(done.summary).toMatchObject({ totalCells: 2, totalPassed: 1, totalFailed: 1 });
  });
});

describe('SSE', () => {
  it('streams each cell in order with increasing ids, ends with done, and replays after Last-Event-ID', async () => {
    await create(agentExperiment('sse', agent.url, 20, { execution: { concurrency: 5 } }));
    const res = await t.req('POST', '/api/experiments/sse/run', { headers: { accept: 'text/event-stream' } });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toContain('text/event-stream');
    const text = await res.text();
    // First where the replay ends (the run's start was stored as it was created), in the write of its first event.
    expect(text.startsWith(': replay-to 1\n\nid: 1\ndata: ')).toBe(true);
    const { events, ids } = parseSse(text);
    // Committed events carry increasing ids; live-only cell_started events (sent as each call
    // began, SPEC §6) carry none, and their committed twins are not sent again.
    const committedIds = ids.filter((id) => !Number.isNaN(id));
    for (let i = 1; i < committedIds.length; i++) expect(committedIds[i]).toBeGreaterThan(committedIds[i - 1]!);
    expect(events[0]).toMatchObject({ type: 'execution_started', total: 20 });
    expect(events.at(-1)).toMatchObject({ type: 'done', summary: { totalCells: 20 } });
    // Within each cell, each event once: cell_started → target_result → evaluator_result → progress.
    const perCell = new Map<string, string[]>();
    for (const e of events) {
      if (!('rowIndex' in e)) continue;
      const key = `${e.rowIndex}/${e.targetId}`;
      perCell.set(key, [...(perCell.get(key) ?? []), e.type]);
    }
    expect(perCell.size).toBe(20);
    for (const types of perCell.values()) expect(types).toEqual(['cell_started', 'target_result', 'evaluator_result']);
    const progress = events.filter((e) => e.type === 'progress');
    expect(progress.map((p) => (p as { completed: number }).completed)).toEqual(Array.from({ length: 20 }, (_, i) => i + 1));
    // Each progress follows its cell's evaluator_result directly.
    events.forEach((e, i) => {
      if (e.type === 'progress') expect(events[i - 1]!.type).toBe('evaluator_result');
    });

    // A replay comes from storage: every committed event once, ids 1, 2, 3… without a gap, and
    // the live stream's committed events are exactly its events with those ids.
    const runId = (events[0] as { runId: string }).runId;
    const full = parseSse(await (await t.req('GET', `/api/experiments/runs/${runId}/events`)).text());
    expect(full.ids).toEqual(Array.from({ length: full.ids.length }, (_, i) => i + 1));
    expect(full.events.filter((e) => e.type === 'cell_started')).toHaveLength(20);
    const liveCommitted = events.filter((_, i) => !Number.isNaN(ids[i]!));
    expect(liveCommitted).toEqual(full.events.filter((e) => committedIds.includes(e.seq)));
    for (const n of [0, 1, 17, full.ids.at(-2)!, full.ids.at(-1)!]) {
      const replay = await t.req('GET', `/api/experiments/runs/${runId}/events`, { headers: { 'last-event-id': String(n) } });
      const parsed = parseSse(await replay.text());
      expect(parsed.events, `after ${n}`).toEqual(full.events.slice(n));
    }
  });

  it('closing the stream does not stop the run', async () => {
    await create(agentExperiment('detached', agent.url, 30, { execution: { concurrency: 3 } }));
    agent.setBehaviour({ latencyMs: 20 });
    try {
      const res = await t.req('POST', '/api/experiments/detached/run', { headers: { accept: 'text/event-stream' } });
      const reader = res.body!.getReader();
      const first = new TextDecoder().decode((await reader.read()).value);
      const runId = /"runId":"(run_[^"]+)"/.exec(first)![1]!;
      await reader.cancel();
      const done = await waitForRun(t, runId);
      expect(done).toMatchObject({ status: 'completed', progress: 30 });
    } finally {
      agent.setBehaviour({ latencyMs: 0 });
    }
  });
});

describe('abort and resume', () => {
  it('stops a 1,000-cell run within a second at ~30%, keeps results, and resume finishes it exactly', async () => {
    const slow = await startFakeAgent({ latencyMs: 40 });
    try {
      await create(agentExperiment('abortable', slow.url, 1000, { execution: { concurrency: 20 } }));
      const runId = await startRun(t, 'abortable');
      await waitForRun(t, runId, 30_000, (r) => r.progress >= 300);
      const abortedAt = Date.now();
      const abort = await t.req('POST', `/api/experiments/runs/${runId}/abort`);
      expect(abort.status).toBe(200);
      const stopped = await waitForRun(t, runId, 5_000);
      const took = Date.now() - abortedAt;
      expect(stopped.status).toBe('stopped');
      expect(took).toBeLessThan(1000);
      const kept = stopped.progress;
      expect(kept).toBeGreaterThanOrEqual(300);
      expect(kept).toBeLessThan(1000);
      // In-flight calls were cancelled: the agent saw few calls beyond what was kept.
      expect(slow.calls).toBeLessThanOrEqual(kept + 20);
      expect((await t.req('POST', `/api/experiments/runs/${runId}/abort`)).status).toBe(409);

      // A stopped run, and a run never resumed, have no running clock: their duration is it.
      expect(stopped).not.toHaveProperty('executionStartedAt');
      expect(stopped).not.toHaveProperty('runningTimeBefore');
      const resumedAt = Date.now();
      const resumed = await t.req('POST', `/api/experiments/runs/${runId}/resume`, { body: {} });
      expect(resumed.status).toBe(200);
      // While it runs again, the poll body says when this execution began and how long the first ran.
      const again = (await (await t.req('GET', `/api/experiments/runs/${runId}`)).json()) as { status: string; executionStartedAt: number; runningTimeBefore: number };
      expect(again.status).toBe('running');
      expect(again.executionStartedAt).toBeGreaterThanOrEqual(resumedAt);
      expect(again.runningTimeBefore).toBe(stopped.summary!.runningTime);
      const done = await waitForRun(t, runId, 60_000);
      expect(done).toMatchObject({ status: 'completed', progress: 1000 });
      expect(done).not.toHaveProperty('executionStartedAt');
      expect(done.summary!.runningTime).toBeLessThan(done.summary!.duration);
      expect(done.summary).toMatchObject({ totalCells: 1000, totalPassed: 1000 });
      // Finished cells were never called again.
      const perKey = [...slow.callsByKey.values()];
      expect(perKey.length).toBe(1000);
      expect(slow.calls).toBeLessThanOrEqual(1000 + 20);
      const results = (await (await t.req('GET', `/api/experiments/runs/${runId}/results?limit=5000`)).json()) as any;
      expect(new Set(results.dataset.map((d: { index: number }) => d.index)).size).toBe(1000);
    } finally {
      await slow.close();
    }
  }, 90_000);

  it('accepts the LangWatch form POST /abort {runId}', async () => {
    const slow = await startFakeAgent({ latencyMs: 200 });
    try {
      await create(agentExperiment('abort-form', slow.url, 50, { execution: { concurrency: 2 } }));
      const runId = await startRun(t, 'abort-form');
      const res = await t.req('POST', '/api/evaluations/v3/abort', { body: { runId } });
      expect(res.status).toBe(200);
      expect(await res.json()).toMatchObject({ success: true, runId });
      expect((await waitForRun(t, runId, 5_000)).status).toBe('stopped');
      const bad = await t.req('POST', '/api/experiments/abort', { body: {} });
      expect(bad.status).toBe(400);
      expect((await t.req('POST', '/api/experiments/abort', { body: { runId: 'run_nope' } })).status).toBe(404);
    } finally {
      await slow.close();
    }
  });
});

describe('retries', () => {
  it('completes every cell when 30% of calls get 429 + Retry-After: 1, never retrying sooner', async () => {
    const flaky = await startFakeAgent({ failRate: 0.3, failStatus: 429, retryAfter: 1, seed: 7 });
    try {
      await create(agentExperiment('flaky', flaky.url, 40, { execution: { concurrency: 10, maxRetries: 8 } }));
      const runId = await startRun(t, 'flaky');
      const done = await waitForRun(t, runId, 60_000);
      expect(done.summary).toMatchObject({ totalCells: 40, completedCells: 40, totalPassed: 40 });
      let retried = 0;
      for (const [, times] of flaky.arrivals) {
        for (let i = 1; i < times.length; i++) {
          retried++;
          expect(times[i]! - times[i - 1]!).toBeGreaterThanOrEqual(1000 - 5);
        }
      }
      expect(retried).toBeGreaterThan(5);
      const results = (await (await t.req('GET', `/api/experiments/runs/${runId}/results`)).json()) as any;
      expect(results.dataset.some((d: { attempts: number }) => d.attempts > 1)).toBe(true);
      // The retries are visible in the event stream.
      const events = parseSse(await (await t.req('GET', `/api/experiments/runs/${runId}/events`)).text()).events;
      const retrying = events.filter((e) => e.type === 'retrying');
      expect(retrying.length).toBe(retried);
      for (const r of retrying) expect((r as { delayMs: number }).delayMs).toBeGreaterThanOrEqual(1000);
    } finally {
      await flaky.close();
    }
  }, 60_000);

  it('does not retry a 400 and records the error on the cell', async () => {
    const bad = await startFakeAgent({ failRate: 1, failStatus: 400 });
    try {
      await create(agentExperiment('always-400', bad.url, 3));
      const runId = await startRun(t, 'always-400');
      const done = await waitForRun(t, runId);
      expect(done.status).toBe('failed');
      expect(done.error).toBe('all_targets_failed');
      expect(done.message).toContain('HTTP 400');
      expect(bad.calls).toBe(3);
    } finally {
      await bad.close();
    }
  });
});

describe('stopping early for errors', () => {
  it('fails a run whose first 20 calls were all refused without calling the other rows, and a resume runs them once fixed', async () => {
    const refusing = await startFakeAgent({ failRate: 1, failStatus: 401 });
    try {
      await create(agentExperiment('refused', refusing.url, 200, { execution: { concurrency: 5 } }));
      const runId = await startRun(t, 'refused');
      const done = await waitForRun(t, runId);
      expect(done).toMatchObject({ status: 'failed', error: 'all_targets_failed' });
      expect(done.message).toMatch(/^The first \d+ target calls all failed, so the run stopped early; first error: agent: HTTP 401/);
      // Twenty refusals, and at most the four others then in flight.
      expect(refusing.calls).toBeGreaterThanOrEqual(20);
      expect(refusing.calls).toBeLessThanOrEqual(24);
      expect(done.progress).toBe(refusing.calls);

      refusing.setBehaviour({ failRate: 0 });
      expect((await t.req('POST', `/api/experiments/runs/${runId}/resume`, { body: { retryErrors: true } })).status).toBe(200);
      const resumed = await waitForRun(t, runId);
      expect(resumed).toMatchObject({ status: 'completed', progress: 200, summary: { totalCells: 200, completedCells: 200, totalPassed: 200 } });
    } finally {
      await refusing.close();
    }
  });

  it('stops at the run body\'s maxErrors (stopReason errors) and refuses a limit that is not a positive integer', async () => {
    const flaky = await startFakeAgent({ failRate: 0.5, failStatus: 400, seed: 3 });
    try {
      await create(agentExperiment('error-limit', flaky.url, 100, { execution: { concurrency: 1 } }));
      const runId = await startRun(t, 'error-limit', { maxErrors: 4 });
      const done = await waitForRun(t, runId);
      expect(done).toMatchObject({ status: 'stopped', summary: { stopReason: 'errors', failedCells: 4 } });
      expect(done.progress).toBeLessThan(100);
      for (const maxErrors of [0, -1, 2.5, '3']) {
        const res = await t.req('POST', '/api/experiments/error-limit/run', { body: { maxErrors } });
        expect(res.status).toBe(400);
        expect(JSON.stringify(await res.json())).toContain('maxErrors');
      }
    } finally {
      await flaky.close();
    }
  });
});

describe('exports', () => {
  it('exports results as JSON Lines, CSV and JUnit', async () => {
    await create({ ...agentExperiment('exported', agent.url, 3), dataset: { rows: [{ question: 'a', expected: 'a' }, { question: 'b', expected: 'x' }, { question: 'c,"d"', expected: 'c,"d"' }] } });
    const runId = await startRun(t, 'exported');
    await waitForRun(t, runId);
    const jsonl = await (await t.req('GET', `/api/experiments/runs/${runId}/export?format=jsonl`)).text();
    const lines = jsonl.trim().split('\n').map((l) => JSON.parse(l));
    expect(lines.map((l) => l.evaluations[0].passed)).toEqual([true, false, true]);
    const csv = await (await t.req('GET', `/api/experiments/runs/${runId}/export?format=csv`)).text();
    expect(csv.split('\n')[0]).toBe('index,targetId,repeat,entry,output,error,cost,duration_ms,tokens_in,tokens_out,attempts,cached,exact.status,exact.passed,exact.score,exact.label,review,review.comment,review.by,exact.review');
    expect(csv).toContain('"c,""d"""');
    const junit = await (await t.req('GET', `/api/experiments/runs/${runId}/export?format=junit`)).text();
    expect(junit).toContain('<testsuites');
    expect((junit.match(/<testcase /g) ?? []).length).toBe(3);
    expect((junit.match(/<failure /g) ?? []).length).toBe(1);
    expect((await t.req('GET', `/api/experiments/runs/${runId}/export?format=xls`)).status).toBe(400);
  });

  it('exports only the failed or errored cells, and CSV columns chosen by name, columns of the rows among them', async () => {
    const half = await startFakeAgent({ reply: (m) => (String(m).endsWith('1') ? 'wrong' : m) });
    try {
      // Rows q0…q5: q1 answers wrong (fails exact), q3 gets a 400 (an error).
      half.setBehaviour({ handler: (r) => ((r.body as { message: string }).message === 'q3' ? { status: 400, body: 'no' } : undefined) });
      await create(agentExperiment('chosen', half.url, 6, { execution: { maxRetries: 0 } }));
      const runId = await startRun(t, 'chosen');
      await waitForRun(t, runId);
      const exported = async (query: string) => (await t.req('GET', `/api/experiments/runs/${runId}/export?${query}`)).text();

      const failed = (await exported('format=jsonl&only=failed')).trim().split('\n').map((l) => JSON.parse(l));
      expect(failed.map((l) => l.index)).toEqual([1, 3]);
      const errors = (await exported('format=jsonl&only=errors')).trim().split('\n').map((l) => JSON.parse(l));
      expect(errors.map((l) => l.index)).toEqual([3]);
      const junit = await exported('format=junit&only=failed');
      expect(junit).toContain('tests="2" failures="1" errors="1"');

      const csv = await exported('format=csv&only=failed&columns=index,entry.question,output,error,exact.passed');
      expect(csv.trim().split('\n')).toEqual(['index,entry.question,output,error,exact.passed', '1,q1,wrong,,false', expect.stringMatching(/^3,q3,,HTTP 400 .*,$/)]);

      const refused: [string, RegExp][] = [
        ['format=csv&columns=index,bogus', /Unknown column "bogus": the columns are index, targetId, .*exact\.passed.*, and entry\.<column>/],
        ['format=csv&columns=index,index', /asked for twice/],
        ['format=csv&columns=index,,output', /none empty/],
        ['format=csv&columns=entry.', /Unknown column "entry\."/],
        // A column none of the rows has is refused, as an unknown column is (export-columns.test.ts).
        ['format=csv&columns=index,%20entry.nope', /^Unknown column "entry\.nope": the run's rows have no column "nope"; their columns are question, expected$/],
        ['format=jsonl&columns=index', /columns chooses CSV columns; this export is jsonl/],
        ['format=csv&only=passed', /only/],
        [`format=csv&columns=${'x'.repeat(4_001)}`, /columns/],
      ];
      for (const [query, message] of refused) {
        const res = await t.req('GET', `/api/experiments/runs/${runId}/export?${query}`);
        expect(res.status, query).toBe(400);
        expect(((await res.json()) as { message: string }).message, query).toMatch(message);
      }
    } finally {
      await half.close();
    }
  });
});

describe('bad input', () => {
  it('answers with the documented errors', async () => {
    await create(agentExperiment('strict', agent.url, 2));
    const unknown = await t.req('POST', '/api/experiments/nope/run');
    expect(unknown.status).toBe(404);
    expect(await unknown.json()).toMatchObject({ error: 'experiment_not_found', message: 'Experiment not found: nope' });

    const both = await t.req('POST', '/api/experiments/strict/run', { body: { data: [{ a: 1 }], dataset_id: 'x' } });
    expect(both.status).toBe(400);
    expect(await both.json()).toMatchObject({ error: 'Pass either inline data or a dataset_id, not both' });

    const malformed = await t.req('POST', '/api/experiments/strict/run', { raw: '{"data": [', headers: { 'content-type': 'application/json' } });
    expect(malformed.status).toBe(400);
    expect(await malformed.json()).toMatchObject({ error: 'Invalid JSON body' });

    const negative = await t.req('POST', '/api/experiments/strict/run', { body: { row_indices: [0, -1] } });
    expect(negative.status).toBe(400);
    expect(((await negative.json()) as { issues: { path: unknown[] }[] }).issues[0]!.path).toEqual(['row_indices', 1]);

    const outOfRange = await startRun(t, 'strict', { row_indices: [1, 5, 99] });
    expect((await poll(t, outOfRange)).total).toBe(1);
    expect((await waitForRun(t, outOfRange)).status).toBe('completed');
    const ftp = await t.req('POST', '/api/experiments/strict/run', { body: { webhookUrl: 'ftp://hooks.example/x' } });
    expect(ftp.status).toBe(400);
    expect(((await ftp.json()) as { message: string }).message).toBe('Invalid run request: webhookUrl: must be an http:// or https:// URL');
    // Credentials in a webhook URL would be shown in full (the delivery log, the document): refused.
    const withCredentials = await t.req('POST', '/api/experiments/strict/run', { body: { webhookUrl: 'https://u:p@hooks.example/x' } });
    expect(withCredentials.status).toBe(400);
    expect(((await withCredentials.json()) as { message: string }).message).toMatch(/^Invalid run request: webhookUrl: must not contain credentials \(user:password@\)/);
    const savedWithCredentials = await t.req('PUT', '/api/experiments/strict', {
      body: { ...(await (await t.req('GET', '/api/experiments/strict')).json() as { document: object }).document, webhooks: [{ url: 'https://ci:token@hooks.example/x' }] },
    });
    expect(savedWithCredentials.status).toBe(400);
    const refusedSave = (await savedWithCredentials.json()) as { issues: { path: unknown[]; message: string }[] };
    expect(refusedSave.issues.map((i) => i.path)).toEqual([['webhooks', 0, 'url']]);
    expect(refusedSave.issues[0]!.message).toContain('must not contain credentials');
    const noData = await t.req('POST', '/api/experiments/strict/run', { body: { data: [] } });
    expect(noData.status).toBe(400);
    expect(((await noData.json()) as { message: string }).message).toBe("There are no rows to run: data is an empty list; send at least one row, or leave data out to run the experiment's dataset");
    // None in range: refused, saying why, rather than a run of 0 cells reported as passed.
    const runsBefore = (await (await t.req('GET', '/api/experiments/runs?experimentSlug=strict')).json()) as { runs: unknown[] };
    const none = await t.req('POST', '/api/experiments/strict/run', { body: { row_indices: [5, 99] } });
    expect(none.status).toBe(400);
    expect(((await none.json()) as { message: string }).message).toBe('row_indices selects none of the 2 rows (indices 0–1): 5, 99 are out of range');
    const empty = await t.req('POST', '/api/experiments/strict/run', { body: { row_indices: [] } });
    expect(empty.status).toBe(400);
    expect(((await empty.json()) as { message: string }).message).toMatch(/^row_indices is empty: it selects none of the 2 rows/);
    expect(((await (await t.req('GET', '/api/experiments/runs?experimentSlug=strict')).json()) as { runs: unknown[] }).runs).toHaveLength(runsBefore.runs.length);

    expect((await t.req('POST', '/api/experiments/strict/run', { body: { targets: ['ghost'] } })).status).toBe(400);
    expect((await t.req('POST', '/api/experiments/strict/run', { body: { dataset_id: 'ds_missing' } })).status).toBe(404);
    expect((await t.req('GET', '/api/experiments/runs/run_missing')).status).toBe(404);
    expect(await (await t.req('GET', '/api/experiments/runs/run_missing')).json()).toMatchObject({ error: 'run_not_found' });
    expect((await t.req('GET', '/api/experiments/runs/run_missing/events', { headers: { 'last-event-id': 'abc' } })).status).toBe(404);
    // A bad resume point is named as it was sent: the query parameter, or the header.
    const badQuery = await t.req('GET', `/api/experiments/runs/${outOfRange}/events?lastEventId=99999999999999999999`);
    expect(badQuery.status).toBe(400);
    expect(((await badQuery.json()) as { message: string }).message).toBe('lastEventId must be a non-negative integer of at most 15 digits');
    const badHeader = await t.req('GET', `/api/experiments/runs/${outOfRange}/events`, { headers: { 'last-event-id': 'abc' } });
    expect(badHeader.status).toBe(400);
    expect(((await badHeader.json()) as { message: string }).message).toBe('Last-Event-ID must be a non-negative integer of at most 15 digits');
  });

  it("hides another project's runs", async () => {
    await create(agentExperiment('private', agent.url, 1));
    const runId = await startRun(t, 'private');
    await waitForRun(t, runId);
    const other = await t.otherProject();
    for (const [method, path] of [
      ['GET', `/api/experiments/runs/${runId}`], ['GET', `/api/evaluations/v3/runs/${runId}/results`], ['GET', `/api/experiments/runs/${runId}/events`],
      ['GET', `/api/experiments/runs/${runId}/export`], ['POST', `/api/experiments/runs/${runId}/abort`], ['POST', `/api/experiments/runs/${runId}/resume`],
      ['POST', '/api/experiments/private/run'], ['GET', '/api/experiments/runs?experimentSlug=private'],
    ] as const) {
      expect((await t.req(method, path, { key: other.key })).status, `${method} ${path}`).toBe(404);
    }
  });
});

describe('slow readers', () => {
  it('a stalled SSE reader neither stops nor slows the run, and later reads every event in order', async () => {
    await create(agentExperiment('stalled', agent.url, 1500, { execution: { concurrency: 50 } }));
    const res = await t.req('POST', '/api/experiments/stalled/run', { headers: { accept: 'text/event-stream' } });
    const reader = res.body!.getReader();
    const first = new TextDecoder().decode((await reader.read()).value);
    const runId = /"runId":"(run_[^"]+)"/.exec(first)![1]!;
    // Read nothing more while the run executes.
    const done = await waitForRun(t, runId, 60_000);
    expect(done).toMatchObject({ status: 'completed', progress: 1500 });
    let text = first;
    const decoder = new TextDecoder();
    for (;;) {
      const { value, done: end } = await reader.read();
      if (end) break;
      text += decoder.decode(value, { stream: true });
    }
    const { events, ids } = parseSse(text);
    const committed = ids.filter((id) => !Number.isNaN(id));
    for (let i = 1; i < committed.length; i++) expect(committed[i]).toBeGreaterThan(committed[i - 1]!);
    expect(events.filter((e) => e.type === 'progress')).toHaveLength(1500);
    // Each cell announced once, live or (when the live queue of a stalled reader was full) committed.
    expect(events.filter((e) => e.type === 'cell_started')).toHaveLength(1500);
    expect(events.at(-1)!.type).toBe('done');
  }, 60_000);
});
