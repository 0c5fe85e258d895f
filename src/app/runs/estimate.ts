// POST /api/experiments/{slug}/estimate: the run a body would start, checked as a start checks
// it, and what it would cost (core/engine/estimate.ts): from the experiment's earlier finished
// runs, else, for a prompt target no earlier run called, from its model's price for its prompts
// rendered over a sample of the rows. Nothing is stored or started.
import { type EstimateExtras, estimateRun, ESTIMATE_RUNS, type PastRun, type PriceFigure } from '../../core/engine/estimate.js';
import { Semaphore } from '../../core/engine/limiter.js';
import { rowsInScope } from '../../core/engine/plan.js';
import { approxJsonBytes } from '../../core/json-size.js';
import type { RunEstimate } from '../../core/model/estimate.js';
import type { EvaluatorSpec, ExperimentDocument, PromptTarget, Row } from '../../core/model/experiment.js';
import type { Project } from '../../core/model/records.js';
import type { RunSpec } from '../../core/model/run.js';
import type { Stores } from '../../core/ports.js';
import type { RunStore } from '../../core/run-store.js';
import type { EvaluatorCatalogue } from './prepare.js';
import { rowSourceFor, scopeReader } from './row-reader.js';
import type { RunService } from './service.js';

/** Runs of the experiment read for the estimate, at most: newest first, a page at a time. */
const RUNS_READ = 200;
const PAGE = 50;
/** Rows whose prompts are rendered to price a target no earlier run called (spread over the rows in scope). */
export const SAMPLE_ROWS = 100;
/**
 * Bytes of rows the sample holds, at most (it ends at the row that passes it): rows may be a
 * megabyte each, and 100 of them held per estimate request would be 100 MB.
 */
export const SAMPLE_BYTES = 4 * 1024 * 1024;
/**
 * Estimates that read and render their sample at once, in this process; the others wait, the
 * projects in turns. So the samples held are at most this × SAMPLE_BYTES, however many
 * estimates are asked at once.
 */
export const PRICING_AT_ONCE = 2;

/**
 * What a prompt target's calls would cost for these rows (rendered, counted and priced by the
 * composition root, which has the templates and the price table); null when none renders.
 */
export type PromptPricer = (projectId: string, target: PromptTarget, rows: Row[], parameters: RunSpec['parameters']) => Promise<PriceFigure | null>;

export interface EstimateDeps {
  /** The saved datasets' rows, for the sample. */
  datasets: Pick<Stores['datasets'], 'rows' | 'rowSizes'>;
  catalogue: EvaluatorCatalogue;
  pricePrompt: PromptPricer;
}

export class RunEstimates {
  constructor(
    private readonly runs: Pick<RunService, 'plan'>,
    private readonly store: Pick<RunStore, 'list'>,
    private readonly deps: EstimateDeps,
  ) {}

  private readonly pricing = new Semaphore(PRICING_AT_ONCE);

  async estimate(project: Project, slug: string, body: () => Promise<unknown>): Promise<RunEstimate> {
    const { experiment, request, spec } = await this.runs.plan(project, slug, body);
    const doc = experiment.document;
    const history = await this.history(project.id, experiment.id, (spec.targetIds.length + spec.evaluatorIds.length) * ESTIMATE_RUNS);
    const extras: EstimateExtras = {
      noModel: new Set(spec.evaluatorIds.filter((id) => this.callsNoModel(doc.evaluators.find((e) => e.id === id)))),
      freeTargets: new Set(doc.targets.filter((t) => t.type === 'code').map((t) => t.id)),
    };
    // Prices only for the prompt targets that no earlier run called: history knows better.
    const unknown = estimateRun(spec, history, extras).targets.filter((t) => t.basis === 'none').map((t) => t.targetId);
    const prompts = doc.targets.filter((t): t is PromptTarget => t.type === 'prompt' && unknown.includes(t.id));
    if (prompts.length > 0) {
      const release = await this.pricing.acquire(undefined, project.id);
      try {
        const rows = await this.sample(spec, doc, request.data);
        const prices = new Map<string, PriceFigure>();
        for (const t of prompts) {
          const figure = rows.length > 0 ? await this.deps.pricePrompt(project.id, t, rows, spec.parameters) : null;
          if (figure) prices.set(t.id, figure);
        }
        extras.prices = prices;
      } finally {
        release();
      }
    }
    return estimateRun(spec, history, extras);
  }

  /** An evaluator that calls no model (its members too, for an evaluator set). */
  private callsNoModel(e: Pick<EvaluatorSpec, 'type' | 'settings'> | undefined): boolean {
    if (!e || this.deps.catalogue.find(e.type)?.needsModel !== false) return false;
    const members = (e.settings as { evaluators?: unknown } | undefined)?.evaluators;
    return !Array.isArray(members) || members.every((m) => this.callsNoModel(m as Pick<EvaluatorSpec, 'type' | 'settings'>));
  }

  /** Up to SAMPLE_ROWS rows in scope, spread over them evenly, as the run would read them (parameters merged). */
  private async sample(spec: RunSpec, doc: ExperimentDocument, data: Row[] | undefined): Promise<Row[]> {
    const n = rowsInScope(spec);
    // The body's rows are not stored yet: read from the body, as the run would from its own rows.
    const inline = data ?? [];
    const runs = { inlineRows: async (_: string, from: number, to: number) => inline.slice(from, to), inlineRowSizes: async (_: string, from: number, to: number) => inline.slice(from, to).map(() => 0) };
    const read = scopeReader(spec, rowSourceFor('', spec, { datasets: this.deps.datasets, runs }, async () => ('rows' in doc.dataset ? doc.dataset.rows : [])));
    const rows: Row[] = [];
    const count = Math.min(n, SAMPLE_ROWS);
    let bytes = 0;
    for (let i = 0; i < count && bytes < SAMPLE_BYTES; i++) {
      const at = Math.floor((i * n) / count);
      for (const row of await read(at, at + 1)) {
        rows.push(row);
        bytes += approxJsonBytes(row);
      }
    }
    return rows;
  }

  /**
   * Finished runs of the experiment with a summary, newest first: enough for every part's
   * ESTIMATE_RUNS figures in the common case, never more than RUNS_READ runs read.
   */
  private async history(projectId: string, experimentId: string, enough: number): Promise<PastRun[]> {
    const past: PastRun[] = [];
    for (let page = 1; (page - 1) * PAGE < RUNS_READ; page++) {
      const { items } = await this.store.list(projectId, experimentId, { page, pageSize: PAGE });
      for (const r of items) {
        if (r.finishedAt !== null && r.summary) past.push({ id: r.id, experimentVersion: r.spec.experimentVersion, summary: r.summary });
      }
      if (items.length < PAGE || past.length >= enough) break;
    }
    return past;
  }
}
