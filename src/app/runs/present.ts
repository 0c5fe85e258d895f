// Stored run records → the run API's answers (src/core/model/run-api.ts). The one place where
// a record becomes what clients read: the routes, the exports and the CLI all go through here,
// so a field is added, renamed or computed once.
import type { ExperimentDocument } from '../../core/model/experiment.js';
import type { DatasetEntry, EvaluationEntry, ResultsPage, RunListItem, RunRequestEcho, RunStatusBody } from '../../core/model/run-api.js';
import { type CellResult, type RowResult, type RowSourceSpec, type RunRecord, runningClock, type StoredEvaluation } from '../../core/model/run.js';

/** GET /runs/{runId} body (LangWatch field order). */
export function presentRun(run: RunRecord): RunStatusBody {
  const body: Omit<RunStatusBody, 'metadata' | 'request' | 'runUrl'> = { runId: run.id, status: run.status, progress: run.progress, total: run.total, startedAt: run.startedAt };
  if (run.finishedAt !== null) body.finishedAt = run.finishedAt;
  if (run.summary) body.summary = run.summary;
  if (run.error) body.error = run.error;
  if (run.errorMessage) body.message = run.errorMessage;
  if (run.stopReason) body.stopReason = run.stopReason;
  // A resumed run's running time so far, for a reader that shows it live (the run page); a run
  // never resumed runs all its duration, and an ended one has the summary's runningTime.
  if (run.status === 'running' && run.executionStartedAt !== undefined && run.executionStartedAt !== run.startedAt) {
    const clock = runningClock(run);
    body.executionStartedAt = clock.executionStartedAt;
    body.runningTimeBefore = clock.earlierRunningMs;
  }
  return { ...body, metadata: run.spec.metadata ?? {}, request: requestEcho(run), runUrl: run.spec.runUrl };
}

/** What the run was started with (runRequestEchoSchema); no ids of other projects, nothing secret. */
export function requestEcho(run: RunRecord): RunRequestEcho {
  const { spec } = run;
  return {
    experimentVersion: spec.experimentVersion, rows: rowsEcho(spec.rows), rowCount: spec.sourceRowCount, rowIndices: spec.rowIndices?.length ?? null,
    parameters: spec.parameters, targets: spec.targetIds, evaluators: spec.evaluatorIds, repeats: spec.repeats,
  };
}

/** Where the rows came from: a saved dataset by id and version, with its slug and name where the run kept them. */
function rowsEcho(rows: RowSourceSpec): RunRequestEcho['rows'] {
  if (rows.kind !== 'dataset') return { kind: rows.kind };
  const echo: Extract<RunRequestEcho['rows'], { kind: 'dataset' }> = { kind: 'dataset', datasetId: rows.datasetId, version: rows.version };
  if (rows.slug !== undefined) echo.slug = rows.slug;
  if (rows.name !== undefined) echo.name = rows.name;
  return echo;
}

/** The timestamps block of list items and results pages (LangWatch's names). */
function timestamps(run: RunRecord) {
  return {
    createdAt: run.startedAt,
    // The last commit or finish (a reopen too); runs stored before updatedAt was read fall back.
    updatedAt: run.updatedAt ?? run.finishedAt ?? run.startedAt,
    finishedAt: run.status === 'stopped' ? null : run.finishedAt,
    stoppedAt: run.status === 'stopped' ? run.finishedAt : null,
  };
}

/**
 * The LangWatch list summary (a different object from the poll summary), over ours: the final
 * summary once the run ended, the one of its last commit while it goes (figures so far).
 */
function listSummary(run: RunRecord): RunListItem['summary'] {
  const s = run.summary ?? run.liveSummary ?? null;
  if (!s) return null;
  const evaluations: NonNullable<RunListItem['summary']>['evaluations'] = {};
  for (const e of s.evaluators) {
    evaluations[e.evaluatorId] = { name: e.name, averageScore: e.avgScore ?? null, ...(e.passed + e.failed > 0 ? { averagePassed: e.passed / (e.passed + e.failed) } : {}) };
  }
  const cells = Math.max(1, s.totalCells);
  return { ...s, datasetCost: s.targetCost, evaluationsCost: s.evaluatorCost, datasetAverageCost: s.targetCost / cells, evaluations };
}

