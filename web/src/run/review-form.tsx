// Review controls of one repeat of a cell, in the drawer: the reviews it has (verdict, who,
// when, comment) and a form to mark the cell's verdict, or one evaluator's, passed or failed
// with a comment (PUT /runs/{id}/reviews; the same target again replaces the review). The form
// edits the review of what "Of" names: it shows that review's verdict and comment, so saving
// again replaces them knowingly and never drops a comment by leaving the box empty. Each form
// says the outcome of its own saves only.
import { type FormEvent, useEffect, useId, useState } from 'react';
import { when } from '../lib/format.js';
import { formKeyOf, reviewKeyOf, useReviews } from './review-store.js';
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
  const form = formKeyOf({ rowIndex, targetId, repeat });
  const saving = useReviews(reviews, (s) => s.saving === form);
  const message = useReviews(reviews, (s) => (s.message?.form === form ? s.message : undefined));
  const [verdict, setVerdict] = useState<'passed' | 'failed' | null>(null);
  const [of, setOf] = useState('');
  const [comment, setComment] = useState('');
  const id = useId();
  const existing = reviews.of(rowIndex, targetId, repeat);
  // The stored review of what "Of" names: the form shows it when it arrives or changes (loaded,
  // saved here, "Of" turned to it), and a save replaces it. With none stored, what the reader
  // chose stays. Keyed on the review, not on every render, so typing is never overwritten.
  const stored = existing.find((r) => (r.evaluatorId ?? '') === of);
  const storedKey = stored ? `${reviewKeyOf(stored)}@${stored.reviewedAt}` : '';
  useEffect(() => {
    if (!stored) return;
    setVerdict(stored.verdict);
    setComment(stored.comment ?? '');
  }, [storedKey]);

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    if (!verdict) return;
    await reviews.save({ rowIndex, targetId, repeat, verdict, ...(of ? { evaluatorId: of } : {}), ...(comment.trim() ? { comment: comment.trim() } : {}) });
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
          {saving ? 'Saving…' : stored ? 'Update review' : 'Save review'}
        </button>
      </form>
      <p role="status" className={message && !message.ok ? 'error-text' : 'muted'}>
        {message?.text ?? ''}
      </p>
    </section>
  );
}
