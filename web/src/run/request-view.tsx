// The messages a prompt target sent for the drawer's row (GET …/runs/{runId}/request): read
// when the reader opens the section, not with every drawer, since most look at the output only.
import { useEffect, useState } from 'react';
import type { CellRequest } from '../api-types.js';
import { api, describeError } from '../api.js';

type Loaded = { kind: 'loading' } | { kind: 'ok'; request: CellRequest } | { kind: 'failed'; message: string };

export function RequestView({ runId, rowIndex, targetId }: { runId: string; rowIndex: number; targetId: string }) {
  const [open, setOpen] = useState(false);
  const [loaded, setLoaded] = useState<Loaded>({ kind: 'loading' });
  useEffect(() => {
    if (!open) return;
    let live = true;
    setLoaded({ kind: 'loading' });
    api()
      .cellRequest(runId, rowIndex, targetId)
      .then((request) => live && setLoaded({ kind: 'ok', request }))
      .catch((error: unknown) => live && setLoaded({ kind: 'failed', message: describeError(error) }));
    return () => {
      live = false;
    };
  }, [open, runId, rowIndex, targetId]);

  return (
    <details className="request" onToggle={(e) => setOpen(e.currentTarget.open)}>
      <summary>Prompt sent</summary>
      {loaded.kind === 'loading' ? (
        <p className="muted">Loading…</p>
      ) : loaded.kind === 'failed' ? (
        <p className="error-text">Could not load the prompt: {loaded.message}</p>
      ) : (
        <Request request={loaded.request} />
      )}
    </details>
  );
}

function Request({ request }: { request: CellRequest }) {
  const params = Object.entries(request.params ?? {}).map(([k, v]) => `${k} ${String(v)}`);
  return (
    <>
      <p className="meta">
        {request.model}
        {params.length > 0 ? ` · ${params.join(', ')}` : ''}
        {request.outputSchema !== undefined ? ' · structured output' : ''}
      </p>
      {request.error !== undefined ? (
        <pre className="error-text" dir="auto">{request.error}</pre>
      ) : (
        <ol className="messages">
          {(request.messages ?? []).map((m, i) => (
            <li key={i} data-role={m.role}>
              <span className="role">{m.role}</span>
              <pre dir="auto">{m.content}</pre>
            </li>
          ))}
        </ol>
      )}
    </>
  );
}
