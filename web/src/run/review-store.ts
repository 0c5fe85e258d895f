// People's reviews of the run's verdicts (docs/reviews.md), outside React: the run's reviews
// by key, and saving one (PUT /runs/{id}/reviews). After a save the run's summary is read
// again, so the header's reviewed figures come from the server, never from a guess here.
import type { Review, ReviewInput } from '../api-types.js';
import { api, describeError } from '../api.js';
import { createStore, type Store, useStore } from '../lib/store.js';

export interface ReviewsState {
  /** By reviewKey(): row, target, repeat, evaluator ('' for the whole cell). */
  byKey: ReadonlyMap<string, Review>;
  /** The form (formKeyOf: row × target × repeat) whose save is in flight; undefined when none. */
  saving?: string;
  /** The last save's outcome, announced by the form that made it (`form`) and no other. */
  message?: { form: string; ok: boolean; text: string };
}

/** One review form's key: a row × target × repeat (each repeat in the drawer has its form). */
export const formKeyOf = (r: { rowIndex: number; targetId: string; repeat: number }) => `${r.rowIndex}:${r.targetId}:${r.repeat}`;

export const reviewKeyOf = (r: { rowIndex: number; targetId: string; repeat: number; evaluatorId?: string | null | undefined }) =>
  `${r.rowIndex}:${r.targetId}:${r.repeat}:${r.evaluatorId ?? ''}`;

const reviewedMemo = new WeakMap<ReadonlyMap<string, Review>, ReadonlySet<string>>();

/** Row × target keys (`rowIndex:targetId`) with at least one review, computed once per state. */
export function reviewedCells(byKey: ReadonlyMap<string, Review>): ReadonlySet<string> {
  let set = reviewedMemo.get(byKey);
  if (!set) reviewedMemo.set(byKey, (set = new Set([...byKey.values()].map((r) => `${r.rowIndex}:${r.targetId}`))));
  return set;
}

export class ReviewStore {
  readonly state: Store<ReviewsState>;

  constructor(
    readonly runId: string,
    /** Called after a review is stored (the run page re-reads its summary). */
    private readonly onSaved: () => Promise<void>,
  ) {
    this.state = createStore<ReviewsState>({ byKey: new Map() });
  }

  async load(): Promise<void> {
    try {
      // Every page, read in turn (the API answers at most 1,000 reviews a page).
      const byKey = new Map<string, Review>();
      for (let cursor: string | undefined; ; ) {
        const page = await api().reviews(this.runId, cursor);
        for (const r of page.reviews) byKey.set(reviewKeyOf(r), r);
        if (page.nextCursor === null) break;
        cursor = page.nextCursor;
      }
      this.state.set((s) => Object.assign({}, s, { byKey }));
    } catch {
      // no reviews shown; saving still works and reloads them
    }
  }

  async save(input: ReviewInput): Promise<boolean> {
    const form = formKeyOf({ rowIndex: input.rowIndex, targetId: input.targetId, repeat: input.repeat ?? 0 });
    this.state.set((s) => ({ byKey: s.byKey, saving: form, message: undefined }));
    try {
      const review = await api().review(this.runId, input);
      const text = `Review saved: ${review.verdict}${review.comment ? ', with its comment' : ''}`;
      this.state.set((s) => ({ byKey: new Map(s.byKey).set(reviewKeyOf(review), review), saving: undefined, message: { form, ok: true, text } }));
      await this.onSaved();
      return true;
    } catch (error) {
      this.state.set((s) => ({ byKey: s.byKey, saving: undefined, message: { form, ok: false, text: `Could not save the review: ${describeError(error)}` } }));
      return false;
    }
  }

  /** The reviews of one row × target × repeat: the cell's own first, then per evaluator. */
  of(rowIndex: number, targetId: string, repeat: number): Review[] {
    return [...this.state.get().byKey.values()]
      .filter((r) => r.rowIndex === rowIndex && r.targetId === targetId && r.repeat === repeat)
      .sort((a, b) => (a.evaluatorId === null ? -1 : b.evaluatorId === null ? 1 : a.evaluatorId.localeCompare(b.evaluatorId)));
  }
}

export const useReviews = <S>(store: ReviewStore, select: (s: ReviewsState) => S): S => useStore(store.state, select);
