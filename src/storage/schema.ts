// Kysely table types. Times are Unix ms (bigint in PostgreSQL, read back as numbers);
// JSON is stored as text in both databases so both behave identically.
import type { Generated } from 'kysely';

export interface ProjectsTable {
  id: string;
  slug: string;
  name: string;
  created_at: number;
}

export interface ApiKeysTable {
  id: string;
  project_id: string;
  /** SHA-256 hex of the whole key; the key itself is never stored. */
  key_hash: string;
  prefix: string;
  created_at: number;
  revoked_at: number | null;
}

export interface ExperimentsTable {
  id: string;
  project_id: string;
  slug: string;
  name: string;
  /** Latest version number; the documents live in experiment_versions. */
  version: number;
  created_at: number;
  updated_at: number;
  archived_at: number | null;
}

export interface ExperimentVersionsTable {
  experiment_id: string;
  version: number;
  name: string;
  /** The validated experiment document, JSON text. */
  document: string;
  /** The document with its inline rows left out (`dataset: {rows: []}`); null before migration 012. */
  definition: string | null;
  created_at: number;
}

export interface DatasetsTable {
  id: string;
  project_id: string;
  slug: string;
  name: string;
  version: number;
  row_count: number;
  /** JSON array of column names, first-seen order. */
  columns: string;
  created_at: number;
  updated_at: number;
  deleted_at: number | null;
}

export interface DatasetVersionsTable {
  dataset_id: string;
  version: number;
  /** Rows of this version are idx 0 … row_count-1 (datasets are append-only). */
  row_count: number;
  columns: string;
  created_at: number;
}

export interface DatasetRowsTable {
  dataset_id: string;
  idx: number;
  data: string;
}

/** Rows of an upload in progress; copied into dataset_rows in one transaction at the end. */
export interface DatasetStagingTable {
  upload_id: string;
  seq: number;
  data: string;
  created_at: number;
}

export interface RunsTable {
  id: string;
  project_id: string;
  experiment_id: string;
  experiment_slug: string;
  status: string;
  total: number;
  /** Cells committed. */
  progress: number;
  started_at: number;
  finished_at: number | null;
  /** The frozen RunSpec, JSON. */
  spec: string;
  summary: string | null;
  error: string | null;
  error_message: string | null;
  stop_reason: string | null;
  /** Next event sequence number. */
  next_seq: number;
  abort_requested: number;
  /** Process currently executing the run, and until when its lease holds. */
  lease_owner: string | null;
  lease_expires_at: number | null;
  /** How many times an executor has started on this run. */
  executions: number;
  updated_at: number;
  /** Cells ever committed (never decreases): the next cell's completed_order is this + 1. */
  commit_count: number;
  /** RunSummary JSON as of the last commit (the runs list while running); null before it. */
  live_summary: string | null;
  /** The run's metadata object, JSON (also in spec; a column for the list's filter). */
  metadata: string;
  /** ms the executions that ended before the current one ran (migration 014); a reopen adds the ended one's. */
  running_ms_before: number;
  /** When the current execution began (the start, then each reopen); null in runs stored before migration 014. */
  execution_started_at: number | null;
}

/** A shard of a cluster run (migration 011): whole rows, claimed and executed by one worker at a time. */
export interface RunShardsTable {
  run_id: string;
  shard: number;
  /** Its cells: [from_cell, to_cell). */
  from_cell: number;
  to_cell: number;
  /** 1 once every cell of the shard is committed. */
  done: number;
  /** The worker executing it and until when its lease holds (fences its commits). */
  lease_owner: string | null;
  lease_expires_at: number | null;
  /** Times it was claimed (names the queue job that hands it out next). */
  claims: number;
}

export interface RunRowsTable {
  run_id: string;
  idx: number;
  data: string;
}

export interface RunCellsTable {
  run_id: string;
  cell: number;
  row_index: number;
  target_id: string;
  repeat: number;
  /** 1 when the target succeeded. */
  ok: number;
  first_seq: number;
  event_count: number;
  /** first_seq + event_count - 1: events after N are the cells whose last_seq > N. */
  last_seq: number;
  /** Unique, increasing commit order (summary rebuilds read cells in this order). */
  completed_order: number;
  /** Cells committed once this one was: its progress event's `completed`. */
  progress: number;
  /** The process (lease owner) that executed and committed the cell; null before migration 010. */
  worker_id: string | null;
  entry: string;
  output: string | null;
  error: string | null;
  cost: number | null;
  duration_ms: number;
  tokens: string | null;
  attempts: number;
  /** JSON array of RetryNote. */
  retries: string;
  cached: number;
  /** JSON array of StoredEvaluation, in configuration order. */
  evaluations: string;
  created_at: number;
}

