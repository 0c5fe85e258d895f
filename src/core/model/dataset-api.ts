// The dataset API's answers (SPEC §4), one zod schema each: a dataset's header, a page of its
// rows, the list, its versions and the experiments that run it. The routes declare them as
// their responses (so the OpenAPI document is typed) and the web page infers its types from
// them (STYLE.md §16).
import { z } from 'zod';
import { paginationSchema } from './paging.js';

/** A dataset's header at one version (the latest unless one was asked for). */
export const datasetSchema = z.object({
  id: z.string(), slug: z.string(), name: z.string(), version: z.int(), rowCount: z.int(),
  columns: z.array(z.string()), createdAt: z.number(), updatedAt: z.number(),
});
export type DatasetView = z.infer<typeof datasetSchema>;

/** GET /api/datasets. */
export const datasetListSchema = z.object({ datasets: z.array(datasetSchema), pagination: paginationSchema });
export type DatasetList = z.infer<typeof datasetListSchema>;

/** GET /api/datasets/{idOrSlug}: the header of the version read, and rows [offset, nextOffset). */
export const datasetPageSchema = datasetSchema.extend({
  offset: z.int(),
  limit: z.int(),
  nextOffset: z.int().nullable().describe('Where the next page starts; null once this page holds the last row'),
  rows: z.array(z.record(z.string(), z.unknown())),
});
export type DatasetPage = z.infer<typeof datasetPageSchema>;

/** One version of a dataset: each upload and append makes one (datasets are append-only). */
export const datasetVersionSchema = z.object({
  version: z.int(),
  rowCount: z.int().describe('Rows 0 … rowCount-1 of the dataset are this version\'s'),
  columns: z.array(z.string()).describe('Column names in first-seen order, as of this version'),
  createdAt: z.number().describe('When the version was made (Unix ms)'),
});
export type DatasetVersion = z.infer<typeof datasetVersionSchema>;

/** GET /api/datasets/{idOrSlug}/versions: newest first. */
export const datasetVersionsSchema = z.object({ versions: z.array(datasetVersionSchema) });
export type DatasetVersions = z.infer<typeof datasetVersionsSchema>;

/** GET /api/datasets/{idOrSlug}/experiments: the live experiments whose latest version runs it. */
export const datasetUsersSchema = z.object({
  experiments: z.array(z.object({ slug: z.string(), name: z.string() })),
});
export type DatasetUsers = z.infer<typeof datasetUsersSchema>;
