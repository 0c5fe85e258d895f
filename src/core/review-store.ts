// The storage port of reviews (docs/reviews.md): the latest review per run × row × target ×
// repeat × evaluator, kept apart from the evaluator results, which reviews never rewrite.
import type { Review, ReviewPosition } from './model/reviews.js';

/** A review as stored, with the cell numbers its key names (found when it was written). */
export interface StoredReview extends Review {
  cells: number[];
}

/** A review's key, verdict and cells: what the run's figures need. */
export type StoredVerdict = Pick<StoredReview, 'rowIndex' | 'targetId' | 'repeat' | 'evaluatorId' | 'verdict' | 'cells'>;

export interface ReviewStore {
  /** Writes the review, replacing any earlier one with the same key. */
  upsert(review: StoredReview): Promise<void>;
  /**
   * Up to `limit` of the run's reviews in key order (row index, target, repeat, then evaluator:
   * the cell's own first), those after `after` (null: from the first). Paged by key, not by
   * offset: a run may hold a million reviews, and read at once they held the main thread
   * seconds.
   */
  pageOfRun(runId: string, after: ReviewPosition | null, limit: number): Promise<StoredReview[]>;
  /** As pageOfRun, the verdicts alone: what the run's figures need (no comment is read). */
  verdictPage(runId: string, after: ReviewPosition | null, limit: number): Promise<StoredVerdict[]>;
  /** The run's reviews of rows `fromRow` … `toRow` (both included), in key order: an export page's. */
  ofRows(runId: string, fromRow: number, toRow: number): Promise<StoredReview[]>;
  /** Changes whenever a review of the run is written: its count and its latest time. */
  stamp(runId: string): Promise<string>;
}
