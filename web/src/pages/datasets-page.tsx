// The project's saved datasets, the last changed first (the API's order): name and slug, rows,
// columns, latest version and when it changed. With none, how to upload one.
import { api } from '../api.js';
import { int, when } from '../lib/format.js';
import { Link } from '../lib/link.js';
import { useResource } from '../lib/resource.js';
import { paths } from '../lib/router.js';
import { TableScroll } from '../lib/table-scroll.js';
import { useTitle } from '../lib/title.js';

/** Column names listed in the table before "+ n more" (the dataset's page has them all). */
const COLUMNS_SHOWN = 4;

function Columns({ columns }: { columns: string[] }) {
  if (columns.length === 0) return <span className="muted">—</span>;
  const more = columns.length - COLUMNS_SHOWN;
  return (
    <span className="ds-columns" title={columns.join(', ')}>
      <bdi>{columns.slice(0, COLUMNS_SHOWN).join(', ')}</bdi>
      {more > 0 && <span className="muted"> +{int(more)} more</span>}
    </span>
  );
}

/**
 * How to upload a dataset: the CLI (`assay datasets upload`), or the README's curl, against this
 * server's address.
 */
export function UploadHint() {
  const cli = `ASSAY_ENDPOINT=${location.origin} ASSAY_API_KEY=$KEY npx assay datasets upload questions.csv`;
  const curl = `curl -X POST '${location.origin}/api/datasets?name=questions' \\\n  -H "Authorization: Bearer $KEY" \\\n  -H 'Content-Type: text/csv' --data-binary @questions.csv`;
  return (
    <div className="upload-hint">
      <p>
        No datasets yet — upload a CSV (header line first), JSON Lines or JSON file with the CLI:
      </p>
      <pre tabIndex={0} aria-label="Upload command">{cli}</pre>
      <p>
        or with <code>POST /api/datasets</code> (a CSV or JSON Lines body with <code>?name=</code>, or JSON <code>{'{"name": …, "rows": [ … ]}'}</code>):
      </p>
      <pre tabIndex={0} aria-label="Upload request">{curl}</pre>
      <p className="muted">
        An experiment runs it with <code>dataset: {'{datasetId: questions}'}</code> (docs/experiments.md), or one run with <code>assay run SLUG --dataset questions</code>;
        appending rows (<code>assay datasets append questions more.csv</code>) makes a new version.
      </p>
    </div>
  );
}

export function DatasetsPage({ project }: { project: string }) {
  const [res] = useResource(() => api().datasets());
  useTitle('Datasets');
  return (
    <main>
      <h1>Datasets</h1>
      {res.status === 'loading' && <p className="muted">Loading…</p>}
      {res.status === 'error' && <p role="alert" className="error-text">{res.error}</p>}
      {res.status === 'ready' &&
        (res.data.datasets.length === 0 ? (
          <UploadHint />
        ) : (
          <TableScroll label="Datasets table">
            <table className="data wide">
              <caption className="muted note">
                Last changed first{res.data.pagination.hasMore ? ` (the first ${int(res.data.datasets.length)} of ${int(res.data.pagination.totalHits)})` : ''}.
              </caption>
              <thead>
                <tr><th scope="col">Dataset</th><th scope="col">Rows</th><th scope="col">Columns</th><th scope="col">Version</th><th scope="col" aria-sort="descending">Updated</th></tr>
              </thead>
              <tbody>
                {res.data.datasets.map((d) => (
                  <tr key={d.id}>
                    <th scope="row">
                      {/* As on the experiments list: the slug, which experiments name, is part of the link. */}
                      <Link to={paths.dataset(project, d.slug)} className="experiment-link"><bdi>{d.name}</bdi> <span className="muted">{d.slug}</span></Link>
                    </th>
                    <td className="num">{int(d.rowCount)}</td>
                    <td><Columns columns={d.columns} /></td>
                    <td className="num">{d.version}</td>
                    <td className="nowrap">{when(d.updatedAt)}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </TableScroll>
        ))}
    </main>
  );
}
