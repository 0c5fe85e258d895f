// The run log lines and run counters as docs/operations.md ("Logs", "Metrics") describes them:
// - a real embedded server: a run stopped mid-way and resumed through the API logs `run started`
//   once, then `run continued` (counted `kind="continued"`, not `new`), and its final `run ended`
//   carries the run's totals beside what the resumed execution committed;
// - the observer itself: a shard of a cluster run is no execution of the run (no `run started`,
//   not counted), finishing its share is an info line, and WARN is kept for interruptions.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunRecord } from '../core/model/run.js';
import { capturingLogger, type LogLine as Line } from '../testing/capture-logger.js';
import { startFakeAgent, type FakeAgent } from '../testing/fake-agent.js';
import { startTestAssay, type TestAssay } from '../testing/harness.js';
import { parsePrometheusText } from '../testing/prom-text.js';
import { agentExperiment, startRun, waitForRun } from '../testing/runs.js';
import { AssayMetrics } from './metrics.js';
import { ModelLabels } from './model-observer.js';
import { createRunObserver } from './run-observer.js';

describe('a stopped run resumed through the API (embedded)', () => {
  const ROWS = 4;
  const lines: Line[] = [];
  let t: TestAssay;
  let agent: FakeAgent;
  let hold = true;

  beforeAll(async () => {
    t = await startTestAssay({}, undefined, { logger: capturingLogger(lines) });
    // Rows answer in order (concurrency 1) until q2 arrives: from then on every call hangs (until
    // the resume), so the run holds still with two cells committed until it is aborted.
    agent = await startFakeAgent({
      keyOf: (body) => {
        const key = String((body as { message?: unknown }).message);
        if (hold && key === 'q2') agent.setBehaviour({ hangRate: 1 });
        return key;
      },
    });
  });
  afterAll(async () => {
    await t?.close();
    await agent?.close();
  });

  it('logs `run started` once, then `run continued`, counts it as continued, and ends with the run\'s totals', async () => {
    expect((await t.req('POST', '/api/experiments', { body: agentExperiment('resumable', agent.url, ROWS, { execution: { concurrency: 1, maxRetries: 0 } }) })).status).toBe(201);
    const runId = await startRun(t, 'resumable');
    await waitForRun(t, runId, 30_000, (r) => r.progress === 2 && agent.inFlight === 1);
    expect((await t.req('POST', `/api/experiments/runs/${runId}/abort`)).status).toBe(200);
    expect(await waitForRun(t, runId)).toMatchObject({ status: 'stopped', progress: 2 });

    hold = false;
    agent.setBehaviour({ hangRate: 0 });
    expect((await t.req('POST', `/api/experiments/runs/${runId}/resume`, { body: {} })).status).toBe(200);
    expect(await waitForRun(t, runId)).toMatchObject({ status: 'completed', progress: ROWS });

    const mine = lines.filter((l) => l.obj.runId === runId);
    const runLines = mine.filter((l) => l.msg?.startsWith('run '));
    expect(runLines.map((l) => `${l.level} ${l.msg}`)).toEqual(['info run started', 'info run ended', 'info run continued', 'info run ended']);
    expect(mine.filter((l) => l.level === 'warn' || l.level === 'error')).toEqual([]);
    const [started, stopped, continued, ended] = runLines;
    expect(started!.obj).toMatchObject({ resumed: false, total: ROWS });
    expect(stopped!.obj).toMatchObject({ status: 'stopped', stopReason: 'user', cellsCommitted: 2, cellsCommittedHere: 2 });
    expect(continued!.obj).toMatchObject({ resumed: true, total: ROWS });
    // The final line: the run's totals, and what this execution added.
    expect(ended!.obj).toMatchObject({ status: 'completed', cellsCommitted: ROWS, cellsFailed: 0, cellsCommittedHere: 2, cellsFailedHere: 0 });

    const m = parsePrometheusText(await (await t.req('GET', '/metrics', { key: null })).text());
    expect(m.sum('assay_runs_started_total', { kind: 'new' })).toBe(1);
    expect(m.sum('assay_runs_started_total', { kind: 'continued' })).toBe(1);
    expect(m.sum('assay_runs_finished_total', { status: 'stopped' })).toBe(1);
    expect(m.sum('assay_runs_finished_total', { status: 'completed' })).toBe(1);
    expect(m.sum('assay_cells_total')).toBe(ROWS);
  }, 60_000);
});

