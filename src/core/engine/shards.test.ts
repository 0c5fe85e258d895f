import { describe, expect, it } from 'vitest';
import { isSharded, planShards, SHARD_CELLS } from './shards.js';

const spec = (rows: number, targets = 2, repeats = 1, budgetUsd: number | null = null, rowIndices: number[] | null = null) => ({
  sourceRowCount: rows, rowIndices, targetIds: Array.from({ length: targets }, (_, i) => `t${i}`), repeats, budgetUsd,
});

describe('shards of a cluster run', () => {
  it('cover the plan with whole rows of about SHARD_CELLS cells, in order, without gap or overlap', () => {
    const shards = planShards(spec(1_000));
    expect(shards).toHaveLength(8);
    expect(shards[0]).toEqual({ shard: 0, fromCell: 0, toCell: SHARD_CELLS });
    for (let i = 1; i < shards.length; i++) expect(shards[i]!.fromCell).toBe(shards[i - 1]!.toCell);
    expect(shards.at(-1)!.toCell).toBe(2_000);
    // 3 targets × 2 repeats = 6 cells a row: 41 rows (246 cells) a shard, never a row cut.
    for (const s of planShards(spec(100, 3, 2))) {
      expect(s.fromCell % 6).toBe(0);
      expect(s.toCell % 6).toBe(0);
    }
    expect(planShards(spec(100, 3, 2))[0]!.toCell).toBe(246);
  });

  it('a row with more cells than a shard is a shard of its own; row_indices count as rows in scope', () => {
    expect(planShards(spec(3, 300)).map((s) => [s.fromCell, s.toCell])).toEqual([[0, 300], [300, 600], [600, 900]]);
    expect(planShards(spec(10, 1, 1, null, Array.from({ length: 600 }, (_, i) => i % 10))).at(-1)!.toCell).toBe(600);
  });

  it('only runs larger than one shard and without a budget or an error limit are split', () => {
    expect(isSharded(spec(125))).toBe(false);
    expect(isSharded(spec(126))).toBe(true);
    expect(isSharded(spec(10_000, 2, 1, 5))).toBe(false);
    expect(isSharded({ ...spec(10_000), maxErrors: 100 })).toBe(false);
  });
});
