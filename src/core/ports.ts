// The interfaces the app layer and the engine need from the outside world. Storage, queue,
// targets and evaluators implement them; only src/config wires concrete classes to them.
import type { Deadline } from './deadline.js';
import { makeDeadline } from './deadline.js';
import type { ExperimentDocument, Row } from './model/experiment.js';
import type { DatasetVersion } from './model/dataset-api.js';
import type { ApiKeyRecord, DatasetRecord, ExperimentHeader, ExperimentRecord, Project } from './model/records.js';
import type { RunStore } from './run-store.js';
import type { OpenShard, RunShardStore } from './shard-store.js';
import type { ReviewStore } from './review-store.js';
import type { WebhookStore } from './webhook-store.js';

export type { RunStore } from './run-store.js';

import type { LiveEvent, RunEvent } from './events.js';
import type { PageRequest, Paged, RowBatches } from './model/paging.js';

export type { PageRequest, Paged, RowBatches } from './model/paging.js';

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
  /** A page of a project's keys, revoked ones included, oldest first (so new keys never shift earlier pages). */
  pageForProject(projectId: string, page: PageRequest): Promise<Paged<ApiKeyRecord>>;
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
  /** The live experiment with this slug without its document (which may be 10 MB of rows). */
  header(projectId: string, slug: string): Promise<ExperimentHeader | null>;
  /** By id, archived ones included (runs of archived experiments stay readable). */
  getById(projectId: string, id: string, version?: number): Promise<ExperimentRecord | null>;
  /**
   * A version's document with its inline rows left out (`dataset.rows` empty), by id, archived
   * ones included: for what needs its targets and evaluators only (results, comparisons).
   */
  definitionById(projectId: string, id: string, version: number): Promise<ExperimentDocument | null>;
  /** Saves a new version of a live experiment; null when there is none. */
  replace(projectId: string, slug: string, input: { name: string; document: ExperimentDocument; at: number }): Promise<ExperimentRecord | null>;
  /** Archives a live experiment; false when there is none. */
  archive(projectId: string, slug: string, at: number): Promise<boolean>;
  /** Live experiments, most recently updated first, without their documents. */
  list(projectId: string, page: PageRequest): Promise<Paged<ExperimentHeader>>;
}


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
  /**
   * Appends streamed rows as a new version, all or nothing. Null when the dataset is gone.
   * Throws TooManyColumnsError (nothing appended) when the columns merged with the new rows'
   * would be more than `maxColumns`.
   */
  append(projectId: string, id: string, rows: RowBatches, at: number, maxColumns?: number): Promise<DatasetRecord | null>;
  /** Live slugs equal to `base` or starting with `base-`. */
  slugsLike(projectId: string, base: string): Promise<string[]>;
  /** By id or slug; the latest version unless `version` is given. Deleted datasets are null. */
  get(projectId: string, idOrSlug: string, version?: number): Promise<DatasetRecord | null>;
  /**
   * Rows [offset, offset+limit) of the given version, in order; with `maxBytes`, only as many
   * as fit in that much stored text (at least one): a page of the API, not a run's rows.
   */
  rows(datasetId: string, version: number, offset: number, limit: number, maxBytes?: number): Promise<Row[]>;
  /** Stored sizes in bytes of rows [from, to) of a version, in order (fewer past its last row). */
  rowSizes(datasetId: string, version: number, from: number, to: number): Promise<number[]>;
  list(projectId: string, page: PageRequest): Promise<Paged<DatasetRecord>>;
  /** Every version of a dataset (found by `get` first: this does not check the project), newest first. */
  versions(datasetId: string): Promise<DatasetVersion[]>;
  /** Soft-deletes; rows stay for runs that recorded this dataset. False when there is none. */
  remove(projectId: string, idOrSlug: string, at: number): Promise<boolean>;
  /** When the project's dataset with this id was deleted; null when it was not (or never was one). */
  deletedAt(projectId: string, id: string): Promise<number | null>;
}

