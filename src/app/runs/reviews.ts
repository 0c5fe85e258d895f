// Reviews (docs/reviews.md): a person marks a cell's verdict, or one evaluator's verdict in a
// cell, passed or failed. Reviews are kept beside the evaluator results and never rewrite them;
// the run summary's `reviewed` and `reviewedPassRate` are computed here when the run is read,
// from the stored reviews and the reviewed cells (read by number), so they always agree with
// the cells as they are now (a resume with retryErrors may re-run a reviewed cell).
import { cellPassed } from '../../core/engine/aggregate.js';
import { NotFoundError, runNotFound } from '../../core/errors.js';
import type { Project } from '../../core/model/records.js';
import type { ReviewList, ReviewRequest, Review } from '../../core/model/reviews.js';
import type { RunStatusBody } from '../../core/model/run-api.js';
import type { CellResult, LeanCell, RunRecord } from '../../core/model/run.js';
import type { Clock, Stores } from '../../core/ports.js';
import type { StoredReview } from '../../core/review-store.js';
import { yieldIfBusy } from '../../core/turns.js';

/** Who wrote a review: the API key record and its display prefix. */
export interface Reviewer {
  keyId: string;
  name: string;
}

/** The reviews of one cell: of the cell as a whole, and per evaluator. */
export interface CellReviews {
  cell: StoredReview | undefined;
  evaluators: Map<string, StoredReview>;
}

const ROW_PAGE = 200;
/** Reviewed cells read at a time for the run's figures, a turn of the event loop each. */
const CELL_PAGE = 500;
/** Runs whose reviewed figures are kept (by the reviews' stamp and the run's log position). */
const FIGURES_KEPT = 256;
const round = (n: number) => Math.round(n * 1e8) / 1e8;

/** The stored review without its bookkeeping (what the API answers). */
export function publicReview(r: StoredReview): Review {
  const { cells: _cells, ...review } = r;
  return review;
}

/**
 * Whether a cell passes once reviews override verdicts: a review of the cell decides it; else
 * the target must have succeeded and every evaluator (its review's verdict replacing its own)
 * not have failed or errored. Informational evaluators (weight 0) never decide, as in the summary.
 */
export function reviewedCellPassed(cell: Pick<CellResult, 'ok' | 'evaluations'>, reviews: CellReviews, informational: ReadonlySet<string>): boolean {
  if (reviews.cell) return reviews.cell.verdict === 'passed';
  // The summary's own rule, over the evaluations with the reviewed verdicts put in.
  const evaluations = cell.evaluations.map((e) => {
    const review = reviews.evaluators.get(e.evaluatorId);
    return review ? { ...e, result: { status: 'processed' as const, passed: review.verdict === 'passed' } } : e;
  });
  return cellPassed({ ok: cell.ok, evaluations }, informational);
}

/** The reviews of a run grouped by cell number (a key naming a row run twice reviews both cells). */
export function reviewsByCell(reviews: StoredReview[]): Map<number, CellReviews> {
  const byCell = new Map<number, CellReviews>();
  for (const r of reviews) {
    for (const n of r.cells) {
      let entry = byCell.get(n);
      if (!entry) byCell.set(n, (entry = { cell: undefined, evaluators: new Map() }));
      if (r.evaluatorId === null) entry.cell = r;
      else entry.evaluators.set(r.evaluatorId, r);
    }
  }
  return byCell;
}

export class ReviewService {
  /**
   * The reviewed figures of recent runs. A poll of a reviewed run read every review (comments
   * included) and every reviewed cell: 20,000 reviews held each poll 1.3–1.6 s. They are worked
   * out again only when a review was written or the run's cells changed.
   */
  private readonly figures = new Map<string, { key: string; reviewed: number; passedDelta: number }>();

  constructor(
    private readonly stores: Pick<Stores, 'runs' | 'reviews' | 'experiments'>,
    private readonly clock: Clock,
  ) {}

  private async run(project: Project, runId: string): Promise<RunRecord> {
    const run = await this.stores.runs.get(project.id, runId);
    if (!run) throw runNotFound(runId);
    return run;
  }

  /** Committed cells of one row index × target × repeat (several when row_indices ran the row twice). */
  private async cellsOf(runId: string, rowIndex: number, targetId: string, repeat: number): Promise<LeanCell[]> {
    const found: LeanCell[] = [];
    for (let after = { rowIndex, cell: -1 }; ; ) {
      const page = await this.stores.runs.cellsInRowOrder(runId, after, ROW_PAGE, false);
      for (const c of page) {
        if (c.rowIndex !== rowIndex) return found;
        if (c.targetId === targetId && c.repeat === repeat) found.push(c);
      }
      if (page.length < ROW_PAGE) return found;
      after = { rowIndex, cell: page[page.length - 1]!.cell };
    }
  }

