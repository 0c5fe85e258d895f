// The run's action buttons: abort, resume (optionally retrying errors), re-run only the failed
// rows as a new run, export, and copy the API call as curl. What each does is in run-actions.ts.
import { useState } from 'react';
import { navigate } from '../lib/router.js';
import { rerunBlocked } from './rerun-request.js';
import { curlFor, type ExportFormat } from './run-actions.js';
import { useStats } from './run-derived.js';
import { type RunStore, useRunState } from './run-store.js';
import { failedRowIndexes } from './run-view.js';

export function Actions({ store }: { store: RunStore }) {
  const status = useRunState(store, (s) => s.status);
  const live = useRunState(store, (s) => s.live);
  // The run's own experiment (not the URL's); until it is known nothing here names one.
  const experiment = useRunState(store, (s) => s.experiment);
  const stats = useStats(store);
  const [retryErrors, setRetryErrors] = useState(true);
  const [busy, setBusy] = useState(false);
  const [curl, setCurl] = useState<string | null>(null);
  const [failedOnly, setFailedOnly] = useState(false);
  const failedRows = status && status !== 'running' ? failedRowIndexes(store.model).map((index) => ({ index, entry: store.model.rows.get(index)?.entry })) : [];
  const rerunOff = rerunBlocked(failedRows);

  const act = (f: () => Promise<unknown>) => async () => {
    setBusy(true);
    try {
      await f();
    } finally {
      setBusy(false);
    }
  };

  const exportAs = (format: ExportFormat) => act(() => store.actions.export(format, failedOnly));

  const copyCurl = async (slug: string) => {
    const text = curlFor(location.origin, slug);
    setCurl(text);
    await store.actions.copyCurl(text);
  };

  return (
    <div className="actions" role="group" aria-label="Run actions">
      {status === 'running' && (
        <button type="button" disabled={busy} onClick={act(() => store.actions.abort())}>
          Abort
        </button>
      )}
      {(status === 'stopped' || status === 'failed') && !live && (
        <>
          <button type="button" disabled={busy} onClick={act(() => store.actions.resume(retryErrors))}>
            Resume
          </button>
          <label className="check">
            <input type="checkbox" checked={retryErrors} onChange={(e) => setRetryErrors(e.target.checked)} />
            Retry errors
          </label>
        </>
      )}
      {status === 'completed' && stats.errored > 0 && !live && (
        <button type="button" disabled={busy} onClick={act(() => store.actions.resume(true))}>
          Retry errored cells
        </button>
      )}
      {failedRows.length > 0 && experiment && (
        <button
          type="button"
          disabled={busy || rerunOff !== undefined}
          title={rerunOff}
          onClick={act(async () => {
            const started = await store.actions.rerunRows(failedRows);
            if (!started) return;
            const next = new URL(started.runUrl, location.origin);
            navigate(next.pathname + next.search);
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
        <label className="check">
          <input type="checkbox" checked={failedOnly} onChange={(e) => setFailedOnly(e.target.checked)} />
          Failed cells only
        </label>
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
