// The run service over in-memory stores: starting a run (404 before the body is read, the
// LangWatch-compatible refusals, totals from rows × targets × repeats), reading it only in its
// project, aborting and resuming by the rules, and paging a run's cells for exports.
import { describe, expect, it } from 'vitest';
import { isAssayError } from '../../core/errors.js';
import { experimentDocumentSchema } from '../../core/model/experiment.js';
import type { Project } from '../../core/model/records.js';
import type { WorkQueue } from '../../core/ports.js';
import { InProcessEventBus } from '../../queue/event-bus.js';
import { FakeClock } from '../../testing/fake-clock.js';
import { memoryStores } from '../../testing/memory-stores.js';
import { RunService } from './service.js';

const project: Project = { id: 'p1', slug: 'one', name: 'One', createdAt: 1 };
const other: Project = { id: 'p2', slug: 'two', name: 'Two', createdAt: 2 };

async function setup() {
  const clock = new FakeClock();
  const stores = memoryStores();
  const enqueued: string[] = [];
  const queue: WorkQueue = { enqueue: async (id) => void enqueued.push(id), start: () => {}, close: async () => {} };
  const aborted: string[] = [];
  const service = new RunService(stores, queue, clock, { publicUrl: () => 'http://assay.test', abortLocal: (id) => aborted.push(id), bus: new InProcessEventBus(), renderRequest: { prompt: async () => [], http: async () => ({ method: 'POST', url: '', headers: {}, unrendered: [] }) } });
  const doc = experimentDocumentSchema.parse({
    slug: 'exp', name: 'exp', dataset: { rows: [{ q: 1 }, { q: 2 }, { q: 3 }] },
    targets: [{ id: 'a', type: 'code', code: 'return 1' }, { id: 'b', type: 'code', code: 'return 2' }],
    execution: { repeats: 2 },
  });
  await stores.experiments.create({ id: 'e1', projectId: 'p1', slug: 'exp', name: 'exp', document: doc, at: clock.now() });
  return { clock, stores, service, enqueued, aborted };
}

/** The error code a promise rejects with. */
async function code(p: Promise<unknown>): Promise<string> {
  try {
    await p;
  } catch (error) {
    if (isAssayError(error)) return error.code;
    throw error;
  }
  throw new Error('it did not fail');
}

describe('RunService', () => {
  it('starts a run: total = rows × targets × repeats, the runUrl, enqueued, and the first event stored', async () => {
    const t = await setup();
    const { started } = await t.service.start(project, 'exp', async () => ({}));
    expect(started).toMatchObject({ status: 'running', total: 12, runUrl: `http://assay.test/one/experiments/exp?runId=${started.runId}` });
    expect(t.enqueued).toEqual([started.runId]);
    expect(await t.stores.runs.runEvents(started.runId, 0, 10)).toEqual([{ type: 'execution_started', runId: started.runId, total: 12, runUrl: started.runUrl, seq: 1 }]);
    // row_indices pick rows (out-of-range ones ignored, duplicates run twice).
    const picked = await t.service.start(project, 'exp', async () => ({ row_indices: [0, 0, 2, 9] }));
    expect(picked.started.total).toBe(3 * 2 * 2);
    // Zero rows with parameters: one row of parameters.
    const params = await t.service.start(project, 'exp', async () => ({ data: [], parameters: { lang: 'fr' } }));
    expect(params.started.total).toBe(4);
  });

  it('answers 404 for an unknown experiment before reading the body, and refuses bodies LangWatch refuses', async () => {
    const t = await setup();
    let read = false;
    expect(await code(t.service.start(project, 'nope', async () => ((read = true), {})))).toBe('experiment_not_found');
    expect(read).toBe(false);
    expect(await code(t.service.start(other, 'exp', async () => ({})))).toBe('experiment_not_found');
    const both = await t.service.start(project, 'exp', async () => ({ data: [{ q: 1 }], dataset_id: 'ds' })).catch((e: unknown) => e);
    expect(both).toMatchObject({ code: 'validation_error', compatText: 'Pass either inline data or a dataset_id, not both' });
    expect(await code(t.service.start(project, 'exp', async () => ({ row_indices: [-1] })))).toBe('validation_error');
    expect(await code(t.service.start(project, 'exp', async () => ({ dataset_id: 'ds_missing' })))).toBe('dataset_not_found');
    expect(t.enqueued).toEqual([]);
  });

  it('reads a run only in its project, and its cursor without the spec', async () => {
    const t = await setup();
    const { started } = await t.service.start(project, 'exp', async () => ({}));
    expect((await t.service.get(project, started.runId)).id).toBe(started.runId);
    expect(await code(t.service.get(other, started.runId))).toBe('run_not_found');
    expect(await t.service.cursor(project, started.runId)).toMatchObject({ status: 'running', total: 12, nextSeq: 2 });
    expect(await code(t.service.cursor(other, started.runId))).toBe('run_not_found');
  });

  it('aborts a running run (locally at once, and by flag for other processes); an ended run cannot be aborted or resumed without cause', async () => {
    const t = await setup();
    const { started } = await t.service.start(project, 'exp', async () => ({}));
    await t.service.abort(project, started.runId);
    expect(t.aborted).toEqual([started.runId]);
    expect((await t.stores.runs.cursor(started.runId))?.abortRequested).toBe(true);
    // Still running (the executor ends it): resuming is refused.
    expect(await code(t.service.resume(project, started.runId, false))).toBe('run_not_resumable');
    // Ended as stopped by its executor: abort is a conflict, resume continues it.
    await t.stores.runs.claim(started.runId, 'x', t.clock.now() + 1_000, t.clock.now());
    const summary = { runId: started.runId, totalCells: 0, completedCells: 0, failedCells: 0, duration: 0, timestamps: { startedAt: 0, finishedAt: 0 }, runUrl: '', totalPassed: 0, totalFailed: 0, passRate: 0, totalCost: 0, targetCost: 0, evaluatorCost: 0, targets: [], evaluators: [] };
    await t.stores.runs.finish(started.runId, 'x', { status: 'stopped', summary, error: null, errorMessage: null, stopReason: 'user', finishedAt: 5, event: { type: 'stopped', reason: 'user' } });
    expect(await code(t.service.abort(project, started.runId))).toBe('conflict');
    expect(await t.service.resume(project, started.runId, false)).toEqual({ runId: started.runId, status: 'running', total: 12, runUrl: started.runUrl });
    expect(t.enqueued).toEqual([started.runId, started.runId]);
  });
});