/**
 * Authenticated encryption of small values (AES-256-GCM in src/storage/crypto.ts). `aad` binds a
 * sealed value to where it is stored (`projectId/kind/name`): a value copied to another row,
 * project or name does not open.
 */
export interface Cipher {
  /** Encrypts `plaintext`; the result is printable text, different on every call. */
  seal(plaintext: string, aad: string): string;
  /** Decrypts; throws SecretUnreadableError (never returns garbage) on tampering, a wrong key or a wrong `aad`. */
  open(sealed: string, aad: string): string;
}

/** A project secret without its value. */
export interface SecretMeta {
  name: string;
  updatedAt: number;
  /** Origins (`https://host[:port]`) the value may be sent to; absent = any origin. */
  allowedOrigins?: string[];
}

/** A project secret with its sealed value (the value is never stored in the clear). */
export interface StoredSecret extends SecretMeta {
  sealedValue: string;
  createdAt: number;
}

/** Project secrets for `{{secrets.NAME}}`, sealed by the caller; names are unique per project. */
export interface SecretStore {
  /** Creates a secret or replaces its value; allowed origins null = any origin, undefined = as stored (any for a new one). */
  put(projectId: string, name: string, sealedValue: string, at: number, allowedOrigins?: string[] | null): Promise<SecretMeta>;
  get(projectId: string, name: string): Promise<StoredSecret | null>;
  /** Names and times, by name; no values. */
  list(projectId: string): Promise<SecretMeta[]>;
  /** Every secret with its sealed value, by name (for runs). */
  values(projectId: string): Promise<StoredSecret[]>;
  /** False when there was no such secret. */
  remove(projectId: string, name: string): Promise<boolean>;
}

/**
 * The providers the model adapter knows by name. Any other name is an OpenAI-compatible endpoint
 * a project registers, which cannot be called without a base URL.
 */
export const BUILT_IN_PROVIDERS = ['openai', 'anthropic', 'google', 'azure'] as const;

/** Connection settings of a model provider, as a target uses them. */
export interface ProviderSettings {
  apiKey?: string;
  baseUrl?: string;
  headers?: Record<string, string>;
  /** Per-project prices, USD per million tokens, by model name (over the price table). */
  prices?: ModelPrices;
  /**
   * Who chose `baseUrl` (or, without one, the provider's own host): `project` URLs go through
   * the network guard and never receive the server's credentials. Absent = the server.
   */
  chosenBy?: 'project' | 'server';
  /** Why the server's API key is not in these settings although the server has one. */
  serverKeyWithheld?: 'project_base_url' | 'not_shared';
  /** The project whose own key, base URL or headers these calls use: their limiter keys are its own (modelLimitKey). */
  limitScope?: string;
  /** The project's cap on this provider (providerCapKey): judges' calls take its slot before the model's. */
  capKey?: string;
}

/** A project's stored settings for one provider; secret-bearing fields are sealed. */
export interface StoredProvider {
  name: string;
  sealedApiKey: string | null;
  baseUrl: string | null;
  /** Sealed JSON object of header name → value. */
  sealedHeaders: string | null;
  /** Per-model price overrides (not secret). */
  prices: ModelPrices | null;
  /** The most calls of the project to this provider at once, over all its models and runs; null: no cap. */
  maxConcurrency: number | null;
  createdAt: number;
  updatedAt: number;
}

/** A change to stored provider settings: an absent field keeps its value, null clears it. */
export interface ProviderChange {
  sealedApiKey?: string | null;
  baseUrl?: string | null;
  sealedHeaders?: string | null;
  prices?: ModelPrices | null;
  maxConcurrency?: number | null;
  at: number;
}

/** Prices per model name, USD per million tokens. */
export type ModelPrices = Record<string, { input: number; output: number; cachedInput?: number }>;

/** Per-project provider settings (API keys, base URLs, extra headers); names unique per project. */
export interface ProviderStore {
  /** Creates the settings or changes the given fields, in one statement. */
  put(projectId: string, name: string, change: ProviderChange): Promise<StoredProvider>;
  get(projectId: string, name: string): Promise<StoredProvider | null>;
  /** Every provider the project configured, by name. */
  list(projectId: string): Promise<StoredProvider[]>;
  /** False when the project had no settings for this provider. */
  remove(projectId: string, name: string): Promise<boolean>;
}

