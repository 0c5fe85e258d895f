// The page's one way to the server: the shared typed client (src/client) with the session's
// key, sent as an Authorization header to this origin only.
import { ApiError, AssayClient } from '../../src/client/index.js';
import type {
  CellRequest, Comparison, DatasetList, DatasetPage, DatasetUsers, DatasetVersions, EvaluatorCatalogueBody, ExperimentBody, ExperimentListBody, ProjectInfo, ResultsPage, Review, ReviewInput, ReviewList, RunEstimate, RunListBody, RunRowsPage, RunStatusBody, StartedRun, StartRunBody, WebhookDelivery, WebhookDeliveryList,
} from './api-types.js';
import { sessionStore, signOut } from './lib/session.js';

export { ApiError };

const enc = encodeURIComponent;

export function clientFor(apiKey: string): AssayClient {
  return new AssayClient({ endpoint: location.origin, apiKey });
}

/** The signed-in client; a 401 (key revoked meanwhile) signs out. */
export function api(): Api {
  const session = sessionStore.get();
  if (!session) throw new Error('not signed in');
  return new Api(clientFor(session.apiKey), true);
}

export class Api {
  /**
   * `signedIn`: the client holds the tab's key, so a 401 means that key stopped working and
   * signs the tab out. A key being tried on the sign-in form is merely wrong: no sign-out, and
   * no notice about a key "this tab used".
   */
  constructor(
    readonly client: AssayClient,
    private readonly signedIn = false,
  ) {}

  private async signOutOn401<T>(call: Promise<T>): Promise<T> {
    try {
      return await call;
    } catch (error) {
      if (this.signedIn && error instanceof ApiError && error.status === 401) signOut('The API key this tab used is no longer accepted (revoked, or unknown to this server). Sign in again.');
      throw error;
    }
  }

  private get<T>(path: string): Promise<T> {
    return this.signOutOn401(this.client.json<T>('GET', path));
  }

  project = () => this.get<ProjectInfo>('/api/projects/current');
  /** The evaluator catalogue: what an unnamed evaluator of each type is called. */
  evaluatorCatalogue = () => this.get<EvaluatorCatalogueBody>('/api/evaluators');
  experiments = (page = 1) => this.get<ExperimentListBody>(`/api/experiments?page=${page}&pageSize=200`);
  experiment = (slug: string, version?: number) => this.get<ExperimentBody>(`/api/experiments/${enc(slug)}${version === undefined ? '' : `?version=${version}`}`);
  /** The project's datasets, the last changed first (the first 200). */
  datasets = () => this.get<DatasetList>('/api/datasets?page=1&pageSize=200');
  /**
   * A saved dataset's version (the latest when `version` is null) and its rows [offset, offset +
   * limit), fewer past 4 MB: see nextOffset.
   */
  datasetRows = (idOrSlug: string, version: number | null, offset: number, limit: number) =>
    this.get<DatasetPage>(`/api/datasets/${enc(idOrSlug)}?${version === null ? '' : `version=${version}&`}offset=${offset}&limit=${limit}`);
  /** A dataset's versions, newest first. */
  datasetVersions = (idOrSlug: string) => this.get<DatasetVersions>(`/api/datasets/${enc(idOrSlug)}/versions`);
  /** The live experiments whose latest version runs the dataset. */
  datasetUsers = (idOrSlug: string) => this.get<DatasetUsers>(`/api/datasets/${enc(idOrSlug)}/experiments`);
  runs = (slug: string, pageSize = 50): Promise<RunListBody> => this.signOutOn401(this.client.listRuns(slug, 1, pageSize));
  run = (runId: string): Promise<RunStatusBody> => this.signOutOn401(this.client.getRun(runId));
  results = (runId: string, offset: number, limit: number): Promise<ResultsPage> => this.signOutOn401(this.client.results(runId, offset, limit));
  /** The run's rows with an index in [offset, offset + limit), parameters merged (fewer past 4 MB: see nextOffset). */
  runRows = (runId: string, offset: number, limit: number): Promise<RunRowsPage> => this.signOutOn401(this.client.runRows(runId, { offset, limit }));
  cellRequest = (runId: string, rowIndex: number, targetId: string): Promise<CellRequest> => this.signOutOn401(this.client.cellRequest(runId, rowIndex, targetId));
  /** A run's webhook deliveries with their attempts. */
  webhooks = (runId: string) => this.get<WebhookDeliveryList>(`/api/experiments/runs/${enc(runId)}/webhooks`);
  /** Sends a delivered or failed delivery once more; answers it after the attempt. */
  redeliver = (runId: string, deliveryId: string) => this.signOutOn401(this.client.json<WebhookDelivery>('POST', `/api/experiments/runs/${enc(runId)}/webhooks/${enc(deliveryId)}/redeliver`));
  start = (slug: string, body: StartRunBody): Promise<StartedRun> => this.client.startRun(slug, body);
  /** What a run with this body would cost (nothing is started). */
  estimate = (slug: string, body: StartRunBody): Promise<RunEstimate> => this.signOutOn401(this.client.estimateRun(slug, body));
  abort = (runId: string) => this.client.abortRun(runId);
  resume = (runId: string, retryErrors: boolean): Promise<StartedRun> => this.client.resumeRun(runId, retryErrors);
  export = (runId: string, format: 'jsonl' | 'csv' | 'junit', failedOnly = false) => this.client.exportRun(runId, format, failedOnly ? { only: 'failed' } : {});
  /** The run against a baseline (a run id; none: the run's baselineRunId, else the previous finished run). */
  compare = (runId: string, baseline: string | null, offset: number, limit: number): Promise<Comparison> =>
    this.signOutOn401(this.client.compare(runId, { ...(baseline ? { baseline } : {}), change: 'changed', offset, limit }));
  reviews = (runId: string, cursor?: string): Promise<ReviewList> => this.signOutOn401(this.client.reviews(runId, cursor === undefined ? { limit: 1000 } : { cursor, limit: 1000 }));
  review = (runId: string, review: ReviewInput): Promise<Review> => this.signOutOn401(this.client.review(runId, review));
}

/** The issues a form lists under a refusal's message, at most this many (then "… and N more"). */
const ISSUES_SHOWN = 20;

/**
 * The fields a refusal names, one line each (`path: message`), as the CLI lists them: a refusal
 * of a run start can name many (every column the rows lack, every secret not set) while its
 * message says only the first and "(and N more)". An issue the message already says is left out.
 */
export function describeIssues(error: unknown): string[] {
  if (!(error instanceof ApiError)) return [];
  const message = describeError(error);
  const lines = (error.body.issues ?? [])
    .filter((i) => i.message !== '' && !message.includes(i.message))
    .map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`);
  if (lines.length <= ISSUES_SHOWN) return lines;
  return [...lines.slice(0, ISSUES_SHOWN), `… and ${lines.length - ISSUES_SHOWN} more`];
}

/** A user-facing sentence for a failed call. */
export function describeError(error: unknown): string {
  if (error instanceof ApiError) return error.body.message ?? error.body.error ?? `Request failed (${error.status})`;
  return error instanceof Error ? error.message : String(error);
}
