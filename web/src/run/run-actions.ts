// What a person can do to the run from its page: abort it, resume it, re-run its failed rows as
// a new run, export it, copy the call that starts it. Kept apart from RunStore, which loads and
// follows the run: each action is one call whose outcome is announced, never thrown.
import type { RunStatus, StartedRun } from '../api-types.js';
import { api, ApiError, describeError } from '../api.js';
import { download } from '../lib/download.js';
import { type ExperimentNow, type FailedRow, type RunRequest, rerunRequest } from './rerun-request.js';

/** What the actions need from the run's store (an interface, so this module never imports it). */
export interface ActionHost {
  readonly runId: string;
  /** The run's own experiment once found (never the URL's). */
  experiment(): { slug: string } | undefined;
  /** What the run was started with (the poll body's `request`), once polled. */
  request(): RunRequest | undefined;
  /** Announces an outcome in the page's live region. */
  say(notice: string): void;
  /** The server accepted a resume: the store shows the run running again and follows it. */
  resumed(notice: string): void;
}

export type ExportFormat = 'jsonl' | 'csv' | 'junit';

/** Said once the server took an abort, while the run's calls in flight end. */
export const ABORT_REQUESTED = 'Abort requested';

/**
 * What replaces "Abort requested" once the run no longer runs (RunStore): the request is
 * done with, and a notice left beside the Resume button read as a stop still pending.
 */
export function afterAbort(status: RunStatus): string {
  return status === 'stopped' ? 'Run stopped' : `Run ${status} before the abort took effect`;
}

const EXPORT_TYPE: Record<ExportFormat, string> = { jsonl: 'application/x-ndjson', csv: 'text/csv', junit: 'application/xml' };

/** The curl that starts this experiment over the API; the key stays a placeholder. */
export function curlFor(origin: string, slug: string, rowIndexes?: number[]): string {
  const body = rowIndexes ? ` \\\n  -d '${JSON.stringify({ row_indices: rowIndexes })}'` : '';
  return `curl -X POST '${origin}/api/experiments/${encodeURIComponent(slug)}/run' \\\n  -H "Authorization: Bearer $ASSAY_API_KEY" \\\n  -H 'Content-Type: application/json'${body}`;
}

export class RunActions {
  constructor(private readonly host: ActionHost) {}

  async abort(): Promise<void> {
    try {
      await api().abort(this.host.runId);
      this.host.say(ABORT_REQUESTED);
    } catch (error) {
      this.host.say(`Abort failed: ${describeError(error)}`);
    }
  }

  async resume(retryErrors: boolean): Promise<void> {
    try {
      await api().resume(this.host.runId, retryErrors);
      this.host.resumed(retryErrors ? 'Resumed, retrying errors' : 'Resumed');
    } catch (error) {
      this.host.say(`Resume failed: ${describeError(error)}`);
    }
  }

  /**
   * A new run of the run's own experiment (never the URL's) with only the given rows, as this
   * run ran them (rerun-request.ts), within what the experiment holds now: it is read when the
   * button is pressed, as it may have changed since. A run of a dataset deleted since sends the
   * rows' inputs instead.
   */
  async rerunRows(rows: FailedRow[]): Promise<StartedRun | null> {
    const experiment = this.host.experiment();
    const request = this.host.request();
    if (!experiment || !request) {
      this.host.say(experiment ? 'Cannot re-run: the run has not loaded yet' : "Cannot re-run: this run's experiment was not found");
      return null;
    }
    try {
      const client = api();
      const doc = (await client.experiment(experiment.slug)).document;
      const now: ExperimentNow = { rows: doc.dataset?.rows, targetIds: doc.targets.map((t) => t.id), evaluatorIds: (doc.evaluators ?? []).map((e) => e.id) };
      const body = rerunRequest(rows, request, now);
      if (!body) {
        this.host.say(rows.every((r) => r.entry) ? "Cannot re-run: none of this run's targets is in the experiment any more" : "Cannot re-run: the failed rows' inputs have not loaded yet");
        return null;
      }
      try {
        return await client.start(experiment.slug, body);
      } catch (error) {
        const code = error instanceof ApiError ? (error.body.code ?? error.body.error) : undefined;
        if (!(code === 'dataset_not_found' && body.dataset_id !== undefined)) throw error;
        return await client.start(experiment.slug, rerunRequest(rows, request, now, true)!);
      }
    } catch (error) {
      this.host.say(`Could not start the run: ${describeError(error)}`);
      return null;
    }
  }

  /** Fetched with the key (a plain link could not send it) and handed to the browser as a Blob; all cells, or those that did not pass. */
  async export(format: ExportFormat, failedOnly = false): Promise<void> {
    try {
      const text = await api().export(this.host.runId, format, failedOnly);
      download(new Blob([text], { type: EXPORT_TYPE[format] }), `${this.host.runId}${failedOnly ? '-failed' : ''}.${format === 'junit' ? 'xml' : format}`);
    } catch (error) {
      this.host.say(`Export failed: ${(error as Error).message}`);
    }
  }

  /** Copies a curl command (curlFor); the page shows it as well, since a clipboard can be refused. */
  async copyCurl(text: string): Promise<void> {
    try {
      await navigator.clipboard.writeText(text);
      this.host.say('Copied the curl command (the key is $ASSAY_API_KEY)');
    } catch {
      this.host.say('Copy the curl command below');
    }
  }
}
