// Reviews (SPEC §5 "Comparisons, reviews, webhooks"): a person marks a cell's verdict, or one
// evaluator's verdict in a cell, passed or failed, with a comment. Reviews sit beside the
// evaluator results and never rewrite them; the run's summary adds `reviewed` and
// `reviewedPassRate` from them on read (docs/reviews.md). One schema each for the request,
// a stored review and the list, declared by the routes and read by the client and the page.
import { z } from 'zod';
import { NO_NUL } from './slug.js';

export const reviewVerdictSchema = z.enum(['passed', 'failed']);
export type ReviewVerdict = z.infer<typeof reviewVerdictSchema>;

/** PUT /runs/{runId}/reviews body. Unknown fields are refused, never ignored. */
export const reviewRequestSchema = z.strictObject({
  /** The row's index in its dataset (as in the results' `index`). */
  rowIndex: z.int().min(0),
  targetId: z.string().min(1).max(200),
  /** The repeat (0 without repeats). */
  repeat: z.int().min(0).default(0),
  /** Review one evaluator's verdict in the cell; absent: the cell's verdict as a whole. */
  evaluatorId: z.string().min(1).max(200).optional(),
  verdict: reviewVerdictSchema,
  comment: z.string().max(10_000).regex(...NO_NUL).optional(),
});
export type ReviewRequest = z.infer<typeof reviewRequestSchema>;
/** What a client sends (repeat may be left out). */
export type ReviewInput = z.input<typeof reviewRequestSchema>;

/** A stored review: the latest one per run × cell × evaluator (or the cell as a whole). */
export const reviewSchema = z.object({
  runId: z.string(),
  rowIndex: z.int(),
  targetId: z.string(),
  repeat: z.int(),
  /** null: the review is of the cell's verdict as a whole. */
  evaluatorId: z.string().nullable(),
  verdict: reviewVerdictSchema,
  comment: z.string().nullable(),
  /** Who reviewed: the API key's display prefix ("sk-lw-AbCd…"); keys have no other name. */
  reviewer: z.string(),
  /** The API key record's id (stable when the key is shown by prefix only). */
  reviewerKeyId: z.string(),
  /** Unix ms of the latest change. */
  reviewedAt: z.number(),
});
export type Review = z.infer<typeof reviewSchema>;

export const reviewListSchema = z.object({
  runId: z.string(),
  reviews: z.array(reviewSchema),
  /** Where the next page starts (the `cursor` to send), null on the last page. */
  nextCursor: z.string().nullable(),
});
export type ReviewList = z.infer<typeof reviewListSchema>;

/** The key of a review: one per run × row × target × repeat × evaluator ('' for the whole cell). */
export function reviewKey(r: { rowIndex: number; targetId: string; repeat: number; evaluatorId: string | null | undefined }): string {
  return `${r.rowIndex}\u0000${r.targetId}\u0000${r.repeat}\u0000${r.evaluatorId ?? ''}`;
}

/** Where a review sits in a run's key order: row index, target, repeat, evaluator (the cell's own first). */
export interface ReviewPosition {
  rowIndex: number;
  targetId: string;
  repeat: number;
  /** null: the review of the cell as a whole. */
  evaluatorId: string | null;
}
