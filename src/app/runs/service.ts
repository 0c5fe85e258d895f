// Run use cases (SPEC §5): start a run of an experiment by slug, read it, list runs, read
// results, abort and resume. Starting is O(1) in the dataset size: rows are counted, not read.
import { setMaxListeners } from 'node:events';
import { AssayError, experimentNotFound, NotFoundError, runNotFound } from '../../core/errors.js';
import { planTotal } from '../../core/engine/plan.js';
import type { CellRequest, DatasetEntry } from '../../core/model/run-api.js';
import type { ExperimentDocument } from '../../core/model/experiment.js';
import type { RunCursor } from '../../core/run-store.js';
import { PAGE_BYTES } from '../../core/model/paging.js';
import type { ExperimentHeader, ExperimentRecord, Project } from '../../core/model/records.js';
import { type CellResult, type RowOrderKey, type RowResult, type RunRecord, type RunRequest, runRequestSchema, type RunSpec } from '../../core/model/run.js';
import type { Clock, EventBus, PageRequest, Paged, Stores, WorkQueue } from '../../core/ports.js';
import { checkCellLimit } from './cell-limit.js';
import { failpoint } from './failpoints.js';
import { type StreamDeps, type StreamItem, streamRunEvents, type WriteFlow } from './events.js';
import { newId } from '../ids.js';
import { NO_ROW_LIMITS, type RowLimits } from '../row-limits.js';
import { arrayRows, checkRowArray } from '../row-sources.js';
import { yieldIfBusy } from '../../core/turns.js';
import { parseOrThrow } from '../validation.js';
import type { EvaluatorCatalogue } from './prepare.js';
import { runRowsPage, type RunRowsPage } from './run-rows.js';
import { runRowColumns } from './row-columns.js';
import { cellRequest, type RequestRenderers } from './cell-request.js';
import { checkSecrets, type SecretProblemsOf } from './secret-check.js';
import { buildRunSpec } from './run-spec.js';
import { checkColumns, runColumns, type TemplateReads } from './column-check.js';
import { repeatVerdicts, resultsPage, rowResultsOnPage } from './results-page.js';

/** Cells of an export page: 1,000 cells of 9 KB were 9 MB read and parsed in one statement (71–111 ms). */
const EXPORT_PAGE = 250;

export interface RunServiceOptions {
  /** Base of runUrl; a function because the port may be known only once the server listens. */
  publicUrl: () => string;
  /** Stops a run executing in this process immediately (the abort flag covers the rest). */
  abortLocal: (runId: string) => void;
  /** Limits on inline `data` (ASSAY_MAX_ROWS, ASSAY_MAX_ROW_BYTES); none when absent. */
  rowLimits?: RowLimits;
  /** Most cells (rows in scope × targets × repeats) one run may plan (ASSAY_MAX_CELLS_PER_RUN); none when absent. */
  maxCellsPerRun?: number;
  /** Where live events come from, for streams. */
  bus: EventBus;
  /** Silence before a `: ping` comment (SPEC §6: 15 s; tests shorten it). */
  pingMs?: number;
  /** Called once a run is stored and queued (the experiment's `started` webhooks). */
  afterStart?: (run: RunRecord) => Promise<void>;
  /** Tells row-scoped evaluators apart (repeats' verdicts count cell-scoped ones); none: every evaluator is cell-scoped. */
  catalogue?: EvaluatorCatalogue;
  /** Renders a prompt target's messages and an HTTP target's request (GET …/runs/{runId}/request). */
  renderRequest: RequestRenderers;
  /** The secrets a run's targets read that the project has not set, or that are bound to other origins than a fixed URL's (refused at start); none: not checked. */
  secretProblems?: SecretProblemsOf;
  /** The names a target's templates read, for the start's column check (src/targets/template-reads.ts). */
  templateReads?: TemplateReads;
}

export interface StartedRun {
  runId: string;
  status: 'running';
  total: number;
  runUrl: string;
}

export class RunService {
  /** Aborted by endStreams(): every stream of this process, open or opened later, ends. */
  private readonly closing = new AbortController();

