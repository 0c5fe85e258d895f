// The run's header: status, live progress ("completed / total"), and the headline figures.
import { useEffect, useState } from 'react';
import { materialRunningTime } from '../../../src/core/model/summary-running.js';
import { inOut, int, knownUsd, ms, pct, unknownCostNote } from '../lib/format.js';
import { Link } from '../lib/link.js';
import { paths } from '../lib/router.js';
import { StatusPill } from './badges.js';
import { useStats } from './run-derived.js';
import { type RunStore, useRunState } from './run-store.js';
import { startedWith } from './started-with.js';

/** Why a run stopped early, in words (summary.stopReason). */
const STOPPED: Record<string, string> = {
  user: 'by a user', budget: 'its cost budget was reached', errors: 'its error limit (maxErrors) was reached', shutdown: 'the server shut down',
};

/**
 * The moment the header's figures are as of: the finish once the run ended; while it is live,
 * now, rendered again once a second; while the stream is lost, the last contact (`lostSince`):
 * the page cannot tell the run still goes.
 */
function useAsOf(finishedAt: number | undefined, running: boolean, lostSince: number | undefined): number {
  const [, setTick] = useState(0);
  useEffect(() => {
    if (!running) return;
    const t = setInterval(() => setTick((n) => n + 1), 1000);
    return () => clearInterval(t);
  }, [running]);
  // Read at every render, not kept from the last tick: a render for other news (a line about
  // calls waiting, a resume) showed the duration as it was up to a second before.
  return finishedAt ?? lostSince ?? Date.now();
}

