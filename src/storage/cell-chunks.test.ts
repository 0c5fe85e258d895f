// A commit's cells are inserted in chunks of a few fixed sizes, so a server prepares a handful
// of multi-row INSERTs however its commits vary (each prepared one holds up to a megabyte of
// SQLite program; one per row count made RSS grow run after run: docs/benchmarks.md, "Memory").
import { describe, expect, it } from 'vitest';
import { cellChunks } from './run-log.js';

describe('cellChunks', () => {
  it('covers every cell once, with at most eleven distinct INSERT sizes over any mix of commits', () => {
    const seen = new Set<number>();
    for (let n = 0; n <= 1_000; n++) {
      const sizes = cellChunks(n);
      expect(sizes.reduce((a, b) => a + b, 0)).toBe(n);
      expect(sizes.every((s) => s > 0)).toBe(true);
      for (const s of sizes) seen.add(s);
    }
    expect(seen.size).toBeLessThanOrEqual(11);
    expect(Math.max(...seen)).toBe(64);
  });

  it('keeps small commits to one INSERT and any commit under 64 cells to at most four', () => {
    for (let n = 1; n < 8; n++) expect(cellChunks(n)).toEqual([n]);
    for (let n = 8; n < 64; n++) expect(cellChunks(n).length).toBeLessThanOrEqual(4);
    expect(cellChunks(200)).toEqual([64, 64, 64, 8]);
  });
});