  constructor(
    private readonly stores: Pick<Stores, 'runs' | 'experiments' | 'datasets'>,
    private readonly queue: WorkQueue,
    private readonly clock: Clock,
    private readonly options: RunServiceOptions,
  ) {
    // Every open stream listens to `closing` (app/runs/events.ts), and a server has hundreds:
    // Node's limit of 10 printed "MaxListenersExceededWarning: possible memory leak" on the
    // eleventh. Each stream removes its listener when it ends.
    setMaxListeners(0, this.closing.signal);
  }


  /** Validates a run request body (already JSON-parsed; undefined = empty body). */
  parseRequest(body: unknown): RunRequest {
    const input = body === undefined || body === null ? {} : body;
    if (typeof input === 'object' && !Array.isArray(input) && 'data' in input && 'dataset_id' in input) {
      const o = input as { data?: unknown; dataset_id?: unknown };
      if (o.data !== undefined && o.dataset_id !== undefined) {
        throw new AssayError('validation_error', 'Pass either inline data or a dataset_id, not both', {
          compatText: 'Pass either inline data or a dataset_id, not both',
          issues: [{ path: ['dataset_id'], message: 'not allowed together with data' }],
        });
      }
    }
    return parseOrThrow(runRequestSchema, input, 'run request');
  }

  /**
   * What a run of `slug` with this body would be, checked as a start checks it (404, 400, 413),
   * without starting it: the estimate reads it (estimate.ts).
   */
  async plan(project: Project, slug: string, body: () => Promise<unknown>, runId = newId('run')): Promise<{ experiment: ExperimentRecord; request: RunRequest; spec: RunSpec }> {
    const experiment = await this.stores.experiments.get(project.id, slug);
    if (!experiment) throw experimentNotFound(slug);
    const request = this.parseRequest(await body());
    if (request.data) await checkRowArray(request.data, this.options.rowLimits ?? NO_ROW_LIMITS, 'data');
    // The baseline is the comparison's default: refused now (404) rather than stored and found missing later.
    if (request.baselineRunId !== undefined && !(await this.stores.runs.get(project.id, request.baselineRunId))) {
      throw new NotFoundError('run_not_found', `Baseline run not found: ${request.baselineRunId}`, { id: request.baselineRunId, runId: request.baselineRunId });
    }
    const runUrl = `${this.options.publicUrl()}/${project.slug}/experiments/${experiment.slug}?runId=${runId}`;
    const spec = await buildRunSpec(this.stores.datasets, project, experiment, request, runUrl);
    if (this.options.maxCellsPerRun !== undefined) checkCellLimit(spec, this.options.maxCellsPerRun);
    const targets = experiment.document.targets.map((target, index) => ({ target, index })).filter(({ target }) => spec.targetIds.includes(target.id));
    await checkSecrets(this.options.secretProblems, project.id, targets);
    await this.checkColumns(project, experiment, request, spec);
    return { experiment, request, spec };
  }

  /** Evaluator inputs, prompt variables and template names reading columns the run's rows lack are refused (column-check.ts). */
  private async checkColumns(project: Project, experiment: ExperimentRecord, request: RunRequest, spec: RunSpec): Promise<void> {
    const doc = experiment.document;
    const evaluators = doc.evaluators.map((evaluator, index) => ({ evaluator, index })).filter(({ evaluator }) => spec.evaluatorIds.includes(evaluator.id));
    const targets = doc.targets.map((target, index) => ({ target, index })).filter(({ target }) => spec.targetIds.includes(target.id) && target.type !== 'code');
    if (targets.length === 0 && !evaluators.some(({ evaluator: e }) => e.inputs !== undefined || e.settings !== undefined)) return;
    const rows = spec.rows;
    let columns: Set<string>;
    if (rows.kind === 'inline') columns = runColumns({ rows: request.data ?? [] }, spec.parameters);
    else if (rows.kind === 'experiment') columns = runColumns({ rows: 'rows' in doc.dataset ? doc.dataset.rows : [] }, spec.parameters);
    else if (rows.kind === 'parameters') columns = runColumns({ columns: [] }, spec.parameters);
    else {
      const ds = await this.stores.datasets.get(project.id, rows.datasetId, rows.version);
      if (!ds) return;
      columns = runColumns({ columns: ds.columns }, spec.parameters);
    }
    checkColumns(evaluators, targets, columns, this.options.templateReads);
  }

