// Saved datasets (SPEC §4): JSON, CSV and JSON Lines uploads (streamed), paged reads,
// append, delete.
import type { Context } from 'hono';
import { z } from 'zod';
import { datasetListSchema, datasetPageSchema, datasetSchema, datasetUsersSchema, datasetVersionsSchema } from '../../core/model/dataset-api.js';
import { NO_NUL } from '../../core/model/slug.js';
import { datasetAppendSchema, datasetCreateSchema, type DatasetService, MAX_PAGE_LIMIT } from '../../app/datasets.js';
import type { RowLimits } from '../../app/row-limits.js';
import { arrayRows, checkRowArray, csvRows, jsonlRows } from '../../app/row-sources.js';
import { parseOrThrow } from '../../app/validation.js';
import { AssayError, isAssayError, ValidationError } from '../../core/errors.js';
import type { DatasetRecord } from '../../core/model/records.js';
import type { RowBatches } from '../../core/ports.js';
import { bodyBytes, jsonBody, mediaType } from '../body.js';
import { jsonAnswer } from '../json-answer.js';
import type { HttpEnv } from '../context.js';
import { pageQuery, pagination, type RouteTable } from '../route.js';

const CSV_TYPES = new Set(['text/csv', 'application/csv']);
const JSONL_TYPES = new Set(['application/x-ndjson', 'application/jsonl', 'application/x-jsonlines', 'application/jsonlines']);
const UPLOAD_TYPES = ['application/json', 'text/csv', 'application/x-ndjson'];
/** The docs' bodies of the text uploads: text, with the dataset's name in `?name=`. */
const TEXT_UPLOADS = {
  'text/csv': z.string().describe('CSV, UTF-8: a header line of column names, then a row a line (e.g. "question,expected\\nCapital of France?,Paris")'),
  'application/x-ndjson': z.string().describe('JSON Lines, UTF-8: one JSON object a line (e.g. {"question": "Capital of France?", "expected": "Paris"})'),
};


const uploadQuery = z.object({
  name: z.string().trim().min(1).max(200).regex(...NO_NUL).optional().describe('Required for CSV and JSON Lines bodies'),
  slug: z.string().max(200).optional(),
});

const rowsQuery = z.object({
  offset: z.string().regex(/^\d+$/, 'must be a non-negative integer').transform(Number).optional().describe('Default 0'),
  limit: z.string().regex(/^\d+$/, 'must be a non-negative integer').transform(Number).optional().describe(`Default 100, at most ${MAX_PAGE_LIMIT}`),
  version: z.string().regex(/^\d+$/, 'must be a positive integer').transform(Number).optional().describe('Default: the latest'),
});

const idParam = z.object({ idOrSlug: z.string().max(200) });

const appendQuery = z.object({
  newColumns: z.enum(['allow']).optional().describe("`allow`: the rows may bring columns the dataset does not have (they still need each of its own); without it they are refused"),
});

/** The keys of rows together, in first-seen order. */
function keysOf(rows: readonly Record<string, unknown>[]): string[] {
  const keys = new Set<string>();
  for (const row of rows) for (const key of Object.keys(row)) keys.add(key);
  return [...keys];
}

export function presentDataset(d: DatasetRecord) {
  return { id: d.id, slug: d.slug, name: d.name, version: d.version, rowCount: d.rowCount, columns: d.columns, createdAt: d.createdAt, updatedAt: d.updatedAt };
}

/**
 * Byte limits of an upload body: a JSON body is parsed whole (ASSAY_MAX_BODY_BYTES), a CSV or
 * JSON Lines body is read as a stream and stored in batches (ASSAY_MAX_UPLOAD_BYTES), so only
 * the rows limits and the disk bound it in practice (docs/large-datasets.md).
 */
export interface UploadBytes {
  json: number;
  stream: number;
}