describe('the run observer', () => {
  const run: RunRecord = {
    id: 'run_1', projectId: 'p1', experimentId: 'e1', experimentSlug: 'exp', status: 'running', total: 600, progress: 0, startedAt: 0, finishedAt: null,
    summary: null, error: null, errorMessage: null, stopReason: null, nextSeq: 2, abortRequested: false,
    spec: {
      experimentId: 'e1', experimentSlug: 'exp', experimentVersion: 1, rows: { kind: 'experiment', experimentId: 'e1', version: 1 }, sourceRowCount: 600,
      rowIndices: null, parameters: {}, targetIds: ['a'], evaluatorIds: [], repeats: 1, concurrency: 4, timeoutMs: 5_000, maxRetries: 0,
      budgetUsd: null, cache: false, baselineRunId: null, webhookUrl: null, metadata: {}, runUrl: 'u',
    },
  };
  const shape = { total: 600, targets: new Map([['a', { type: 'code' as const }]]), evaluators: new Map<string, string>(), informational: new Set<string>() };
  const cell = (n: number, ok = true) => ({
    cell: n, rowIndex: n, targetId: 'a', repeat: 0, entry: {}, durationMs: 1, attempts: 1, retries: [], cached: false, evaluations: [],
    firstSeq: n + 2, eventCount: 1, completedOrder: n + 1, progress: n + 1, ...(ok ? { ok: true as const, output: 1 } : { ok: false as const, error: 'boom' }),
  });

  function observe() {
    const lines: Line[] = [];
    const metrics = new AssayMetrics();
    const observer = createRunObserver({ metrics, tracer: null, logger: capturingLogger(lines), labels: new ModelLabels() });
    return { lines, metrics, observer, sum: async (name: string, labels?: Record<string, string>) => parsePrometheusText(await metrics.text()).sum(name, labels) };
  }

  it('observes a shard that finishes its share at info, without `run started` or a run counted', async () => {
    const o = observe();
    const watch = o.observer.shardStarted(run, shape, { shard: 1, fromCell: 250, toCell: 500 });
    watch.committed([cell(250), cell(251, false)]);
    watch.ended({ kind: 'completed' });
    const levels = o.lines.filter((l) => l.msg !== 'cell failed').map((l) => `${l.level} ${l.msg}`);
    expect(levels).toEqual(['debug shard started', 'info shard finished']);
    expect(o.lines.at(-1)!.obj).toMatchObject({ runId: 'run_1', shard: 1, fromCell: 250, toCell: 500, status: 'completed', cellsCommittedHere: 2, cellsFailedHere: 1 });
    expect(await o.sum('assay_runs_started_total')).toBe(0);
    expect(await o.sum('assay_runs_finished_total')).toBe(0);
    // Its cells are counted where they were committed.
    expect(await o.sum('assay_cells_total')).toBe(2);
  });

  it('keeps WARN for a shard handed back or failed, and logs a shard stopped by an abort at info', () => {
    const o = observe();
    o.observer.shardStarted(run, shape, { shard: 0, fromCell: 0, toCell: 250 }).ended({ kind: 'released' });
    o.observer.shardStarted(run, shape, { shard: 1, fromCell: 250, toCell: 500 }).ended({ kind: 'crashed', error: 'storage away' });
    o.observer.shardStarted(run, shape, { shard: 2, fromCell: 500, toCell: 600 }).ended({ kind: 'stopped', reason: 'user' });
    const ends = o.lines.filter((l) => l.msg !== 'shard started').map((l) => [l.level, l.msg, l.obj.shard, l.obj.status]);
    expect(ends).toEqual([
      ['warn', 'shard execution ended here; the shard goes on', 0, 'released'],
      ['warn', 'shard execution ended here; the shard goes on', 1, 'crashed'],
      ['info', 'shard stopped', 2, 'stopped'],
    ]);
    expect(o.lines.find((l) => l.obj.status === 'crashed')!.obj.error).toBe('storage away');
  });

  it('ends a run with the run\'s totals; an execution handed back reports its own cells at WARN', async () => {
    const o = observe();
    const first = o.observer.started(run, shape, false);
    first.committed([cell(0)]);
    first.ended({ kind: 'released' });
    const second = o.observer.started({ ...run, nextSeq: 4, progress: 1 }, shape, true);
    second.ended({ kind: 'completed' }, { cellsCommitted: 600, cellsFailed: 3 });
    second.ended({ kind: 'completed' }, { cellsCommitted: 600, cellsFailed: 3 });
    expect(o.lines.map((l) => `${l.level} ${l.msg}`)).toEqual(['info run started', 'warn run execution ended here; the run goes on', 'info run continued', 'info run ended']);
    expect(o.lines[1]!.obj).toMatchObject({ status: 'released', cellsCommittedHere: 1, cellsFailedHere: 0 });
    expect(o.lines[3]!.obj).toMatchObject({ status: 'completed', cellsCommitted: 600, cellsFailed: 3, cellsCommittedHere: 0 });
    expect(await o.sum('assay_runs_started_total', { kind: 'new' })).toBe(1);
    expect(await o.sum('assay_runs_started_total', { kind: 'continued' })).toBe(1);
    expect(await o.sum('assay_runs_finished_total', { status: 'completed' })).toBe(1);
  });
});
