// Per-cell results (LangWatch's results shape, paged) and exports (JSON Lines, CSV, JUnit),
// streamed page by page so a 100,000-cell run is never held in memory. The shapes are the run
// API's schemas (core/model/run-api.ts); records are mapped onto them in app/runs/present.ts
// and the exports are written by app/runs/exports.ts.
import { stream } from 'hono/streaming';
import { z } from 'zod';
import { csvColumnsNamed, EXPORT_CONTENT_TYPES, EXPORT_FORMATS, EXPORT_ONLY, type ExportFormat, exportRun, rowNamesAsked } from '../../app/runs/exports.js';
import { presentResults } from '../../app/runs/present.js';
import type { ReviewService } from '../../app/runs/reviews.js';
import type { RunService } from '../../app/runs/service.js';
import { MAX_RUN_ROWS_PAGE, RUN_ROWS_PAGE } from '../../app/runs/run-rows.js';
import { ValidationError } from '../../core/errors.js';
import type { RunRecord } from '../../core/model/run.js';
import { cellRequestSchema, resultsPageSchema, runRowsPageSchema } from '../../core/model/run-api.js';
import { yieldIfBusy } from '../../core/turns.js';
import { jsonAnswer } from '../json-answer.js';
import type { RouteTable } from '../route.js';
import { RUN_PREFIXES } from './runs.js';

const runIdParam = z.object({ runId: z.string().max(200) });

/**
 * The CSV columns `?columns=` asks for, checked before the export starts (a 400, not a cut
 * stream): `entry.<name>` against the columns of the run's rows (read only when a name may be one).
 */
async function chosenColumns(runs: RunService, run: RunRecord, format: ExportFormat, columns: string) {
  const refuse = (message: string) => new ValidationError(message, [{ path: ['columns'], message }]);
  if (format !== 'csv') throw refuse(`columns chooses CSV columns; this export is ${format}`);
  const names = columns.split(',').map((n) => n.trim());
  if (names.some((n) => n === '')) throw refuse('columns is a comma-separated list of column names, with none empty');
  const wanted = rowNamesAsked(run, names);
  const chosen = csvColumnsNamed(run, names, wanted.length > 0 ? await runs.rowColumns(run, wanted) : null);
  if ('problem' in chosen) throw refuse(chosen.problem);
  return chosen;
}

