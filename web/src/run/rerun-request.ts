// What "Re-run failed rows" sends: a new run of what this run ran (its targets, evaluators,
// repeats and parameters, from the poll body's `request`) over only the rows that failed.
// Which rows those are depends on where the run's rows came from:
// - a saved dataset named by the run (`dataset_id`): the same indices of that dataset (its
//   rows are append-only, so an index names the same row in every later version);
// - the experiment's own rows: their indices when the experiment's saved rows there are still
//   the failed inputs (the rows may have been edited since), else the inputs themselves;
// - inline `data` or parameters alone: the failed rows' inputs as `data`.
// Sent by index, the new run keeps the rows' indices and pairs with this one in comparisons.
// Targets and evaluators removed from the experiment since are left out; a dataset deleted since
// makes the page send the inputs instead (run-actions.ts).
import type { RunStatusBody, StartRunBody } from '../api-types.js';

export type Row = Record<string, unknown>;
export type RunRequest = NonNullable<RunStatusBody['request']>;

/** A row to run again: its index in the run and its inputs as evaluated (unknown until a results page brought them). */
export interface FailedRow {
  index: number;
  entry?: Row | undefined;
}

/** Equal as JSON values (key order aside): rows come from JSON on both sides. */
function sameJson(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  if (Array.isArray(a) || Array.isArray(b)) {
    return Array.isArray(a) && Array.isArray(b) && a.length === b.length && a.every((v, i) => sameJson(v, b[i]));
  }
  const x = a as Row;
  const y = b as Row;
  const keys = Object.keys(x);
  return keys.length === Object.keys(y).length && keys.every((k) => Object.hasOwn(y, k) && sameJson(x[k], y[k]));
}

/** What the experiment holds now: its inline rows, and the target and evaluator ids it still has. */
export interface ExperimentNow {
  rows?: readonly Row[] | undefined;
  targetIds: readonly string[];
  evaluatorIds: readonly string[];
}

/**
 * The start body that runs `failed` again as `request` ran them, within what the experiment
 * holds now: targets and evaluators it no longer has are left out (the server would refuse
 * the whole run for one unknown id). `asData` sends the inputs whatever the source (when the
 * run's dataset is gone). Null while the inputs of any failed row are unknown, or when none of
 * the run's targets is left; `rerunBlocked` says why.
 */
export function rerunRequest(failed: readonly FailedRow[], request: RunRequest, now: ExperimentNow, asData = false): StartRunBody | null {
  const entries: Row[] = [];
  for (const row of failed) {
    if (!row.entry) return null;
    entries.push(row.entry);
  }
  const targets = request.targets.filter((id) => now.targetIds.includes(id));
  if (targets.length === 0) return null;
  const hasParameters = Object.keys(request.parameters).length > 0;
  const same: StartRunBody = {
    targets, evaluators: request.evaluators.filter((id) => now.evaluatorIds.includes(id)), repeats: request.repeats,
    ...(hasParameters ? { parameters: request.parameters } : {}),
  };
  const indices = failed.map((r) => r.index);
  if (!asData && request.rows.kind === 'dataset') return { dataset_id: request.rows.datasetId, row_indices: indices, ...same };
  if (!asData && request.rows.kind === 'experiment') {
    // A row as evaluated is the saved row with the run's parameters over it.
    const saved = now.rows;
    const unchanged = failed.every((row) => saved?.[row.index] !== undefined && sameJson(row.entry, { ...saved[row.index], ...request.parameters }));
    if (unchanged) return { row_indices: indices, ...same };
  }
  // The inputs already hold the parameters; sending them again changes nothing.
  return { data: entries, ...same };
}

/** Why the re-run is off, or undefined when it is on: it needs every failed row's inputs. */
export function rerunBlocked(failed: readonly FailedRow[]): string | undefined {
  const unknown = failed.filter((r) => !r.entry).length;
  if (unknown === 0) return undefined;
  return `The inputs of ${unknown} failed ${unknown === 1 ? 'row' : 'rows'} have not loaded yet, so the page cannot tell what to run again`;
}
