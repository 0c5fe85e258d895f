// The LangWatch-compatible run API (SPEC §5), served under /api/experiments and under
// /api/evaluations/v3 (identical behaviour, no redirect): start, poll, list, abort, resume.
import { z } from 'zod';
import type { RunEstimates } from '../../app/runs/estimate.js';
import type { ReviewService } from '../../app/runs/reviews.js';
import type { RunService } from '../../app/runs/service.js';
import { AssayError, ValidationError } from '../../core/errors.js';
import { runEstimateSchema } from '../../core/model/estimate.js';
import { runRequestSchema } from '../../core/model/run.js';
import { runListSchema, runStartedSchema, runStatusSchema } from '../../core/model/run-api.js';
import { presentListItem, presentRun } from '../../app/runs/present.js';
import { pageQuery, pagination, type RouteTable } from '../route.js';
import { sseResponse } from '../sse.js';

export const RUN_PREFIXES = ['/api/experiments', '/api/evaluations/v3'] as const;

export interface RunRouteDeps {
  runs: RunService;
  /** What a run would cost, before it starts. */
  estimates: RunEstimates;
  /** Adds the reviewed figures to the poll body's summary. */
  reviews: ReviewService;
  /** Whether an API key record is still active: a stream whose key was revoked closes. */
  keyActive: (keyId: string) => Promise<boolean>;
}

const runIdParam = z.object({ runId: z.string().max(200) });
const abortedSchema = z.object({ success: z.boolean(), runId: z.string(), message: z.string() });
const slugParam = z.object({ slug: z.string().max(200) });

/** `metadata.KEY=value` query parameters: keys of letters, digits, `_` and `-` (the same on SQLite and PostgreSQL). */
const METADATA_KEY = /^[A-Za-z0-9_-]{1,64}$/;
const MAX_METADATA_FILTERS = 10;

/** The runs list's metadata filter from the raw query; a malformed key is a 400 naming it. */
function metadataFilter(query: Record<string, string[]>): Record<string, string> {
  const filter: Record<string, string> = {};
  for (const [name, values] of Object.entries(query)) {
    if (!name.startsWith('metadata.')) continue;
    const key = name.slice('metadata.'.length);
    if (!METADATA_KEY.test(key)) {
      throw new ValidationError(`Invalid metadata filter "${name.slice(0, 80)}": keys are 1–64 letters, digits, _ or -`, [{ path: [name.slice(0, 80)], message: 'invalid metadata key' }]);
    }
    if (values.length !== 1) throw new ValidationError(`metadata.${key} is given ${values.length} times; give it once`, [{ path: [name], message: 'repeated' }]);
    if (values[0]!.length > 1000) throw new ValidationError(`metadata.${key} is longer than 1000 characters`, [{ path: [name], message: 'too long' }]);
    filter[key] = values[0]!;
  }
  if (Object.keys(filter).length > MAX_METADATA_FILTERS) {
    throw new ValidationError(`At most ${MAX_METADATA_FILTERS} metadata filters`, [{ path: ['metadata'], message: 'too many filters' }]);
  }
  return filter;
}

/** The error for a body with a key its schema does not take, naming the key; undefined for other errors. */
function unknownKey(error: z.ZodError, takes: string, compatText?: string): AssayError | undefined {
  const issue = error.issues.find((i) => i.code === 'unrecognized_keys');
  if (!issue) return undefined;
  const key = String(issue.keys[0]).slice(0, 60);
  return new AssayError('validation_error', `Unknown key "${key}": ${takes}`, { issues: [{ path: [key], message: 'unknown key' }], ...(compatText ? { compatText } : {}) });
}

