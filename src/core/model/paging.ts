// Paging and row-streaming shapes shared by the storage ports.
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
export type RowBatches = AsyncIterable<Row[]>;
