// A run's spec from its experiment and request (SPEC §5): where its rows come from and how many,
// which targets and evaluators, and the execution settings with the request's overrides. Read
// once at the start; the spec is stored with the run and never read from the experiment again.
import { AssayError, type Issue, ValidationError } from '../../core/errors.js';
import { inRangeIndices } from '../../core/engine/plan.js';
import type { ExperimentRecord, Project } from '../../core/model/records.js';
import type { RunRequest, RunSpec } from '../../core/model/run.js';
import type { Stores } from '../../core/ports.js';

/** The spec's `maxErrors` (absent rather than undefined: specs are stored as JSON and compared). */
const maxErrorsOf = (maxErrors: number | undefined): { maxErrors?: number } => (maxErrors === undefined ? {} : { maxErrors });

export async function buildRunSpec(datasets: Stores['datasets'], project: Project, experiment: ExperimentRecord, request: RunRequest, runUrl: string): Promise<RunSpec> {
  const doc = experiment.document;
  const parameters = request.parameters ?? {};
  let rows: RunSpec['rows'];
  let count: number;
  if (request.data) {
    rows = { kind: 'inline' };
    count = request.data.length;
  } else if (request.dataset_id) {
    const ds = await datasets.get(project.id, request.dataset_id);
    if (!ds) {
      throw new AssayError('dataset_not_found', `Dataset "${request.dataset_id}" not found`, { compatText: `Dataset "${request.dataset_id}" not found`, meta: { id: request.dataset_id } });
    }
    rows = { kind: 'dataset', datasetId: ds.id, version: ds.version, rowCount: ds.rowCount, slug: ds.slug, name: ds.name };
    count = ds.rowCount;
  } else if ('datasetId' in doc.dataset) {
    const ds = await datasets.get(project.id, doc.dataset.datasetId, doc.dataset.version);
    if (!ds) throw new AssayError('dataset_not_found', `The experiment's dataset "${doc.dataset.datasetId}" no longer exists`, { compatText: 'Dataset not found' });
    rows = { kind: 'dataset', datasetId: ds.id, version: ds.version, rowCount: ds.rowCount, slug: ds.slug, name: ds.name };
    count = ds.rowCount;
  } else {
    rows = { kind: 'experiment', experimentId: experiment.id, version: experiment.version };
    count = doc.dataset.rows.length;
  }
  if (count === 0 && Object.keys(parameters).length > 0) {
    rows = { kind: 'parameters' };
    count = 1;
  }
  if (count === 0) {
    // Said of what was sent: `"data": []` is not an empty saved dataset.
    if (request.data) throw new ValidationError('There are no rows to run: data is an empty list; send at least one row, or leave data out to run the experiment\'s dataset', [{ path: ['data'], message: 'no rows' }]);
    const which = request.dataset_id ? `dataset "${request.dataset_id}" is empty` : "the experiment's dataset is empty";
    throw new ValidationError(`There are no rows to run: ${which}; send data, dataset_id or parameters`, [{ path: [request.dataset_id ? 'dataset_id' : 'data'], message: 'no rows' }]);
  }

  const issues: Issue[] = [];
  const knownTargets = doc.targets.map((t) => t.id);
  const targetIds = request.targets ?? knownTargets;
  targetIds.forEach((id, i) => {
    if (!knownTargets.includes(id)) issues.push({ path: ['targets', i], message: `unknown target "${id}"; the experiment has ${knownTargets.join(', ')}` });
  });
  const knownEvaluators = doc.evaluators.map((e) => e.id);
  const evaluatorIds = request.evaluators ?? knownEvaluators;
  evaluatorIds.forEach((id, i) => {
    if (!knownEvaluators.includes(id)) issues.push({ path: ['evaluators', i], message: `unknown evaluator "${id}"` });
  });
  if (issues.length > 0) throw new ValidationError(`Invalid run request: ${issues[0]!.message}`, issues);
  const rowIndices = request.row_indices ? inRangeIndices(request.row_indices, count) : null;
  // Out-of-range indices are dropped, as LangWatch does; but a run of none at all is a
  // mistake (a stale index list, another dataset's), not an empty run to report as passed.
  if (rowIndices?.length === 0) throw new ValidationError(noRowSelected(request.row_indices!, count), [{ path: ['row_indices'], message: 'selects no row' }]);

  const ex = doc.execution;
  return {
    experimentId: experiment.id,
    experimentSlug: experiment.slug,
    experimentVersion: experiment.version,
    rows,
    sourceRowCount: count,
    rowIndices,
    parameters,
    targetIds: [...new Set(targetIds)],
    evaluatorIds: [...new Set(evaluatorIds)],
    repeats: request.repeats ?? ex.repeats,
    concurrency: request.concurrency ?? ex.concurrency,
    timeoutMs: ex.timeoutMs,
    maxRetries: ex.maxRetries,
    budgetUsd: request.budgetUsd ?? ex.budgetUsd ?? null,
    ...maxErrorsOf(request.maxErrors ?? ex.maxErrors),
    cache: ex.cache,
    baselineRunId: request.baselineRunId ?? null,
    webhookUrl: request.webhookUrl ?? null,
    webhooks: (doc.webhooks ?? []).map((w) => ({ url: w.url, events: w.events ?? ['completed', 'failed', 'stopped'] })),
    metadata: request.metadata ?? {},
    runUrl,
  };
}

/** Why a run request's `row_indices` select nothing, in the words a user acts on. */
function noRowSelected(indices: number[], count: number): string {
  const rows = count === 1 ? 'the 1 row (index 0)' : `the ${count} rows (indices 0–${count - 1})`;
  if (indices.length === 0) return `row_indices is empty: it selects none of ${rows}; leave it out to run every row`;
  const shown = indices.slice(0, 5).join(', ') + (indices.length > 5 ? ', …' : '');
  return `row_indices selects none of ${rows}: ${shown} ${indices.length === 1 ? 'is' : 'are'} out of range`;
}
