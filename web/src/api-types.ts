// The JSON shapes the page reads. The run API's answers (poll body, summary, runs list,
// results page, a started run) and the event union are the shared schemas' types, through
// src/client (STYLE.md §16); the few shapes with no shared type yet are written here, in one
// place, to be swapped the same way when they get one.
import type { Comparison, ResultsPage, RunList, RunSummary } from '../../src/client/index.js';
import type { DatasetPage } from '../../src/core/model/dataset-api.js';
export type { WebhookDelivery, WebhookDeliveryList } from '../../src/core/model/webhooks.js';

export type {
  CellRequest, Comparison, Review, ReviewInput, ReviewList, ResultsPage, RunEstimate, RunEvent, RunRowsPage, RunStatusBody, StartRunBody, StreamEvent, TargetEstimate, RunStarted as StartedRun,
} from '../../src/client/index.js';
export type RunListBody = RunList;
export type RunListItem = RunList['runs'][number];
export type RunSummaryView = RunSummary;
export type TargetSummaryView = RunSummary['targets'][number];
export type EvaluatorSummaryView = RunSummary['evaluators'][number];
/** One cell in a results page (`dataset[]`). */
export type ResultCell = ResultsPage['dataset'][number];
/** One evaluator result in a results page (`evaluations[]`). */
export type ResultEvaluation = ResultsPage['evaluations'][number];
export type TargetMeta = ResultsPage['targets'][number];

export type RunStatus = 'running' | 'completed' | 'failed' | 'stopped';

/** GET /api/projects/current. */
export interface ProjectInfo {
  id: string;
  slug: string;
  name: string;
}

export interface Pagination {
  page: number;
  pageSize: number;
  totalHits: number;
  hasMore: boolean;
}

/** GET /api/experiments (LangWatch list format: ISO times). */
export interface ExperimentListBody {
  experiments: { id: string; slug: string; name: string | null; createdAt: string; updatedAt: string; runsCount: number; lastRunAt: string | null; version: number }[];
  pagination: Pagination;
}

/** The parts of an experiment document the page reads (the rest is shown as YAML). */
export interface ExperimentDocumentView {
  slug?: string;
  name?: string;
  description?: string;
  dataset?: { rows?: Record<string, unknown>[]; datasetId?: string };
  targets: { id: string; name?: string; type: string; model?: string }[];
  evaluators?: { id: string; name?: string; type: string }[];
  [key: string]: unknown;
}

/** GET /api/experiments/{slug}. */
export interface ExperimentBody {
  id: string;
  slug: string;
  name: string;
  version: number;
  createdAt: number;
  updatedAt: number;
  document: ExperimentDocumentView;
}

/** GET /api/evaluators: the parts of the evaluator catalogue the page reads (an evaluator type's name). */
export interface EvaluatorCatalogueBody {
  evaluators: { id: string; aliases: string[]; name: string }[];
}

/** One changed row × target × evaluator of a comparison. */
export type CompareItem = Comparison['rows']['items'][number];
export type EvaluatorComparison = Comparison['evaluators'][number];

export type { DatasetList, DatasetPage, DatasetUsers, DatasetVersion, DatasetVersions, DatasetView } from '../../src/core/model/dataset-api.js';

/** The part of a dataset page (GET /api/datasets/{idOrSlug}?offset&limit&version) a run's row reader needs. */
export type DatasetRowsBody = Pick<DatasetPage, 'id' | 'version' | 'rowCount' | 'offset' | 'limit' | 'nextOffset' | 'rows'>;
