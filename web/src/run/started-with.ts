// "Started with": what the run was asked to run (the poll body's `request`) and the labels it
// carries (`metadata`), as short phrases for the run's header. A run started from CI carries
// its commit and branch there; a re-run of failed rows says which rows it took.
import type { RunRequest } from './rerun-request.js';

export interface StartedWithItem {
  label: string;
  value: string;
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

function rowsPhrase(r: RunRequest): string {
  const taken = r.rowIndices === null ? `${r.rowCount}` : `${r.rowIndices} of ${r.rowCount}`;
  switch (r.rows.kind) {
    case 'experiment':
      return `${taken} of the experiment's`;
    case 'dataset':
      return `${taken} of dataset ${r.rows.datasetId} (version ${r.rows.version})`;
    case 'inline':
      return `${taken} sent with the run`;
    case 'parameters':
      return 'one, made of the parameters';
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
    { label: 'Rows', value: rowsPhrase(r) },
    { label: 'Targets', value: short(targets.join(', ')) },
    { label: 'Evaluators', value: evaluators.length > 0 ? short(evaluators.join(', ')) : 'none' },
  ];
  if (r.repeats > 1) items.push({ label: 'Repeats', value: `${r.repeats}` });
  if (Object.keys(r.parameters).length > 0) items.push({ label: 'Parameters', value: pairs(r.parameters) });
  if (Object.keys(metadata).length > 0) items.push({ label: 'Metadata', value: pairs(metadata) });
  return items;
}
