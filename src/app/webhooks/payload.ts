// The delivery a run's finish owes its webhookUrl (docs/webhooks.md): built by the executor
// with the finish and written in the finish's transaction, so the body is the run's final state
// (the poll body, plus what a receiver routes on) frozen once; every retry sends the same bytes.
import type { RunRecord } from '../../core/model/run.js';
import type { WebhookPayload } from '../../core/model/webhooks.js';
import type { RunFinish } from '../../core/run-store.js';
import type { NewDelivery } from '../../core/webhook-store.js';
import { newId } from '../ids.js';
import { presentRun } from '../runs/present.js';

/** The delivery for `run` ending with `end` after `progress` committed cells; null without a webhookUrl. */
export function finishDelivery(run: RunRecord, end: Omit<RunFinish, 'delivery'>, progress: number): NewDelivery | null {
  const url = run.spec.webhookUrl;
  if (!url) return null;
  const id = newId('whd');
  const ended: RunRecord = {
    ...run, status: end.status, progress, finishedAt: end.finishedAt, summary: end.summary, error: end.error, errorMessage: end.errorMessage, stopReason: end.stopReason,
  };
  const payload: WebhookPayload = {
    event: 'run.finished', deliveryId: id, projectId: run.projectId, experimentSlug: run.experimentSlug, runUrl: run.spec.runUrl,
    ...presentRun(ended),
  };
  return { id, projectId: run.projectId, runId: run.id, url, event: 'run.finished', payload: JSON.stringify(payload), createdAt: end.finishedAt };
}
