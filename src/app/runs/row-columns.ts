// The columns of a run's rows, for what names one (`entry.<column>` in a CSV export's columns):
// `--columns index,entry.questoin` exported an empty column without a word (user walkthrough,
// 2026-12-06). They are known without reading a saved dataset's rows: its version lists them
// (a dataset may have a million rows). An experiment's inline rows are in its document, read
// whole anyway; rows sent with the run request (`data`) are read a page at a time only until
// every name asked for is found, so all of them only for a name that is not there (they were one
// request body: ASSAY_MAX_BODY_BYTES bounds them). The run's parameters are columns of every row.
import { countWithin, PAGE_BYTES } from '../../core/model/paging.js';
import type { RunRecord } from '../../core/model/run.js';
import type { Stores } from '../../core/ports.js';
import { yieldIfBusy } from '../../core/turns.js';

/** Rows a page of `data` rows holds at most (and fewer past PAGE_BYTES of stored text). */
const PAGE_ROWS = 1000;

/**
 * A set holding every name of `wanted` that is a column of the run's rows, and all their
 * columns when one of `wanted` is not; null when they cannot be known (a dataset version the
 * store no longer has), so nothing is refused.
 */
export async function runRowColumns(stores: Pick<Stores, 'datasets' | 'runs' | 'experiments'>, run: RunRecord, wanted: readonly string[]): Promise<Set<string> | null> {
  const spec = run.spec;
  const columns = new Set(Object.keys(spec.parameters));
  const source = spec.rows;
  switch (source.kind) {
    case 'parameters':
      return columns;
    case 'dataset': {
      // By the dataset's id: a deleted dataset's versions stay, as its rows do, for its runs.
      const version = (await stores.datasets.versions(source.datasetId)).find((v) => v.version === source.version);
      if (!version) return null;
      for (const c of version.columns) columns.add(c);
      return columns;
    }
    case 'experiment': {
      const experiment = await stores.experiments.getById(run.projectId, spec.experimentId, spec.experimentVersion);
      const dataset = experiment?.document.dataset;
      if (!dataset || !('rows' in dataset)) return null;
      for (const row of dataset.rows) for (const key of Object.keys(row)) columns.add(key);
      return columns;
    }
    case 'inline': {
      const left = new Set(wanted.filter((w) => !columns.has(w)));
      for (let from = 0; from < spec.sourceRowCount && left.size > 0; ) {
        await yieldIfBusy();
        const sizes = await stores.runs.inlineRowSizes(run.id, from, Math.min(from + PAGE_ROWS, spec.sourceRowCount));
        if (sizes.length === 0) break;
        const to = from + countWithin(sizes, PAGE_BYTES);
        for (const row of await stores.runs.inlineRows(run.id, from, to)) {
          for (const key of Object.keys(row)) {
            columns.add(key);
            left.delete(key);
          }
        }
        from = to;
      }
      return columns;
    }
  }
}
