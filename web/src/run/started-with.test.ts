import { describe, expect, it } from 'vitest';
import type { RunRequest } from './rerun-request.js';
import { startedWith } from './started-with.js';

const request = (over: Partial<RunRequest> = {}): RunRequest => ({
  experimentVersion: 3, rows: { kind: 'experiment' }, rowCount: 26, rowIndices: null, parameters: {}, targets: ['bot', 'baseline'], evaluators: ['exact'], repeats: 1, ...over,
});

describe('startedWith', () => {
  it("names the version, the rows, targets and evaluators of a plain run, and nothing it did not use", () => {
    expect(startedWith(request(), {})).toEqual([
      { label: 'Version', value: '3' },
      { label: 'Rows', value: "26 of the experiment's" },
      { label: 'Targets', value: 'bot, baseline' },
      { label: 'Evaluators', value: 'exact' },
    ]);
  });

  it('says which rows a selection, a dataset, inline data or parameters gave, and shows repeats, parameters and metadata', () => {
    const picked = startedWith(request({ rows: { kind: 'dataset', datasetId: 'ds_1', version: 2 }, rowCount: 10, rowIndices: 3, repeats: 5, parameters: { tone: 'dry', n: 2 }, evaluators: [] }), { commit: 'abc123', pr: 42 });
    // A run from before servers kept the dataset's name: its id, still linked.
    expect(picked).toContainEqual({ label: 'Rows', value: '3 of 10 of dataset ds_1 (version 2)', dataset: { before: '3 of 10 of dataset ', name: 'ds_1', after: ' (version 2)', id: 'ds_1', version: 2 } });
    expect(picked).toContainEqual({ label: 'Evaluators', value: 'none' });
    expect(picked).toContainEqual({ label: 'Repeats', value: '5' });
    expect(picked).toContainEqual({ label: 'Parameters', value: 'tone=dry, n=2' });
    expect(picked).toContainEqual({ label: 'Metadata', value: 'commit=abc123, pr=42' });
    expect(startedWith(request({ rows: { kind: 'inline' }, rowCount: 4 }), {})).toContainEqual({ label: 'Rows', value: '4 sent with the run' });
    expect(startedWith(request({ rows: { kind: 'parameters' }, rowCount: 1 }), {})).toContainEqual({ label: 'Rows', value: 'one, made of the parameters' });
  });

  it("names a saved dataset by its name as the run started, with its id, slug and version for the link", () => {
    const [, rows] = startedWith(request({ rows: { kind: 'dataset', datasetId: 'ds_1', version: 2, slug: 'capitals', name: 'Capital cities' }, rowCount: 10 }), {});
    expect(rows).toEqual({
      label: 'Rows', value: '10 of dataset Capital cities (version 2)',
      dataset: { before: '10 of dataset ', name: 'Capital cities', after: ' (version 2)', id: 'ds_1', slug: 'capitals', version: 2 },
    });
  });

  it('names targets and evaluators by their display names where known, by id otherwise', () => {
    const names = { target: (id: string) => (id === 'bot' ? 'FAQ bot' : undefined), evaluator: (id: string) => ({ exact: 'Exact answer' })[id] };
    const items = startedWith(request({ evaluators: ['exact', 'other'] }), {}, names);
    expect(items).toContainEqual({ label: 'Targets', value: 'FAQ bot, baseline' });
    expect(items).toContainEqual({ label: 'Evaluators', value: 'Exact answer, other' });
  });

  it('cuts long values', () => {
    const [metadata] = startedWith(request(), { note: 'x'.repeat(500) }).filter((i) => i.label === 'Metadata');
    expect(metadata!.value).toHaveLength('note='.length + 80);
    expect(metadata!.value.endsWith('…')).toBe(true);
  });
});
