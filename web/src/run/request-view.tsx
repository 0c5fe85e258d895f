// What the drawer's target sent for its row (GET …/runs/{runId}/request): a prompt target's
// messages, an HTTP target's request. Read when the reader opens the section, not with every
// drawer, since most look at the output only.
import { useEffect, useState } from 'react';
import type { CellRequest } from '../api-types.js';
import { api, describeError } from '../api.js';

type Loaded = { kind: 'loading' } | { kind: 'ok'; request: CellRequest } | { kind: 'failed'; message: string };

export function RequestView({ runId, rowIndex, targetId, kind }: { runId: string; rowIndex: number; targetId: string; kind: 'prompt' | 'http' }) {
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
      <summary>{kind === 'prompt' ? 'Prompt sent' : 'Request sent'}</summary>
      {loaded.kind === 'loading' ? (
        <p className="muted">Loading…</p>
      ) : loaded.kind === 'failed' ? (
        <p className="error-text">Could not load the {kind === 'prompt' ? 'prompt' : 'request'}: {loaded.message}</p>
      ) : loaded.request.type === 'http' ? (
        <HttpRequest request={loaded.request} />
      ) : (
        <Request request={loaded.request} />
      )}
    </details>
  );
}

function Request({ request }: { request: Extract<CellRequest, { type: 'prompt' }> }) {
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

/** An HTTP request as a reader of a raw exchange expects it: the request line, headers, body. */
function HttpRequest({ request }: { request: Extract<CellRequest, { type: 'http' }> }) {
  if (request.error !== undefined) return <pre className="error-text" dir="auto">{request.error}</pre>;
  // Named as the reader sees them above: the URL, or the header the part became.
  const unrendered = [...new Set((request.unrendered ?? []).map((part) => (part === 'url' ? 'the URL' : part.startsWith('auth.') ? 'authorization' : part.replace(/^headers\./, ''))))];
  const body = request.body === undefined ? undefined : prettyJson(request.body);
  return (
    <div className="http-request">
      <pre className="request-line">
        <strong>{request.method}</strong> {request.url}
      </pre>
      <table className="headers">
        <tbody>
          {Object.entries(request.headers ?? {}).map(([name, value]) => (
            <tr key={name}>
              <th scope="row">{name}</th>
              <td>
                <code>{value}</code>
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      {body !== undefined && <pre className="request-body">{body}</pre>}
      {unrendered.length > 0 && (
        <p className="muted">
          {unrendered.join(', ')} {unrendered.length === 1 ? 'reads a secret: shown as its template' : 'read secrets: shown as their templates'}, never as the value sent.
        </p>
      )}
    </div>
  );
}

/** A JSON body indented for reading; any other body as sent. */
function prettyJson(text: string): string {
  try {
    return JSON.stringify(JSON.parse(text), null, 2);
  } catch {
    return text;
  }
}
