// One experiment: its document (read-only YAML), a form that starts a run with parameters and
// a row selection, its run history as a table and a pass-rate / cost trend.
import { type FormEvent, useEffect, useState } from 'react';
import type { ExperimentDocumentView, RunEstimate, RunListItem, StartRunBody } from '../api-types.js';
import { api, describeError } from '../api.js';
import { TrendChart } from '../charts/trend-chart.js';
import { int, ms, pct, summaryUsd, unknownCostNote, when } from '../lib/format.js';
import { Link } from '../lib/link.js';
import { useResource } from '../lib/resource.js';
import { navigate, paths } from '../lib/router.js';
import { StatusPill } from '../run/badges.js';
import { EstimateView } from './estimate-view.js';

/** "0,2,5-9" → [0,2,5,6,7,8,9]; null when the text is not such a list. */
export function parseRows(text: string): number[] | null {
  const out: number[] = [];
  for (const part of text.split(',').map((p) => p.trim()).filter(Boolean)) {
    const m = /^(\d+)(?:\s*-\s*(\d+))?$/.exec(part);
    if (!m) return null;
    const a = Number(m[1]);
    const b = m[2] === undefined ? a : Number(m[2]);
    if (b < a || b - a > 1_000_000) return null;
    for (let i = a; i <= b; i++) out.push(i);
  }
  return out;
}

/** "k=v" lines → parameters (numbers and booleans typed as the run API takes them). */
export function parseParameters(text: string): Record<string, string | number | boolean> | string {
  const out: Record<string, string | number | boolean> = {};
  for (const [i, line] of text.split('\n').entries()) {
    if (!line.trim()) continue;
    const eq = line.indexOf('=');
    if (eq <= 0) return `Line ${i + 1}: expected name=value`;
    const v = line.slice(eq + 1).trim();
    out[line.slice(0, eq).trim()] = v === 'true' ? true : v === 'false' ? false : v !== '' && !Number.isNaN(Number(v)) ? Number(v) : v;
  }
  return out;
}

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

function RunForm({ project, slug, rowCount, names }: { project: string; slug: string; rowCount: number | undefined; names: Map<string, string> }) {
  const [params, setParams] = useState('');
  const [rows, setRows] = useState('');
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const [estimate, setEstimate] = useState<RunEstimate | null>(null);
  /** The run body the form describes, or null after showing what is wrong with it. */
  const body = (): StartRunBody | null => {
    const parameters = parseParameters(params);
    const rowIndexes = rows.trim() ? parseRows(rows) : undefined;
    const wrong = typeof parameters === 'string' ? parameters : rowIndexes === null ? 'Rows: a list like 0,2,5-9' : null;
    if (wrong !== null || typeof parameters === 'string' || rowIndexes === null) {
      setError(wrong);
      return null;
    }
    return { ...(Object.keys(parameters).length ? { parameters } : {}), ...(rowIndexes ? { row_indices: rowIndexes } : {}) };
  };
  const send = async (act: (b: StartRunBody) => Promise<void>) => {
    const b = body();
    if (!b) return;
    setBusy(true);
    setError(null);
    try {
      await act(b);
    } catch (err) {
      setError(describeError(err));
    } finally {
      setBusy(false);
    }
  };
  const submit = (e: FormEvent) => {
    e.preventDefault();
    void send(async (b) => navigate(paths.run(project, slug, (await api().start(slug, b)).runId)));
  };
  const estimateCost = () => void send(async (b) => setEstimate(await api().estimate(slug, b)));
  return (
    <form className="run-form" onSubmit={(e) => void submit(e)} aria-label="Start a run">
      <label>
        Parameters <span className="muted">(one name=value a line, merged into every row)</span>
        <textarea rows={3} value={params} onChange={(e) => setParams(e.target.value)} placeholder="lang=fr" />
      </label>
      <label>
        Rows <span className="muted">(empty = all{rowCount !== undefined ? ` ${rowCount}` : ''}; e.g. 0,2,5-9)</span>
        <input type="text" value={rows} onChange={(e) => setRows(e.target.value)} />
      </label>
      <div className="buttons">
        <button type="submit" disabled={busy}>
          Run
        </button>
        <button type="button" className="secondary" disabled={busy} onClick={estimateCost}>
          Estimate cost
        </button>
      </div>
      {error && <p role="alert" className="error-text">{error}</p>}
      {estimate && <EstimateView estimate={estimate} names={names} />}
    </form>
  );
}

function RunHistory({ project, slug, runs }: { project: string; slug: string; runs: RunListItem[] }) {
  if (runs.length === 0) return <p>No runs yet.</p>;
  return (
    <>
      <TrendChart runs={runs} />
      <table className="data wide">
        <caption>Run history (newest first)</caption>
        <thead>
          <tr><th scope="col">Run</th><th scope="col">Status</th><th scope="col">Started</th><th scope="col">Cells</th><th scope="col">Pass rate</th><th scope="col">Cost</th><th scope="col">Duration</th></tr>
        </thead>
        <tbody>
          {runs.map((r) => (
            <tr key={r.runId}>
              <th scope="row"><Link to={paths.run(project, slug, r.runId)}>{r.runId}</Link></th>
              <td><StatusPill status={r.status} /></td>
              <td>{when(r.timestamps.createdAt)}</td>
              <td>{int(r.progress)} / {int(r.total)}</td>
              <td>{pct(r.summary?.passRate)}</td>
              <td title={unknownCostNote(r.summary?.unpricedCalls ?? 0, r.summary?.evaluatorUnpricedCalls ?? 0)}>{summaryUsd(r.summary)}</td>
              <td>{ms(r.summary?.duration)}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </>
  );
}

export function ExperimentPage({ project, slug }: { project: string; slug: string }) {
  const [res] = useResource(async () => {
    const client = api();
    const [experiment, runs] = await Promise.all([client.experiment(slug), client.runs(slug, 100)]);
    return { experiment, runs: runs.runs };
  });
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
