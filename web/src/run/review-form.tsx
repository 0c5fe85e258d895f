// Review controls of one repeat of a cell, in the drawer: the reviews it has (verdict, who,
// when, comment) and a form to mark the cell's verdict, or one evaluator's, passed or failed
// with a comment (PUT /runs/{id}/reviews; the same target again replaces the review).
import { type FormEvent, useId, useState } from 'react';
import { when } from '../lib/format.js';
import { reviewKeyOf, useReviews } from './review-store.js';
import type { RunStore } from './run-store.js';

interface Props {
  store: RunStore;
  rowIndex: number;
  targetId: string;
  repeat: number;
  /** Evaluators with a result in this repeat (a review of one must name one of them). */
  evaluatorIds: string[];
  name(id: string): string;
}

export function ReviewForm({ store, rowIndex, targetId, repeat, evaluatorIds, name }: Props) {
  const reviews = store.reviews;
  useReviews(reviews, (s) => s.byKey);
  const saving = useReviews(reviews, (s) => s.saving);
  const message = useReviews(reviews, (s) => s.message);
  const [verdict, setVerdict] = useState<'passed' | 'failed' | null>(null);
  const [of, setOf] = useState('');
  const [comment, setComment] = useState('');
  const id = useId();
  const existing = reviews.of(rowIndex, targetId, repeat);

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    if (!verdict) return;
    const ok = await reviews.save({ rowIndex, targetId, repeat, verdict, ...(of ? { evaluatorId: of } : {}), ...(comment.trim() ? { comment: comment.trim() } : {}) });
    if (ok) setComment('');
  };

  return (
    <section className="review" aria-labelledby={`${id}-title`}>
      <h4 id={`${id}-title`}>Review</h4>
      {existing.length > 0 ? (
        <ul className="reviews" data-testid="reviews">
          {existing.map((r) => (
            <li key={reviewKeyOf(r)}>
              <span className={`pill ${r.verdict}`}>{r.verdict}</span> {r.evaluatorId === null ? 'the cell' : name(r.evaluatorId)} — by <span className="mono">{r.reviewer}</span>, {when(r.reviewedAt)}
              {r.comment && <blockquote dir="auto">{r.comment}</blockquote>}
            </li>
          ))}
        </ul>
      ) : (
        <p className="muted">Not reviewed. A review sits beside the evaluators' verdicts and never changes them.</p>
      )}
      <form className="review-form" onSubmit={(e) => void submit(e)}>
        <fieldset>
          <legend>Verdict</legend>
          <label className="check">
            <input type="radio" name={`${id}-verdict`} value="passed" checked={verdict === 'passed'} onChange={() => setVerdict('passed')} />
            Passed
          </label>
          <label className="check">
            <input type="radio" name={`${id}-verdict`} value="failed" checked={verdict === 'failed'} onChange={() => setVerdict('failed')} />
            Failed
          </label>
        </fieldset>
        <span className="field">
          <label htmlFor={`${id}-of`}>Of</label>{' '}
          <select id={`${id}-of`} value={of} onChange={(e) => setOf(e.target.value)}>
            <option value="">The whole cell</option>
            {evaluatorIds.map((eid) => (
              <option key={eid} value={eid}>{name(eid)}</option>
            ))}
          </select>
        </span>
        <label htmlFor={`${id}-comment`}>Comment</label>
        <textarea id={`${id}-comment`} dir="auto" rows={2} maxLength={10_000} value={comment} onChange={(e) => setComment(e.target.value)} />
        <button type="submit" disabled={!verdict || saving}>
          {saving ? 'Saving…' : 'Save review'}
        </button>
      </form>
      <p role="status" className={message && !message.ok ? 'error-text' : 'muted'}>
        {message?.text ?? ''}
      </p>
    </section>
  );
}
