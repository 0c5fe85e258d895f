// The inputs of rows whose cells are still running. Events carry no row (SPEC §6) and a results
// page holds only committed cells, so such rows showed "…" although the run read their inputs
// before calling the target. The page reads them where the run did (the poll body's
// `request.rows`): the experiment's document at the run's version, or the saved dataset's
// version, with the run's parameters merged by the engine's own withParameters. Rows sent with
// the run request (`data`) live only with the run: those come from GET …/runs/{runId}/rows,
// merged already.
import { withParameters } from '../../../src/core/engine/plan.js';
import type { RunStatusBody } from '../api-types.js';
import type { Api } from '../api.js';

type Row = Record<string, unknown>;
type RunRequest = NonNullable<RunStatusBody['request']>;

/** Rows by index, for the indexes asked; an index the source does not hold is left out. */
export type RowReader = (indexes: number[]) => Promise<Map<number, Row>>;

/** Most rows one dataset request reads (the server's page limit). */
const DATASET_PAGE = 1000;
/** Largest gap between wanted indexes still read as one request. */
const GAP = 64;

/**
 * How to read the run's rows, or null when they cannot be read (an experiment the page could
 * not name).
 */
export function rowReader(request: RunRequest, experimentSlug: string | undefined, api: Api, runId: string): RowReader | null {
  const merged = (row: Row) => withParameters(row, request.parameters);
  const source = request.rows;
  switch (source.kind) {
    case 'parameters':
      // One row made of the parameters alone.
      return async (indexes) => new Map(indexes.filter((i) => i === 0).map((i) => [i, merged({})]));
    case 'experiment': {
      if (experimentSlug === undefined) return null;
      let rows: Promise<Row[]> | undefined;
      return async (indexes) => {
        rows ??= api.experiment(experimentSlug, request.experimentVersion).then((e) => e.document.dataset?.rows ?? []);
        // A failed read is tried again next time rather than kept.
        const all = await rows.catch((error: unknown) => {
          rows = undefined;
          throw error;
        });
        return new Map(indexes.filter((i) => all[i] !== undefined).map((i) => [i, merged(all[i]!)]));
      };
    }
    case 'dataset':
      return async (indexes) => {
        const wanted = new Set(indexes);
        const out = new Map<number, Row>();
        for (const [from, last] of ranges(indexes)) {
          const page = await api.datasetRows(source.datasetId, source.version, from, Math.min(DATASET_PAGE, last - from + 1));
          page.rows.forEach((row, i) => {
            if (wanted.has(page.offset + i)) out.set(page.offset + i, merged(row));
          });
        }
        return out;
      };
    case 'inline':
      return async (indexes) => {
        const wanted = new Set(indexes);
        const out = new Map<number, Row>();
        for (const [from, last] of ranges(indexes)) {
          // A page of large rows ends early (4 MB): go on from its nextOffset to the range's end.
          for (let at: number | null = from; at !== null && at <= last; ) {
            const page = await api.runRows(runId, at, last - at + 1);
            for (const { index, entry } of page.rows) if (wanted.has(index)) out.set(index, entry);
            // Never the same page again, whatever a server answers.
            at = page.nextOffset !== null && page.nextOffset > at ? page.nextOffset : null;
          }
        }
        return out;
      };
  }
}

/** Sorted unique indexes in ranges [first, last] of at most DATASET_PAGE rows, neighbours at most GAP apart joined. */
function ranges(indexes: number[]): [number, number][] {
  const sorted = [...new Set(indexes)].sort((a, b) => a - b);
  const out: [number, number][] = [];
  for (const i of sorted) {
    const last = out[out.length - 1];
    if (last && i - last[1] <= GAP && i - last[0] < DATASET_PAGE) last[1] = i;
    else out.push([i, i]);
  }
  return out;
}
