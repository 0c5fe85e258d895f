// One saved dataset: its name and slug, the experiments that run it, a version picker (an old
// version's rows read with `?version=`) and a page of its rows (dataset-rows.tsx). The version
// and the first row shown are in the address, replaced as they change (no step for Back).
import type { DatasetVersion } from '../api-types.js';
import { api } from '../api.js';
import { int, when } from '../lib/format.js';
import { Link } from '../lib/link.js';
import { useResource } from '../lib/resource.js';
import { navigate, paths } from '../lib/router.js';
import { DatasetRows } from './dataset-rows.js';
import { useTitle } from '../lib/title.js';

async function loadDataset(slug: string) {
  const client = api();
  const [latest, versions, users] = await Promise.all([
    // The latest version's header alone (no row): the name and id.
    client.datasetRows(slug, null, 0, 0),
    client.datasetVersions(slug),
    // A nicety: the page reads without it.
    client.datasetUsers(slug).then((u) => u.experiments, () => null),
  ]);
  return { latest, versions: versions.versions, users };
}

function UsedBy({ project, users }: { project: string; users: { slug: string; name: string }[] | null }) {
  if (users === null) return null;
  // Experiments may share a name: those that do show their slug (unique in the project) too.
  const named = new Map<string, number>();
  for (const u of users) named.set(u.name, (named.get(u.name) ?? 0) + 1);
  return (
    <p data-testid="used-by">
      {users.length === 0 ? (
        <span className="muted">No live experiment runs this dataset.</span>
      ) : (
        <>
          Run by {users.length === 1 ? 'experiment' : 'experiments'}{' '}
          {users.map((u, i) => (
            <span key={u.slug}>
              {i > 0 && ', '}
              <Link to={paths.experiment(project, u.slug)}>
                <bdi>{u.name}</bdi>
                {named.get(u.name)! > 1 && <span className="muted"> ({u.slug})</span>}
              </Link>
            </span>
          ))}
          <span className="muted"> (their latest versions)</span>
        </>
      )}
    </p>
  );
}

function versionLabel(v: DatasetVersion, latest: number): string {
  return `Version ${v.version}${v.version === latest ? ' (latest)' : ''} · ${int(v.rowCount)} ${v.rowCount === 1 ? 'row' : 'rows'} · ${when(v.createdAt)}`;
}

export function DatasetPage({ project, slug, version, offset }: { project: string; slug: string; version: number | null; offset: number }) {
  const [res] = useResource(() => loadDataset(slug));
  useTitle(res.status === 'ready' ? res.data.latest.name : slug, 'Datasets');
  const go = (view: { version: number | null; offset: number }) => {
    navigate(paths.dataset(project, slug, view), { replace: true });
    // navigate() goes to the page's top; the rows' heading is where the reader was.
    document.getElementById('rows-heading')?.scrollIntoView();
  };
  return (
    <main>
      <nav aria-label="Breadcrumb" className="crumbs">
        {/* The address may name the dataset by id (a run page's link): once read, its slug. */}
        <Link to={paths.datasets(project)}>Datasets</Link> / <span aria-current="page">{res.status === 'ready' ? res.data.latest.slug : slug}</span>
      </nav>
      {res.status === 'loading' && <p className="muted">Loading…</p>}
      {res.status === 'error' && <p role="alert" className="error-text">{res.error}</p>}
      {res.status === 'ready' && (() => {
        const { latest, versions, users } = res.data;
        const shown = versions.find((v) => v.version === (version ?? latest.version));
        return (
          <>
            <h1 dir="auto">{latest.name}</h1>
            <p className="muted">
              {latest.slug} · <span className="mono">{latest.id}</span> · {int(versions.length)} {versions.length === 1 ? 'version' : 'versions'} · updated {when(latest.updatedAt)}
            </p>
            <UsedBy project={project} users={users} />
            <h2 id="rows-heading" tabIndex={-1}>Rows</h2>
            <div className="ds-bar">
              <label className="field">
                Version{' '}
                <select
                  value={shown?.version ?? ''}
                  onChange={(e) => {
                    const v = Number(e.target.value);
                    go({ version: v === latest.version ? null : v, offset: 0 });
                  }}
                >
                  {!shown && <option value="">Version {version} (none)</option>}
                  {versions.map((v) => <option key={v.version} value={v.version}>{versionLabel(v, latest.version)}</option>)}
                </select>
              </label>
              {shown && shown.version !== latest.version && (
                <span data-testid="old-version" className="old-version">
                  An older version: {int(shown.rowCount)} of the latest's {int(latest.rowCount)} rows.{' '}
                  <Link to={paths.dataset(project, slug)}>Latest version</Link>
                </span>
              )}
            </div>
            {shown ? (
              <DatasetRows
                key={`${shown.version}:${offset}`} datasetId={latest.id} version={shown} offset={offset}
                onOffset={(o) => go({ version: shown.version === latest.version ? null : shown.version, offset: o })}
              />
            ) : (
              <p role="alert" className="error-text">
                This dataset has no version {version}: it has versions 1–{latest.version}.
              </p>
            )}
          </>
        );
      })()}
    </main>
  );
}
