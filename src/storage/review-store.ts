// Reviews in SQL (the port: core/review-store.ts; the table: migrations/009-reviews.ts).
import type { Kysely, Selectable } from 'kysely';
import type { ReviewVerdict } from '../core/model/reviews.js';
import type { ReviewStore, StoredReview } from '../core/review-store.js';
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

  async ofRun(runId: string): Promise<StoredReview[]> {
    const rows = await this.db
      .selectFrom('run_reviews')
      .selectAll()
      .where('run_id', '=', runId)
      .orderBy('row_index').orderBy('target_id').orderBy('repeat').orderBy('evaluator_id')
      .execute();
    return rows.map(toReview);
  }

  async verdictsOfRun(runId: string): Promise<StoredReview[]> {
    const rows = await this.db
      .selectFrom('run_reviews')
      .select(['run_id', 'row_index', 'target_id', 'repeat', 'evaluator_id', 'verdict', 'reviewer', 'reviewer_key_id', 'reviewed_at', 'cells'])
      .where('run_id', '=', runId)
      .orderBy('row_index').orderBy('target_id').orderBy('repeat').orderBy('evaluator_id')
      .execute();
    return rows.map((r) => toReview({ ...r, comment: null }));
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
