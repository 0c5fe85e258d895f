// The composition root: the one place that knows every concrete class and wires adapters to
// the ports the app layer needs.
import { idleCollector, majorGc } from './idle-gc.js';
import { setMaxListeners } from 'node:events';
import { DatasetService } from '../app/datasets.js';
import { type DocumentCheck, ExperimentService } from '../app/experiments.js';
import { newId } from '../app/ids.js';
import { ProjectService } from '../app/projects.js';
import { checkRowArray, type RowLimits } from '../app/row-sources.js';
import { type ExecutorDeps } from '../app/runs/executor.js';
import { RunHost } from '../app/runs/host.js';
import { CompareService } from '../app/runs/compare.js';
import { ReviewService } from '../app/runs/reviews.js';
import { RunService } from '../app/runs/service.js';
import { ProviderService } from '../app/providers.js';
import { SecretService } from '../app/secrets.js';
import { WebhookDispatcher } from '../app/webhooks/dispatcher.js';
import { startDeliveries } from '../app/webhooks/payload.js';
import { WebhookService } from '../app/webhooks/service.js';
import { SharedCredentialsPolicy } from '../app/shared-credentials.js';
import { AdaptiveLimiter, type ModelLimiter } from '../core/engine/adaptive-limiter.js';
import { KeyedLimiter, Semaphore, type SlotLimiter } from '../core/engine/limiter.js';
import type { CachedAnswer, TargetCache } from '../core/model/adapters.js';
import { createModelClient } from '../models/client.js';
import { type Issue, isAssayError } from '../core/errors.js';
import { type Clock, type EventBus, type Logger, type ProviderSettings, silentLogger, type Stores, systemClock, type WorkQueue } from '../core/ports.js';
import { describeCatalogue, findEvaluator, validateEvaluatorSettings } from '../evaluators/catalogue.js';
import { createEvaluatorPool, type EvaluatorPoolOptions } from '../evaluators/offload/pool.js';
import { createHttpApp, type HttpApp } from '../http/app.js';
import { InProcessEventBus } from '../queue/event-bus.js';
import { InProcessQueue } from '../queue/in-process.js';
import type { RedisEventBus } from '../queue/redis-event-bus.js';
import type { SharedLimits } from '../cluster/redis-limiters.js';
import type { RedisRunSlots } from '../queue/redis-run-slots.js';
import type { Redis } from 'ioredis';
import { IsolatedSandbox } from '../sandbox/isolated.js';
import { AesGcmCipher, openStores } from '../storage/index.js';
import { webhookPost } from '../net/webhook-post.js';
import { createTarget } from '../targets/index.js';
import { compileCheck } from '../targets/templates.js';
import type { Config } from './env.js';
import { type Command, planProcess, type ProcessPlan } from './roles.js';
import { loadSecretKey } from './secret-key.js';
import { ProjectSecrets } from './secrets.js';
import { VERSION } from './version.js';
import { AssayMetrics } from '../observability/metrics.js';
import { createModelObserver, ModelLabels } from '../observability/model-observer.js';
import { createRunObserver } from '../observability/run-observer.js';
import { tracedCatalogue, tracedTargets } from '../observability/instrument.js';
import { startTracing, type Tracing } from '../observability/tracing.js';

export interface Assay {
  config: Config;
  /** Embedded, or which cluster role this process plays (config/roles.ts). */
  plan: ProcessPlan;
  /** This process's id: its lease owner, and the `workerId` of the cells it executes. */
  processId: string;
  stores: Stores & { dialect: 'sqlite' | 'postgres' };
  projects: ProjectService;
  experiments: ExperimentService;
  datasets: DatasetService;
  runs: RunService;
  /** Project secrets for `{{secrets.NAME}}`. */
  secrets: SecretService;
  /** Project model provider settings over the environment's. */
  providers: ProviderService;
  host: RunHost;
  /** Webhook signing secrets and delivery logs. */
  webhooks: WebhookService;
  /** Sends the webhook outbox. */
  dispatcher: WebhookDispatcher;
  bus: EventBus;
  queue: WorkQueue;
  http: HttpApp;
  logger: Logger;
  /** Prometheus metrics (null with ASSAY_METRICS=false). */
  metrics: AssayMetrics | null;
  /** The OpenTelemetry SDK's tracer (null unless an OTLP endpoint is set). */
  tracing: Tracing | null;
  /** Starts executing runs (and recovering interrupted ones). */
  start(): Promise<void>;
  /** Stops executing (runs stay resumable), then closes storage. */
  close(): Promise<void>;
}

