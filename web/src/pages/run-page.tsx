// The run page (runUrl): header with live progress and figures (reviewed ones included),
// actions, aggregates and charts, compare mode, then the grid with its filters, and the cell
// drawer (with its review controls).
import { useEffect, useRef, useState } from 'react';
import { Link } from '../lib/link.js';
import { shortRunId, useTitle } from '../lib/title.js';
import { navigate, paths } from '../lib/router.js';
import { Actions } from '../run/actions.js';
import { Aggregates } from '../run/aggregates.js';
import { ComparePanel } from '../run/compare-panel.js';
import { WebhooksView } from '../run/webhooks-view.js';
import { compareInAddress } from '../run/compare-store.js';
import { Drawer } from '../run/drawer.js';
import { Grid } from '../run/grid.js';
import { RunHeader } from '../run/run-header.js';
import { RunStore, useRunState } from '../run/run-store.js';
import { RESULTS_ID } from '../run/skip-link.js';
import { Toolbar } from '../run/toolbar.js';

/** The next automatic attempt after a failed load, counting down each second. */
function RetryCountdown({ at, attempt }: { at: number; attempt: number }) {
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    const t = setInterval(() => setNow(Date.now()), 1000);
    return () => clearInterval(t);
  }, [at]);
  const seconds = Math.max(0, Math.ceil((at - now) / 1000));
  return (
    <span className="muted" data-testid="load-retry">
      {seconds > 0 ? `Trying again by itself in ${seconds} s (attempt ${attempt})…` : `Trying again (attempt ${attempt})…`}
    </span>
  );
}

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
  const owner = useRunState(store, (s) => s.owner);
  const experiment = useRunState(store, (s) => s.experiment);
  const loadRetry = useRunState(store, (s) => s.loadRetry);
  useTitle(phase === 'missing' ? 'Run not found' : (experiment?.name ?? slug), phase === 'missing' ? undefined : `run ${shortRunId(runId)}`);

  // A link with `?compare=1&baseline=…` opens the comparison it names, once the run's
  // experiment (whose runs the baseline picker lists) is known.
  const [compareAsked] = useState(() => compareInAddress(location.search));
  const compareOpened = useRef(false);
  useEffect(() => {
    if (!experiment || !compareAsked.on || compareOpened.current) return;
    compareOpened.current = true;
    void store.compare.open(compareAsked.baseline);
  }, [experiment, compareAsked, store]);

  // The address names the run's own experiment: a link that paired this run with another
  // slug (or one that does not exist) is corrected in place, and the page says so.
  useEffect(() => {
    if (!experiment || experiment.slug === slug) return;
    navigate(paths.run(project, experiment.slug, runId), { replace: true });
    store.say(`This run belongs to experiment ${experiment.slug}; the address now names it.`);
  }, [experiment, slug, project, runId, store]);

  return (
    <main className="run-page">
      <nav aria-label="Breadcrumb" className="crumbs">
        <Link to={paths.experiments(project)}>Experiments</Link> /{' '}
        {/* Until the run names its own experiment, the one the address names (a guess, corrected once known). */}
        {experiment ? <Link to={paths.experiment(project, experiment.slug)}>{experiment.slug}</Link> : owner === 'missing' ? <span className="muted">unknown experiment</span> : <Link to={paths.experiment(project, slug)}>{slug}</Link>} /{' '}
        <span aria-current="page">{runId}</span>
      </nav>
      <h1>Run {runId}</h1>
      {owner === 'missing' && phase !== 'error' && phase !== 'missing' && (
        <p role="alert" className="error-text" data-testid="owner-missing">
          This run's experiment was not found among the project's experiments (it may be archived, or the address names another one). Its results are shown; re-running, curl and the baseline list are off.
        </p>
      )}
      {phase === 'missing' ? (
        // A 404 is an answer: trying again would get the same one.
        <p role="alert" className="error-text" data-testid="run-missing">
          There is no run <code>{runId}</code> in project <bdi>{project}</bdi>. <Link to={paths.experiment(project, slug)}>Runs of experiment {slug}</Link>
        </p>
      ) : phase === 'error' ? (
        // A dropped connection or a busy server is usually passing: try again in place, keeping
        // the tab's key and whatever had arrived, rather than sending the reader to reload.
        <div className="load-error">
          <p role="alert" className="error-text">
            Could not load this run: {loadError}
          </p>
          <button type="button" onClick={() => store.retry(true)}>
            Retry
          </button>
          {loadRetry && <RetryCountdown at={loadRetry.at} attempt={loadRetry.attempt} />}
        </div>
      ) : (
        <>
          <RunHeader store={store} project={project} />
          <Actions store={store} />
          <p className="notice" role="status">
            {notice ?? ''}
          </p>
          <Aggregates store={store} />
          <ComparePanel store={store} />
          <WebhooksView store={store} />
          <h2 className="grid-title" id={RESULTS_ID} tabIndex={-1}>Results</h2>
          <Toolbar store={store} />
          {phase === 'loading' && store.model.rows.size === 0 ? <p className="muted">Loading results…</p> : <Grid store={store} />}
          <Drawer store={store} />
        </>
      )}
    </main>
  );
}