  async start(project: Project, slug: string, body: () => Promise<unknown>): Promise<{ run: RunRecord; started: StartedRun }> {
    const runId = newId('run');
    const { experiment, request, spec } = await this.plan(project, slug, body, runId);
    const runUrl = spec.runUrl;
    const now = this.clock.now();
    const total = planTotal(spec);
    const run: RunRecord = {
      id: runId, projectId: project.id, experimentId: experiment.id, experimentSlug: experiment.slug, status: 'running',
      total, progress: 0, startedAt: now, finishedAt: null, spec, summary: null, error: null, errorMessage: null,
      stopReason: null, nextSeq: 2, abortRequested: false,
    };
    await this.stores.runs.create(run, request.data ? arrayRows(request.data) : undefined);
    await this.queue.enqueue(runId);
    await this.options.afterStart?.(run);
    return { run, started: { runId, status: 'running', total, runUrl } };
  }

  async get(project: Project, runId: string): Promise<RunRecord> {
    const run = await this.stores.runs.get(project.id, runId);
    if (!run) throw runNotFound(runId);
    return run;
  }

  /**
   * A run's event stream after `afterSeq` (SPEC §6), for one client: found in the project first
   * (404 otherwise), then read from the bus and storage (events.ts) until the run has ended, the
   * client leaves, or `keyActive` says the key that opened it was revoked.
   */
  async stream(project: Project, runId: string, afterSeq: number, keyActive: () => Promise<boolean>): Promise<(signal: AbortSignal, flow?: WriteFlow) => AsyncGenerator<StreamItem>> {
    const run = await this.cursor(project, runId);
    const deps: StreamDeps = {
      stores: this.stores, bus: this.options.bus, clock: this.clock, keyActive, closing: this.closing.signal,
      ...(this.options.pingMs ? { pingMs: this.options.pingMs } : {}),
    };
    return (signal, flow) => streamRunEvents(deps, run.id, afterSeq, signal, flow);
  }

  /**
   * The server is shutting down: every event stream sends what it has and ends with
   * `: closed: shutdown`, so its connection no longer holds the server's close. The runs go on
   * (here until the executions stop, then in the next process); clients reconnect.
   */
  endStreams(): void {
    this.closing.abort();
  }

  /** The run's changing fields (no spec): enough to open a stream. Another project's run is not found. */
  async cursor(project: Project, runId: string): Promise<RunCursor> {
    const cursor = await this.stores.runs.cursor(runId);
    if (!cursor || cursor.projectId !== project.id) throw runNotFound(runId);
    return cursor;
  }

  /** Runs of an experiment, newest first; `metadata`: only runs whose metadata has each key with that string value. */
  async list(project: Project, experimentSlug: string, page: PageRequest, metadata: Record<string, string> = {}): Promise<{ experiment: ExperimentHeader; runs: Paged<RunRecord> }> {
    // The header only: a list needs the experiment's id, not its (possibly 10 MB) document.
    const experiment = await this.stores.experiments.header(project.id, experimentSlug);
    if (!experiment) throw experimentNotFound(experimentSlug);
    return { experiment, runs: await this.stores.runs.list(project.id, experiment.id, page, metadata) };
  }

  async results(
    project: Project,
    runId: string,
    offset: number,
    limit: number,
  ): Promise<{ run: RunRecord; experiment: { document: ExperimentDocument } | null; cells: CellResult[]; rows: RowResult[]; nextOffset: number | null; repeatsOf?: (c: CellResult) => DatasetEntry['repeats'] }> {
    const run = await this.get(project, runId);
    // Targets and evaluators only: the version's rows (up to 10 MB) are not read (migration 012).
    const definition = await this.stores.experiments.definitionById(project.id, run.experimentId, run.spec.experimentVersion);
    const experiment = definition ? { document: definition } : null;
    const { cells, cut } = await resultsPage(this.stores.runs, run, offset, limit);
    const rows = cells.length === 0 ? [] : await rowResultsOnPage(this.stores.runs, run, cells);
    const repeatsOf = run.spec.repeats > 1 ? await repeatVerdicts(this.stores.runs, this.options.catalogue, run, experiment, cells) : undefined;
    // Where the next page starts while committed cells remain (progress was read before the
    // cells, so a page cut by its byte budget says so itself).
    const next = offset + cells.length;
    const nextOffset = cells.length > 0 && (cut || next < run.progress) ? next : null;
    return { run, experiment, cells, rows, nextOffset, ...(repeatsOf ? { repeatsOf } : {}) };
  }

