// Reviews in SQL (the port: core/review-store.ts; the table: migrations/009-reviews.ts).
import type { Kysely, Selectable } from 'kysely';
import type { ReviewVerdict } from '../core/model/reviews.js';
import type { ReviewPosition } from '../core/model/reviews.js';
import type { ReviewStore, StoredReview, StoredVerdict } from '../core/review-store.js';
import type { Database, RunReviewsTable } from './schema.js';

function toReview(r: Selectable<RunReviewsTable>): StoredReview {
  return {
    runId: r.run_id, rowIndex: r.row_index, targetId: r.target_id, repeat: r.repeat, evaluatorId: r.evaluator_id === '' ? null : r.evaluator_id,
    verdict: r.verdict as ReviewVerdict, comment: r.comment, reviewer: r.reviewer, reviewerKeyId: r.reviewer_key_id, reviewedAt: Number(r.reviewed_at),
    cells: JSON.parse(r.cells) as number[],
  };
}

export class SqlReviewStore implements ReviewStore {
  constructor(private readonly db: Kysely<Database>) {}

  async upsert(review: StoredReview): Promise<void> {
    const changes = {
      cells: JSON.stringify(review.cells), verdict: review.verdict, comment: review.comment, reviewer: review.reviewer,
      reviewer_key_id: review.reviewerKeyId, reviewed_at: review.reviewedAt,
    };
    // ON CONFLICT … DO UPDATE has the same syntax on SQLite and PostgreSQL.
    await this.db
      .insertInto('run_reviews')
      .values({ run_id: review.runId, row_index: review.rowIndex, target_id: review.targetId, repeat: review.repeat, evaluator_id: review.evaluatorId ?? '', ...changes })
      .onConflict((oc) => oc.columns(['run_id', 'row_index', 'target_id', 'repeat', 'evaluator_id']).doUpdateSet(changes))
      .execute();
  }

  async pageOfRun(runId: string, after: ReviewPosition | null, limit: number): Promise<StoredReview[]> {
    return (await this.page(runId, after, limit).selectAll().execute()).map(toReview);
  }

  async verdictPage(runId: string, after: ReviewPosition | null, limit: number): Promise<StoredVerdict[]> {
    // Only columns stored before `comment`: on SQLite a column after a long comment is reached
    // through the comment's overflow pages.
    const rows = await this.page(runId, after, limit).select(['row_index', 'target_id', 'repeat', 'evaluator_id', 'verdict', 'cells']).execute();
    return rows.map((r) => ({
      rowIndex: r.row_index, targetId: r.target_id, repeat: r.repeat, evaluatorId: r.evaluator_id === '' ? null : r.evaluator_id,
      verdict: r.verdict as ReviewVerdict, cells: JSON.parse(r.cells) as number[],
    }));
  }

  private page(runId: string, after: ReviewPosition | null, limit: number) {
    let q = this.db.selectFrom('run_reviews').where('run_id', '=', runId);
    // A row-value comparison: SQLite (3.15+) and PostgreSQL both walk the primary key from it.
    if (after) q = q.where((eb) => eb(eb.refTuple('row_index', 'target_id', 'repeat', 'evaluator_id'), '>', eb.tuple(after.rowIndex, after.targetId, after.repeat, after.evaluatorId ?? '')));
    return q.orderBy('row_index').orderBy('target_id').orderBy('repeat').orderBy('evaluator_id').limit(limit);
  }

  async ofRows(runId: string, fromRow: number, toRow: number): Promise<StoredReview[]> {
    const rows = await this.db
      .selectFrom('run_reviews')
      .selectAll()
      .where('run_id', '=', runId)
      .where('row_index', '>=', fromRow)
      .where('row_index', '<=', toRow)
      .orderBy('row_index').orderBy('target_id').orderBy('repeat').orderBy('evaluator_id')
      .execute();
    return rows.map(toReview);
  }

  async stamp(runId: string): Promise<string> {
    const row = await this.db
      .selectFrom('run_reviews')
      .select((eb) => [eb.fn.countAll().as('n'), eb.fn.max('reviewed_at').as('at')])
      .where('run_id', '=', runId)
      .executeTakeFirst();
    return `${Number(row?.n ?? 0)}:${Number(row?.at ?? 0)}`;
  }
}