/** Rows of an upload body, by content type; JSON bodies are validated against `schema`. */
async function uploadRows<S extends z.ZodType<{ rows: Record<string, unknown>[] }>>(
  c: Context<HttpEnv>,
  max: UploadBytes,
  limits: RowLimits,
  schema: S,
): Promise<{ rows: RowBatches; json?: z.output<S> }> {
  const type = mediaType(c);
  if (CSV_TYPES.has(type)) return { rows: csvRows(bodyBytes(c, max.stream), limits) };
  if (JSONL_TYPES.has(type)) return { rows: jsonlRows(bodyBytes(c, max.stream), limits) };
  const json = parseOrThrow(schema, await jsonBody(c, max.json).catch((error: unknown) => {
    // curl sends `--data-binary @rows.csv` as a form, a browser a file as text/plain: a CSV or
    // JSON Lines file sent without its type failed as JSON, with no word of the type to set.
    if (isAssayError(error) && error.code === 'invalid_json' && type !== 'application/json') {
      throw new AssayError('invalid_json', `${error.message}; the body was read as JSON because its Content-Type is ${type ? `"${type}"` : 'missing'}: send CSV as text/csv and JSON Lines as application/x-ndjson`);
    }
    throw error;
  }), 'dataset');
  await checkRowArray(json.rows, limits, 'rows');
  return { rows: arrayRows(json.rows), json };
}