export interface RunEventsTable {
  run_id: string;
  seq: number;
  data: string;
}

/** A project secret; `sealed_value` is AES-256-GCM text (AAD `projectId/secret/name`). */
export interface ProjectSecretsTable {
  project_id: string;
  name: string;
  sealed_value: string;
  /** JSON array of origins the value may be sent to; null = any origin. */
  allowed_origins: string | null;
  created_at: number;
  updated_at: number;
}

/** A project's settings for one model provider. */
export interface ProviderSettingsTable {
  project_id: string;
  /** Provider name as used in `provider/model`. */
  name: string;
  /** Sealed API key (AAD `projectId/provider-api-key/name`). */
  sealed_api_key: string | null;
  /** Not secret: shown in full by GET /api/providers. */
  base_url: string | null;
  /** Sealed JSON object of extra headers (AAD `projectId/provider-headers/name`). */
  sealed_headers: string | null;
  /** JSON object model → {input, output, cachedInput?} USD per million tokens. */
  prices: string | null;
  /** The project's cap on calls to this provider at once (migration 015); null: none. */
  max_concurrency: number | null;
  created_at: number;
  updated_at: number;
}

export interface ResponseCacheTable {
  project_id: string;
  /** SHA-256 of the resolved call (provider, model, messages, params, schema). */
  key: string;
  /** The stored answer, JSON. */
  value: string;
  created_at: number;
}

export interface RunRowResultsTable {
  run_id: string;
  row_pos: number;
  repeat: number;
  evaluator_id: string;
  row_index: number;
  /** Sequence number of the result's evaluator_result event. */
  seq: number;
  /** 1 when the evaluator processed the row (not skipped or errored), for retryErrors. */
  ok: number;
  /** The RowResult without seq, JSON. */
  data: string;
  created_at: number;
}

export interface Database {
  projects: ProjectsTable;
  api_keys: ApiKeysTable;
  experiments: ExperimentsTable;
  experiment_versions: ExperimentVersionsTable;
  datasets: DatasetsTable;
  dataset_versions: DatasetVersionsTable;
  dataset_rows: DatasetRowsTable;
  dataset_staging: DatasetStagingTable;
  runs: RunsTable;
  run_rows: RunRowsTable;
  run_shards: RunShardsTable;
  run_cells: RunCellsTable;
  run_events: RunEventsTable;
  response_cache: ResponseCacheTable;
  run_row_results: RunRowResultsTable;
  project_secrets: ProjectSecretsTable;
  provider_settings: ProviderSettingsTable;
  webhook_secrets: WebhookSecretsTable;
  webhook_deliveries: WebhookDeliveriesTable;
  webhook_attempts: WebhookAttemptsTable;
  run_reviews: RunReviewsTable;
}

/** One HMAC signing secret per project, sealed (aad `projectId/webhook/secret`). */
export interface WebhookSecretsTable {
  project_id: string;
  sealed_secret: string;
  created_at: number;
  /** Unix ms the secret was shown (read once); null until then. */
  revealed_at: number | null;
}

/** The webhook outbox: one row per delivery owed (see migrations/008-webhooks.ts). */
export interface WebhookDeliveriesTable {
  id: string;
  project_id: string;
  run_id: string;
  url: string;
  event: string;
  /** The exact JSON body every attempt sends. */
  payload: string;
  /** pending | delivered | failed */
  status: string;
  attempts: number;
  next_attempt_at: number | null;
  /** A sender holds the delivery until then (an attempt in flight). */
  locked_until: number | null;
  last_status_code: number | null;
  last_error: string | null;
  created_at: number;
  updated_at: number;
  delivered_at: number | null;
}

/** The delivery log: one row per attempt. */
export interface WebhookAttemptsTable {
  delivery_id: string;
  attempt: number;
  at: number;
  duration_ms: number;
  status_code: number | null;
  error: string | null;
  /** First 200 characters of the answer, redacted; never the whole body. */
  response_excerpt: string | null;
}

/** A person's review of a cell's (or one evaluator's) verdict: the latest per key (009-reviews). */
export interface RunReviewsTable {
  run_id: string;
  row_index: number;
  target_id: string;
  repeat: number;
  /** '' for a review of the cell as a whole (a primary key column cannot be null). */
  evaluator_id: string;
  /** JSON array of the cell numbers the key names (more than one when row_indices ran a row twice). */
  cells: string;
  verdict: string;
  comment: string | null;
  /** The API key's display prefix and record id. */
  reviewer: string;
  reviewer_key_id: string;
  reviewed_at: number;
}

export type { Generated };