/** One item of GET /runs?experimentSlug= */
export function presentListItem(run: RunRecord): RunListItem {
  return {
    experimentId: run.experimentId, runId: run.id, status: run.status, workflowVersion: null,
    timestamps: timestamps(run), progress: run.progress, total: run.total, summary: listSummary(run), metadata: run.spec.metadata ?? {},
    experimentVersion: run.spec.experimentVersion, parameters: run.spec.parameters,
    rowCount: run.spec.sourceRowCount, rowIndices: run.spec.rowIndices?.length ?? null,
  };
}

export function datasetEntry(c: CellResult, repeats?: DatasetEntry['repeats']): DatasetEntry {
  return {
    index: c.rowIndex, targetId: c.targetId, repeat: c.repeat, entry: c.entry,
    ...(c.ok ? { predicted: { output: c.output } } : {}),
    cost: c.cost ?? null, duration: c.durationMs, tokens: c.tokens ? { input: c.tokens.input, output: c.tokens.output } : null,
    attempts: c.attempts, cached: c.cached, error: c.ok ? null : c.error,
    ...(c.workerId !== undefined ? { workerId: c.workerId } : {}),
    ...(repeats ? { repeats } : {}),
  };
}

function evaluationEntry(e: StoredEvaluation, at: { targetId: string; index: number; repeat: number }): EvaluationEntry {
  const r = e.result;
  const entry: EvaluationEntry = {
    evaluator: e.evaluatorId, name: e.name, targetId: at.targetId, index: at.index, repeat: at.repeat, status: r.status,
    passed: r.status === 'processed' ? (r.passed ?? null) : null,
    score: r.status === 'processed' ? (r.score ?? null) : null,
    label: r.status === 'processed' ? (r.label ?? null) : null,
    details: r.details ?? null, cost: r.cost ?? null, duration: e.durationMs,
  };
  if (r.unpricedCalls !== undefined) entry.unpricedCalls = r.unpricedCalls;
  return entry;
}

export function evaluationEntries(c: CellResult): EvaluationEntry[] {
  return c.evaluations.map((e) => evaluationEntry(e, { targetId: c.targetId, index: c.rowIndex, repeat: c.repeat }));
}

/** A comparison's result, reported under its first target as LangWatch does, with the candidates. */
export function rowEvaluationEntry(r: RowResult): EvaluationEntry {
  return {
    ...evaluationEntry(r.evaluation, { targetId: r.targetId, index: r.rowIndex, repeat: r.repeat }),
    inputs: { candidates: r.candidates.map((id) => ({ id })) },
  };
}

/** The targets block of a results page: id, name, type and model from the experiment version run. */
export function targetsMeta(doc: ExperimentDocument | undefined, run: RunRecord): ResultsPage['targets'] {
  return run.spec.targetIds.map((id) => {
    const t = doc?.targets.find((x) => x.id === id);
    return { id, name: t?.name ?? id, type: t?.type ?? null, model: t?.type === 'prompt' ? t.model : null };
  });
}

/** GET /runs/{runId}/results */
export function presentResults(
  page: { run: RunRecord; experiment: { document: ExperimentDocument } | null; cells: CellResult[]; rows: RowResult[]; nextOffset: number | null; repeatsOf?: (c: CellResult) => DatasetEntry['repeats'] },
  offset: number,
  limit: number,
): ResultsPage {
  const { run, experiment, cells, rows } = page;
  return {
    experimentId: run.experimentId, runId: run.id, projectId: run.projectId, progress: run.progress, total: run.total,
    targets: targetsMeta(experiment?.document, run),
    dataset: cells.map((c) => datasetEntry(c, page.repeatsOf?.(c))),
    evaluations: [...cells.flatMap(evaluationEntries), ...rows.map(rowEvaluationEntry)],
    timestamps: timestamps(run),
    pagination: { offset, limit, total: run.progress, nextOffset: page.nextOffset },
    metadata: run.spec.metadata ?? {},
  };
}
