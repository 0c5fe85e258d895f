// "Started with": what the run was asked to run (the poll body's `request`) and the labels it
// carries (`metadata`), as short phrases for the run's header. A run started from CI carries
// its commit and branch there; a re-run of failed rows says which rows it took.
import type { RunRequest } from './rerun-request.js';

export interface StartedWithItem {
  label: string;
  value: string;
  /**
   * The saved dataset `value` names, as `before` + `name` + `after` (= value), for the page to
   * link the name to that version of the dataset. By id: a slug may have been taken by another
   * dataset since the run.
   */
  dataset?: { before: string; name: string; after: string; id: string; slug?: string; version: number };
}

const MAX_VALUE = 80;

function short(text: string): string {
  return text.length > MAX_VALUE ? `${text.slice(0, MAX_VALUE - 1)}…` : text;
}

/** `key=value` pairs, values as text (strings as they are, the rest as JSON), each cut to MAX_VALUE. */
function pairs(record: Record<string, unknown>): string {
  return Object.entries(record)
    .map(([k, v]) => `${k}=${short(typeof v === 'string' ? v : JSON.stringify(v))}`)
    .join(', ');
}

function rowsItem(r: RunRequest): StartedWithItem {
  const taken = r.rowIndices === null ? `${r.rowCount}` : `${r.rowIndices} of ${r.rowCount}`;
  const item = (value: string): StartedWithItem => ({ label: 'Rows', value });
  switch (r.rows.kind) {
    case 'experiment':
      return item(`${taken} of the experiment's`);
    case 'dataset': {
      // Its name as the run started (runs from before servers kept it have only the id).
      const { datasetId, version, slug } = r.rows;
      const name = r.rows.name ?? datasetId;
      const before = `${taken} of dataset `;
      const after = ` (version ${version})`;
      return { label: 'Rows', value: `${before}${name}${after}`, dataset: { before, name, after, id: datasetId, version, ...(slug === undefined ? {} : { slug }) } };
    }
    case 'inline':
      return item(`${taken} sent with the run`);
    case 'parameters':
      return item('one, made of the parameters');
  }
}

/** Display names by id, where the page knows them (the results' targets, the summary's evaluators). */
export interface Names {
  target?(id: string): string | undefined;
  evaluator?(id: string): string | undefined;
}

/** The header's "Started with" items, in reading order; empty parts are left out. */
export function startedWith(r: RunRequest, metadata: Record<string, unknown>, names: Names = {}): StartedWithItem[] {
  const targets = r.targets.map((id) => names.target?.(id) ?? id);
  const evaluators = r.evaluators.map((id) => names.evaluator?.(id) ?? id);
  const items: StartedWithItem[] = [
    { label: 'Version', value: `${r.experimentVersion}` },
    rowsItem(r),
    { label: 'Targets', value: short(targets.join(', ')) },
    { label: 'Evaluators', value: evaluators.length > 0 ? short(evaluators.join(', ')) : 'none' },
  ];
  if (r.repeats > 1) items.push({ label: 'Repeats', value: `${r.repeats}` });
  if (Object.keys(r.parameters).length > 0) items.push({ label: 'Parameters', value: pairs(r.parameters) });
  if (Object.keys(metadata).length > 0) items.push({ label: 'Metadata', value: pairs(metadata) });
  return items;
}
