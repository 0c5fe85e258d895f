// Paging and row-streaming shapes shared by the storage ports, and the `pagination` block of
// LangWatch's list answers.
import { z } from 'zod';
import type { Row } from './experiment.js';

/** A page request: `page` is 1-based. */
export interface PageRequest {
  page: number;
  pageSize: number;
}

export interface Paged<T> {
  items: T[];
  total: number;
}

/** Rows arrive in batches so large uploads are never held in memory whole. */
export type RowBatches = AsyncIterable<Row[]> & {
  /**
   * Columns the source names apart from its rows (a CSV header), filled in as it is read: a
   * dataset keeps them even when no row follows. Read once the batches are consumed.
   */
  readonly columns?: readonly string[];
};

/** The `pagination` block of list answers (LangWatch's names). */
export const paginationSchema = z.object({
  page: z.int(),
  pageSize: z.int(),
  totalHits: z.int(),
  hasMore: z.boolean(),
});

export function pagination(page: number, pageSize: number, count: number, total: number): z.infer<typeof paginationSchema> {
  return { page, pageSize, totalHits: total, hasMore: (page - 1) * pageSize + count < total };
}
