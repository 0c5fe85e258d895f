// The storage port of reviews (docs/reviews.md): the latest review per run × row × target ×
// repeat × evaluator, kept apart from the evaluator results, which reviews never rewrite.
import type { Review } from './model/reviews.js';

/** A review as stored, with the cell numbers its key names (found when it was written). */
export interface StoredReview extends Review {
  cells: number[];
}

export interface ReviewStore {
  /** Writes the review, replacing any earlier one with the same key. */
  upsert(review: StoredReview): Promise<void>;
  /** The run's reviews, by row index, target, repeat, then evaluator (the cell's own first). */
  ofRun(runId: string): Promise<StoredReview[]>;
  /** As ofRun, each with its comment left out (null): what the run's figures need. */
  verdictsOfRun(runId: string): Promise<StoredReview[]>;
  /** Changes whenever a review of the run is written: its count and its latest time. */
  stamp(runId: string): Promise<string>;
}
