// Reviews (docs/reviews.md): a person marks a cell's verdict, or one evaluator's verdict in a
// cell, passed or failed. Reviews are kept beside the evaluator results and never rewrite them;
// the run summary's `reviewed` and `reviewedPassRate` are computed here when the run is read,
// from the stored reviews and the reviewed cells (read by number), so they always agree with
// the cells as they are now (a resume with retryErrors may re-run a reviewed cell).
import { cellPassed } from '../../core/engine/aggregate.js';
import { NotFoundError, runNotFound } from '../../core/errors.js';
import type { Project } from '../../core/model/records.js';
import { z } from 'zod';
import type { ReviewList, ReviewPosition, ReviewRequest, Review } from '../../core/model/reviews.js';
import type { RunStatusBody } from '../../core/model/run-api.js';
import type { CellResult, LeanCell, RunRecord } from '../../core/model/run.js';
import type { Clock, Stores } from '../../core/ports.js';
import type { StoredReview, StoredVerdict } from '../../core/review-store.js';
import { yieldIfBusy } from '../../core/turns.js';

/** Who wrote a review: the API key record and its display prefix. */
export interface Reviewer {
  keyId: string;
  name: string;
}

/** The reviews of one cell: of the cell as a whole, and per evaluator. */
export interface CellReviews<R extends StoredVerdict = StoredReview> {
  cell: R | undefined;
  evaluators: Map<string, R>;
}

const ROW_PAGE = 200;
/** Reviews a page of GET …/reviews answers by default, and at most (a comment is up to 10,000 characters). */
export const REVIEW_PAGE = 500;
export const MAX_REVIEW_PAGE = 1000;
/** Reviews (and at most as many cells) read at a time for the run's figures, a turn of the event loop each. */
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
export function reviewedCellPassed(cell: Pick<CellResult, 'ok' | 'evaluations'>, reviews: CellReviews<StoredVerdict>, informational: ReadonlySet<string>): boolean {
  if (reviews.cell) return reviews.cell.verdict === 'passed';
  // The summary's own rule, over the evaluations with the reviewed verdicts put in.
  const evaluations = cell.evaluations.map((e) => {
    const review = reviews.evaluators.get(e.evaluatorId);
    return review ? { ...e, result: { status: 'processed' as const, passed: review.verdict === 'passed' } } : e;
  });
  return cellPassed({ ok: cell.ok, evaluations }, informational);
}

/** The reviews of a run grouped by cell number (a key naming a row run twice reviews both cells). */
export function reviewsByCell<R extends StoredVerdict>(reviews: R[]): Map<number, CellReviews<R>> {
  const byCell = new Map<number, CellReviews<R>>();
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

// A page cursor is the key of the page's last review, as base64url JSON: opaque to clients, and
// a page starts there by key (a run may hold a million reviews; an OFFSET would step over them).
const cursorSchema = z.tuple([z.int().min(0), z.string().max(200), z.int().min(0), z.string().max(200).nullable()]);

/** The cursor of the page that starts after `r`. */
export function reviewCursor(r: ReviewPosition): string {
  return Buffer.from(JSON.stringify([r.rowIndex, r.targetId, r.repeat, r.evaluatorId])).toString('base64url');
}

/** The position a cursor names, or null when it is not one `reviewCursor` wrote. */
export function parseReviewCursor(cursor: string): ReviewPosition | null {
  let value: unknown;
  try {
    value = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    return null;
  }
  const parsed = cursorSchema.safeParse(value);
  if (!parsed.success) return null;
  const [rowIndex, targetId, repeat, evaluatorId] = parsed.data;
  return { rowIndex, targetId, repeat, evaluatorId };
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

  /** A page of the run's reviews in key order, after `after` (null: the first page). */
  async list(project: Project, runId: string, after: ReviewPosition | null, limit: number): Promise<ReviewList> {
    const run = await this.run(project, runId);
    // One more than asked: whether a next page exists, without an empty last page.
    const page = await this.stores.reviews.pageOfRun(run.id, after, limit + 1);
    const more = page.length > limit;
    const reviews = page.slice(0, limit);
    return { runId: run.id, reviews: reviews.map(publicReview), nextCursor: more ? reviewCursor(reviews.at(-1)!) : null };
  }

  /** The reviews of an export page's cells (ordered by row), by cell number. */
  async ofCells(runId: string, cells: readonly Pick<CellResult, 'rowIndex'>[]): Promise<Map<number, CellReviews>> {
    if (cells.length === 0) return new Map();
    return reviewsByCell(await this.stores.reviews.ofRows(runId, cells[0]!.rowIndex, cells.at(-1)!.rowIndex));
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

  /**
   * How many cells reviews touch, and how many more (or fewer) of them pass once reviewed: the
   * reviews a page at a time and their cells by number, a turn of the event loop between pages,
   * so neither a million reviews nor their cells are ever held or read at once.
   */
  private async reviewedFigures(run: RunRecord): Promise<{ reviewed: number; passedDelta: number }> {
    const informational = await this.informational(run);
    let reviewed = 0;
    let passedDelta = 0;
    const tally = async (reviews: StoredVerdict[]) => {
      const byCell = reviewsByCell(reviews);
      if (byCell.size === 0) return;
      for (const c of await this.stores.runs.cellsAt(run.id, [...byCell.keys()])) {
        reviewed++;
        passedDelta += Number(reviewedCellPassed(c, byCell.get(c.cell)!, informational)) - Number(cellPassed(c, informational));
      }
    };
    // A cell's reviews are adjacent in key order; those of the page's last key wait for the next
    // page, which may hold more of them.
    let carried: StoredVerdict[] = [];
    for (let after: ReviewPosition | null = null; ; ) {
      await yieldIfBusy();
      const page = await this.stores.reviews.verdictPage(run.id, after, CELL_PAGE);
      const reviews = [...carried, ...page];
      if (page.length < CELL_PAGE) {
        await tally(reviews);
        return { reviewed, passedDelta };
      }
      const last = page.at(-1)!;
      const sameCell = (r: StoredVerdict) => r.rowIndex === last.rowIndex && r.targetId === last.targetId && r.repeat === last.repeat;
      const cut = reviews.findIndex(sameCell);
      await tally(reviews.slice(0, cut));
      carried = reviews.slice(cut);
      after = last;
    }
  }
}