  /** Writes (or replaces) a review of a committed cell of the project's run; 404 for anything that does not exist. */
  async put(project: Project, runId: string, request: ReviewRequest, reviewer: Reviewer): Promise<Review> {
    const run = await this.run(project, runId);
    const { rowIndex, targetId, repeat, evaluatorId } = request;
    const cells = await this.cellsOf(run.id, rowIndex, targetId, repeat);
    const where = { runId: run.id, rowIndex, targetId, repeat };
    if (cells.length === 0) {
      throw new NotFoundError('cell_not_found', `Run ${run.id} has no result for row ${rowIndex}, target ${JSON.stringify(targetId)}, repeat ${repeat}`, where);
    }
    if (evaluatorId !== undefined && !cells.every((c) => c.evaluations.some((e) => e.evaluatorId === evaluatorId))) {
      throw new NotFoundError(
        'cell_not_found',
        `Evaluator ${JSON.stringify(evaluatorId)} has no result in row ${rowIndex}, target ${JSON.stringify(targetId)}, repeat ${repeat} of run ${run.id}`,
        { ...where, evaluatorId },
      );
    }
    const review: StoredReview = {
      ...where, evaluatorId: evaluatorId ?? null, verdict: request.verdict, comment: request.comment ?? null,
      reviewer: reviewer.name, reviewerKeyId: reviewer.keyId, reviewedAt: this.clock.now(), cells: cells.map((c) => c.cell),
    };
    await this.stores.reviews.upsert(review);
    // The stamp would miss a review replaced within the same millisecond.
    this.figures.delete(run.id);
    return publicReview(review);
  }

  async list(project: Project, runId: string): Promise<ReviewList> {
    const run = await this.run(project, runId);
    return { runId: run.id, reviews: (await this.stores.reviews.ofRun(run.id)).map(publicReview) };
  }

  /** The run's reviews by cell number, for exports. */
  async byCell(runId: string): Promise<Map<number, CellReviews>> {
    return reviewsByCell(await this.stores.reviews.ofRun(runId));
  }

  /** Evaluators with weight 0 in the experiment version the run executed. */
  private async informational(run: RunRecord): Promise<Set<string>> {
    // The evaluators only: the version's rows are not read on every poll (migration 012).
    const definition = await this.stores.experiments.definitionById(run.projectId, run.experimentId, run.spec.experimentVersion);
    return new Set((definition?.evaluators ?? []).filter((e) => e.weight === 0).map((e) => e.id));
  }

  /** The poll body with the summary's reviewed figures (when it has a summary). */
  async withReviewedFigures(run: RunRecord, body: RunStatusBody): Promise<RunStatusBody> {
    const summary = body.summary;
    if (!summary) return body;
    const stamp = await this.stores.reviews.stamp(run.id);
    if (stamp.startsWith('0:')) return { ...body, summary: { ...summary, reviewed: 0, reviewedPassRate: summary.passRate } };
    // The run's log position moves with every commit, resume and ending: cells may have changed.
    const key = `${stamp}|${run.nextSeq}`;
    let figures = this.figures.get(run.id);
    if (figures?.key !== key) {
      figures = { key, ...(await this.reviewedFigures(run)) };
      this.figures.delete(run.id);
      this.figures.set(run.id, figures);
      if (this.figures.size > FIGURES_KEPT) this.figures.delete(this.figures.keys().next().value!);
    }
    const passed = summary.totalPassed + figures.passedDelta;
    const reviewedPassRate = summary.totalCells > 0 ? round((passed / summary.totalCells) * 100) : 0;
    return { ...body, summary: { ...summary, reviewed: figures.reviewed, reviewedPassRate } };
  }

  /** How many cells reviews touch, and how many more (or fewer) of them pass once reviewed; in turns. */
  private async reviewedFigures(run: RunRecord): Promise<{ reviewed: number; passedDelta: number }> {
    const byCell = reviewsByCell(await this.stores.reviews.verdictsOfRun(run.id));
    const informational = await this.informational(run);
    const numbers = [...byCell.keys()];
    let reviewed = 0;
    let passedDelta = 0;
    for (let from = 0; from < numbers.length; from += CELL_PAGE) {
      await yieldIfBusy();
      for (const c of await this.stores.runs.cellsAt(run.id, numbers.slice(from, from + CELL_PAGE))) {
        reviewed++;
        passedDelta += Number(reviewedCellPassed(c, byCell.get(c.cell)!, informational)) - Number(cellPassed(c, informational));
      }
    }
    return { reviewed, passedDelta };
  }
}