export function runResultRoutes(routes: RouteTable, runs: RunService, reviews: ReviewService): void {
  for (const prefix of RUN_PREFIXES) {
    const tags = [prefix === '/api/experiments' ? 'Runs' : 'Runs (legacy path)'];
    const legacy = prefix !== '/api/experiments';

    routes.add(
      {
        method: 'get', path: `${prefix}/runs/{runId}/results`, summary: 'Per-cell results, ordered by row index', tags, auth: 'project', deprecated: legacy,
        params: runIdParam,
        query: z.object({
          experimentSlug: z.string().max(200).optional().describe('Accepted for LangWatch clients; runs are found by id'),
          offset: z.string().regex(/^\d+$/).transform(Number).optional(),
          limit: z.string().regex(/^\d+$/).transform(Number).optional().describe('Default 1000, at most 5000 cells; 0 answers no cells, only the counts'),
        }),
        responses: { 200: { description: 'Results page', schema: resultsPageSchema } },
      },
      async (c, { params, query }) => {
        const offset = query.offset ?? 0;
        // 0 is a page of no cells (as for datasets), not one cell: a client asking for the counts gets them.
        const limit = Math.min(query.limit ?? 1000, 5000);
        return jsonAnswer(c, presentResults(await runs.results(c.get('project'), params.runId, offset, limit), offset, limit));
      },
    );

    routes.add(
      {
        method: 'get', path: `${prefix}/runs/{runId}/request`, summary: 'What a prompt target sent for one row', tags, auth: 'project', deprecated: legacy,
        description:
          "A prompt target's messages for the row, rendered again by the target's own templates from what the run read (the experiment at the run's version, " +
          "the row with the run's parameters merged, the target's variables), with its model, parameters and output schema: the request behind a cell's output. " +
          'Only prompt targets: an HTTP or code target is a 400.',
        params: runIdParam,
        query: z.object({
          rowIndex: z.string().regex(/^\d{1,9}$/, 'a row index: a whole number').transform(Number).describe('The row index (`index` of the cell in the results)'),
          targetId: z.string().min(1).max(200).describe('The target id'),
        }),
        responses: {
          200: { description: 'The request', schema: cellRequestSchema },
          400: { description: 'validation_error: a missing or malformed rowIndex or targetId, or a target that is not a prompt target' },
          404: { description: 'run_not_found, or cell_not_found: a target the run does not have, or a row it did not read' },
        },
      },
      async (c, { params, query }) => jsonAnswer(c, await runs.cellRequest(c.get('project'), params.runId, query.rowIndex, query.targetId)),
    );

    routes.add(
      {
        method: 'get', path: `${prefix}/runs/{runId}/rows`, summary: "The run's rows, as its targets saw them", tags, auth: 'project', deprecated: legacy,
        description:
          "The rows with an index in [offset, offset + limit), in index order, with the run's parameters merged: the rows sent with the run request (`data`), " +
          "which nothing else gives back, or those of the experiment's document or the dataset version the run used. Rows the run did not select (`row_indices`) are left out. " +
          'A page stops early once its rows pass 4 MB of stored text: `nextOffset` says where the next one starts (null once no row of the run is left).',
        params: runIdParam,
        query: z.object({
          offset: z.string().regex(/^\d+$/).transform(Number).optional().describe('A row index; default 0'),
          limit: z.string().regex(/^\d+$/).transform(Number).optional().describe(`Default ${RUN_ROWS_PAGE}, at most ${MAX_RUN_ROWS_PAGE} rows`),
        }),
        responses: {
          200: { description: 'A page of rows', schema: runRowsPageSchema },
          400: { description: 'validation_error: an offset or limit that is not a whole number, or a limit of 0' },
          404: { description: 'run_not_found' },
        },
      },
      async (c, { params, query }) => {
        // A page of no rows would give the same nextOffset back: a client would loop on it.
        if (query.limit === 0) throw new ValidationError('limit must be at least 1', [{ path: ['limit'], message: 'must be at least 1' }]);
        const limit = Math.min(query.limit ?? RUN_ROWS_PAGE, MAX_RUN_ROWS_PAGE);
        // Rows of up to 4 MB in all: written in turns.
        return jsonAnswer(c, await runs.rows(c.get('project'), params.runId, query.offset ?? 0, limit));
      },
    );

    routes.add(
      {
        method: 'get', path: `${prefix}/runs/{runId}/export`, summary: 'Export results as JSON Lines, CSV or JUnit XML', tags, auth: 'project', deprecated: legacy,
        description: 'CSV text fields that start with =, +, -, @, a tab or a carriage return get a leading apostrophe (formula injection). JUnit counts tests, failures and errors. ' +
          "People's reviews come beside the evaluators' results: a `reviews` list on reviewed JSON lines, review columns at the end of CSV rows, properties of JUnit test cases.",
        params: runIdParam,
        query: z.object({
          format: z.enum(EXPORT_FORMATS).default('jsonl'),
          only: z.enum(EXPORT_ONLY).optional().describe('Only the cells that did not pass (`failed`), or those with an error: a failed call or an evaluator error (`errors`)'),
          columns: z.string().max(4_000).optional().describe('CSV only: the columns, comma-separated and in order (`index,output,entry.question,exact.passed`); `entry.<column>` is a column of the rows, and one they do not have is refused'),
        }),
        responses: { 200: { description: 'The export, streamed', schema: z.string(), contentType: 'application/octet-stream' } },
      },
      async (c, { params, query }) => {
        const { run, pages } = await runs.pages(c.get('project'), params.runId);
        const columns = query.columns === undefined ? undefined : await chosenColumns(runs, run, query.format, query.columns);
        c.header('Content-Type', EXPORT_CONTENT_TYPES[query.format]);
        c.header('Content-Disposition', `attachment; filename="${run.id}.${query.format === 'junit' ? 'xml' : query.format}"`);
        return stream(c, async (out) => {
          for await (const chunk of exportRun(run, query.format, pages, (cells) => reviews.ofCells(run.id, cells), { only: query.only, columns })) {
            await out.write(chunk);
            await yieldIfBusy();
          }
        });
      },
    );
  }
}
