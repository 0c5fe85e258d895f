// The deliveries a run owes (docs/webhooks.md): at its finish, to its webhookUrl and to the
// experiment's webhooks that ask for its final status — built by the executor and written in
// the finish's transaction, so the body is the run's final state (the poll body, plus what a
// receiver routes on) frozen once and every retry sends the same bytes; at its start, to the
// experiment's webhooks that ask for `started`.
import type { RunRecord } from '../../core/model/run.js';
import type { WebhookEvent, WebhookPayload } from '../../core/model/webhooks.js';
import type { RunFinish } from '../../core/run-store.js';
import type { NewDelivery } from '../../core/webhook-store.js';
import { newId } from '../ids.js';
import { presentRun } from '../runs/present.js';

function delivery(run: RunRecord, url: string, event: WebhookEvent, at: number): NewDelivery {
  const id = newId('whd');
  const payload: WebhookPayload = {
    event, deliveryId: id, projectId: run.projectId, experimentSlug: run.experimentSlug, runUrl: run.spec.runUrl,
    ...presentRun(run),
  };
  return { id, projectId: run.projectId, runId: run.id, url, event, payload: JSON.stringify(payload), createdAt: at };
}

/** The deliveries `run` owes ending with `end` after `progress` committed cells (none without webhooks). */
export function finishDeliveries(run: RunRecord, end: Omit<RunFinish, 'deliveries'>, progress: number): NewDelivery[] {
  const urls = [
    ...(run.spec.webhookUrl ? [run.spec.webhookUrl] : []),
    ...(run.spec.webhooks ?? []).filter((w) => w.events.includes(end.status)).map((w) => w.url),
  ];
  if (urls.length === 0) return [];
  const ended: RunRecord = {
    ...run, status: end.status, progress, finishedAt: end.finishedAt, summary: end.summary, error: end.error, errorMessage: end.errorMessage, stopReason: end.stopReason,
  };
  return urls.map((url) => delivery(ended, url, 'run.finished', end.finishedAt));
}

/** The deliveries a run owes as it starts: the experiment's webhooks that ask for `started`. */
export function startDeliveries(run: RunRecord): NewDelivery[] {
  return (run.spec.webhooks ?? []).filter((w) => w.events.includes('started')).map((w) => delivery(run, w.url, 'run.started', run.startedAt));
}
