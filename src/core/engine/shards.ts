// Cutting a cluster run into shards (docs/deployment.md, "Shards"): ranges of whole rows, so a
// row's cells are all executed (and its row phase later reads them) together, of about
// SHARD_CELLS cells each. No I/O.
import type { RunSpec } from '../model/run.js';
import type { ShardRange } from '../shard-store.js';
import { planTotal, rowsInScope } from './plan.js';

/**
 * Cells a shard aims at. Small enough that a 2,000-cell run gives 8 shards (two workers both get
 * work at once, and a dead worker's unfinished shard is little to wait for), large enough that
 * a shard's fixed costs (claim, preparing targets and evaluators, one rows page) are spread over
 * hundreds of cells: a million-row run is 4,000 shards, not a million jobs.
 */
export const SHARD_CELLS = 250;

type Shape = Pick<RunSpec, 'rowIndices' | 'sourceRowCount' | 'targetIds' | 'repeats' | 'budgetUsd' | 'maxErrors'>;

/**
 * Whether a run is split: only runs larger than one shard, and never runs with a budget or an
 * error limit (the spend or the failures that stop them are counted by one executor as cells
 * finish; shards could not share them without a round trip per cell).
 */
export function isSharded(spec: Shape): boolean {
  return spec.budgetUsd === null && spec.maxErrors === undefined && planTotal(spec) > SHARD_CELLS;
}

/** The run's shards in plan order: whole rows, about `cellsPerShard` cells each. */
export function planShards(spec: Shape, cellsPerShard = SHARD_CELLS): ShardRange[] {
  const perRow = spec.targetIds.length * spec.repeats;
  const rows = rowsInScope(spec);
  const rowsPerShard = Math.max(1, Math.floor(cellsPerShard / perRow));
  const shards: ShardRange[] = [];
  for (let from = 0; from < rows; from += rowsPerShard) {
    const to = Math.min(rows, from + rowsPerShard);
    shards.push({ shard: shards.length, fromCell: from * perRow, toCell: to * perRow });
  }
  return shards;
}
