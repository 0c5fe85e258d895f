// Reads a run's rows by scope position, lazily and in pages, from wherever the run's spec
// says they live (the experiment document, a dataset version, rows sent with the request,
// or the run parameters alone). Parameters are merged into every row.
//
// A page is bounded in bytes as well as in rows (core/engine/run-loop.ts, readRows): stored
// rows' sizes are read first (octet_length reads no text), then only the rows that fit.
import type { Row } from '../../core/model/experiment.js';
import { countWithin, PAGE_BYTES } from '../../core/model/paging.js';
import type { RunSpec } from '../../core/model/run.js';
import { withParameters } from '../../core/engine/plan.js';
import type { Stores } from '../../core/ports.js';

/** Source rows [from, to), and (for rows in storage) their stored sizes in bytes. */
export interface RowSource {
  read(from: number, to: number): Promise<Row[]>;
  /** Null: the rows are in memory already, so a page needs no budget. */
  sizes: ((from: number, to: number) => Promise<number[]>) | null;
}

/** Largest gap between wanted indices that is still read as one range. */
const GAP = 64;
/** Share of a page's byte budget that a range may spend on unwanted rows between two wanted ones (64 KB of 4 MB). */
const GAP_SHARE = 1 / 64;

export function rowSourceFor(
  runId: string,
  spec: RunSpec,
  stores: { datasets: Pick<Stores['datasets'], 'rows' | 'rowSizes'>; runs: Pick<Stores['runs'], 'inlineRows' | 'inlineRowSizes'> },
  experimentRows: () => Promise<Row[]>,
): RowSource {
  const source = spec.rows;
  switch (source.kind) {
    case 'experiment':
      return { read: async (from, to) => (await experimentRows()).slice(from, to), sizes: null };
    case 'dataset':
      return {
        read: (from, to) => stores.datasets.rows(source.datasetId, source.version, from, to - from),
        sizes: (from, to) => stores.datasets.rowSizes(source.datasetId, source.version, from, to),
      };
    case 'inline':
      return { read: (from, to) => stores.runs.inlineRows(runId, from, to), sizes: (from, to) => stores.runs.inlineRowSizes(runId, from, to) };
    case 'parameters':
      return { read: async (from, to) => (from === 0 && to > 0 ? [{}] : []), sizes: null };
  }
}

/**
 * Sorted unique indices in ranges to read whole: [first, last]. Neighbours at most GAP apart
 * share a range, and with `sizeOf` (stored sizes of every row in between) only while the rows
 * read for nothing between all of them stay within `gapBytes`, so large rows are never read
 * unwanted.
 */
function ranges(indices: readonly number[], sizeOf?: ReadonlyMap<number, number>, gapBytes = 0): [number, number][] {
  const unique = [...new Set(indices)].sort((a, b) => a - b);
  const out: [number, number][] = [];
  // One allowance for the whole page, not one per pair: 500 pairs of 64 KB gaps read 32 MB
  // of unwanted rows for a page of a few kilobytes (found by review).
  let gapLeft = gapBytes;
  const joins = (a: number, b: number): boolean => {
    if (b - a > GAP) return false;
    if (!sizeOf) return true;
    let between = 0;
    for (let idx = a + 1; idx < b; idx++) between += sizeOf.get(idx) ?? 0;
    if (between > gapLeft) return false;
    gapLeft -= between;
    return true;
  };
  for (let i = 0; i < unique.length; ) {
    let j = i;
    while (j + 1 < unique.length && joins(unique[j]!, unique[j + 1]!)) j++;
    out.push([unique[i]!, unique[j]!]);
    i = j + 1;
  }
  return out;
}

/**
 * Rows at scope positions [from, to), with parameters merged: all of them, or as many as fit in
 * `maxBytes` of stored text (at least one).
 */
export function scopeReader(spec: RunSpec, source: RowSource, maxBytes = PAGE_BYTES): (from: number, to: number) => Promise<Row[]> {
  return async (from, to) => {
    if (!spec.rowIndices) {
      const end = source.sizes ? from + countWithin(await source.sizes(from, to), maxBytes) : to;
      const rows = await source.read(from, end);
      // No rows where the plan counts some (not expected): empty rows with the parameters, as a
      // missing row index gets below, rather than rows without them.
      if (rows.length === 0) return Array.from({ length: to - from }, () => withParameters({}, spec.parameters));
      return rows.map((r) => withParameters(r, spec.parameters));
    }
    let wanted = spec.rowIndices.slice(from, to);
    let sizeOf: Map<number, number> | undefined;
    if (source.sizes) {
      sizeOf = await sizesOf(wanted, source.sizes);
      wanted = wanted.slice(0, positionsWithin(wanted, sizeOf, maxBytes));
    }
    const byIndex = new Map<number, Row>();
    // Nearby indices are read as one range; far-apart ones (or large rows between) separately.
    for (const [start, last] of ranges(wanted, sizeOf, maxBytes * GAP_SHARE)) {
      const rows = await source.read(start, last + 1);
      for (let idx = start; idx <= last; idx++) {
        const row = rows[idx - start];
        if (row) byIndex.set(idx, row);
      }
    }
    return wanted.map((idx) => withParameters(byIndex.get(idx) ?? {}, spec.parameters));
  };
}

/** Stored sizes of the wanted rows and of the rows between neighbours (one query per range). */
async function sizesOf(wanted: readonly number[], sizes: (from: number, to: number) => Promise<number[]>): Promise<Map<number, number>> {
  const sizeOf = new Map<number, number>();
  for (const [start, last] of ranges(wanted)) {
    const got = await sizes(start, last + 1);
    for (let idx = start; idx <= last; idx++) sizeOf.set(idx, got[idx - start] ?? 0);
  }
  return sizeOf;
}

/**
 * How many of the wanted positions, in order, fit in `maxBytes` (at least one). A row index
 * repeated in the page is read, and counted, once.
 */
function positionsWithin(wanted: readonly number[], sizeOf: ReadonlyMap<number, number>, maxBytes: number): number {
  const counted = new Set<number>();
  const perPosition = wanted.map((idx) => (counted.has(idx) ? 0 : (counted.add(idx), sizeOf.get(idx) ?? 0)));
  return countWithin(perPosition, maxBytes);
}