/** Which column a sealed value is kept in (each has its own associated data, app/secrets.ts `aad`). */
export type SealedKind = 'secret' | 'provider-api-key' | 'provider-headers' | 'webhook-secret';

/** One sealed value wherever it is stored: a project secret, a provider's key or headers, a webhook signing secret. */
export interface SealedValue {
  kind: SealedKind;
  projectId: string;
  /** The secret's or provider's name; '' for a webhook signing secret (one per project). */
  name: string;
  sealed: string;
  /** Unix ms it was last stored. */
  storedAt: number;
}

/**
 * Every sealed value across the stores, for the start-up check that the secret key opens them
 * and for `assay secrets drop-unreadable` (docs/deployment.md, "Backups and the secret key").
 * Not part of Stores: only the composition root and the admin command use it.
 */
export interface SealedValueStore {
  /** How many sealed values the database holds. */
  count(): Promise<number>;
  /** The `limit` most recently stored, newest first. */
  newest(limit: number): Promise<SealedValue[]>;
  /** Every sealed value (an admin command's walk; start-up reads `newest`). */
  all(): Promise<SealedValue[]>;
  /**
   * Removes `value` if it is still stored as it was read (a value stored again since stays):
   * a secret or webhook signing secret is deleted, a provider's key or headers cleared (its
   * other settings kept). True when removed.
   */
  drop(value: SealedValue): Promise<boolean>;
}

/** Every store, as handed to the app layer. */
export interface Stores {
  projects: ProjectStore;
  apiKeys: ApiKeyStore;
  experiments: ExperimentStore;
  datasets: DatasetStore;
  runs: RunStore;
  secrets: SecretStore;
  providers: ProviderStore;
  responses: ResponseCacheStore;
  webhooks: WebhookStore;
  /** People's reviews of verdicts (docs/reviews.md). */
  reviews: ReviewStore;
  /** Shards of cluster runs (SQL stores only; absent where runs are never sharded, as in memory). */
  shards?: RunShardStore;
  /** Verifies the database answers (for /healthz). */
  ping(): Promise<void>;
  close(): Promise<void>;
}

/** Stored model answers for `execution.cache: true`, per project, by call fingerprint. */
export interface ResponseCacheStore {
  get(projectId: string, key: string): Promise<string | null>;
  /** Keeps the first answer stored under a key (identical calls racing are both fine). */
  put(projectId: string, key: string, value: string, at: number): Promise<void>;
}

/** Time, injected so tests can drive it: wall clock, sleeps and timeout signals. */
export interface Clock {
  /** Unix ms. */
  now(): number;
  /** Resolves after `ms`; rejects with the signal's reason if it aborts first. */
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
  /**
   * A signal that aborts with a TimeoutError after `ms`, or with the parent's reason when the
   * parent aborts first. `clear()` cancels the timer and detaches from the parent at once
   * (AbortSignal.timeout cannot be cancelled: at thousands of calls a second its timers and
   * AbortSignal.any's links to a long-lived parent pile up until they fire). `prepare` is
   * applied to the signal when it is made (lazily, on first read).
   */
  deadline(ms: number, parent?: AbortSignal, prepare?: (signal: AbortSignal) => void): Deadline;
  /**
   * Calls `fire` once after `ms`; the answer cancels it. The engine's timers (group commits,
   * lease renewal, retry backoff of the host) go through here so tests drive them with a fake
   * clock. System timers do not keep the process alive on their own.
   */
  later(ms: number, fire: () => void): () => void;
}

/** Calls `fire` every `ms` on `clock` until the answer is called. */
export function every(clock: Pick<Clock, 'later'>, ms: number, fire: () => void): () => void {
  let cancel = (): void => {};
  let stopped = false;
  const tick = (): void => {
    cancel = clock.later(ms, () => {
      if (stopped) return;
      tick();
      fire();
    });
  };
  tick();
  return () => {
    stopped = true;
    cancel();
  };
}

