// Cluster faults beyond a dead worker (issue 14, done-when 4, in part), with real processes over
// one PostgreSQL schema and a private redis-server:
// - kill -9 of the API process an SSE client is reading: the client reconnects to another API
//   process with Last-Event-ID and misses nothing; the run, executed by a worker, goes on.
// - Redis killed and restarted empty mid-run: the run completes with exactly its cells, a
//   stream open across the outage still receives every event (it reads storage), a run started
//   while Redis is down is accepted and completes, and so does one started after the restart
//   (through the queue on the new Redis, or a worker's sweep).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunEvent } from '../../src/core/events.js';
import { type ApiProcess, call, cellKey, ended, eventually, type Frame, readStream, TestCluster } from '../../src/testing/cluster.js';
import { startFakeAgent, type FakeAgent } from '../../src/testing/fake-agent.js';
import { agentExperiment } from '../../src/testing/runs.js';

let cluster: TestCluster;
let agent: FakeAgent;

beforeAll(async () => {
  cluster = await TestCluster.create();
  agent = await startFakeAgent({ latencyMs: 40 });
}, 60_000);

afterAll(async () => {
  await cluster?.close();
  await agent?.close();
});

/** Every committed event of `replay` is among the frames' committed events, or a cell_started one of them sent live. */
function coveredBy(replay: RunEvent[], frames: Frame[]): void {
  const sent = new Map<number, unknown>();
  const live = new Set<string>();
  for (const f of frames) {
    if (f.id !== undefined) sent.set(Number(f.id), f.event);
    else if (f.event.type === 'cell_started') live.add(cellKey(f.event));
  }
  for (const e of replay) {
    if (sent.has(e.seq)) {
      expect(sent.get(e.seq)).toEqual(e);
      continue;
    }
    expect(e.type, `event ${e.seq} (${e.type}) never reached the client`).toBe('cell_started');
    expect(live.has(cellKey(e)), `cell_started ${cellKey(e)} neither live nor committed`).toBe(true);
  }
}

