// Saved experiments (SPEC §4): create, read, replace, archive, list.
import { z } from 'zod';
import type { ExperimentService } from '../../app/experiments.js';
import { experimentDocumentSchema } from '../../core/model/experiment.js';
import type { ExperimentRecord } from '../../core/model/records.js';
import { jsonAnswer } from '../json-answer.js';
import { pageQuery, pagination, paginationSchema, type RouteTable } from '../route.js';

const DOC_TYPES = ['application/json', 'application/yaml'];

const experimentBodySchema = z.union([
  experimentDocumentSchema,
  z.object({ workbenchState: z.record(z.string(), z.unknown()).describe("LangWatch's saved Evaluations V3 state"), slug: z.string().optional(), name: z.string().optional() }),
]);

export const experimentResponseSchema = z.object({
  id: z.string(),
  slug: z.string(),
  name: z.string(),
  version: z.int().describe('Increases by one on every save that changes the document'),
  createdAt: z.number().describe('Unix ms'),
  updatedAt: z.number().describe('Unix ms'),
  document: experimentDocumentSchema,
});

/** Names the document's own rows lack (app/experiments.ts): the save stands, a run of those rows is refused at its start. */
export const saveWarningsSchema = z
  .array(z.object({ path: z.array(z.union([z.string(), z.number()])).describe('Where in the document'), message: z.string() }))
  .optional()
  .describe("Present when the document's inline rows lack names its targets' templates or evaluators' mappings read: the document is saved, but a run over those rows is refused at its start (one passing its own data may not be)");

const createResponseSchema = experimentResponseSchema.extend({ warnings: saveWarningsSchema });

const putResponseSchema = experimentResponseSchema.extend({
  unchanged: z.literal(true).optional().describe('The document was the same as the current version: no new version was made'),
  warnings: saveWarningsSchema,
});

const experimentListSchema = z.object({
  experiments: z.array(
    z.object({
      id: z.string(), slug: z.string(), name: z.string().nullable(), type: z.literal('EVALUATIONS_V3'), workflowId: z.null(),
      createdAt: z.string().describe('ISO 8601'), updatedAt: z.string().describe('ISO 8601'),
      runsCount: z.int(), lastRunAt: z.string().nullable(), version: z.int(),
    }),
  ),
  pagination: paginationSchema,
});

const slugParam = z.object({ slug: z.string().max(200) });
const versionQuery = z.object({
  version: z.string().regex(/^\d+$/, 'must be a positive integer').transform(Number).optional().describe('A past version; the latest when absent'),
});

export function present(r: ExperimentRecord) {
  return { id: r.id, slug: r.slug, name: r.name, version: r.version, createdAt: r.createdAt, updatedAt: r.updatedAt, document: r.document };
}

export function experimentRoutes(routes: RouteTable, experiments: ExperimentService): void {
  routes.add(
    {
      method: 'post', path: '/api/experiments', summary: 'Create an experiment', tags: ['Experiments'], auth: 'project',
      description: 'JSON or YAML. Without `slug`, one is derived from the name (-2, -3… on clashes). `{workbenchState}` imports a LangWatch experiment.',
      // The experiment service validates the document (its messages name each field in place).
      body: { schema: experimentBodySchema, contentTypes: DOC_TYPES, read: 'document', validate: 'service' },
      responses: { 201: { description: 'Created', schema: createResponseSchema }, 409: { description: 'The explicit slug is taken' } },
    },
    async (c, { body }) => {
      const { record, warnings } = await experiments.create(c.get('project'), body);
      const answer: z.infer<typeof createResponseSchema> = present(record);
      if (warnings.length > 0) answer.warnings = warnings;
      return jsonAnswer(c, answer, 201);
    },
  );

  routes.add(
    {
      method: 'get', path: '/api/experiments', summary: 'List experiments', tags: ['Experiments'], auth: 'project',
      description: 'Live experiments, most recently updated first (LangWatch list format).',
      query: pageQuery,
      responses: { 200: { description: 'A page', schema: experimentListSchema } },
    },
    async (c, { query }) => {
      const { items, total } = await experiments.list(c.get('project'), query);
      return c.json({
        experiments: items.map((e) => ({
          id: e.id, slug: e.slug, name: e.name, type: 'EVALUATIONS_V3' as const, workflowId: null,
          createdAt: new Date(e.createdAt).toISOString(), updatedAt: new Date(e.updatedAt).toISOString(),
          runsCount: e.runsCount, lastRunAt: e.lastRunAt === null ? null : new Date(e.lastRunAt).toISOString(), version: e.version,
        })),
        pagination: pagination(query.page, query.pageSize, items.length, total),
      });
    },
  );

  routes.add(
    {
      method: 'get', path: '/api/experiments/{slug}', summary: 'Read an experiment', tags: ['Experiments'], auth: 'project',
      params: slugParam, query: versionQuery,
      responses: { 200: { description: 'The experiment', schema: experimentResponseSchema } },
    },
    async (c, { params, query }) => jsonAnswer(c, present(await experiments.get(c.get('project'), params.slug, query.version))),
  );

  routes.add(
    {
      method: 'put', path: '/api/experiments/{slug}', summary: 'Replace (or create) an experiment', tags: ['Experiments'], auth: 'project',
      description:
        'Each save that changes the document is a new version; the same document again keeps the current version and answers `unchanged: true`. ' +
        'Creates the experiment when the slug is free (used by `assay push`).',
      params: slugParam,
      body: { schema: experimentBodySchema, contentTypes: DOC_TYPES, read: 'document', validate: 'service' },
      responses: { 200: { description: 'Replaced, or unchanged', schema: putResponseSchema }, 201: { description: 'Created', schema: putResponseSchema } },
    },
    async (c, { params, body }) => {
      const { record, created, unchanged, warnings } = await experiments.put(c.get('project'), params.slug, body);
      const answer: z.infer<typeof putResponseSchema> = present(record);
      if (unchanged) answer.unchanged = true;
      if (warnings.length > 0) answer.warnings = warnings;
      return jsonAnswer(c, answer, created ? 201 : 200);
    },
  );

  routes.add(
    {
      method: 'delete', path: '/api/experiments/{slug}', summary: 'Archive an experiment', tags: ['Experiments'], auth: 'project',
      description: 'The experiment disappears from lists and answers 404; its runs stay readable by run id.',
      params: slugParam,
      responses: { 204: { description: 'Archived' } },
    },
    async (c, { params }) => {
      await experiments.archive(c.get('project'), params.slug);
      return c.body(null, 204);
    },
  );
}
