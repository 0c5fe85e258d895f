// The interfaces the app layer and the engine need from the outside world. Storage, queue,
// targets and evaluators implement them; only src/config wires concrete classes to them.
import type { ExperimentDocument, Row } from './model/experiment.js';
import type { ApiKeyRecord, DatasetRecord, ExperimentRecord, Project } from './model/records.js';

/** A page request: `page` is 1-based. */
export interface PageRequest {
  page: number;
  pageSize: number;
}

export interface Paged<T> {
  items: T[];
  total: number;
}

export interface ProjectStore {
  /** Creates a project; throws SlugTakenError when the slug is in use. */
  create(project: Project): Promise<Project>;
  get(id: string): Promise<Project | null>;
  getBySlug(slug: string): Promise<Project | null>;
  list(): Promise<Project[]>;
  count(): Promise<number>;
}

export interface ApiKeyStore {
  create(key: ApiKeyRecord & { hash: string }): Promise<ApiKeyRecord>;
  /** The active (not revoked) key with this hash, with its project. */
  findActiveByHash(hash: string): Promise<{ key: ApiKeyRecord; project: Project } | null>;
  get(id: string): Promise<ApiKeyRecord | null>;
  /** Marks a key revoked; false when no such key exists. Revoking twice keeps the first time. */
  revoke(id: string, at: number): Promise<boolean>;
  listForProject(projectId: string): Promise<ApiKeyRecord[]>;
}

export interface NewExperiment {
  id: string;
  projectId: string;
  slug: string;
  name: string;
  document: ExperimentDocument;
  at: number;
}

export interface ExperimentStore {
  /** Inserts version 1; throws SlugTakenError when a live experiment holds the slug. */
  create(input: NewExperiment): Promise<ExperimentRecord>;
  /** Live (not archived) slugs of the project equal to `base` or starting with `base-`. */
  slugsLike(projectId: string, base: string): Promise<string[]>;
  /** The live experiment with this slug, at its latest version or at `version`. */
  get(projectId: string, slug: string, version?: number): Promise<ExperimentRecord | null>;
  /** By id, archived ones included (runs of archived experiments stay readable). */
  getById(projectId: string, id: string, version?: number): Promise<ExperimentRecord | null>;
  /** Saves a new version of a live experiment; null when there is none. */
  replace(projectId: string, slug: string, input: { name: string; document: ExperimentDocument; at: number }): Promise<ExperimentRecord | null>;
  /** Archives a live experiment; false when there is none. */
  archive(projectId: string, slug: string, at: number): Promise<boolean>;
  /** Live experiments, most recently updated first, with run counts. */
  list(projectId: string, page: PageRequest): Promise<Paged<ExperimentRecord & { runsCount: number; lastRunAt: number | null }>>;
}

/** Rows arrive in batches so large uploads are never held in memory whole. */
export type RowBatches = AsyncIterable<Row[]>;

export interface NewDataset {
  id: string;
  projectId: string;
  slug: string;
  name: string;
  at: number;
}

export interface DatasetStore {
  /**
   * Creates a dataset from streamed rows. Nothing is visible until every batch has been
   * stored; if the stream throws, nothing is left behind and the error is rethrown.
   * Throws SlugTakenError when a live dataset holds the slug.
   */
  create(input: NewDataset, rows: RowBatches): Promise<DatasetRecord>;
  /** Appends streamed rows as a new version, all or nothing. Null when the dataset is gone. */
  append(projectId: string, id: string, rows: RowBatches, at: number): Promise<DatasetRecord | null>;
  /** Live slugs equal to `base` or starting with `base-`. */
  slugsLike(projectId: string, base: string): Promise<string[]>;
  /** By id or slug; the latest version unless `version` is given. Deleted datasets are null. */
  get(projectId: string, idOrSlug: string, version?: number): Promise<DatasetRecord | null>;
  /** Rows [offset, offset+limit) of the given version, in order. */
  rows(datasetId: string, version: number, offset: number, limit: number): Promise<Row[]>;
  list(projectId: string, page: PageRequest): Promise<Paged<DatasetRecord>>;
  /** Soft-deletes; rows stay for runs that recorded this dataset. False when there is none. */
  remove(projectId: string, idOrSlug: string, at: number): Promise<boolean>;
}

/** Every store, as handed to the app layer. */
export interface Stores {
  projects: ProjectStore;
  apiKeys: ApiKeyStore;
  experiments: ExperimentStore;
  datasets: DatasetStore;
  /** Verifies the database answers (for /healthz). */
  ping(): Promise<void>;
  close(): Promise<void>;
}

/** Wall-clock time in Unix ms; injected so tests can drive time. */
export interface Clock {
  now(): number;
}

export const systemClock: Clock = { now: () => Date.now() };

/** Structured logging, as pino provides it. Values that may hold secrets must be redacted first. */
export interface Logger {
  debug(obj: object | string, msg?: string): void;
  info(obj: object | string, msg?: string): void;
  warn(obj: object | string, msg?: string): void;
  error(obj: object | string, msg?: string): void;
  child(bindings: Record<string, unknown>): Logger;
}

/** A logger that drops everything (tests, embedded use). */
export const silentLogger: Logger = {
  debug: () => {},
  info: () => {},
  warn: () => {},
  error: () => {},
  child: () => silentLogger,
};
