// Reads a run's rows by scope position, lazily and in pages, from wherever the run's spec
// says they live (the experiment document, a dataset version, rows sent with the request,
// or the run parameters alone). Parameters are merged into every row.
import type { Row } from '../../core/model/experiment.js';
import type { RunSpec } from '../../core/model/run.js';
import { withParameters } from '../../core/engine/plan.js';
import type { Stores } from '../../core/ports.js';

/** Reads source rows [from, to). */
type RangeReader = (from: number, to: number) => Promise<Row[]>;

/** Largest gap between wanted indices that is still read as one range. */
const GAP = 64;

export function rangeReaderFor(runId: string, spec: RunSpec, stores: Pick<Stores, 'datasets' | 'runs'>, experimentRows: () => Promise<Row[]>): RangeReader {
  const source = spec.rows;
  switch (source.kind) {
    case 'experiment':
      return async (from, to) => (await experimentRows()).slice(from, to);
    case 'dataset':
      return (from, to) => stores.datasets.rows(source.datasetId, source.version, from, to - from);
    case 'inline':
      return (from, to) => stores.runs.inlineRows(runId, from, to);
    case 'parameters':
      return async (from, to) => (from === 0 && to > 0 ? [{}] : []);
  }
}

/** Rows at scope positions [from, to), with parameters merged. */
export function scopeReader(spec: RunSpec, read: RangeReader): (from: number, to: number) => Promise<Row[]> {
  return async (from, to) => {
    if (!spec.rowIndices) return (await read(from, to)).map((r) => withParameters(r, spec.parameters));
    const wanted = spec.rowIndices.slice(from, to);
    const unique = [...new Set(wanted)].sort((a, b) => a - b);
    const byIndex = new Map<number, Row>();
    // Nearby indices are read as one range; far-apart ones separately.
    for (let i = 0; i < unique.length; ) {
      let j = i;
      while (j + 1 < unique.length && unique[j + 1]! - unique[j]! <= GAP) j++;
      const start = unique[i]!;
      const rows = await read(start, unique[j]! + 1);
      for (let k = i; k <= j; k++) {
        const row = rows[unique[k]! - start];
        if (row) byIndex.set(unique[k]!, row);
      }
      i = j + 1;
    }
    return wanted.map((idx) => withParameters(byIndex.get(idx) ?? {}, spec.parameters));
  };
}
