// A run's `metadata` round-trips (poll, runs list, results) and filters the runs list on SQLite
// and PostgreSQL; the runs list shows the figures so far while a run goes (issue 15).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { allDatabases } from '../../testing/databases.js';
import { startFakeAgent, type FakeAgent } from '../../testing/fake-agent.js';
import { startTestAssay, type TestAssay } from '../../testing/harness.js';
import { agentExperiment, waitForRun } from '../../testing/runs.js';

describe.each(allDatabases())('run metadata and the runs list on $name', (db) => {
  let t: TestAssay;
  let agent: FakeAgent;

  beforeAll(async () => {
    t = await startTestAssay({}, await db.options());
    agent = await startFakeAgent();
    const res = await t.req('POST', '/api/experiments', { body: agentExperiment('meta', agent.url, 2) });
    expect(res.status).toBe(201);
  });
  afterAll(async () => {
    await t.close();
    await agent.close();
    await db.cleanup();
  });

  async function start(body: unknown): Promise<string> {
    const res = await t.req('POST', '/api/experiments/meta/run', { body });
    expect(res.status).toBe(200);
    return ((await res.json()) as { runId: string }).runId;
  }

  const list = async (query = '') => (await (await t.req('GET', `/api/experiments/runs?experimentSlug=meta${query}`)).json()) as { runs: { runId: string; metadata: unknown }[]; pagination: { totalHits: number } };

  it('returns metadata in the poll body, the runs list and the results', async () => {
    const metadata = { branch: 'main', commit: 'abc123', attempt: 2, tags: ['nightly'], nested: { ok: true } };
    const runId = await start({ metadata });
    const done = await waitForRun(t, runId);
    expect(done).toMatchObject({ status: 'completed', metadata });
    expect((await list()).runs.find((r) => r.runId === runId)?.metadata).toEqual(metadata);
    const results = (await (await t.req('GET', `/api/experiments/runs/${runId}/results`)).json()) as { metadata: unknown };
    expect(results.metadata).toEqual(metadata);
    // Without metadata: an empty object, never absent.
    const plain = await start({});
    expect(await waitForRun(t, plain)).toMatchObject({ metadata: {} });
  });

  it('says in the poll body what the run was started with: rows source, selection, parameters, targets, evaluators, repeats', async () => {
    const plain = await waitForRun(t, await start({}));
    expect(plain.request).toEqual({
      experimentVersion: 1, rows: { kind: 'experiment' }, rowCount: 2, rowIndices: null, parameters: {}, targets: ['agent'], evaluators: ['exact'], repeats: 1,
    });
    const inline = await waitForRun(t, await start({ data: [{ question: 'x', expected: 'x' }], parameters: { tone: 'dry' }, repeats: 2, evaluators: [] }));
    expect(inline.request).toMatchObject({ rows: { kind: 'inline' }, rowCount: 1, parameters: { tone: 'dry' }, evaluators: [], repeats: 2 });
    const ds = (await (await t.req('POST', '/api/datasets', { body: { name: 'Three rows', slug: 'three', rows: [{ question: 'a', expected: 'a' }, { question: 'b', expected: 'b' }, { question: 'c', expected: 'c' }] } })).json()) as { id: string };
    const picked = await waitForRun(t, await start({ dataset_id: ds.id, row_indices: [2, 0] }));
    // The dataset by id and version, and by the slug and name it had when the run started (the run page names it so).
    expect(picked.request).toMatchObject({ rows: { kind: 'dataset', datasetId: ds.id, version: 1, slug: 'three', name: 'Three rows' }, rowCount: 3, rowIndices: 2 });
    // The runs list and the results leave it out: it is the poll body's.
    expect((await list()).runs.find((r) => r.runId === picked.runId)).not.toHaveProperty('request');
  });

  it('filters the runs list by string metadata values', async () => {
    const a = await start({ metadata: { suite: 'smoke', owner: 'ana' } });
    const b = await start({ metadata: { suite: 'smoke', owner: 'ben' } });
    const c = await start({ metadata: { suite: 'full', owner: 'ana', count: 5 } });
    for (const id of [a, b, c]) await waitForRun(t, id);
    const ids = async (q: string) => (await list(q)).runs.map((r) => r.runId);
    expect(await ids('&metadata.suite=smoke')).toEqual([b, a]);
    expect((await list('&metadata.suite=smoke')).pagination.totalHits).toBe(2);
    expect(await ids('&metadata.suite=smoke&metadata.owner=ana')).toEqual([a]);
    expect(await ids('&metadata.owner=ana')).toEqual([c, a]);
    expect(await ids('&metadata.suite=none')).toEqual([]);
    // A number is not the string "5": only string values match, the same on both databases.
    expect(await ids('&metadata.count=5')).toEqual([]);
    // Values are matched exactly, quotes and all; nothing is interpreted.
    expect(await ids(`&metadata.suite=${encodeURIComponent("smoke' OR '1'='1")}`)).toEqual([]);
  });

  it('refuses malformed metadata filters with a JSON 400', async () => {
    for (const q of ['&metadata.=x', `&metadata.${encodeURIComponent('a"b')}=x`, `&metadata.${encodeURIComponent('$.x')}=y`, '&metadata.k=1&metadata.k=2', `&metadata.k=${'x'.repeat(1001)}`]) {
      const res = await t.req('GET', `/api/experiments/runs?experimentSlug=meta${q}`);
      expect(res.status, q).toBe(400);
      expect(((await res.json()) as { error: unknown }).error, q).toBeTruthy();
    }
  });

  it('shows the summary so far while a run goes, and updatedAt moves with each commit', async () => {
    agent.setBehaviour({ latencyMs: 120, handler: (r) => ((r.body as { message?: string }).message === 'q1' ? { status: 400, body: 'no' } : undefined) });
    await t.req('POST', '/api/experiments', { body: agentExperiment('slow', agent.url, 8, { execution: { concurrency: 1 } }) });
    const runId = ((await (await t.req('POST', '/api/experiments/slow/run')).json()) as { runId: string }).runId;
    type Item = { runId: string; status: string; progress: number; timestamps: { createdAt: number; updatedAt: number }; summary: null | Record<string, number> };
    const item = async () => ((await (await t.req('GET', '/api/experiments/runs?experimentSlug=slow')).json()) as { runs: Item[] }).runs.find((r) => r.runId === runId)!;
    const seen: Item[] = [];
    for (let i = 0; i < 1500; i++) {
      const it = await item();
      if (it.status !== 'running') break;
      seen.push(it);
      if (it.progress >= 4) break;
      await new Promise((r) => setTimeout(r, 10));
    }
    const early = seen[0]!;
    expect(early.summary).toBeNull();
    expect(early.timestamps.updatedAt).toBe(early.timestamps.createdAt);
    const late = seen.at(-1)!;
    expect(late.status).toBe('running');
    expect(late.progress).toBeGreaterThanOrEqual(3);
    // q0 passed, q1 failed (400), the rest passed: the figures of the cells committed so far.
    expect(late.summary).toMatchObject({
      totalCells: late.progress, completedCells: late.progress - 1, failedCells: 1, totalPassed: late.progress - 1,
      passRate: Math.round(((late.progress - 1) / late.progress) * 100 * 1e8) / 1e8,
    });
    expect(late.timestamps.updatedAt).toBeGreaterThan(early.timestamps.updatedAt);
    // updatedAt never goes back and moves whenever progress does.
    for (let i = 1; i < seen.length; i++) {
      expect(seen[i]!.timestamps.updatedAt).toBeGreaterThanOrEqual(seen[i - 1]!.timestamps.updatedAt);
      if (seen[i]!.progress > seen[i - 1]!.progress) expect(seen[i]!.timestamps.updatedAt).toBeGreaterThan(seen[i - 1]!.timestamps.updatedAt);
    }
    agent.setBehaviour({ latencyMs: 0 });
    await waitForRun(t, runId);
    const end = await item();
    expect(end.summary).toMatchObject({ totalCells: 8, failedCells: 1, completedCells: 7 });
    expect(end.timestamps.updatedAt).toBeGreaterThanOrEqual(late.timestamps.updatedAt);
    agent.setBehaviour({ handler: undefined });
  });
});
