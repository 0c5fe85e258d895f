// Storage of row-scoped evaluator results (N-way comparisons), used by SqlRunStore.
import type { Kysely } from 'kysely';
import type { RowResult } from '../core/model/run.js';
import type { Database } from './schema.js';
import { parseJson } from './sql-errors.js';

const CHUNK = 100;

function toRow(r: { data: string; seq: number }): RowResult {
  return { ...parseJson<Omit<RowResult, 'seq'>>(r.data), seq: r.seq };
}

export class RowResultsSql {
  constructor(private readonly db: Kysely<Database>) {}

  async commit(runId: string, owner: string, rows: RowResult[], nextSeq: number, at: number): Promise<boolean> {
    return this.db.transaction().execute(async (trx) => {
      const fenced = await trx
        .updateTable('runs')
        .set({ next_seq: nextSeq, updated_at: at })
        .where('id', '=', runId)
        .where('lease_owner', '=', owner)
        .where('status', '=', 'running')
        .executeTakeFirst();
      if (Number(fenced.numUpdatedRows) === 0) return false;
      for (let i = 0; i < rows.length; i += CHUNK) {
        const values = rows.slice(i, i + CHUNK).map((r) => {
          const { seq, ...rest } = r;
          return {
            run_id: runId, row_pos: r.rowPos, repeat: r.repeat, evaluator_id: r.evaluatorId, row_index: r.rowIndex, seq,
            ok: r.evaluation.result.status === 'processed' ? 1 : 0, data: JSON.stringify(rest), created_at: at,
          };
        });
        await trx.insertInto('run_row_results').values(values).onConflict((oc) => oc.columns(['run_id', 'row_pos', 'repeat', 'evaluator_id']).doNothing()).execute();
      }
      return true;
    });
  }

  async keys(runId: string): Promise<{ rowPos: number; repeat: number; evaluatorId: string }[]> {
    const rows = await this.db.selectFrom('run_row_results').select(['row_pos', 'repeat', 'evaluator_id']).where('run_id', '=', runId).execute();
    return rows.map((r) => ({ rowPos: r.row_pos, repeat: r.repeat, evaluatorId: r.evaluator_id }));
  }

  async afterSeq(runId: string, afterSeq: number, limit: number): Promise<RowResult[]> {
    const rows = await this.db.selectFrom('run_row_results').select(['data', 'seq']).where('run_id', '=', runId).where('seq', '>', afterSeq).orderBy('seq').limit(limit).execute();
    return rows.map(toRow);
  }

  async ofRows(runId: string, rowIndices: number[]): Promise<RowResult[]> {
    if (rowIndices.length === 0) return [];
    const out: RowResult[] = [];
    const unique = [...new Set(rowIndices)];
    for (let i = 0; i < unique.length; i += 500) {
      const rows = await this.db
        .selectFrom('run_row_results')
        .select(['data', 'seq'])
        .where('run_id', '=', runId)
        .where('row_index', 'in', unique.slice(i, i + 500))
        .orderBy('row_index')
        .orderBy('seq')
        .execute();
      out.push(...rows.map(toRow));
    }
    return out;
  }

  /** With retryErrors: row results that were not processed run again. */
  async deleteUnprocessed(trx: Kysely<Database>, runId: string): Promise<void> {
    await trx.deleteFrom('run_row_results').where('run_id', '=', runId).where('ok', '=', 0).execute();
  }
}
