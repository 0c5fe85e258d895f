// "Re-run failed rows" runs the rows that failed: by index only when the experiment's saved
// rows at those indices are those rows, else with their inputs sent as data.
import { describe, expect, it } from 'vitest';
import { rerunBlocked, rerunRequest } from './rerun-request.js';

const saved = [{ q: 'a', expected: 'a' }, { q: 'b', expected: 'b', tags: ['x', { y: 1 }] }, { q: 'c' }];

describe('rerunRequest', () => {
  it('sends row_indices when the saved rows at those indices are the failed inputs', () => {
    // Key order is not content.
    const failed = [{ index: 1, entry: { tags: ['x', { y: 1 }], expected: 'b', q: 'b' } }, { index: 2, entry: { q: 'c' } }];
    expect(rerunRequest(failed, saved)).toEqual({ row_indices: [1, 2] });
  });

  it('sends the inputs as data for a run whose rows were not the saved ones (inline data)', () => {
    const failed = [{ index: 0, entry: { q: 'inline 0' } }, { index: 2, entry: { q: 'inline 2', expected: 'x' } }];
    expect(rerunRequest(failed, saved)).toEqual({ data: [{ q: 'inline 0' }, { q: 'inline 2', expected: 'x' }] });
  });

  it('sends data when one row of several differs, or has a column more (run parameters merged in)', () => {
    expect(rerunRequest([{ index: 0, entry: saved[0] }, { index: 1, entry: { ...saved[1], model: 'm' } }], saved)).toEqual({ data: [saved[0], { ...saved[1], model: 'm' }] });
    expect(rerunRequest([{ index: 1, entry: { q: 'b', expected: 'b', tags: ['x', { y: 2 }] } }], saved)).toHaveProperty('data');
    expect(rerunRequest([{ index: 1, entry: { q: 'b', expected: 'b', tags: ['x'] } }], saved)).toHaveProperty('data');
  });

  it('sends data for indices past the saved rows, and when the experiment has none (a saved dataset)', () => {
    expect(rerunRequest([{ index: 7, entry: { q: 'h' } }], saved)).toEqual({ data: [{ q: 'h' }] });
    expect(rerunRequest([{ index: 0, entry: { q: 'a', expected: 'a' } }], undefined)).toEqual({ data: [{ q: 'a', expected: 'a' }] });
  });

  it('gives nothing while a failed row has no inputs yet', () => {
    expect(rerunRequest([{ index: 0, entry: saved[0] }, { index: 1 }], saved)).toBeNull();
  });
});

describe('rerunBlocked', () => {
  it('says why while inputs are missing, and nothing once all are known', () => {
    expect(rerunBlocked([{ index: 0, entry: {} }])).toBeUndefined();
    expect(rerunBlocked([{ index: 0, entry: {} }, { index: 1 }])).toMatch(/inputs of 1 failed row have not loaded/);
  });
});
