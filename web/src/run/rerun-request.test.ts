// "Re-run failed rows" runs the rows that failed, as the run ran them: by index when the source
// still holds those rows at those indices, else with their inputs sent as data; always with the
// run's own targets, evaluators, repeats and parameters.
import { describe, expect, it } from 'vitest';
import { rerunBlocked, rerunRequest, type RunRequest } from './rerun-request.js';

const saved = [{ q: 'a', expected: 'a' }, { q: 'b', expected: 'b', tags: ['x', { y: 1 }] }, { q: 'c' }];

function ran(over: Partial<RunRequest> = {}): RunRequest {
  return { experimentVersion: 3, rows: { kind: 'experiment' }, rowCount: 3, rowIndices: null, parameters: {}, targets: ['bot'], evaluators: ['exact'], repeats: 1, ...over };
}
const same = { targets: ['bot'], evaluators: ['exact'], repeats: 1 };
/** The experiment now: its inline rows, targets and evaluators. */
const now = (rows?: Record<string, unknown>[]) => ({ rows, targetIds: ['bot', 'b'], evaluatorIds: ['exact'] });

describe('rerunRequest', () => {
  it("sends row_indices when the experiment's saved rows at those indices are the failed inputs", () => {
    // Key order is not content.
    const failed = [{ index: 1, entry: { tags: ['x', { y: 1 }], expected: 'b', q: 'b' } }, { index: 2, entry: { q: 'c' } }];
    expect(rerunRequest(failed, ran(), now(saved))).toEqual({ row_indices: [1, 2], ...same });
  });

  it("repeats what the run ran: a subset of targets, no evaluators, repeats, parameters (merged into the saved rows' inputs)", () => {
    const request = ran({ targets: ['b'], evaluators: [], repeats: 3, parameters: { tone: 'dry' } });
    const failed = [{ index: 0, entry: { q: 'a', expected: 'a', tone: 'dry' } }];
    expect(rerunRequest(failed, request, now(saved))).toEqual({ row_indices: [0], targets: ['b'], evaluators: [], repeats: 3, parameters: { tone: 'dry' } });
  });

  it('sends the inputs as data for a run of inline data, whatever the saved rows hold', () => {
    const failed = [{ index: 0, entry: { q: 'a', expected: 'a' } }, { index: 2, entry: { q: 'inline 2', expected: 'x' } }];
    expect(rerunRequest(failed, ran({ rows: { kind: 'inline' } }), now(saved))).toEqual({ data: [{ q: 'a', expected: 'a' }, { q: 'inline 2', expected: 'x' }], ...same });
    expect(rerunRequest([{ index: 0, entry: { p: 1 } }], ran({ rows: { kind: 'parameters' }, parameters: { p: 1 } }), now())).toEqual({ data: [{ p: 1 }], ...same, parameters: { p: 1 } });
  });

  it('sends dataset_id with the indices for a run of a saved dataset (its rows are append-only)', () => {
    const failed = [{ index: 4, entry: { q: 'e' } }, { index: 9, entry: { q: 'j' } }];
    expect(rerunRequest(failed, ran({ rows: { kind: 'dataset', datasetId: 'ds_1', version: 2 } }), now())).toEqual({ dataset_id: 'ds_1', row_indices: [4, 9], ...same });
    // The dataset deleted since: the inputs instead.
    expect(rerunRequest(failed, ran({ rows: { kind: 'dataset', datasetId: 'ds_1', version: 2 } }), now(), true)).toEqual({ data: [{ q: 'e' }, { q: 'j' }], ...same });
  });

  it("sends data when the experiment's saved rows changed since, or have none at an index", () => {
    expect(rerunRequest([{ index: 0, entry: saved[0] }, { index: 1, entry: { ...saved[1], model: 'm' } }], ran(), now(saved))).toEqual({ data: [saved[0], { ...saved[1], model: 'm' }], ...same });
    expect(rerunRequest([{ index: 1, entry: { q: 'b', expected: 'b', tags: ['x', { y: 2 }] } }], ran(), now(saved))).toHaveProperty('data');
    expect(rerunRequest([{ index: 7, entry: { q: 'h' } }], ran(), now(saved))).toEqual({ data: [{ q: 'h' }], ...same });
    // An experiment over a saved dataset has no inline rows to compare with.
    expect(rerunRequest([{ index: 0, entry: { q: 'a', expected: 'a' } }], ran(), now())).toEqual({ data: [{ q: 'a', expected: 'a' }], ...same });
  });

  it('leaves out targets and evaluators the experiment no longer has, and gives nothing when no target is left', () => {
    const request = ran({ targets: ['bot', 'gone'], evaluators: ['exact', 'removed'] });
    expect(rerunRequest([{ index: 0, entry: saved[0] }], request, now(saved))).toEqual({ row_indices: [0], ...same });
    expect(rerunRequest([{ index: 0, entry: saved[0] }], ran({ targets: ['gone'] }), now(saved))).toBeNull();
  });

  it('gives nothing while a failed row has no inputs yet', () => {
    expect(rerunRequest([{ index: 0, entry: saved[0] }, { index: 1 }], ran(), now(saved))).toBeNull();
  });
});

describe('rerunBlocked', () => {
  it('says why while inputs are missing, and nothing once all are known', () => {
    expect(rerunBlocked([{ index: 0, entry: {} }])).toBeUndefined();
    expect(rerunBlocked([{ index: 0, entry: {} }, { index: 1 }])).toMatch(/inputs of 1 failed row have not loaded/);
  });
});