  /** The run's rows with an index in [offset, offset + limit), parameters merged (run-rows.ts). */
  async rows(project: Project, runId: string, offset: number, limit: number): Promise<RunRowsPage> {
    return runRowsPage(this.stores, await this.get(project, runId), offset, limit);
  }

  /** The columns of the run's rows, at least those of `wanted` that are (row-columns.ts); null: not known. */
  rowColumns(run: RunRecord, wanted: readonly string[]): Promise<Set<string> | null> {
    return runRowColumns(this.stores, run, wanted);
  }

  /** What a prompt or HTTP target sent for one row of the run (cell-request.ts). */
  async cellRequest(project: Project, runId: string, rowIndex: number, targetId: string): Promise<CellRequest> {
    return cellRequest(this.stores, await this.get(project, runId), rowIndex, targetId, this.options.renderRequest);
  }

  /**
   * The run and a reader of its committed cells in row order, page by page with the row-scoped
   * results of each page's rows (for exports: the record is read once, not once per page).
   */
  async pages(project: Project, runId: string, pageSize = EXPORT_PAGE): Promise<{ run: RunRecord; pages: () => AsyncGenerator<{ cells: CellResult[]; rows: RowResult[] }> }> {
    const run = await this.get(project, runId);
    const { runs } = this.stores;
    // Paged by key, not offset: with OFFSET the millionth cell's page would step over all
    // the cells before it, and an export would be quadratic in the run's size. Each page stops
    // at PAGE_BYTES of stored text too: an export of huge outputs holds one page at a time.
    async function* pages() {
      let after: RowOrderKey | null = null;
      for (;;) {
        // An export of 100,000 cells is many pages: a turn of the event loop between them.
        await yieldIfBusy();
        const { cells, cut } = await runs.resultsWithin(run.id, { after }, pageSize, PAGE_BYTES);
        const rows = cells.length === 0 ? [] : await runs.rowResultsOfRows(run.id, cells.map((c) => c.rowIndex));
        if (cells.length > 0) yield { cells, rows };
        if (!cut && cells.length < pageSize) return;
        const last = cells[cells.length - 1]!;
        after = { rowIndex: last.rowIndex, cell: last.cell };
      }
    }
    return { run, pages };
  }

  async abort(project: Project, runId: string): Promise<RunRecord> {
    const run = await this.get(project, runId);
    if (run.status !== 'running') {
      throw new AssayError('conflict', `Run ${runId} has already ended (${run.status})`, { meta: { runId, status: run.status } });
    }
    const updated = await this.stores.runs.requestAbort(project.id, runId);
    this.options.abortLocal(runId);
    return updated ?? run;
  }

  async resume(project: Project, runId: string, retryErrors: boolean): Promise<StartedRun> {
    const run = await this.get(project, runId);
    // The cap is checked again: the operator may have lowered it since the run started, and a
    // resume schedules the run's remaining cells as a start would.
    if (this.options.maxCellsPerRun !== undefined) checkCellLimit(run.spec, this.options.maxCellsPerRun);
    const reopened = await this.stores.runs.reopen(project.id, runId, retryErrors, this.clock.now(), () => failpoint('reopen.between'));
    if (!reopened) {
      throw new AssayError('run_not_resumable', `Run ${runId} is ${run.status}; only stopped or failed runs resume (completed ones with retryErrors)`, {
        meta: { runId, status: run.status },
      });
    }
    await this.queue.enqueue(runId);
    return { runId, status: 'running', total: reopened.total, runUrl: reopened.spec.runUrl };
  }
}