describe('cluster faults', { timeout: 240_000 }, () => {
  let first: ApiProcess;
  let second: ApiProcess;

  beforeAll(async () => {
    first = await cluster.api();
    second = await cluster.api();
    await cluster.worker();
  }, 120_000);

  it('kill -9 of the API process holding an SSE client: the client resumes on another with Last-Event-ID and misses nothing', async () => {
    await call(second.base, 'POST', '/api/experiments', agentExperiment('reconnect', agent.url, 600, { execution: { concurrency: 5 } }));
    const callsBefore = agent.calls;
    const { runId } = await call(first.base, 'POST', '/api/experiments/reconnect/run');
    let committedSeen = 0;
    const firstFrames = await readStream(first.base, runId, {
      onFrame: (f) => {
        if (f.id !== undefined && ++committedSeen === 200) first.server.child.kill('SIGKILL');
      },
    });
    await first.server.exited;
    const lastId = Math.max(...firstFrames.filter((f) => f.id !== undefined).map((f) => Number(f.id)));
    expect(lastId).toBeGreaterThanOrEqual(200);
    expect(firstFrames.at(-1)!.event.type).not.toBe('done');

    const secondFrames = await readStream(second.base, runId, { lastEventId: lastId });
    const resumed = secondFrames.filter((f) => f.id !== undefined).map((f) => Number(f.id));
    expect(resumed[0]).toBeGreaterThan(lastId);
    for (let i = 1; i < resumed.length; i++) expect(resumed[i]).toBeGreaterThan(resumed[i - 1]!);
    expect(secondFrames.at(-1)!.event.type).toBe('done');

    const end = await ended(second.base, runId, 60_000);
    expect(end.status).toBe('completed');
    expect(end.progress).toBe(600);
    // The API process executed nothing, so its death cost no call: each cell was called once.
    expect(agent.calls - callsBefore).toBe(600);
    const replay = (await readStream(second.base, runId)).map((f) => f.event as RunEvent);
    expect(replay.map((e) => e.seq)).toEqual(Array.from({ length: replay.length }, (_, i) => i + 1));
    coveredBy(replay, [...firstFrames, ...secondFrames]);
  });

  it('Redis killed and restarted empty mid-run: the run completes exactly, an open stream misses nothing, runs started after it complete', async () => {
    await call(second.base, 'POST', '/api/experiments', agentExperiment('outage', agent.url, 1000, { execution: { concurrency: 5 } }));
    const callsBefore = agent.calls;
    const keyCallsBefore = new Map(agent.callsByKey);
    const { runId } = await call(second.base, 'POST', '/api/experiments/outage/run');
    const streaming = readStream(second.base, runId);
    await eventually('progress past 150', async () => ((await call(second.base, 'GET', `/api/experiments/runs/${runId}`)).progress >= 150 ? true : undefined), 60_000);
    const before = await call(second.base, 'GET', `/api/experiments/runs/${runId}/results?limit=5000`);
    // Rows of its own, so the per-row call counts of the first run stay its own.
    const ownRows = { rows: Array.from({ length: 50 }, (_, i) => ({ question: `during${i}`, expected: `during${i}` })) };
    await call(second.base, 'POST', '/api/experiments', agentExperiment('during', agent.url, 0, { dataset: ownRows, execution: { concurrency: 5 } }));
    await cluster.redis.down();
    // Readiness says so (the database still answers; Redis does not).
    const ready = async () => {
      const res = await fetch(`${second.base}/readyz`);
      return { status: res.status, body: (await res.json()) as { checks: { database: string; redis?: string } } };
    };
    await eventually('/readyz 503 with Redis down', async () => {
      const r = await ready();
      return r.status === 503 && r.body.checks.database === 'ok' && r.body.checks.redis !== 'ok' ? true : undefined;
    }, 10_000);
    // Starting a run while Redis is down answers (it does not wait for Redis to come back: the
    // stored run is taken by a worker's sweep).
    const during = await call(second.base, 'POST', '/api/experiments/during/run');
    await new Promise((r) => setTimeout(r, 500));
    await cluster.redis.up();
    await eventually('/readyz 200 once Redis is back', async () => {
      const r = await ready();
      return r.status === 200 && r.body.checks.redis === 'ok' ? true : undefined;
    }, 30_000);

    const end = await ended(second.base, runId, 120_000);
    expect(end.status).toBe('completed');
    expect(end.progress).toBe(1000);
    const results = await call(second.base, 'GET', `/api/experiments/runs/${runId}/results?limit=5000`);
    expect(results.dataset).toHaveLength(1000);
    expect(new Set(results.dataset.map((d: { index: number }) => d.index)).size).toBe(1000);
    // Executions do not depend on Redis: no cell committed before the outage was called again,
    // and at most a handful in flight at a lease hiccup were.
    for (const d of before.dataset as { entry: { question: string } }[]) expect(agent.callsByKey.get(d.entry.question)! - (keyCallsBefore.get(d.entry.question) ?? 0)).toBe(1);
    expect(agent.calls - callsBefore).toBeLessThanOrEqual(1000 + 50 + 100);

    const frames = await streaming;
    expect(frames.at(-1)!.event.type).toBe('done');
    const replay = (await readStream(second.base, runId)).map((f) => f.event as RunEvent);
    expect(replay.map((e) => e.seq)).toEqual(Array.from({ length: replay.length }, (_, i) => i + 1));
    coveredBy(replay, frames);

    const duringEnd = await ended(second.base, during.runId, 60_000);
    expect(duringEnd.status).toBe('completed');
    expect(duringEnd.progress).toBe(50);

    // A run started after the restart: the queue on the new (empty) Redis, or at worst a worker's
    // sweep (runs nobody holds), executes it.
    await call(second.base, 'POST', '/api/experiments', agentExperiment('after', agent.url, 50, { execution: { concurrency: 5 } }));
    const after = await call(second.base, 'POST', '/api/experiments/after/run');
    const afterEnd = await ended(second.base, after.runId, 60_000);
    expect(afterEnd.status).toBe('completed');
    expect(afterEnd.progress).toBe(50);
  });

  it('SIGTERM of the worker executing a run: the run is released and another process continues it, exactly', async () => {
    // A serve process with role all executes runs too: here it competes with two workers.
    const all = await cluster.api('all');
    await cluster.worker();
    await call(all.base, 'POST', '/api/experiments', agentExperiment('handover', agent.url, 800, { execution: { concurrency: 5 } }));
    const { runId } = await call(all.base, 'POST', '/api/experiments/handover/run');
    const took = new RegExp(`"runId":"${runId}".*"msg":"took run"`);
    const executors = [
      { proc: all.server, id: all.id },
      ...cluster.processes.filter((p) => /Assay worker/.test(p.output())).map((proc) => ({ proc, id: proc.output().match(/Assay worker (proc_\w+)/)![1]! })),
    ];
    await eventually('an executor to take the run', async () => executors.find((e) => took.test(e.proc.output())), 60_000);
    await eventually('progress past 100', async () => ((await call(all.base, 'GET', `/api/experiments/runs/${runId}`)).progress >= 100 ? true : undefined), 60_000);
    // The run is split into shards (docs/deployment.md): the process stopped is the one that
    // committed most of its cells so far (the run's coordinator or not).
    const sofar = await call(all.base, 'GET', `/api/experiments/runs/${runId}/results?limit=5000`);
    const committedBy = (id: string) => sofar.dataset.filter((d: { workerId: string }) => d.workerId === id).length;
    const holder = executors.reduce((a, b) => (committedBy(b.id) > committedBy(a.id) ? b : a));
    const base = holder.proc === all.server ? second.base : all.base;
    holder.proc.child.kill('SIGTERM');
    expect(await holder.proc.exited).toBe(0);

    const end = await ended(base, runId, 60_000);
    expect(end.status).toBe('completed');
    expect(end.progress).toBe(800);
    const results = await call(base, 'GET', `/api/experiments/runs/${runId}/results?limit=5000`);
    expect(new Set(results.dataset.map((d: { index: number }) => d.index)).size).toBe(800);
    expect(results.dataset).toHaveLength(800);
    // The holder's cells and the continuation's: what it released was taken by another executor.
    const ids = new Set(results.dataset.map((d: { workerId: string }) => d.workerId));
    expect(ids.has(holder.id)).toBe(true);
    expect(ids.size).toBeGreaterThanOrEqual(2);
  });
});
