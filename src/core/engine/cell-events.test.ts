import { describe, expect, it } from 'vitest';
import { runEventSchema } from '../events.js';
import type { CellResult } from '../model/run.js';
import { cellEventCount, cellEvents } from './cell-events.js';

const base: CellResult = {
  cell: 4, rowIndex: 2, targetId: 'gpt', repeat: 1, entry: { q: 'x' },
  ok: true, output: 'answer', cost: 0.01, tokens: { input: 3, output: 4 }, durationMs: 120, attempts: 3, cached: false,
  retries: [
    { attempt: 1, delayMs: 50, reason: 'HTTP 503' },
    { attempt: 2, delayMs: 100, reason: 'HTTP 429' },
  ],
  evaluations: [
    { evaluatorId: 'exact', name: 'Exact', result: { status: 'processed', passed: true, score: 1 }, durationMs: 2 },
    { evaluatorId: 'judge', name: 'Judge', result: { status: 'error', details: 'timed out' }, durationMs: 500 },
  ],
  firstSeq: 40, eventCount: 7, completedOrder: 11, progress: 9,
};

describe('cellEvents', () => {
  it('emits cell_started, retrying per retry, target_result, evaluator_result per evaluator, then progress', () => {
    const events = cellEvents(base, 12);
    expect(events.map((e) => e.type)).toEqual(['cell_started', 'retrying', 'retrying', 'target_result', 'evaluator_result', 'evaluator_result', 'progress']);
    expect(events.map((e) => e.seq)).toEqual([40, 41, 42, 43, 44, 45, 46]);
    expect(events).toHaveLength(cellEventCount(base));
    for (const e of events) expect(runEventSchema.safeParse(e).success).toBe(true);
  });

  it('carries the cell key, the retry notes, the target result and the progress', () => {
    const [started, retry1, , target, exact, judge, progress] = cellEvents(base, 12);
    expect(started).toEqual({ type: 'cell_started', rowIndex: 2, targetId: 'gpt', repeat: 1, seq: 40 });
    expect(retry1).toEqual({ type: 'retrying', rowIndex: 2, targetId: 'gpt', repeat: 1, attempt: 1, delayMs: 50, reason: 'HTTP 503', seq: 41 });
    expect(target).toEqual({ type: 'target_result', rowIndex: 2, targetId: 'gpt', repeat: 1, output: 'answer', cost: 0.01, tokens: { input: 3, output: 4 }, duration: 120, attempts: 3, seq: 43 });
    expect(exact).toMatchObject({ type: 'evaluator_result', evaluatorId: 'exact', result: { status: 'processed', passed: true, score: 1 }, duration: 2, repeat: 1 });
    expect(judge).toMatchObject({ evaluatorId: 'judge', result: { status: 'error', details: 'timed out' } });
    // `completed` is the cell's progress (cells committed once it was), not its commit order.
    expect(progress).toEqual({ type: 'progress', completed: 9, total: 12, seq: 46 });
  });

  it('reports a failed target with its error and no output, and a cached one as cached', () => {
    const failed: CellResult = { ...base, ok: false, error: 'HTTP 400', retries: [], evaluations: [], eventCount: 3 };
    const events = cellEvents(failed, 1);
    expect(events.map((e) => [e.type, e.seq])).toEqual([['cell_started', 40], ['target_result', 41], ['progress', 42]]);
    expect(events[1]).toMatchObject({ error: 'HTTP 400', attempts: 3 });
    expect(events[1]).not.toHaveProperty('output');
    expect(events[1]).not.toHaveProperty('cached');
    expect(events).toHaveLength(cellEventCount(failed));

    const cached = cellEvents({ ...base, cached: true, retries: [], evaluations: [] }, 1);
    expect(cached[1]).toMatchObject({ type: 'target_result', cached: true });
  });

  it('numbers consecutive cells without gaps or overlaps when each starts where the last ended', () => {
    let seq = 1;
    const all = [base, { ...base, retries: [], evaluations: [] }, { ...base, retries: [base.retries[0]!] }].flatMap((c) => {
      const events = cellEvents({ ...c, firstSeq: seq }, 3);
      seq += cellEventCount(c);
      return events;
    });
    expect(all.map((e) => e.seq)).toEqual(Array.from({ length: all.length }, (_, i) => i + 1));
  });
});
