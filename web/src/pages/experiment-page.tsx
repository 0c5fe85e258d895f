// One experiment: its document (read-only YAML), a form that starts a run with parameters and
// a row selection, its run history as a table and a pass-rate / cost trend.
import { useEffect, useState } from 'react';
import { judgedPassRate } from '../../../src/core/model/summary-judged.js';
import type { ExperimentDocumentView, RunListItem } from '../api-types.js';
import { api } from '../api.js';
import { TrendChart } from '../charts/trend-chart.js';
import { int, ms, pct, summaryUsd, unknownCostNote, when } from '../lib/format.js';
import { Link } from '../lib/link.js';
import { TableScroll } from '../lib/table-scroll.js';
import { useResource } from '../lib/resource.js';
import { paths } from '../lib/router.js';
import { StatusPill } from '../run/badges.js';
import { isPartial, rowShare } from '../run/row-share.js';
import { RunForm } from './run-form.js';
import { useTitle } from '../lib/title.js';

function YamlView({ document }: { document: unknown }) {
  const [text, setText] = useState<string | null>(null);
  useEffect(() => {
    let live = true;
    // The YAML library is loaded only on this page.
    void import('yaml').then(({ stringify }) => live && setText(stringify(document)));
    return () => {
      live = false;
    };
  }, [document]);
  return <pre className="yaml" tabIndex={0} aria-label="Experiment document (YAML)">{text ?? 'Loading…'}</pre>;
}

/** What the estimate calls each part: targets by id, evaluators as `evaluator:<id>` (ids of the two may be alike). */
function partNames(doc: ExperimentDocumentView): Map<string, string> {
  const names = new Map<string, string>();
  for (const t of doc.targets ?? []) names.set(t.id, t.name ?? t.id);
  for (const e of doc.evaluators ?? []) names.set(`evaluator:${e.id}`, e.name ?? e.id);
  return names;
}

/** Labels shown of a run at most; the rest are in the title. */
const LABELS_SHOWN = 4;

/**
 * What tells two runs of one version apart: their parameters (`tone=dry`) and metadata
 * (`commit=3f2a…`), each cut to a readable length; all of them in the title.
 */
function RunLabels({ run }: { run: RunListItem }) {
  const labels = [
    ...Object.entries(run.parameters ?? {}).map(([k, v]) => ({ kind: 'parameter', text: `${k}=${String(v)}` })),
    ...Object.entries(run.metadata).map(([k, v]) => ({ kind: 'metadata', text: `${k}=${typeof v === 'string' ? v : JSON.stringify(v)}` })),
  ];
  if (labels.length === 0) return <span className="muted">—</span>;
  const cut = (t: string) => (t.length > 32 ? `${t.slice(0, 31)}…` : t);
  return (
    <span className="run-labels" title={labels.map((l) => `${l.kind === 'parameter' ? 'parameter' : 'metadata'} ${l.text}`).join('\n')}>
      {labels.slice(0, LABELS_SHOWN).map((l, i) => (
        <span key={i} className={`run-label ${l.kind}`} dir="auto">{cut(l.text)}</span>
      ))}
      {labels.length > LABELS_SHOWN && <span className="muted"> +{labels.length - LABELS_SHOWN}</span>}
    </span>
  );
}

function RunHistory({ project, slug, runs }: { project: string; slug: string; runs: RunListItem[] }) {
  if (runs.length === 0) return <p>No runs yet.</p>;
  return (
    <>
      <TrendChart runs={runs} />
      <TableScroll label="Run history table">
        <table className="data wide">
          <caption>Run history (newest first)</caption>
          <thead>
            <tr><th scope="col">Run</th><th scope="col">Status</th><th scope="col">Started</th><th scope="col">Version</th><th scope="col">Parameters and metadata</th><th scope="col">Cells</th><th scope="col">Pass rate</th><th scope="col">Cost</th><th scope="col">Duration</th></tr>
          </thead>
          <tbody>
            {runs.map((r) => (
              <tr key={r.runId}>
                <th scope="row"><Link to={paths.run(project, slug, r.runId)}>{r.runId}</Link></th>
                <td><StatusPill status={r.status} /></td>
                <td>{when(r.timestamps.createdAt)}</td>
                <td>{r.experimentVersion ?? '—'}</td>
                <td><RunLabels run={r} /></td>
                <td>{int(r.progress)} / {int(r.total)}</td>
                <td>
                  {pct(r.summary && judgedPassRate(r.summary))}
                  {/* As in the experiments list: a run of part of the rows has a rate that is not the whole suite's. */}
                  {isPartial(r) && <span className="muted" data-testid="partial-run"> ({rowShare(r)})</span>}
                </td>
                <td title={unknownCostNote(r.summary?.unpricedCalls ?? 0, r.summary?.evaluatorUnpricedCalls ?? 0)}>{summaryUsd(r.summary)}</td>
                <td>{ms(r.summary?.duration)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </TableScroll>
    </>
  );
}

export function ExperimentPage({ project, slug }: { project: string; slug: string }) {
  const [res] = useResource(async () => {
    const client = api();
    const [experiment, runs] = await Promise.all([client.experiment(slug), client.runs(slug, 100)]);
    return { experiment, runs: runs.runs };
  });
  useTitle(res.status === 'ready' ? res.data.experiment.name : slug, 'Experiments');
  return (
    <main>
      <nav aria-label="Breadcrumb" className="crumbs">
        <Link to={paths.experiments(project)}>Experiments</Link> / <span aria-current="page">{slug}</span>
      </nav>
      {res.status === 'loading' && <p className="muted">Loading…</p>}
      {res.status === 'error' && <p role="alert" className="error-text">{res.error}</p>}
      {res.status === 'ready' && (
        <>
          <h1 dir="auto">{res.data.experiment.name}</h1>
          <p className="muted">
            {slug} · version {res.data.experiment.version} · updated {when(res.data.experiment.updatedAt)}
          </p>
          <section aria-labelledby="run-heading">
            <h2 id="run-heading">Run</h2>
            <RunForm
              project={project} slug={slug} rowCount={res.data.experiment.document.dataset?.rows?.length}
              names={partNames(res.data.experiment.document)}
            />
          </section>
          <section aria-labelledby="history-heading">
            <h2 id="history-heading">Runs</h2>
            <RunHistory project={project} slug={slug} runs={res.data.runs} />
          </section>
          <section aria-labelledby="doc-heading">
            <h2 id="doc-heading">Document</h2>
            <YamlView document={res.data.experiment.document} />
          </section>
        </>
      )}
    </main>
  );
}