/** `rowLimits`: ASSAY_MAX_ROWS and ASSAY_MAX_ROW_BYTES, per upload (413 naming the row). */
export function datasetRoutes(routes: RouteTable, datasets: DatasetService, maxBytes: UploadBytes, rowLimits: RowLimits): void {
  routes.add(
    {
      method: 'post', path: '/api/datasets', summary: 'Create a dataset', tags: ['Datasets'], auth: 'project',
      description: 'JSON `{name, slug?, rows}` (at most ASSAY_MAX_BODY_BYTES), or a CSV (header line first) or JSON Lines body with `?name=`, ' +
        'read as a stream and stored in batches (at most ASSAY_MAX_UPLOAD_BYTES, default 1 GiB, and ASSAY_MAX_ROWS rows). All or nothing.',
      query: uploadQuery,
      // Streamed: CSV and JSON Lines uploads are read row by row (uploadRows), JSON validated there.
      body: { schema: datasetCreateSchema, contentTypes: UPLOAD_TYPES, schemaOf: TEXT_UPLOADS, read: 'stream' },
      responses: { 201: { description: 'Created', schema: datasetSchema }, 409: { description: 'The explicit slug is taken' } },
    },
    async (c, { query }) => {
      const { rows, json } = await uploadRows(c, maxBytes, rowLimits, datasetCreateSchema);
      if (json && (query.name !== undefined || query.slug !== undefined)) {
        // A JSON body names the dataset itself: which of two names would win is not for us to guess.
        const given = query.name !== undefined ? 'name' : 'slug';
        throw new ValidationError(`?${given}= is for CSV and JSON Lines uploads; a JSON body gives name and slug as its own fields`, [{ path: [given], message: 'not with a JSON body' }]);
      }
      const name = json?.name ?? query.name;
      if (name === undefined) throw new ValidationError('A CSV or JSON Lines upload needs ?name=', [{ path: ['name'], message: 'required' }]);
      const record = await datasets.create(c.get('project'), { name, slug: json?.slug ?? query.slug }, rows);
      return c.json(presentDataset(record), 201);
    },
  );

  routes.add(
    {
      method: 'get', path: '/api/datasets', summary: 'List datasets', tags: ['Datasets'], auth: 'project',
      query: pageQuery,
      responses: { 200: { description: 'A page', schema: datasetListSchema } },
    },
    async (c, { query }) => {
      const { items, total } = await datasets.list(c.get('project'), query);
      return c.json({ datasets: items.map(presentDataset), pagination: pagination(query.page, query.pageSize, items.length, total) });
    },
  );

  routes.add(
    {
      method: 'get', path: '/api/datasets/{idOrSlug}', summary: 'Read a dataset and a page of its rows', tags: ['Datasets'], auth: 'project',
      params: idParam, query: rowsQuery,
      responses: {
        200: {
          description: 'The dataset with rows [offset, offset+limit), fewer when they pass 4 MB of stored text: nextOffset says where the next page starts',
          schema: datasetPageSchema,
        },
      },
    },
    async (c, { params, query }) => {
      const limit = Math.min(query.limit ?? 100, MAX_PAGE_LIMIT);
      const page = await datasets.page(c.get('project'), params.idOrSlug, query.offset ?? 0, limit, query.version);
      return jsonAnswer(c, { ...presentDataset(page.dataset), offset: page.offset, limit, nextOffset: page.nextOffset, rows: page.rows });
    },
  );

  routes.add(
    {
      method: 'get', path: '/api/datasets/{idOrSlug}/versions', summary: 'List a dataset\'s versions', tags: ['Datasets'], auth: 'project',
      description: 'Newest first. Each upload and append made one; read an old one\'s rows with `GET /api/datasets/{idOrSlug}?version=`.',
      params: idParam,
      responses: { 200: { description: 'The versions, newest first', schema: datasetVersionsSchema } },
    },
    async (c, { params }) => jsonAnswer(c, { versions: await datasets.versions(c.get('project'), params.idOrSlug) }),
  );

  routes.add(
    {
      method: 'get', path: '/api/datasets/{idOrSlug}/experiments', summary: 'List the experiments that run a dataset', tags: ['Datasets'], auth: 'project',
      description: 'The live (not archived) experiments whose latest version names the dataset, by its id or its slug: those that would stop a delete.',
      params: idParam,
      responses: { 200: { description: 'The experiments', schema: datasetUsersSchema } },
    },
    async (c, { params }) => c.json({ experiments: await datasets.users(c.get('project'), params.idOrSlug) }),
  );

  routes.add(
    {
      method: 'post', path: '/api/datasets/{idOrSlug}/records', summary: 'Append rows (a new version)', tags: ['Datasets'], auth: 'project',
      description: "The rows have the dataset's columns: a CSV's header, or the keys of its JSON or JSON Lines rows together, are each of the dataset's columns and no other " +
        '(a JSON row may leave a key out, an empty value). Otherwise a 400 naming the missing and the unexpected columns (`missingColumns`, `unexpectedColumns`), ' +
        'and nothing is stored; `?newColumns=allow` lets the rows bring new columns, which the rows already there read as empty.',
      params: idParam,
      query: appendQuery,
      body: { schema: datasetAppendSchema, contentTypes: UPLOAD_TYPES, schemaOf: TEXT_UPLOADS, read: 'stream' },
      responses: {
        200: { description: 'The new version', schema: datasetSchema },
        400: { description: "validation_error: rows whose columns are not the dataset's (missingColumns, unexpectedColumns), no row and no new column, a malformed body" },
      },
    },
    async (c, { params, query }) => {
      const project = c.get('project');
      await datasets.get(project, params.idOrSlug);
      const { rows, json } = await uploadRows(c, maxBytes, rowLimits, datasetAppendSchema);
      // A JSON body is whole already: its columns (the keys of its rows together) are checked before a row is stored.
      const batches = json ? Object.assign(arrayRows(json.rows), { columns: keysOf(json.rows) }) : rows;
      return c.json(presentDataset(await datasets.append(project, params.idOrSlug, batches, { newColumns: query.newColumns === 'allow' })));
    },
  );

  routes.add(
    {
      method: 'delete', path: '/api/datasets/{idOrSlug}', summary: 'Delete a dataset', tags: ['Datasets'], auth: 'project',
      description: 'Runs that used it stay readable.',
      params: idParam,
      responses: { 204: { description: 'Deleted' } },
    },
    async (c, { params }) => {
      await datasets.remove(c.get('project'), params.idOrSlug);
      return c.body(null, 204);
    },
  );
}
