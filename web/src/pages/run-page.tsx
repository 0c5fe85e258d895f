// The run page (runUrl): header with live progress and figures (reviewed ones included),
// actions, aggregates and charts, compare mode, then the grid with its filters, and the cell
// drawer (with its review controls).
import { useEffect, useState } from 'react';
import { Link } from '../lib/link.js';
import { paths } from '../lib/router.js';
import { Actions } from '../run/actions.js';
import { Aggregates } from '../run/aggregates.js';
import { ComparePanel } from '../run/compare-panel.js';
import { Drawer } from '../run/drawer.js';
import { Grid } from '../run/grid.js';
import { RunHeader } from '../run/run-header.js';
import { RunStore, useRunState } from '../run/run-store.js';
import { Toolbar } from '../run/toolbar.js';

export function RunPage({ project, slug, runId }: { project: string; slug: string; runId: string }) {
  // One store per mount; the app keys this page by run id, so another run gets a fresh one.
  const [store] = useState(() => new RunStore(runId, slug));
  useEffect(() => {
    void store.start();
    return () => store.dispose();
  }, [store]);

  const phase = useRunState(store, (s) => s.phase);
  const loadError = useRunState(store, (s) => s.loadError);
  const notice = useRunState(store, (s) => s.notice);

  return (
    <main className="run-page">
      <nav aria-label="Breadcrumb" className="crumbs">
        <Link to={paths.experiments(project)}>Experiments</Link> / <Link to={paths.experiment(project, slug)}>{slug}</Link> / <span aria-current="page">{runId}</span>
      </nav>
      <h1>Run {runId}</h1>
      {phase === 'error' ? (
        <p role="alert" className="error-text">
          {loadError}
        </p>
      ) : (
        <>
          <RunHeader store={store} />
          <Actions store={store} />
          <p className="notice" role="status">
            {notice ?? ''}
          </p>
          <Aggregates store={store} />
          <ComparePanel store={store} />
          <h2 className="grid-title">Results</h2>
          <Toolbar store={store} />
          {phase === 'loading' && store.model.rows.size === 0 ? <p className="muted">Loading results…</p> : <Grid store={store} />}
          <Drawer store={store} />
        </>
      )}
    </main>
  );
}
