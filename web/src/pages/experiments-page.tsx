// The project's experiments, each with its last run's status, pass rate (marked "1 of 3 rows"
// when that run ran part of the rows) and start time, the most recently run first (the order
// the times shown read in).
import { judgedPassRate } from '../../../src/core/model/summary-judged.js';
import type { RunListItem } from '../api-types.js';
import { api } from '../api.js';
import { StatusPill } from '../run/badges.js';
import { isPartial, rowShare } from '../run/row-share.js';
import { int, pct, when } from '../lib/format.js';
import { Link } from '../lib/link.js';
import { TableScroll } from '../lib/table-scroll.js';
import { useResource } from '../lib/resource.js';
import { paths } from '../lib/router.js';
import { useTitle } from '../lib/title.js';

async function loadExperiments() {
  const client = api();
  const { experiments } = await client.experiments();
  // One small request per experiment for its newest run (a page holds at most 200).
  const last = await Promise.all(experiments.map((e) => client.runs(e.slug, 1).then((r) => r.runs[0] ?? null, () => null)));
  return byLastRun(experiments.map((e, i) => ({ ...e, last: last[i] as RunListItem | null })));
}

/** When an experiment last ran (ms): its newest run's start, else the list's lastRunAt; null when never. */
function lastRunAt(e: { lastRunAt: string | null; last: RunListItem | null }): number | null {
  if (e.last) return e.last.timestamps.createdAt;
  const t = e.lastRunAt === null ? NaN : Date.parse(e.lastRunAt);
  return Number.isNaN(t) ? null : t;
}

/**
 * Newest last run first, then the experiments never run, newest change first. The API lists
 * experiments by their last change, which read as no order beside a column of run times.
 */
function byLastRun<E extends { lastRunAt: string | null; updatedAt: string; last: RunListItem | null }>(experiments: E[]): E[] {
  const keyed = experiments.map((e) => ({ e, ran: lastRunAt(e), changed: Date.parse(e.updatedAt) || 0 }));
  keyed.sort((a, b) => (b.ran ?? -Infinity) - (a.ran ?? -Infinity) || b.changed - a.changed);
  return keyed.map((k) => k.e);
}

export function ExperimentsPage({ project }: { project: string }) {
  const [res] = useResource(loadExperiments);
  useTitle('Experiments');
  return (
    <main>
      <h1>Experiments</h1>
      {res.status === 'loading' && <p className="muted">Loading…</p>}
      {res.status === 'error' && <p role="alert" className="error-text">{res.error}</p>}
      {res.status === 'ready' &&
        (res.data.length === 0 ? (
          <p>No experiments yet. Create one with <code>assay push FILE</code> or <code>POST /api/experiments</code>.</p>
        ) : (
          <TableScroll label="Experiments table">
            <table className="data wide">
              <caption className="muted note">Most recently run first; experiments never run last.</caption>
              <thead>
                <tr><th scope="col">Experiment</th><th scope="col">Runs</th><th scope="col">Last run</th><th scope="col">Pass rate</th><th scope="col" aria-sort="descending">Last run started</th></tr>
              </thead>
              <tbody>
                {res.data.map((e) => (
                  <tr key={e.id}>
                    <th scope="row">
                      {/* The slug is part of the link: a reader who knows the experiment by its slug clicks that. */}
                      <Link to={paths.experiment(project, e.slug)} className="experiment-link"><bdi>{e.name ?? e.slug}</bdi> <span className="muted">{e.slug}</span></Link>
                    </th>
                    <td>{int(e.runsCount)}</td>
                    <td>{e.last ? <Link to={paths.run(project, e.slug, e.last.runId)}><StatusPill status={e.last.status} /></Link> : '—'}</td>
                    {/* "—" for a run no evaluator judged (none, or all skipped): its 100 % is targets that answered. */}
                    <td>
                      {pct(e.last?.summary && judgedPassRate(e.last.summary))}
                      {/* A run of part of the rows (a re-run of the failed ones): its rate is not the whole suite's. */}
                      {e.last && isPartial(e.last) && <span className="muted" data-testid="partial-run"> ({rowShare(e.last)})</span>}
                    </td>
                    <td>{when(e.last?.timestamps.createdAt ?? null)}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </TableScroll>
        ))}
    </main>
  );
}
