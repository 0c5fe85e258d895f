// The JSON shapes the page reads, as views. The run event union and the poll body come from
// the shared code (src/core/events.ts, src/client); the rest are written here, in one place,
// until the run schemas in src/core/model are shared zod schemas — then swap these for
// `z.infer` of those (STYLE.md §16).
export type { RunEvent } from '../../src/core/events.js';
export type { RunStatusBody, StartRunBody } from '../../src/client/index.js';

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

export interface TargetSummaryView {
  targetId: string;
  name: string;
  passed: number;
  failed: number;
  errors: number;
  avgLatency?: number;
  totalCost: number;
  tokens: { input: number; output: number };
}

export interface EvaluatorSummaryView {
  evaluatorId: string;
  name: string;
  passed: number;
  failed: number;
  errors: number;
  skipped: number;
  passRate: number;
  avgScore?: number;
}

/** SPEC §5 summary. */
export interface RunSummaryView {
  runId: string;
  totalCells: number;
  completedCells: number;
  failedCells: number;
  duration: number;
  totalPassed: number;
  totalFailed: number;
  passRate: number;
  totalCost: number;
  targets: TargetSummaryView[];
  evaluators: EvaluatorSummaryView[];
  stopReason?: string;
  threshold?: { passRate: number; met: boolean };
}

/** One run in GET /api/experiments/runs?experimentSlug=. */
export interface RunListItem {
  runId: string;
  status: RunStatus;
  progress: number;
  total: number;
  timestamps: { createdAt: number; updatedAt: number; finishedAt: number | null; stoppedAt: number | null };
  summary: RunSummaryView | null;
}

export interface RunListBody {
  experimentId: string;
  experimentSlug: string;
  runs: RunListItem[];
  pagination: Pagination;
}

export interface TargetMeta {
  id: string;
  name: string;
  type: string | null;
  model: string | null;
}

/** One cell in a results page (`dataset[]`). */
export interface ResultCell {
  index: number;
  targetId: string;
  repeat: number;
  entry: Record<string, unknown>;
  predicted?: { output: unknown };
  cost: number | null;
  duration: number;
  tokens: { input: number; output: number } | null;
  attempts: number;
  cached: boolean;
  error: string | null;
}

/** One evaluator result in a results page (`evaluations[]`). */
export interface ResultEvaluation {
  evaluator: string;
  name: string;
  targetId: string;
  index: number;
  repeat: number;
  status: 'processed' | 'skipped' | 'error';
  passed: boolean | null;
  score: number | null;
  label: string | null;
  details: string | null;
  cost: number | null;
  duration: number;
}

/** GET /api/experiments/runs/{id}/results. */
export interface ResultsPage {
  experimentId: string;
  runId: string;
  progress: number;
  total: number;
  targets: TargetMeta[];
  dataset: ResultCell[];
  evaluations: ResultEvaluation[];
  pagination: { offset: number; limit: number; total: number };
}

/** POST /{slug}/run and POST /runs/{id}/resume. */
export interface StartedRun {
  runId: string;
  status: 'running';
  total: number;
  runUrl: string;
}

// Later (SPEC §5, second wave): GET /runs/{id}/compare and PUT/GET /runs/{id}/reviews. Their
// view types go here when the routes exist; the page shows no control for them until then.