export function runRoutes(routes: RouteTable, deps: RunRouteDeps): void {
  const { runs } = deps;
  for (const prefix of RUN_PREFIXES) {
    const tags = [prefix === '/api/experiments' ? 'Runs' : 'Runs (legacy path)'];
    const legacy = prefix !== '/api/experiments';

    routes.add(
      {
        method: 'get', path: `${prefix}/runs`, summary: 'List runs of an experiment, newest first', tags, auth: 'project', deprecated: legacy,
        description:
          'Filter by metadata with `metadata.KEY=value` (repeatable for different keys, all must match): keeps runs whose metadata has KEY with exactly that string value. ' +
          'Keys are 1–64 letters, digits, `_` or `-`; non-string metadata values never match. While a run goes, `summary` holds the figures of its last commit.',
        query: pageQuery.extend({ experimentSlug: z.string().max(200).optional() }),
        queryPrefixes: ['metadata.'],
        responses: { 200: { description: 'A page of runs', schema: runListSchema } },
      },
      async (c, { query }) => {
        if (!query.experimentSlug) {
          throw new ValidationError('experimentSlug query parameter is required', [{ path: ['experimentSlug'], message: 'required' }], { compatText: 'experimentSlug query parameter is required' });
        }
        const { experiment, runs: page } = await runs.list(c.get('project'), query.experimentSlug, query, metadataFilter(c.req.queries()));
        return c.json({
          experimentId: experiment.id,
          experimentSlug: experiment.slug,
          runs: page.items.map(presentListItem),
          pagination: pagination(query.page, query.pageSize, page.items.length, page.total),
        });
      },
    );

    routes.add(
      {
        method: 'post', path: `${prefix}/{slug}/run`, summary: 'Start a run of a saved experiment', tags, auth: 'project', deprecated: legacy,
        description: 'Returns at once with the run id, or streams the run as SSE when Accept contains text/event-stream. The body is optional.',
        params: slugParam,
        // Read after the experiment is found (404 first); the run service validates it.
        body: { schema: runRequestSchema, required: false, read: 'lazy', validate: 'service' },
        // The stream slot is taken first, so a refused stream never starts a run nobody watches.
        limits: { stream: 'if-sse', runStart: true },
        responses: {
          200: { description: 'Started (JSON), or the SSE stream of the run', schema: runStartedSchema },
          404: { description: 'experiment_not_found' },
          413: { description: 'payload_too_large: a body, `data` or one of its rows over the limits, or more cells (rows × targets × repeats) than ASSAY_MAX_CELLS_PER_RUN' },
          429: { description: 'rate_limited: too many runs started, or (SSE) too many open streams, for this API key; see Retry-After' },
        },
      },
      async (c, { params, body, releaseStream }) => {
        const { started } = await runs.start(c.get('project'), params.slug, body);
        if ((c.req.header('accept') ?? '').includes('text/event-stream')) {
          const keyId = c.get('apiKeyId');
          return sseResponse(c, await runs.stream(c.get('project'), started.runId, 0, () => deps.keyActive(keyId)), releaseStream);
        }
        return c.json(started);
      },
    );

    routes.add(
      {
        method: 'post', path: `${prefix}/{slug}/estimate`, summary: 'What a run would cost, without starting it', tags, auth: 'project', deprecated: legacy,
        description:
          'Takes the body of POST …/{slug}/run and checks it the same way (404, 400, 413), then answers with the cells the run would execute and its cost per target and per evaluator, '
          + 'from what the newest finished runs of the experiment paid per call (at the current version when there are any). Nothing is started or stored. '
          + 'One body serves both calls: `webhookUrl`, `metadata` and `baselineRunId` are checked as a start checks them (a bad URL is a 400, an unknown baseline a 404) but change no figure of the estimate.',
        params: slugParam,
        body: { schema: runRequestSchema, required: false, read: 'lazy', validate: 'service' },
        responses: {
          200: { description: 'The estimate', schema: runEstimateSchema },
          404: { description: 'experiment_not_found, dataset_not_found, run_not_found (baselineRunId)' },
          413: { description: 'payload_too_large: a body, `data` or one of its rows over the limits, or more cells than ASSAY_MAX_CELLS_PER_RUN' },
        },
      },
      async (c, { params, body }) => c.json(await deps.estimates.estimate(c.get('project'), params.slug, body)),
    );

    routes.add(
      {
        method: 'get', path: `${prefix}/runs/{runId}`, summary: 'Poll a run', tags, auth: 'project', deprecated: legacy,
        params: runIdParam,
        description: "The summary's `reviewed` and `reviewedPassRate` are computed from people's reviews when the run is read.",
        responses: { 200: { description: 'Run state; summary once ended', schema: runStatusSchema }, 404: { description: 'run_not_found' } },
      },
      async (c, { params }) => {
        const run = await runs.get(c.get('project'), params.runId);
        return c.json(await deps.reviews.withReviewedFigures(run, presentRun(run)));
      },
    );

    routes.add(
      {
        method: 'post', path: `${prefix}/runs/{runId}/abort`, summary: 'Stop a run', tags, auth: 'project', deprecated: legacy,
        description: 'In-flight calls are cancelled, results so far are kept; the run becomes stopped within a second.',
        params: runIdParam,
        responses: { 200: { description: 'Abort requested', schema: abortedSchema }, 409: { description: 'The run has already ended' } },
      },
      async (c, { params }) => {
        await runs.abort(c.get('project'), params.runId);
        return c.json({ success: true, runId: params.runId, message: 'Abort requested' });
      },
    );

    // LangWatch's form, {projectId, runId}: the key decides the project, as for X-Project-Id
    // (docs/decisions.md, "API keys and auth"); projectId is taken so its clients work unchanged.
    const abortBody = z.strictObject({ runId: z.string().min(1).max(200), projectId: z.string().optional() });
    routes.add(
      {
        method: 'post', path: `${prefix}/abort`, summary: 'Stop a run (LangWatch form)', tags, auth: 'project', deprecated: legacy,
        body: {
          schema: abortBody, required: false,
          invalid: (error: z.ZodError) => unknownKey(error, 'the abort body takes runId and projectId', 'Invalid request body') ??
            new AssayError('validation_error', 'runId is required', { compatText: 'Invalid request body', issues: [{ path: ['runId'], message: 'required' }] }),
        },
        responses: { 200: { description: 'Abort requested', schema: abortedSchema } },
      },
      async (c, { body }) => {
        await runs.abort(c.get('project'), body.runId);
        return c.json({ success: true, runId: body.runId, message: 'Abort requested' });
      },
    );

    const resumeBody = z.strictObject({ retryErrors: z.boolean().optional() });
    routes.add(
      {
        method: 'post', path: `${prefix}/runs/{runId}/resume`, summary: 'Resume a stopped run', tags, auth: 'project', deprecated: legacy,
        description: 'Continues where it stopped; with retryErrors, cells whose target failed run again. Finished cells are never re-run.',
        params: runIdParam,
        body: {
          schema: resumeBody, required: false,
          // A misspelt retry_errors resumed without retrying: an unknown key is named.
          invalid: (error: z.ZodError) => unknownKey(error, 'the resume body takes only retryErrors (a boolean)') ??
            new ValidationError('retryErrors must be a boolean', [{ path: ['retryErrors'], message: 'expected boolean' }]),
        },
        limits: { runStart: true },
        responses: {
          200: { description: 'Running again', schema: runStartedSchema },
          409: { description: 'Not resumable in its state' },
          413: { description: 'payload_too_large: the run has more cells than ASSAY_MAX_CELLS_PER_RUN allows now (the cap was lowered after it started)' },
          429: { description: 'rate_limited: too many runs started for this API key (a resume counts as a start); see Retry-After' },
        },
      },
      async (c, { params, body }) => c.json(await runs.resume(c.get('project'), params.runId, body.retryErrors ?? false)),
    );

    routes.add(
      {
        method: 'get', path: `${prefix}/runs/{runId}/events`, summary: 'The run as SSE, from the start or after Last-Event-ID', tags, auth: 'project', deprecated: legacy,
        params: runIdParam,
        query: z.object({ lastEventId: z.string().regex(/^\d+$/).optional().describe('Same as the Last-Event-ID header, which wins when both are sent: an EventSource reconnects with the header while its URL keeps the first value') }),
        limits: { stream: 'always' },
        responses: {
          200: { description: 'SSE stream', schema: z.string(), contentType: 'text/event-stream' },
          429: { description: 'rate_limited: too many open streams for this API key; see Retry-After' },
        },
      },
      async (c, { params, query, releaseStream }) => {
        // An unknown run is a 404 whatever its Last-Event-ID says.
        await runs.cursor(c.get('project'), params.runId);
        const header = c.req.header('last-event-id');
        const raw = header ?? query.lastEventId ?? '0';
        // Named as it was sent: the header, or the query parameter when no header came.
        const named = header === undefined ? 'lastEventId' : 'Last-Event-ID';
        if (!/^\d{1,15}$/.test(raw.trim())) throw new ValidationError(`${named} must be a non-negative integer of at most 15 digits`, [{ path: [named], message: 'not an integer of at most 15 digits' }]);
        const keyId = c.get('apiKeyId');
        return sseResponse(c, await runs.stream(c.get('project'), params.runId, Number(raw.trim()), () => deps.keyActive(keyId)), releaseStream);
      },
    );
  }
}
