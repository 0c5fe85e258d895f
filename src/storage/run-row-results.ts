// Storage of row-scoped evaluator results (N-way comparisons), used by SqlRunStore.
import type { Kysely } from 'kysely';
import type { RowResult } from '../core/model/run.js';
import type { Database } from './schema.js';
import { parseJson } from './sql-errors.js';

const CHUNK = 100;

function toRow(r: { data: string; seq: number }): RowResult {
  // The parsed object is ours: its seq is set on it (docs/decisions.md, "No literal that starts
  // with a spread on the hot path").
  const row = parseJson<Omit<RowResult, 'seq'>>(r.data) as RowResult;
  row.seq = r.seq;
  return row;
}

export class RowResultsSql {
  constructor(private readonly db: Kysely<Database>) {}

  /** Inserts committed row results (their seqs already reserved) inside the commit's transaction. */
  async insert(trx: Kysely<Database>, runId: string, rows: RowResult[], at: number): Promise<void> {
    for (let i = 0; i < rows.length; i += CHUNK) {
      const values = rows.slice(i, i + CHUNK).map((r) => {
        const { seq, ...rest } = r;
        return {
          run_id: runId, row_pos: r.rowPos, repeat: r.repeat, evaluator_id: r.evaluatorId, row_index: r.rowIndex, seq,
          ok: r.evaluation.result.status === 'processed' ? 1 : 0, data: JSON.stringify(rest), created_at: at,
        };
      });
      await trx.insertInto('run_row_results').values(values).execute();
    }
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

  /** With retryErrors: up to `limit` row results after event `afterSeq` that were not processed leave to run again; answers what was removed. */
  async takeUnprocessed(trx: Kysely<Database>, runId: string, afterSeq: number, limit: number): Promise<RowResult[]> {
    const rows = await trx
      .selectFrom('run_row_results').select(['data', 'seq']).where('run_id', '=', runId).where('seq', '>', afterSeq).where('ok', '=', 0).orderBy('seq').limit(limit).execute();
    if (rows.length === 0) return [];
    const seqs = rows.map((r) => r.seq);
    await trx.deleteFrom('run_row_results').where('run_id', '=', runId).where('seq', 'in', seqs).where('ok', '=', 0).execute();
    return rows.map(toRow);
  }
}