export interface ComposeOptions {
  logger?: Logger;
  clock?: Clock;
  /** Lease length for run execution (tests shorten it). */
  leaseMs?: number;
  /** SSE keep-alive interval (tests shorten it). */
  pingMs?: number;
  /** Evaluator pool settings (tests that fill the pool on purpose use one thread, to leave the CPU to others). */
  evaluatorPool?: EvaluatorPoolOptions;
  /** Jitter source of webhook retries (tests pin it). */
  random?: () => number;
  /** The command starting this process (`serve` by default), for the role checks of config/roles.ts. */
  command?: Command;
}

/** Runs one cluster process executes at once (each bounds its own cells by execution.concurrency). */
const RUNS_PER_PROCESS = 16;
/**
 * Shards one cluster process executes at once, of any runs. Few, so that the shards of a run
 * queued together spread over the workers instead of piling onto the first that asks (each
 * shard keeps up to its run's concurrency in flight, so a few shards already fill a worker).
 */
const SHARDS_PER_PROCESS = 4;

/** One webhook attempt's timeout (docs/webhooks.md). */
const WEBHOOK_TIMEOUT_MS = 10_000;
/** The outbox's safety poll; deliveries and this process's retries wake it without polling. */
const WEBHOOK_POLL_MS = 15_000;

/** Save-time checks: evaluator types and settings exist and are valid. */
const evaluatorCheck: DocumentCheck = (doc) => {
  const issues: Issue[] = [];
  doc.evaluators.forEach((e, i) => {
    if (findEvaluator(e.type)?.scope === 'row' && (e.targets?.length ?? doc.targets.length) < 2) {
      issues.push({ path: ['evaluators', i, 'targets'], message: 'a comparison needs at least two targets to compare' });
    }
    const v = validateEvaluatorSettings(e.type, e.settings);
    if (v.ok) return;
    for (const issue of v.issues) {
      issues.push(issue.path.length === 0 && !findEvaluator(e.type)
        ? { path: ['evaluators', i, 'type'], message: issue.message }
        : { path: ['evaluators', i, 'settings', ...issue.path], message: issue.message });
    }
  });
  return issues;
};

/** Save-time checks: every Liquid template parses. */
const templateCheck: DocumentCheck = (doc) => {
  const issues: Issue[] = [];
  const check = (template: unknown, path: (string | number)[]) => {
    if (typeof template === 'string') {
      const problem = compileCheck(template);
      if (problem) issues.push({ path, message: `template does not parse: ${problem}` });
    } else if (Array.isArray(template)) template.forEach((v, i) => check(v, [...path, i]));
    else if (typeof template === 'object' && template !== null) for (const [k, v] of Object.entries(template)) check(v, [...path, k]);
  };
  doc.targets.forEach((t, i) => {
    if (t.type === 'prompt') t.messages.forEach((m, j) => check(m.content, ['targets', i, 'messages', j, 'content']));
    if (t.type === 'http') {
      check(t.url, ['targets', i, 'url']);
      check(t.headers, ['targets', i, 'headers']);
      check(t.auth, ['targets', i, 'auth']);
      check(t.body, ['targets', i, 'body']);
    }
  });
  return issues;
};

/** How long a run's model client reuses provider settings it read. */
const SETTINGS_TTL_MS = 1_000;

/** Save-time checks: an experiment's inline rows obey ASSAY_MAX_ROWS and ASSAY_MAX_ROW_BYTES (400 naming the row). */
const rowLimitCheck = (limits: RowLimits): DocumentCheck => (doc) => {
  if (!('rows' in doc.dataset)) return [];
  try {
    checkRowArray(doc.dataset.rows, limits, 'dataset.rows');
    return [];
  } catch (error) {
    if (!isAssayError(error)) throw error;
    const index = error.meta.rowIndex;
    return [{ path: ['dataset', 'rows', ...(typeof index === 'number' ? [index] : [])], message: error.message }];
  }
};

