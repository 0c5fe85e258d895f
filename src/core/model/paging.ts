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

/**
 * Stored text one page of cells or dataset rows reads at most (past its first item, which is
 * always read so a page moves on). Pages were bounded by count only, so a results page of 5,000
 * cells with multi-megabyte outputs, or a dataset page of 1,000 rows of 1 MB, was read into
 * memory whole before a byte of it was sent.
 */
export const PAGE_BYTES = 4 * 1024 * 1024;

/**
 * How many of the items, in order, fit in `maxBytes`: never fewer than `min` (1 for a page's
 * first read, so a page larger than the budget still moves on; 0 for its later reads).
 */
export function countWithin(sizes: readonly number[], maxBytes: number, min: 0 | 1 = 1): number {
  let used = 0;
  for (let i = 0; i < sizes.length; i++) {
    used += sizes[i]!;
    if (used > maxBytes) return Math.max(Math.min(min, sizes.length), i);
  }
  return sizes.length;
}
