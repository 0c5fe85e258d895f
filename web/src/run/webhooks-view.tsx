// A run's webhook deliveries (GET …/runs/{runId}/webhooks), for a finished run that has any:
// each delivery's event, URL, status and last attempt, and "Send again" for one that was
// delivered or failed (POST …/redeliver, one attempt now; docs/webhooks.md). Before, the log was
// API-only, and a delivery that failed while a receiver was down could not be sent again.
import { useEffect, useState } from 'react';
import type { WebhookDelivery } from '../api-types.js';
import { api, describeError } from '../api.js';
import { when } from '../lib/format.js';
import { type RunStore, useRunState } from './run-store.js';

export function WebhooksView({ store }: { store: RunStore }) {
  const status = useRunState(store, (s) => s.status);
  const ended = status !== undefined && status !== null && status !== 'running';
  const [deliveries, setDeliveries] = useState<WebhookDelivery[] | null>(null);
  // Opened when the page finds a failed delivery; after that, the reader's to open and close
  // (a "Send again" that succeeds must not fold the section away under the pointer).
  const [open, setOpen] = useState(false);
  useEffect(() => {
    // Read once the run has ended: its finish writes the deliveries; a live run's start ones are few.
    if (!ended) return;
    let live = true;
    api()
      .webhooks(store.runId)
      .then((list) => {
        if (!live) return;
        setDeliveries(list.deliveries);
        setOpen(list.deliveries.some((d) => d.status === 'failed'));
      })
      .catch(() => live && setDeliveries([]));
    return () => {
      live = false;
    };
  }, [ended, store.runId]);
  if (!deliveries || deliveries.length === 0) return null;
  const failed = deliveries.filter((d) => d.status === 'failed').length;
  return (
    <details className="webhooks" open={open} onToggle={(e) => setOpen(e.currentTarget.open)}>
      <summary>
        Webhooks: {deliveries.length} {deliveries.length === 1 ? 'delivery' : 'deliveries'}
        {failed > 0 ? `, ${failed} failed` : ''}
      </summary>
      <table className="data">
        <thead>
          <tr>
            <th scope="col">Event</th>
            <th scope="col">URL</th>
            <th scope="col">Status</th>
            <th scope="col">Last attempt</th>
            <th scope="col">
              <span className="sr-only">Action</span>
            </th>
          </tr>
        </thead>
        <tbody>
          {deliveries.map((d) => (
            <Delivery key={d.id} runId={store.runId} delivery={d} onChange={(next) => setDeliveries((all) => all?.map((x) => (x.id === next.id ? next : x)) ?? null)} />
          ))}
        </tbody>
      </table>
    </details>
  );
}

function Delivery({ runId, delivery, onChange }: { runId: string; delivery: WebhookDelivery; onChange: (d: WebhookDelivery) => void }) {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const last = delivery.log.at(-1);
  const lastText = last ? `#${last.attempt} ${when(last.at)}: ${last.statusCode ?? 'no answer'}${last.error ? ` — ${last.error}` : ''}` : '—';
  const send = async () => {
    setBusy(true);
    setError(null);
    try {
      onChange(await api().redeliver(runId, delivery.id));
    } catch (e) {
      setError(describeError(e));
    } finally {
      setBusy(false);
    }
  };
  return (
    <tr data-delivery={delivery.id}>
      <td>{delivery.event}</td>
      <td className="url">
        <code>{delivery.url}</code>
      </td>
      <td data-status={delivery.status}>
        {delivery.status}
        {delivery.attempts > 1 ? ` (${delivery.attempts} attempts)` : ''}
      </td>
      <td className="last-attempt">{lastText}</td>
      <td>
        {delivery.status !== 'pending' && (
          <button type="button" disabled={busy} onClick={() => void send()}>
            {busy ? 'Sending…' : 'Send again'}
          </button>
        )}
        {error && <p className="error-text">{error}</p>}
      </td>
    </tr>
  );
}
