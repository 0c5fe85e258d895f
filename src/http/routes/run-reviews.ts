// Reviews of a run's verdicts (SPEC §5, docs/reviews.md): a person marks a cell's verdict, or
// one evaluator's in a cell, passed or failed with a comment; the list of a run's reviews. The
// work is in app/runs/reviews.ts; the shapes are core/model/reviews.ts.
import { z } from 'zod';
import { MAX_REVIEW_PAGE, parseReviewCursor, REVIEW_PAGE, type ReviewService } from '../../app/runs/reviews.js';
import { ValidationError } from '../../core/errors.js';
import { reviewListSchema, reviewRequestSchema, reviewSchema } from '../../core/model/reviews.js';
import { jsonAnswer } from '../json-answer.js';
import type { RouteTable } from '../route.js';
import { RUN_PREFIXES } from './runs.js';

const runIdParam = z.object({ runId: z.string().max(200) });

export function runReviewRoutes(routes: RouteTable, reviews: ReviewService): void {
  for (const prefix of RUN_PREFIXES) {
    const tags = [prefix === '/api/experiments' ? 'Runs' : 'Runs (legacy path)'];
    const legacy = prefix !== '/api/experiments';

    routes.add(
      {
        method: 'put', path: `${prefix}/runs/{runId}/reviews`, summary: "Review a cell's verdict (or one evaluator's) as passed or failed", tags, auth: 'project', deprecated: legacy,
        description:
          'One review per row × target × repeat × evaluator (none: the cell as a whole); a second PUT with the same key replaces it. ' +
          "Stored with the API key's display prefix and the time. Evaluator results are never changed: the run summary adds `reviewed` and `reviewedPassRate`.",
        params: runIdParam,
        body: { schema: reviewRequestSchema },
        responses: {
          200: { description: 'The stored review', schema: reviewSchema },
          404: { description: 'run_not_found, or cell_not_found: the run has no such committed cell (or no result of that evaluator in it)' },
        },
      },
      async (c, { params, body }) => c.json(await reviews.put(c.get('project'), params.runId, body, { keyId: c.get('apiKeyId'), name: c.get('apiKeyName') })),
    );

    routes.add(
      {
        method: 'get', path: `${prefix}/runs/{runId}/reviews`, summary: "A run's reviews", tags, auth: 'project', deprecated: legacy,
        description:
          `A page of the run's reviews in key order. The first page is the one without \`cursor\`; each answer's \`nextCursor\` (null on the last page) is the \`cursor\` of the next. ` +
          'Pages start by key, so reviews written while a client pages through appear on a later page if their key sorts after its cursor.',
        params: runIdParam,
        query: z.object({
          cursor: z.string().max(2000).optional().describe("A page's `nextCursor`; absent: the first page"),
          // At least 1: a page of none cannot say where the next starts (limit=0 was a 500).
          limit: z
            .string()
            .regex(/^\d+$/)
            .transform(Number)
            .refine((n) => n >= 1, 'must be at least 1')
            .optional()
            .describe(`Default ${REVIEW_PAGE}, at most ${MAX_REVIEW_PAGE} reviews`),
        }),
        responses: {
          200: { description: 'Reviews by row, target, repeat and evaluator', schema: reviewListSchema },
          400: { description: 'validation_error: a cursor no page gave, or a limit that is not a whole number of at least 1' },
          404: { description: 'run_not_found' },
        },
      },
      async (c, { params, query }) => {
        const after = query.cursor === undefined ? null : parseReviewCursor(query.cursor);
        if (query.cursor !== undefined && !after) throw new ValidationError("cursor is not one this API gave: send a page's nextCursor as it came", [{ path: ['cursor'], message: 'invalid cursor' }]);
        const limit = Math.min(query.limit ?? REVIEW_PAGE, MAX_REVIEW_PAGE);
        // A page of 1,000 reviews with 10 KB comments is 10 MB: written in turns (c.json held the thread 300–430 ms).
        return jsonAnswer(c, await reviews.list(c.get('project'), params.runId, after, limit));
      },
    );
  }
}
