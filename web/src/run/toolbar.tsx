// Filters, search, sorting and column visibility for the grid.
import { useEffect, useState } from 'react';
import { int } from '../lib/format.js';
import { useCompare } from './compare-store.js';
import { useGrid } from './run-derived.js';
import { rowsLeftText } from './rows-left.js';
import { type RunStore, useRunState } from './run-store.js';
import type { SortKey } from './run-view.js';

export function Toolbar({ store }: { store: RunStore }) {
  const view = useRunState(store, (s) => s.view);
  const visibility = useRunState(store, (s) => s.columnVisibility);
  useRunState(store, (s) => s.version);
  const grid = useGrid(store);
  const model = store.model;
  const [search, setSearch] = useState(view.search);
  const comparing = useCompare(store.compare, (s) => s.on);
  // Repeats can disagree only when there are several.
  const repeated = useRunState(store, (s) => (s.request?.repeats ?? 1) > 1);
  const status = useRunState(store, (s) => s.status);
  const total = useRunState(store, (s) => s.total);
  const request = useRunState(store, (s) => s.request);
  const rowsLeft = rowsLeftText({ status, total, request }, model.rows.size);

  // Typing filters after a pause, not on every key (a search walks every row).
  useEffect(() => {
    const t = setTimeout(() => store.setView({ search }), 200);
    return () => clearTimeout(t);
  }, [search, store]);

  const columns = [
    ...model.columns.map((c) => ({ id: `in:${c}`, label: c })),
    ...model.targets.map((t) => ({ id: `t:${t.id}`, label: t.name })),
  ];

  return (
    <div className="toolbar" role="toolbar" aria-label="Filter and sort the grid">
      <label className="check">
        <input type="checkbox" checked={view.failures} onChange={(e) => store.setView({ failures: e.target.checked })} />
        Failures
      </label>
      <label className="check">
        <input type="checkbox" checked={view.errors} onChange={(e) => store.setView({ errors: e.target.checked })} />
        Errors
      </label>
      {(repeated || view.flaky) && (
        <label className="check" title="Cells whose repeats disagree: some passed, some did not">
          <input type="checkbox" checked={view.flaky} onChange={(e) => store.setView({ flaky: e.target.checked })} />
          Flaky only
        </label>
      )}
      {comparing && (
        <label className="check">
          <input type="checkbox" checked={view.changed} onChange={(e) => store.setView({ changed: e.target.checked })} />
          Changed against baseline
        </label>
      )}
      <span className="field">
        <label htmlFor="f-evaluator">Evaluator</label>{' '}
        <select id="f-evaluator" value={view.evaluatorId ?? ''} onChange={(e) => store.setView({ evaluatorId: e.target.value || null })}>
          <option value="">All</option>
          {[...model.evaluators].map(([id, name]) => (
            <option key={id} value={id}>{name}</option>
          ))}
        </select>
      </span>
      <span className="field">
        <label htmlFor="f-target">Target</label>{' '}
        <select id="f-target" value={view.targetId ?? ''} onChange={(e) => store.setView({ targetId: e.target.value || null })}>
          <option value="">All</option>
          {model.targets.map((t) => (
            <option key={t.id} value={t.id}>{t.name}</option>
          ))}
        </select>
      </span>
      <span className="field">
        <label htmlFor="f-search">Search</label>{' '}
        <input id="f-search" type="search" dir="auto" value={search} placeholder="inputs and outputs" onChange={(e) => setSearch(e.target.value)} aria-invalid={grid.searchError ? true : undefined} aria-describedby={grid.searchError ? 'search-error' : undefined} />
      </span>
      <label className="check">
        <input type="checkbox" checked={view.regex} onChange={(e) => store.setView({ regex: e.target.checked })} />
        Regex
      </label>
      <span className="field">
        <label htmlFor="f-sort">Sort by</label>{' '}
        <select id="f-sort" value={view.sort} onChange={(e) => store.setView({ sort: e.target.value as SortKey })}>
          <option value="row">Row</option>
          <option value="score">Score</option>
          <option value="latency">Latency</option>
          <option value="cost">Cost</option>
        </select>
      </span>
      <button type="button" disabled={view.sort === 'row'} onClick={() => store.setView({ descending: !view.descending })} title="Sort direction">
        {view.descending ? 'Descending' : 'Ascending'}
      </button>
      <details className="columns">
        <summary>Columns</summary>
        <fieldset>
          <legend>Shown columns</legend>
          {columns.map((c) => (
            <label key={c.id} className="check">
              <input type="checkbox" checked={visibility[c.id] !== false} onChange={(e) => store.setColumnVisibility({ ...visibility, [c.id]: e.target.checked })} />
              {c.label}
            </label>
          ))}
        </fieldset>
      </details>
      <span className="count" aria-live="polite">
        <span data-testid="row-count">
          {int(grid.rows.length)} of {int(model.rows.size)} rows
        </span>
        {rowsLeft && (
          <>
            {' · '}
            <span data-testid="rows-left">{rowsLeft}</span>
          </>
        )}
      </span>
      {grid.searchError && (
        <span id="search-error" className="error-text">
          Invalid regular expression: {grid.searchError}
        </span>
      )}
    </div>
  );
}