export type { StopState } from './stop-state.js';
export type { Deadline } from './deadline.js';
export { SHARED_SIGNAL, makeDeadline } from './deadline.js';

export const systemClock: Clock = {
  now: () => Date.now(),
  sleep: (ms, signal) =>
    new Promise<void>((resolve, reject) => {
      if (signal?.aborted) return reject(signal.reason);
      const onAbort = () => {
        clearTimeout(timer);
        reject(signal!.reason);
      };
      const timer = setTimeout(() => {
        signal?.removeEventListener('abort', onAbort);
        resolve();
      }, ms);
      signal?.addEventListener('abort', onAbort, { once: true });
    }),
  deadline: (ms, parent, prepare) =>
    makeDeadline(
      ms,
      parent,
      (delay, fire) => {
        const timer = setTimeout(fire, delay);
        return () => clearTimeout(timer);
      },
      prepare,
    ),
  later: (ms, fire) => {
    const timer = setTimeout(fire, ms);
    timer.unref?.();
    return () => clearTimeout(timer);
  },
};

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

/** Delivers committed run events to live subscribers (SSE) in this process or across processes. */
export interface EventBus {
  publish(runId: string, events: RunEvent[]): void;
  /**
   * A live-only event (no seq, never stored): to the run's current live listeners. A
   * `cell_started` published here is also kept as one of the run's cells in flight, until
   * `settle` (or the run's final event) lets it go, for listeners that come later.
   */
  publishLive(runId: string, event: LiveEvent): void;
  /** These cells of the run are being committed: no longer in flight here. */
  settle(runId: string, cells: readonly { rowIndex: number; targetId: string; repeat: number }[]): void;
  /**
   * Calls `listener` with every batch published for the run, and `onLive` with every live event,
   * until unsubscribed. An empty batch says events were committed that the bus does not carry
   * (too large to fan out between processes): they are in storage. `onLive` first hears the
   * `cell_started` of each of the run's cells in flight (in this process at once, in others as
   * they answer), so a watcher that joins mid-run sees what is running; it may hear one twice.
   */
  subscribe(runId: string, listener: (events: RunEvent[]) => void, onLive?: (event: LiveEvent) => void): () => void;
  /** The run's recent events after `afterSeq`, if the bus still holds all of them; else null. */
  recent(runId: string, afterSeq: number, limit: number): RunEvent[] | null;
  close(): Promise<void>;
}

/** Hands runs to executors. The in-process queue runs them here; BullMQ hands them to workers. */
export interface WorkQueue {
  enqueue(runId: string): Promise<void>;
  /** Starts delivering runs to `handler`. */
  start(handler: (runId: string) => Promise<void>): void;
  close(): Promise<void>;
  /** Shards of runs, for queues whose runs many processes execute together (cluster); absent: runs are never sharded. */
  shards?: ShardQueue;
}

/** Hands shards of runs to whichever process is free (docs/deployment.md, "Shards"). */
export interface ShardQueue {
  /** Queues open shards; a shard already queued under the same claim count is not queued twice. */
  enqueueShards(runId: string, shards: OpenShard[]): Promise<void>;
  /** Starts delivering shards to `handler` (resolves when the shard is done or stopped here; never rejects). */
  startShards(handler: (runId: string, shard: number) => Promise<void>): void;
}

/** The `{{secrets.NAME}}` a project's runs may use: values, and the origins each is bound to. */
export interface ResolvedSecrets {
  values: Record<string, string>;
  /** Name → the only origins its value may be sent to (names without an entry: any origin). */
  origins: Record<string, readonly string[]>;
}

/** Values for `{{secrets.NAME}}`, per project. */
export interface SecretsProvider {
  secretsFor(projectId: string): Promise<ResolvedSecrets>;
}

/**
 * Which projects may use the server's own credentials (provider keys from the environment and
 * ASSAY_SECRET_* values): ASSAY_SHARED_CREDENTIALS_PROJECTS.
 */
export interface SharedCredentials {
  allows(projectId: string): Promise<boolean>;
}
