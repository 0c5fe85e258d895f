// The grid rows and the figures the run page shows, derived from a RunStore and memoised per
// model version: a live run re-renders up to ten times a second, and the grid, the header, the
// toolbar and the actions all read them. RunStore holds the data and never imports this module.
import type { RunSummaryView } from '../api-types.js';
import { useStore } from '../lib/store.js';
import { type RunStore, useRunState } from './run-store.js';
import { computeStats, type RunStats } from './run-stats.js';
import { deriveGrid, type GridView, type ViewOptions } from './run-view.js';
import { statsFromSummary, withSummaryEvaluators } from './summary-stats.js';

interface Memo {
  grid?: { version: number; view: ViewOptions; compared: number; grid: GridView };
  stats?: { version: number; provisional: boolean; summary: RunSummaryView | undefined; stats: RunStats };
}

/** One memo per store, gone with it. */
const memos = new WeakMap<RunStore, Memo>();

function memoOf(store: RunStore): Memo {
  let m = memos.get(store);
  if (!m) memos.set(store, (m = {}));
  return m;
}

/** The grid rows after the view options (and, in compare mode, "changed against baseline"). */
export function gridOf(store: RunStore): GridView {
  const memo = memoOf(store);
  const { version, view } = store.state.get();
  const compare = store.compare.state.get();
  // Compare mode's changes count only while it is on; its version changes with each comparison.
  const compared = compare.on ? compare.version : -1;
  const m = memo.grid;
  if (!m || m.version !== version || m.view !== view || m.compared !== compared) {
    memo.grid = { version, view, compared, grid: deriveGrid(store.model, view, compare.on ? compare.changes : undefined) };
  }
  return memo.grid!.grid;
}

/**
 * The figures shown. Until every results page has arrived the model holds part of the run,
 * so a finished run's summary speaks for it (what it cannot say, latencies and errored
 * cells, stays unknown); after that the model, plus the summary's evaluators that gave no result.
 */
export function statsOf(store: RunStore): RunStats {
  const memo = memoOf(store);
  const { version, phase, summary } = store.state.get();
  const provisional = phase !== 'ready' && summary !== undefined;
  const m = memo.stats;
  if (!m || m.version !== version || m.provisional !== provisional || m.summary !== summary) {
    const name = (id: string) => store.model.evaluators.get(id);
    const stats = provisional ? statsFromSummary(summary, name) : withSummaryEvaluators(computeStats(store.model), summary, name);
    memo.stats = { version, provisional, summary, stats };
    return stats;
  }
  return m.stats;
}

/** The grid rows, re-derived when the model or the view options change. */
export function useGrid(store: RunStore): GridView {
  useRunState(store, (s) => s.version);
  useRunState(store, (s) => s.view);
  useStore(store.compare.state, (s) => (s.on ? s.version : -1));
  return gridOf(store);
}

export function useStats(store: RunStore): RunStats {
  useRunState(store, (s) => s.version);
  // The figures come from the summary until the results are in (statsOf()).
  useRunState(store, (s) => s.phase);
  useRunState(store, (s) => s.summary);
  return statsOf(store);
}
