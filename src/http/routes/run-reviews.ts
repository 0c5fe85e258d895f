// Reviews of a run's verdicts (SPEC §5, docs/reviews.md): a person marks a cell's verdict, or
// one evaluator's in a cell, passed or failed with a comment; the list of a run's reviews. The
// work is in app/runs/reviews.ts; the shapes are core/model/reviews.ts.
import { z } from 'zod';
import type { ReviewService } from '../../app/runs/reviews.js';
import { reviewListSchema, reviewRequestSchema, reviewSchema } from '../../core/model/reviews.js';
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
        params: runIdParam,
        responses: { 200: { description: 'Reviews by row, target, repeat and evaluator', schema: reviewListSchema }, 404: { description: 'run_not_found' } },
      },
      async (c, { params }) => c.json(await reviews.list(c.get('project'), params.runId)),
    );
  }
}