/** `project`: the project's slug, for links to its pages (the run's dataset). */
export function RunHeader({ store, project }: { store: RunStore; project: string }) {
  const status = useRunState(store, (s) => s.status);
  const live = useRunState(store, (s) => s.live);
  const lost = useRunState(store, (s) => s.lost);
  const total = useRunState(store, (s) => s.total);
  const completed = useRunState(store, (s) => s.completed);
  const startedAt = useRunState(store, (s) => s.startedAt);
  const finishedAt = useRunState(store, (s) => s.finishedAt);
  const runError = useRunState(store, (s) => s.runError);
  const backoff = useRunState(store, (s) => s.backoff);
  const slotWaits = useRunState(store, (s) => s.slotWaits);
  const summary = useRunState(store, (s) => s.summary);
  const request = useRunState(store, (s) => s.request);
  const metadata = useRunState(store, (s) => s.metadata);
  // Names as the rest of the page writes them, from the model (results, the summary, the
  // experiment's document): an evaluator's name, with its id when two share it.
  useRunState(store, (s) => s.version);
  const names = {
    target: (id: string) => store.model.targets.find((t) => t.id === id)?.name,
    evaluator: (id: string) => store.model.evaluatorName(id),
  };
  const stats = useStats(store);
  const runningClock = useRunState(store, (s) => s.runningClock);
  const asOf = useAsOf(finishedAt, status === 'running' && !lost, lost?.since);
  const duration = startedAt === undefined ? undefined : asOf - startedAt;
  // The duration runs from the start, a stop before a resume included: a run that stood stopped
  // a material while also says how long it ran (the CLI's rule, summary-running.ts): once ended,
  // the summary's; while a resumed run runs, ticking from the poll body's clock.
  const running = status !== 'running'
    ? summary && materialRunningTime(summary)
    : runningClock && duration !== undefined
      ? materialRunningTime({ duration, runningTime: runningClock.before + Math.max(0, asOf - runningClock.since) })
      : undefined;
  const shown = Math.max(completed, 0);
  // While a finished run's results load, the figures are its summary's, which has no
  // latencies and no errored-cell count: those say "…" until the results are in.
  const later = (text: string) => (stats.provisional ? '…' : text);
  // Calls the cost leaves out: the targets' and the judges' with no known price.
  const costUnknown = stats.costUnknown + stats.evaluatorCostUnknown;
  // Cells done and no pass rate: no evaluator judged any (the run has none, or all skipped), so a
  // cell "passed" because its target answered; the summary's 100 % is LangWatch's, not a verdict.
  const unjudged = stats.passRate === undefined && stats.done > 0 ? (stats.evaluators.length === 0 ? 'no evaluators' : 'nothing judged') : undefined;
  const unjudgedNote = unjudged && (unjudged === 'no evaluators' ? 'The run has no evaluators: no cell was judged' : 'Every evaluator skipped every cell: no cell was judged');

  return (
    <section className="run-header" aria-label="Run summary">
      <div className="run-status">
        {/* Without the stream the status is the last one heard, not news: it says so. */}
        {lost && status && <span className="muted">last known:</span>}
        {status && <StatusPill status={status} />}
        {live && !lost && <span className="live" aria-hidden="true">● live</span>}
        <div className="progress">
          <progress max={Math.max(total, 1)} value={shown} aria-label="Cells completed" />
          <span data-testid="progress-text" aria-live="polite">
            {int(shown)} / {int(total)}
          </span>
        </div>
      </div>
      {/* A lost server is not a quiet run: say so plainly, with the attempt, until the stream is back. */}
      {lost && (
        <p className="connection-lost" role="alert" data-testid="connection-lost">
          Lost the connection to the server — retrying (attempt {lost.attempt})… The figures below are from before it was lost.
        </p>
      )}
      {/* A run held by 429s stands still: say it waits, as asked, rather than look hung. Not a live
          region: its countdown changes every second. */}
      {backoff && <p className="backoff muted" data-testid="backoff" dir="auto">{backoff}</p>}
      {/* A run held by a provider's cap or a model's lowered limit moves slowly: say what holds it. */}
      {slotWaits && <p className="backoff muted" data-testid="slot-waits" dir="auto">{slotWaits}</p>}
      {runError && <p className="error-text" role="alert">Run failed: {runError}</p>}
      {summary?.stopReason && <p className="muted" data-testid="stop-reason">Stopped: {STOPPED[summary.stopReason] ?? summary.stopReason}</p>}
      <dl className="figures">
        <div>
          <dt>Pass rate</dt>
          <dd data-testid="pass-rate" title={unjudgedNote}>{pct(stats.passRate)}{unjudged && <span className="figure-note" data-testid="pass-rate-note"> ({unjudged})</span>}</dd>
        </div>
        {summary?.threshold && (
          <div><dt>Threshold</dt><dd>{pct(summary.threshold.passRate)} {summary.threshold.met ? 'met' : 'not met'}</dd></div>
        )}
        <div><dt>Cost</dt><dd data-testid="cost" title={unknownCostNote(stats.costUnknown, stats.evaluatorCostUnknown)}>{stats.provisional && stats.cost === undefined && costUnknown === 0 ? '…' : knownUsd(stats.cost, costUnknown)}</dd></div>
        <div><dt>Tokens</dt><dd data-testid="tokens">{stats.provisional && stats.tokens === undefined ? '…' : inOut(stats.tokens)}</dd></div>
        <div><dt>Latency p50</dt><dd data-testid="latency-p50">{later(ms(stats.latencyP50))}</dd></div>
        <div><dt>Latency p95</dt><dd data-testid="latency-p95">{later(ms(stats.latencyP95))}</dd></div>
        <div><dt>Duration</dt><dd data-testid="duration" title={lost ? 'Until the connection was lost' : undefined}>
          {ms(duration)}
          {running !== undefined && (
            <span className="figure-note" data-testid="running-time" title="Time spent running; the duration counts from the start, the time the run stood stopped before a resume included"> ({ms(running)} running)</span>
          )}
          {lost && <span className="stale"> (at last contact)</span>}
        </dd></div>
        <div><dt>Failed cells</dt><dd data-testid="failed-cells">{int(stats.failed)}</dd></div>
        <div><dt>Errored cells</dt><dd data-testid="errored-cells">{later(int(stats.errored))}</dd></div>
        {/* From the server's summary: reviews override verdicts there; the figures above stay the
            evaluators'. Shown once a cell is reviewed: before, they repeat the cell count's 0 and
            the pass rate, two figures that said nothing to a reader who never reviewed. */}
        {summary?.reviewed !== undefined && summary.reviewed > 0 && (
          <>
            <div><dt>Reviewed cells</dt><dd data-testid="reviewed">{int(summary.reviewed)}</dd></div>
            <div><dt>Reviewed pass rate</dt><dd data-testid="reviewed-pass-rate">{pct(summary.reviewedPassRate)}</dd></div>
          </>
        )}
      </dl>
      {request && (
        <dl className="started-with" aria-label="Started with" data-testid="started-with">
          {startedWith(request, metadata ?? {}, names).map((item) => (
            <div key={item.label}>
              <dt>{item.label}</dt>
              {item.dataset ? (
                // The dataset by name, linked to the version the run read (by id: its slug may name another dataset since).
                <dd dir="auto" data-testid="run-dataset">
                  {item.dataset.before}
                  <Link to={paths.dataset(project, item.dataset.id, { version: item.dataset.version })}>
                    <bdi title={[item.dataset.slug, item.dataset.id].filter(Boolean).join(' · ')}>{item.dataset.name}</bdi>
                  </Link>
                  {item.dataset.after}
                </dd>
              ) : (
                <dd dir="auto">{item.value}</dd>
              )}
            </div>
          ))}
        </dl>
      )}
    </section>
  );
}
