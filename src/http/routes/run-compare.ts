// Comparing a run with a baseline (SPEC §5 "Comparisons"): the comparison with its statistics
// and a page of changed rows, and the export of every compared row. The work is in
// app/runs/compare.ts; the shapes are core/model/compare.ts.
import { stream } from 'hono/streaming';
import { z } from 'zod';
import type { CompareService } from '../../app/runs/compare.js';
import { EXPORT_CONTENT_TYPES } from '../../app/runs/exports.js';
import { compareExportQuerySchema, compareQuerySchema, comparisonSchema } from '../../core/model/compare.js';
import { yieldIfBusy } from '../../core/turns.js';
import type { RouteTable } from '../route.js';
import { RUN_PREFIXES } from './runs.js';

const runIdParam = z.object({ runId: z.string().max(200) });

export function runCompareRoutes(routes: RouteTable, compare: CompareService): void {
  for (const prefix of RUN_PREFIXES) {
    const tags = [prefix === '/api/experiments' ? 'Runs' : 'Runs (legacy path)'];
    const legacy = prefix !== '/api/experiments';

    routes.add(
      {
        method: 'get', path: `${prefix}/runs/{runId}/compare`, summary: 'Compare a run with a baseline run, with paired significance tests', tags, auth: 'project', deprecated: legacy,
        description:
          'Rows pair by index when both runs read the same dataset version, else by a hash of the row data without run parameters. ' +
          'Per evaluator × target: exact McNemar on single pass/fail verdicts, else Wilcoxon signed-rank on per-row means (repeats averaged) or scores; Holm-adjusted across the comparison.',
        params: runIdParam,
        query: compareQuerySchema,
        responses: { 200: { description: 'The comparison', schema: comparisonSchema } },
      },
      async (c, { params, query }) => c.json(await compare.compare(c.get('project'), params.runId, query)),
    );

    routes.add(
      {
        method: 'get', path: `${prefix}/runs/{runId}/compare/export`, summary: 'Every compared row × target × evaluator, as JSON Lines or CSV', tags, auth: 'project', deprecated: legacy,
        params: runIdParam,
        query: compareExportQuerySchema,
        responses: { 200: { description: 'The export, streamed', schema: z.string(), contentType: 'application/octet-stream' } },
      },
      async (c, { params, query }) => {
        const { candidate, baseline, chunks } = await compare.export(c.get('project'), params.runId, query.baseline, query.format);
        c.header('Content-Type', EXPORT_CONTENT_TYPES[query.format]);
        c.header('Content-Disposition', `attachment; filename="${candidate.id}-vs-${baseline.id}.${query.format}"`);
        return stream(c, async (out) => {
          for await (const chunk of chunks) {
            await out.write(chunk);
            await yieldIfBusy();
          }
        });
      },
    );
  }
}
