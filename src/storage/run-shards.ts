// Shards of cluster runs in SQL (core/shard-store.ts). A shard's lease works like a run's: a
// conditional UPDATE takes it, and a commit first re-asserts it with an UPDATE of the shard's row
// in the commit's own transaction, so the row stays locked until the cells are in: a worker
// claiming the shard after its lease expired waits for that commit and then sees its cells.
import type { Kysely } from 'kysely';
import type { CellResult } from '../core/model/run.js';
import type { CellDraft } from '../core/run-store.js';
import type { OpenShard, RunShardStore, ShardCounts, ShardRange } from '../core/shard-store.js';
import type { SqlRunLog } from './run-log.js';
import type { Database } from './schema.js';

const PLAN_CHUNK = 500;

export class SqlRunShards implements RunShardStore {
  constructor(
    private readonly db: Kysely<Database>,
    /** The run log whose commit path shard commits share (seqs, order and progress on the run row). */
    private readonly log: SqlRunLog,
  ) {}

  async plan(runId: string, shards: ShardRange[]): Promise<void> {
    await this.db.transaction().execute(async (trx) => {
      // The run's row, locked, serialises two coordinators planning at once.
      const run = await trx.updateTable('runs').set((eb) => ({ updated_at: eb.ref('updated_at') })).where('id', '=', runId).returning('id').executeTakeFirst();
      if (!run) return;
      const existing = await trx.selectFrom('run_shards').select('shard').where('run_id', '=', runId).limit(1).executeTakeFirst();
      if (existing) return;
      for (let i = 0; i < shards.length; i += PLAN_CHUNK) {
        const rows = shards.slice(i, i + PLAN_CHUNK).map((s) => ({
          run_id: runId, shard: s.shard, from_cell: s.fromCell, to_cell: s.toCell, done: 0, lease_owner: null, lease_expires_at: null, claims: 0,
        }));
        await trx.insertInto('run_shards').values(rows).execute();
      }
    });
  }

  async counts(runId: string, now: number): Promise<ShardCounts> {
    const r = await this.db
      .selectFrom('run_shards')
      .select((eb) => [
        eb.fn.countAll<number>().as('total'),
        eb.fn.sum<number>('done').as('done'),
        eb.fn.sum<number>(eb.case().when(eb.and([eb('done', '=', 0), eb('lease_owner', 'is not', null), eb('lease_expires_at', '>=', now)])).then(1).else(0).end()).as('held'),
      ])
      .where('run_id', '=', runId)
      .executeTakeFirstOrThrow();
    return { total: Number(r.total), done: Number(r.done ?? 0), held: Number(r.held ?? 0) };
  }

  async open(runId: string, now: number, limit: number): Promise<OpenShard[]> {
    const rows = await this.db
      .selectFrom('run_shards')
      .select(['shard', 'claims'])
      .where('run_id', '=', runId)
      .where('done', '=', 0)
      .where((eb) => eb.or([eb('lease_owner', 'is', null), eb('lease_expires_at', '<', now)]))
      .orderBy('shard')
      .limit(limit)
      .execute();
    return rows.map((r) => ({ shard: r.shard, claims: r.claims }));
  }

  async claim(runId: string, shard: number, owner: string, until: number, now: number): Promise<ShardRange | null> {
    const r = await this.db
      .updateTable('run_shards')
      .set((eb) => ({ lease_owner: owner, lease_expires_at: until, claims: eb('claims', '+', 1) }))
      .where('run_id', '=', runId)
      .where('shard', '=', shard)
      .where('done', '=', 0)
      .where((eb) => eb.or([eb('lease_owner', 'is', null), eb('lease_expires_at', '<', now), eb('lease_owner', '=', owner)]))
      .where((eb) => eb.exists(eb.selectFrom('runs').select('id').where('runs.id', '=', runId).where('runs.status', '=', 'running')))
      .returning(['shard', 'from_cell', 'to_cell'])
      .executeTakeFirst();
    return r ? { shard: r.shard, fromCell: r.from_cell, toCell: r.to_cell } : null;
  }

  async renew(runId: string, shard: number, owner: string, until: number): Promise<boolean> {
    const r = await this.db
      .updateTable('run_shards')
      .set({ lease_expires_at: until })
      .where('run_id', '=', runId)
      .where('shard', '=', shard)
      .where('lease_owner', '=', owner)
      .where('done', '=', 0)
      .where((eb) => eb.exists(eb.selectFrom('runs').select('id').where('runs.id', '=', runId).where('runs.status', '=', 'running')))
      .executeTakeFirst();
    return Number(r.numUpdatedRows) > 0;
  }

  async release(runId: string, shard: number, owner: string): Promise<void> {
    await this.db.updateTable('run_shards').set({ lease_owner: null, lease_expires_at: null }).where('run_id', '=', runId).where('shard', '=', shard).where('lease_owner', '=', owner).execute();
  }

  async complete(runId: string, shard: number, owner: string): Promise<boolean> {
    const r = await this.db
      .updateTable('run_shards')
      .set({ done: 1, lease_owner: null, lease_expires_at: null })
      .where('run_id', '=', runId)
      .where('shard', '=', shard)
      .where('lease_owner', '=', owner)
      .where('done', '=', 0)
      .executeTakeFirst();
    return Number(r.numUpdatedRows) > 0;
  }

  async committedIn(runId: string, fromCell: number, toCell: number): Promise<number[]> {
    const rows = await this.db.selectFrom('run_cells').select('cell').where('run_id', '=', runId).where('cell', '>=', fromCell).where('cell', '<', toCell).execute();
    return rows.map((r) => r.cell);
  }

  commitCells(runId: string, shard: number, owner: string, drafts: CellDraft[], at: number): Promise<CellResult[] | null> {
    return this.db.transaction().execute(async (trx) => {
      // The fence: our lease on the shard, asserted by an update that locks its row until commit.
      const held = await trx
        .updateTable('run_shards')
        .set((eb) => ({ claims: eb.ref('claims') }))
        .where('run_id', '=', runId)
        .where('shard', '=', shard)
        .where('lease_owner', '=', owner)
        .where('done', '=', 0)
        .returning('shard')
        .executeTakeFirst();
      if (!held) return null;
      return this.log.commitCellsIn(trx, runId, owner, 'shard', drafts, at);
    });
  }
}