export async function composeAssay(config: Config, options: ComposeOptions = {}): Promise<Assay> {
  const logger = options.logger ?? silentLogger;
  // Refuses impossible combinations (worker without PostgreSQL/Redis, Redis with SQLite…) before opening anything.
  const plan = planProcess(config, options.command ?? 'serve');
  const base = options.clock ?? systemClock;
  // Every call of a cell (a judge's HTTP request, its retries…) listens to the cell's deadline
  // signal: twenty evaluators on one cell are normal, not a listener leak.
  const clock: Clock = {
    ...base,
    now: () => base.now(),
    sleep: (ms, signal) => base.sleep(ms, signal),
    later: (ms, fire) => base.later(ms, fire),
    deadline: (ms, parent) => {
      const d = base.deadline(ms, parent);
      setMaxListeners(0, d.signal);
      return d;
    },
  };
  const secretKey = await loadSecretKey({ secretKey: config.secretKey, dataDir: config.dataDir });
  if (secretKey.created) logger.info({ file: secretKey.file }, 'generated the key that encrypts stored secrets; keep it with the database');
  if (secretKey.looseMode) logger.warn({ file: secretKey.file }, 'the secret key file is readable by other users; chmod 600 it');
  if (secretKey.source === 'file' && config.databaseUrl !== undefined) {
    logger.warn({ file: secretKey.file }, 'ASSAY_SECRET_KEY is not set: with a shared database every server and worker must use the same key, so set it everywhere');
  }
  const cipher = new AesGcmCipher(secretKey.key);
  const stores = await openStores({ databaseUrl: config.databaseUrl, schema: config.dbSchema, dataDir: config.dataDir });
  let bus: EventBus;
  let queue: WorkQueue & { pending: number };
  let cluster: RedisEventBus | null = null;
  if (plan.mode === 'cluster') {
    // BullMQ and ioredis are loaded only in cluster mode: an embedded server never uses them,
    // and they are ≈ 7 MB of heap and half a second of start-up (docs/benchmarks.md, "Memory").
    try {
      const [{ RedisEventBus }, { BullMqQueue }] = await Promise.all([import('../queue/redis-event-bus.js'), import('../queue/bullmq-queue.js')]);
      cluster = await RedisEventBus.connect({ redisUrl: plan.redisUrl, logger });
      queue = new BullMqQueue({ redisUrl: plan.redisUrl, runsAtOnce: RUNS_PER_PROCESS, shardsAtOnce: SHARDS_PER_PROCESS, logger });
    } catch (error) {
      await stores.close();
      throw error;
    }
    bus = cluster;
  } else {
    bus = new InProcessEventBus();
    queue = new InProcessQueue();
  }
  const processId = newId('proc');
  const sandbox = new IsolatedSandbox();
  // Offline evaluations too large to run inline; no thread starts until one needs it.
  const evaluatorPool = createEvaluatorPool(options.evaluatorPool);
  const secretService = new SecretService(stores, cipher, clock, logger);
  const shared = new SharedCredentialsPolicy(config.sharedCredentialsProjects, (id) => stores.projects.get(id));
  const providers = new ProviderService(stores, cipher, clock, config.providers, shared);
  const secrets = new ProjectSecrets((projectId) => secretService.resolveAll(projectId), { values: config.envSecrets, origins: config.envSecretOrigins }, shared);
  // One adaptive limit per provider/model, shared by targets and judges: for the whole process
  // in embedded mode; for every executing process of a cluster, in Redis (docs/deployment.md,
  // "Shared limits"). An API-only process executes nothing, so it keeps the in-process ones.
  let sharedLimits: SharedLimits | null = null;
  if (plan.mode === 'cluster' && plan.executes) {
    try {
      const { SharedLimits } = await import('../cluster/redis-limiters.js');
      sharedLimits = await SharedLimits.connect({
        redisUrl: plan.redisUrl, clock, logger, modelMax: () => config.modelConcurrency, perOrigin: () => config.limitPerKey,
      });
    } catch (error) {
      await cluster?.close();
      await stores.close();
      throw error;
    }
  }
  const modelLimiter: ModelLimiter = sharedLimits?.model ?? new AdaptiveLimiter({ max: () => config.modelConcurrency, clock });
  const httpLimiter: SlotLimiter = sharedLimits?.perOrigin ?? new KeyedLimiter(() => config.limitPerKey);
  /**
   * Provider settings for one run's model client, read from storage at most once a second per
   * provider rather than on every call (a query per cell was ≈ 10% of a loaded server's CPU,
   * docs/benchmarks.md "Load"). Each run starts with fresh settings; failures are not kept.
   */
  const recentSettings = (projectId: string) => {
    const recent = new Map<string, { at: number; settings: Promise<ProviderSettings> }>();
    return (provider: string): Promise<ProviderSettings> => {
      const now = clock.now();
      const hit = recent.get(provider);
      if (hit && now - hit.at < SETTINGS_TTL_MS) return hit.settings;
      const settings = providers.resolve(projectId, provider);
      recent.set(provider, { at: now, settings });
      settings.catch(() => {
        if (recent.get(provider)?.settings === settings) recent.delete(provider);
      });
      return settings;
    };
  };
  // Observability (docs/operations.md): metrics unless ASSAY_METRICS=false, traces when an
  // OTLP endpoint is set. With tracing off no adapter is wrapped.
  // A worker answers no HTTP, so it would collect metrics nobody can read (docs/deployment.md).
  const metrics = config.metrics.enabled && (plan.mode === 'embedded' || plan.serves) ? new AssayMetrics() : null;
  const tracing = config.tracing.enabled ? await startTracing(VERSION) : null;
  const tracer = tracing?.tracer ?? null;
  const modelLabels = new ModelLabels();
  const modelObserver = createModelObserver({ metrics, tracer, content: config.tracing.content, labels: modelLabels });
  const modelsFor = (projectId: string) =>
    createModelClient({
      settings: recentSettings(projectId), limiter: modelLimiter, clock, allowPrivateNetworks: config.httpTargetsAllowPrivate,
      ...(modelObserver ? { observer: modelObserver } : {}),
    });
  const cacheFor = (projectId: string): TargetCache => ({
    get: async (key) => {
      const text = await stores.responses.get(projectId, key);
      return text === null ? null : (JSON.parse(text) as CachedAnswer);
    },
    put: (key, answer) => stores.responses.put(projectId, key, JSON.stringify(answer), clock.now()),
  });
  const executorDeps: ExecutorDeps = {
    stores, bus, clock, logger,
    createTarget: tracer ? tracedTargets(createTarget, tracer, config.tracing.content) : createTarget,
    catalogue: { find: tracer ? tracedCatalogue(findEvaluator, tracer) : findEvaluator },
    observer: createRunObserver({ metrics, tracer, logger, labels: modelLabels }),
    evaluatorDeps: async (projectId) => ({ sandbox, models: modelsFor(projectId), offload: evaluatorPool }),
    targetDeps: async (projectId, { cache }) => {
      const resolved = await secrets.secretsFor(projectId);
      return {
        sandbox,
        secrets: resolved.values,
        secretOrigins: resolved.origins,
        allowPrivateNetworks: config.httpTargetsAllowPrivate,
        models: modelsFor(projectId),
        cache: cache ? cacheFor(projectId) : null,
      };
    },
    // HTTP origins get fixed limits; provider/model keys share the adaptive limiter with judges.
    limiter: {
      acquire: (key, signal) => (key.startsWith('model:') ? modelLimiter.acquire(key, signal) : httpLimiter.acquire(key, signal)),
    },
    random: Math.random,
    leaseMs: options.leaseMs ?? 15_000,
    pollMs: 250,
    onDeliveryQueued: () => dispatcher.wake(),
    ...(config.workerConcurrency !== undefined ? { cellSlots: new Semaphore(config.workerConcurrency) } : {}),
  };
  const webhooks = new WebhookService(stores, cipher, clock);
  // Webhook URLs are chosen by projects: the same network guard as HTTP targets.
  const dispatcher = new WebhookDispatcher({
    store: stores.webhooks, signingKey: (projectId) => webhooks.signingKey(projectId), post: webhookPost(config.httpTargetsAllowPrivate),
    clock, random: options.random ?? Math.random, logger, timeoutMs: WEBHOOK_TIMEOUT_MS, pollMs: WEBHOOK_POLL_MS,
    soleSender: stores.dialect === 'sqlite', version: VERSION,
  });
  // Cluster runs are split into shards executed by many workers at once; their concurrency is
  // shared through Redis (docs/deployment.md, "Shards"). Commands fail fast while Redis is
  // away (no offline queue): a cell waiting for a permit asks again, it does not pile up.
  let slotsRedis: Redis | null = null;
  let runSlots: RedisRunSlots | null = null;
  if (plan.mode === 'cluster' && plan.executes) {
    const [{ Redis }, { RedisRunSlots }] = await Promise.all([import('ioredis'), import('../queue/redis-run-slots.js')]);
    slotsRedis = new Redis(plan.redisUrl, { enableOfflineQueue: false, maxRetriesPerRequest: 1 });
    slotsRedis.on('error', () => {});
    runSlots = new RedisRunSlots(slotsRedis, logger);
  }
  const sharding = runSlots && stores.shards && queue.shards
    ? { store: stores.shards, queue: queue.shards, runSlots: (runId: string, limit: number) => runSlots.acquirer(runId, limit) }
    : null;
  const gc = majorGc();
  const host: RunHost = new RunHost(executorDeps, queue, {
    owner: processId, sweepMs: 5_000, soleExecutor: stores.dialect === 'sqlite',
    // Memory back down between runs (idle-gc.ts).
    ...(gc ? { onIdle: idleCollector(clock, () => host.idle, gc) } : {}),
    // In a cluster the sweep must not take more runs than the queue would hand this process.
    ...(plan.mode === 'cluster' ? { maxRuns: RUNS_PER_PROCESS } : {}),
    ...(sharding ? { sharding } : {}),
  });
  const projects = new ProjectService(stores, clock);
  const rowLimits: RowLimits = { maxRows: config.maxRows, maxRowBytes: config.maxRowBytes };
  const experiments = new ExperimentService(stores, clock, [evaluatorCheck, templateCheck, rowLimitCheck(rowLimits)]);
  const datasets = new DatasetService(stores, clock);
  const runs = new RunService(stores, queue, clock, {
    publicUrl: () => config.publicUrl,
    // In a cluster the run may execute in any worker: the nudge reaches them all (the flag is the durable request).
    abortLocal: (id) => {
      host.abortLocal(id);
      cluster?.nudgeAbort(id);
    },
    rowLimits, bus, catalogue: { find: findEvaluator }, ...(options.pingMs ? { pingMs: options.pingMs } : {}),
    // The experiment's `started` webhooks: written to the outbox once the run is stored, then sent.
    afterStart: async (run) => {
      const due = startDeliveries(run);
      if (due.length === 0) return;
      await stores.webhooks.enqueue(due);
      dispatcher.wake();
    },
  });
  const compare = new CompareService(stores, { find: findEvaluator });
  const reviews = new ReviewService(stores, clock);
  const http = createHttpApp({
    projects, experiments, datasets, runs, compare, reviews, secrets: secretService, providers, webhooks, clock, logger,
    describeEvaluators: describeCatalogue,
    ping: () => stores.ping(),
    ...(cluster ? { redisPing: () => cluster!.ping() } : {}),
    adminToken: config.adminToken,
    maxBodyBytes: config.maxBodyBytes,
    maxUploadBytes: config.maxUploadBytes,
    rowLimits,
    // Read on every request: per server process, keyed by API key record id (docs/decisions.md, "Limits").
    limits: config,
    version: VERSION,
    readyTimeoutMs: config.readyTimeoutMs,
    ...(metrics
      ? {
          metrics: {
            token: config.metrics.token,
            contentType: metrics.contentType,
            text: () => metrics.text(),
            request: (method, route, status, seconds) => {
              metrics.httpRequests.inc({ method, route, status: String(status) });
              metrics.httpDuration.observe({ method, route }, seconds);
            },
          },
        }
      : {}),
  });
  metrics?.watch({
    activeRuns: () => host.activeRuns,
    queueDepth: () => queue.pending,
    openStreams: () => http.openStreams(),
    modelLimits: () =>
      modelLimiter.keyList().map((key) => {
        const name = key.replace(/^model:/, '');
        const slash = name.indexOf('/');
        const snapshot = modelLimiter.snapshot(key);
        return { ...modelLabels.of(name.slice(0, Math.max(0, slash)), name.slice(slash + 1)), limit: snapshot.limit, inFlight: snapshot.inUse, waiting: snapshot.waiting };
      }),
  });
  const executes = plan.mode === 'embedded' || plan.executes;
  if (executes) cluster?.onAbort((id) => host.abortLocal(id));
  let closed = false;
  return {
    config, plan, processId, stores, projects, experiments, datasets, runs, secrets: secretService, providers, host, webhooks, dispatcher, bus, queue, http, logger, metrics, tracing,
    start: async () => {
      // ASSAY_ROLE=api executes no cell: it neither takes jobs nor sweeps for orphaned runs.
      if (executes) await host.start();
      dispatcher.start();
    },
    close: async () => {
      if (closed) return;
      closed = true;
      await host.shutdown();
      // The permits of the cells just stopped go back now, not when their leases expire.
      await runSlots?.close();
      await slotsRedis?.quit().catch(() => {});
      await dispatcher.shutdown();
      await evaluatorPool.close();
      await sharedLimits?.close();
      await bus.close();
      await stores.close();
      await tracing?.close();
    },
  };
}
