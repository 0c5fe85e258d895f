// The toolbar's count of rows the grid does not list yet.
import { describe, expect, it } from 'vitest';
import type { RunStatusBody } from '../api-types.js';
import { rowsInRun, rowsLeftText } from './rows-left.js';

type Request = NonNullable<RunStatusBody['request']>;
const request = (targets: number, repeats: number): Request => ({
  experimentVersion: 1, rows: { kind: 'experiment' }, rowCount: 10, rowIndices: null, parameters: {},
  targets: Array.from({ length: targets }, (_, i) => `t${i}`), evaluators: [], repeats,
});

describe('rows not listed yet', () => {
  it('counts the rows of a run from its cells, targets and repeats', () => {
    expect(rowsInRun({ status: 'running', total: 24, request: request(2, 3) })).toBe(4);
    expect(rowsInRun({ status: 'running', total: 24, request: undefined })).toBeUndefined();
    // A total that is not whole rows (a server that counts otherwise) says nothing rather than a wrong count.
    expect(rowsInRun({ status: 'running', total: 25, request: request(2, 3) })).toBeUndefined();
  });

  it('says how many rows have not started while the run goes, and how many never ran once it stopped', () => {
    expect(rowsLeftText({ status: 'running', total: 4, request: request(1, 1) }, 1)).toBe('3 rows not started yet');
    expect(rowsLeftText({ status: 'running', total: 8, request: request(2, 1) }, 3)).toBe('1 row not started yet');
    expect(rowsLeftText({ status: 'stopped', total: 4, request: request(1, 1) }, 2)).toBe('2 rows not run');
    expect(rowsLeftText({ status: 'failed', total: 2_000, request: request(1, 1) }, 0)).toBe('2,000 rows not run');
  });

  it('says nothing once every row is listed, or when the run completed', () => {
    expect(rowsLeftText({ status: 'running', total: 4, request: request(1, 1) }, 4)).toBeUndefined();
    expect(rowsLeftText({ status: 'completed', total: 4, request: request(1, 1) }, 1)).toBeUndefined();
    expect(rowsLeftText({ status: undefined, total: 4, request: request(1, 1) }, 1)).toBeUndefined();
  });
});
