// Compare mode's state, outside React: the baseline chosen (none: the server's default, the
// run's baselineRunId else the previous finished run, docs/comparisons.md), the comparison
// (verdict, per evaluator × target deltas and tests) and which row × target cells changed,
// read page by page from GET /runs/{id}/compare. The grid reads `changes` for its markers and
// the "Changed against baseline" filter.
import type { CompareItem, Comparison, RunListItem } from '../api-types.js';
import { api, describeError } from '../api.js';
import { createStore, type Store, useStore } from '../lib/store.js';

import { type CellChange, cellKey } from './run-view.js';

export type { CellChange };

/** Changed items per request (the server's maximum) and requests at most: 20,000 changed items. */
const ITEMS_PAGE = 1000;
const MAX_PAGES = 20;

export interface CompareState {
  on: boolean;
  /** The chosen baseline run id; null: the server's default. */
  baseline: string | null;
  loading: boolean;
  error?: string;
  comparison?: Comparison;
  /** `rowIndex:targetId` → how the cell changed (a regressed evaluator outweighs an improved one). */
  changes: ReadonlyMap<string, CellChange>;
  /** The changed items by `rowIndex:targetId` (each evaluator that changed), for the drawer. */
  items: ReadonlyMap<string, CompareItem[]>;
  /** Some changed items were not read (more than MAX_PAGES pages). */
  truncated: boolean;
  /** Other runs of the experiment, for the picker. */
  candidates: RunListItem[];
  /** Bumped when `changes` changes (the grid's memo key). */
  version: number;
}


/**
 * Compare mode and its baseline are kept in the page's address (`compare=1`, `baseline=…`), so a
 * link opens the same comparison, as LangWatch's and Braintrust's comparison views do. Replaced,
 * not pushed: toggling is no step to go back through.
 */
function writeAddress(on: boolean, baseline: string | null): void {
  if (typeof location === 'undefined') return;
  const url = new URL(location.href);
  if (on) url.searchParams.set('compare', '1');
  else url.searchParams.delete('compare');
  if (on && baseline) url.searchParams.set('baseline', baseline);
  else url.searchParams.delete('baseline');
  history.replaceState(history.state, '', url.pathname + url.search + url.hash);
}

/** What an address asks of compare mode: on or not, and against which baseline (null: the default). */
export function compareInAddress(search: string): { on: boolean; baseline: string | null } {
  const q = new URLSearchParams(search);
  return { on: q.get('compare') === '1', baseline: q.get('baseline') || null };
}

export class CompareStore {
  readonly state: Store<CompareState>;
  /** Answers of an earlier choice are dropped when another is made meanwhile. */
  private request = 0;

  /** `experimentSlug`: the run's own experiment once known (its runs are the candidates). */
  constructor(
    readonly runId: string,
    private readonly experimentSlug: () => string | undefined,
  ) {
    this.state = createStore<CompareState>({ on: false, baseline: null, loading: false, changes: new Map(), items: new Map(), truncated: false, candidates: [], version: 0 });
  }

  private patch(p: Partial<CompareState>): void {
    this.state.set((s) => ({ ...s, ...p }));
  }

  async toggle(on: boolean): Promise<void> {
    this.patch({ on });
    writeAddress(on, this.state.get().baseline);
    if (!on) return;
    if (this.state.get().candidates.length === 0) this.loadCandidates();
    if (!this.state.get().comparison) await this.load();
  }

  /** Other finished runs of the run's experiment; none until that experiment is known. */
  loadCandidates(): void {
    const slug = this.experimentSlug();
    if (slug === undefined) return;
    api()
      .runs(slug, 50)
      .then((list) => this.patch({ candidates: list.runs.filter((r) => r.runId !== this.runId && r.status !== 'running') }))
      .catch(() => undefined);
  }

  /** Compare mode as a link gave it (`?compare=1&baseline=…`): on, against that baseline. */
  async open(baseline: string | null): Promise<void> {
    this.patch({ baseline });
    await this.toggle(true);
  }

  async choose(baseline: string | null): Promise<void> {
    this.patch({ baseline });
    writeAddress(this.state.get().on, baseline);
    await this.load();
  }

  private async load(): Promise<void> {
    const id = ++this.request;
    const { baseline } = this.state.get();
    this.patch({ loading: true, error: undefined });
    try {
      const changes = new Map<string, CellChange>();
      const items = new Map<string, CompareItem[]>();
      let first: Comparison | undefined;
      let truncated = false;
      for (let page = 0; ; page++) {
        const c = await api().compare(this.runId, baseline, page * ITEMS_PAGE, ITEMS_PAGE);
        if (id !== this.request) return;
        first ??= c;
        for (const item of c.rows.items) {
          if (item.change === 'unchanged') continue;
          const key = cellKey(item.rowIndex, item.targetId);
          if (changes.get(key) !== 'regressed') changes.set(key, item.change);
          const list = items.get(key);
          if (list) list.push(item);
          else items.set(key, [item]);
        }
        const read = (page + 1) * ITEMS_PAGE;
        if (read >= c.rows.pagination.total) break;
        if (page + 1 >= MAX_PAGES) {
          truncated = true;
          break;
        }
      }
      this.state.set((s) => ({ ...s, loading: false, comparison: first, changes, items, truncated, version: s.version + 1 }));
    } catch (error) {
      if (id !== this.request) return;
      this.state.set((s) => ({ ...s, loading: false, error: describeError(error), comparison: undefined, changes: new Map(), items: new Map(), version: s.version + 1 }));
    }
  }
}

export const useCompare = <S>(store: CompareStore, select: (s: CompareState) => S): S => useStore(store.state, select);
