// A histogram's bins, apart from the chart that draws them (uPlot needs a browser; this does not).

/** A histogram's bins: `edges[i]` starts bin i, `hi` ends the last; `lo`–`max` is the values' own range. */
export interface Bins {
  edges: number[];
  counts: number[];
  hi: number;
  lo: number;
  max: number;
}

/**
 * Equal-width bins over the values' range. Values that are all equal have no range: they get
 * one bin of `domain` (the range such values usually take, e.g. 0–1 for scores) when it holds
 * them, else a bin centred on them with an empty one either side, so the axis is around the
 * value rather than from it to value + 1 (scores all 1 drew an axis of 1–2).
 */
export function histogram(values: number[], bins = 10, domain?: [number, number]): Bins {
  if (values.length === 0) return { edges: [], counts: [], hi: 0, lo: 0, max: 0 };
  let lo = Infinity;
  let hi = -Infinity;
  for (const v of values) {
    if (v < lo) lo = v;
    if (v > hi) hi = v;
  }
  if (lo === hi) {
    if (domain && domain[0] < domain[1] && lo >= domain[0] && lo <= domain[1]) return { ...binned(values, domain[0], domain[1], bins), lo, max: hi };
    const width = lo === 0 ? 1 : Math.abs(lo) / 10;
    return { edges: [lo - 1.5 * width, lo - 0.5 * width, lo + 0.5 * width], counts: [0, values.length, 0], hi: lo + 1.5 * width, lo, max: hi };
  }
  return { ...binned(values, lo, hi, bins), lo, max: hi };
}

function binned(values: number[], lo: number, hi: number, bins: number): { edges: number[]; counts: number[]; hi: number } {
  const width = (hi - lo) / bins;
  const counts = new Array<number>(bins).fill(0);
  for (const v of values) counts[Math.min(bins - 1, Math.max(0, Math.floor((v - lo) / width)))]!++;
  return { edges: counts.map((_, i) => lo + i * width), counts, hi };
}

/**
 * A count axis's range: from 0, so a bar's height is its count (uPlot's own range fitted the
 * counts, so bins of 38–42 stood on an axis from 37: bars cut at the bottom), to a little
 * above the largest count, at least 1 (no values draws an empty axis of 0–1).
 */
export function countRange(max: number | null | undefined): [number, number] {
  const top = max !== null && max !== undefined && Number.isFinite(max) && max > 0 ? max : 0;
  return [0, top > 0 ? Math.ceil(top * 1.1) : 1];
}
