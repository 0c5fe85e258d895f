// Reading the inputs of running rows from the run's row source: the experiment at the run's
// version, a dataset version, or the parameters alone, with the parameters merged in; rows sent
// with the request are read from the run's own rows.
import { describe, expect, it } from 'vitest';
import type { DatasetRowsBody, ExperimentBody, RunRowsPage, RunStatusBody } from '../api-types.js';
import type { Api } from '../api.js';
import { RunModel } from './run-model.js';
import { rowReader } from './row-entries.js';

type Request = NonNullable<RunStatusBody['request']>;
const request = (rows: Request['rows'], parameters: Request['parameters'] = {}): Request => ({
  experimentVersion: 3, rows, rowCount: 5, rowIndices: null, parameters, targets: ['t'], evaluators: [], repeats: 1,
});

const ROWS = Array.from({ length: 5 }, (_, i) => ({ q: `q${i}`, lang: 'en' }));

function fakeApi() {
  const calls: string[] = [];
  const api = {
    experiment: async (slug: string, version?: number) => {
      calls.push(`experiment ${slug}@${version}`);
      return { id: 'e', slug, name: slug, version: version ?? 9, createdAt: 0, updatedAt: 0, document: { targets: [], dataset: { rows: ROWS } } } satisfies ExperimentBody;
    },
    // The run's own rows (sent as `data`), merged by the server already; at most two a page here.
    runRows: async (runId: string, offset: number, limit: number) => {
      calls.push(`run ${runId} ${offset}+${limit}`);
      const rows = ROWS.map((entry, index) => ({ index, entry })).slice(offset, offset + Math.min(limit, 2));
      const next = offset + rows.length;
      return { runId, offset, limit, rows, nextOffset: next < ROWS.length ? next : null } satisfies RunRowsPage;
    },
    datasetRows: async (id: string, version: number, offset: number, limit: number) => {
      calls.push(`dataset ${id}@${version} ${offset}+${limit}`);
      return { id, version, rowCount: ROWS.length, offset, limit, nextOffset: null, rows: ROWS.slice(offset, offset + limit) } satisfies DatasetRowsBody;
    },
  };
  return { api: api as unknown as Api, calls };
}

describe('rowReader', () => {
  it("reads the experiment's rows at the run's version, parameters winning", async () => {
    const { api, calls } = fakeApi();
    const read = rowReader(request({ kind: 'experiment' }, { lang: 'fr' }), 'faq', api, 'run_1')!;
    expect(await read([1, 3, 9])).toEqual(new Map([[1, { q: 'q1', lang: 'fr' }], [3, { q: 'q3', lang: 'fr' }]]));
    await read([4]);
    expect(calls).toEqual(['experiment faq@3']);
  });

  it("reads a dataset's version, only the rows around those asked", async () => {
    const { api, calls } = fakeApi();
    const read = rowReader(request({ kind: 'dataset', datasetId: 'ds_1', version: 2 }), 'faq', api, 'run_1')!;
    expect([...(await read([3, 1])).entries()]).toEqual([[1, ROWS[1]], [3, ROWS[3]]]);
    expect(calls).toEqual(['dataset ds_1@2 1+3']);
  });

  it('makes the one row of a run without rows from its parameters', async () => {
    const read = rowReader(request({ kind: 'parameters' }, { topic: 'tides' }), 'faq', fakeApi().api, 'run_1')!;
    expect(await read([0])).toEqual(new Map([[0, { topic: 'tides' }]]));
  });

  it("reads rows sent with the run request from the run's own rows, following pages cut short", async () => {
    const { api, calls } = fakeApi();
    const read = rowReader(request({ kind: 'inline' }, { lang: 'fr' }), 'faq', api, 'run_1')!;
    // The server merged the parameters already: the entries are taken as they come.
    expect(await read([4, 0, 2, 3])).toEqual(new Map([[0, ROWS[0]], [2, ROWS[2]], [3, ROWS[3]], [4, ROWS[4]]]));
    expect(calls).toEqual(['run run_1 0+5', 'run run_1 2+3', 'run run_1 4+1']);
  });

  it('cannot read the rows of an experiment it cannot name', () => {
    expect(rowReader(request({ kind: 'experiment' }), undefined, fakeApi().api, 'run_1')).toBeNull();
  });
});

describe('RunModel.fillEntries', () => {
  it('fills the inputs of rows that have none, and keeps those a results page brought', () => {
    const m = new RunModel();
    m.applyEvent({ seq: 1, type: 'cell_started', rowIndex: 0, targetId: 't', repeat: 0 } as never);
    m.applyEvent({ seq: 2, type: 'cell_started', rowIndex: 1, targetId: 't', repeat: 0 } as never);
    m.mergeResults([{ index: 1, targetId: 't', repeat: 0, entry: { q: 'from results' }, predicted: { output: 'x' }, cost: null, duration: 1, tokens: null, attempts: 1, cached: false, error: null }], []);
    expect(m.rowsWithoutEntry()).toEqual([0]);
    expect(m.fillEntries(new Map([[0, { q: 'q0' }], [1, { q: 'other' }], [7, { q: 'no such row' }]]))).toBe(true);
    expect(m.rows.get(0)!.entry).toEqual({ q: 'q0' });
    expect(m.rows.get(1)!.entry).toEqual({ q: 'from results' });
    expect(m.rows.has(7)).toBe(false);
    expect(m.columns).toEqual(['q']);
    expect(m.fillEntries(new Map([[0, { q: 'again' }]]))).toBe(false);
  });
});
