// People's reviews of the run's verdicts (docs/reviews.md), outside React: the run's reviews
// by key, and saving one (PUT /runs/{id}/reviews). After a save the run's summary is read
// again, so the header's reviewed figures come from the server, never from a guess here.
import type { Review, ReviewInput } from '../api-types.js';
import { api, describeError } from '../api.js';
import { createStore, type Store, useStore } from '../lib/store.js';

export interface ReviewsState {
  /** By reviewKey(): row, target, repeat, evaluator ('' for the whole cell). */
  byKey: ReadonlyMap<string, Review>;
  saving: boolean;
  /** The last save's outcome, announced in the drawer. */
  message?: { ok: boolean; text: string };
}

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
    this.state = createStore<ReviewsState>({ byKey: new Map(), saving: false });
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
      this.state.set((s) => ({ ...s, byKey }));
    } catch {
      // no reviews shown; saving still works and reloads them
    }
  }

  async save(input: ReviewInput): Promise<boolean> {
    this.state.set((s) => ({ ...s, saving: true, message: undefined }));
    try {
      const review = await api().review(this.runId, input);
      this.state.set((s) => ({ ...s, saving: false, byKey: new Map(s.byKey).set(reviewKeyOf(review), review), message: { ok: true, text: `Review saved: ${review.verdict}` } }));
      await this.onSaved();
      return true;
    } catch (error) {
      this.state.set((s) => ({ ...s, saving: false, message: { ok: false, text: `Could not save the review: ${describeError(error)}` } }));
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
