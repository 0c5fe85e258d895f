// What can be done with the run: abort, resume (optionally retrying errors), re-run only the
// failed rows as a new run, export, and copy the API call as curl.
import { useState } from 'react';
import { api } from '../api.js';
import { download } from '../lib/download.js';
import { navigate } from '../lib/router.js';
import { type RunStore, useRunState, useStats } from './run-store.js';
import { failedRowIndexes } from './run-view.js';

/** The curl that starts this experiment over the API; the key stays a placeholder. */
export function curlFor(origin: string, slug: string, rowIndexes?: number[]): string {
  const body = rowIndexes ? ` \\\n  -d '${JSON.stringify({ row_indices: rowIndexes })}'` : '';
  return `curl -X POST '${origin}/api/experiments/${encodeURIComponent(slug)}/run' \\\n  -H "Authorization: Bearer $ASSAY_API_KEY" \\\n  -H 'Content-Type: application/json'${body}`;
}

export function Actions({ store }: { store: RunStore }) {
  const status = useRunState(store, (s) => s.status);
  const live = useRunState(store, (s) => s.live);
  // The run's own experiment (not the URL's); until it is known nothing here names one.
  const experiment = useRunState(store, (s) => s.experiment);
  const stats = useStats(store);
  const [retryErrors, setRetryErrors] = useState(true);
  const [busy, setBusy] = useState(false);
  const [curl, setCurl] = useState<string | null>(null);
  const failedRows = status && status !== 'running' ? failedRowIndexes(store.model) : [];

  const act = (f: () => Promise<unknown>) => async () => {
    setBusy(true);
    try {
      await f();
    } finally {
      setBusy(false);
    }
  };

  const exportAs = (format: 'jsonl' | 'csv' | 'junit') =>
    act(async () => {
      try {
        const text = await api().export(store.runId, format);
        const type = { jsonl: 'application/x-ndjson', csv: 'text/csv', junit: 'application/xml' }[format];
        download(new Blob([text], { type }), `${store.runId}.${format === 'junit' ? 'xml' : format}`);
      } catch (error) {
        store.say(`Export failed: ${(error as Error).message}`);
      }
    });

  const copyCurl = async (slug: string) => {
    const text = curlFor(location.origin, slug);
    setCurl(text);
    try {
      await navigator.clipboard.writeText(text);
      store.say('Copied the curl command (the key is $ASSAY_API_KEY)');
    } catch {
      store.say('Copy the curl command below');
    }
  };

  return (
    <div className="actions" role="group" aria-label="Run actions">
      {status === 'running' && (
        <button type="button" disabled={busy} onClick={act(() => store.abortRun())}>
          Abort
        </button>
      )}
      {(status === 'stopped' || status === 'failed') && !live && (
        <>
          <button type="button" disabled={busy} onClick={act(() => store.resume(retryErrors))}>
            Resume
          </button>
          <label className="check">
            <input type="checkbox" checked={retryErrors} onChange={(e) => setRetryErrors(e.target.checked)} />
            Retry errors
          </label>
        </>
      )}
      {status === 'completed' && stats.errored > 0 && !live && (
        <button type="button" disabled={busy} onClick={act(() => store.resume(true))}>
          Retry errored cells
        </button>
      )}
      {failedRows.length > 0 && experiment && (
        <button
          type="button"
          disabled={busy}
          onClick={act(async () => {
            const started = await store.rerunRows(failedRows);
            if (started) navigate(new URL(started.runUrl, location.origin).pathname + new URL(started.runUrl, location.origin).search);
          })}
        >
          Re-run {failedRows.length} failed {failedRows.length === 1 ? 'row' : 'rows'}
        </button>
      )}
      <span className="export" role="group" aria-label="Export">
        Export:
        <button type="button" disabled={busy} onClick={exportAs('jsonl')}>JSONL</button>
        <button type="button" disabled={busy} onClick={exportAs('csv')}>CSV</button>
        <button type="button" disabled={busy} onClick={exportAs('junit')}>JUnit</button>
      </span>
      <button type="button" disabled={!experiment} onClick={() => experiment && void copyCurl(experiment.slug)}>
        Copy as curl
      </button>
      {curl && (
        <label className="curl">
          <span className="sr-only">curl command</span>
          <textarea readOnly rows={4} value={curl} onFocus={(e) => e.currentTarget.select()} />
        </label>
      )}
    </div>
  );
}
