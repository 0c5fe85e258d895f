// The composition root: the one place that knows every concrete class and wires adapters to
// the ports the app layer needs. It reads as the outline of a process; each part is wired by
// a composer beside it: storage.ts (secret key, cipher, stores), cluster.ts (in-process or
// Redis transport, shared limits, run slots), observability.ts (metrics, tracing, observers),
// webhooks.ts (service, dispatcher), execution.ts (what a cell needs), document-checks.ts
// (save-time checks). The cluster packages and the tracing SDK are imported on first use only
// (startup-imports.test.ts checks an idle embedded server).
import { DatasetService } from '../app/datasets.js';
import { ExperimentService } from '../app/experiments.js';
import { newId } from '../app/ids.js';
import { ProjectService } from '../app/projects.js';
import type { RowLimits } from '../app/row-limits.js';
import { RunHost } from '../app/runs/host.js';
import { CompareService } from '../app/runs/compare.js';
import { RunEstimates } from '../app/runs/estimate.js';
import { ReviewService } from '../app/runs/reviews.js';
import { RunService } from '../app/runs/service.js';
import { ProviderService } from '../app/providers.js';
import { promptPricer } from './estimate-prices.js';
import { requestRenderers } from './prompt-render.js';
import { secretProblemsOf } from './secret-checks.js';
import { targetTemplateReads } from '../targets/template-reads.js';
import { SecretService } from '../app/secrets.js';
import type { WebhookDispatcher } from '../app/webhooks/dispatcher.js';
import type { WebhookService } from '../app/webhooks/service.js';
import { SharedCredentialsPolicy } from '../app/shared-credentials.js';
import { type Clock, type EventBus, type Logger, silentLogger, type Stores, systemClock, type WorkQueue } from '../core/ports.js';
import { describeCatalogue, findEvaluator } from '../evaluators/catalogue.js';
import type { EvaluatorPoolOptions } from '../evaluators/offload/pool.js';
import { createHttpApp, type HttpApp } from '../http/app.js';
import { optimizeHttpParser } from '../net/undici.js';
import type { AssayMetrics } from '../observability/metrics.js';
import type { Tracing } from '../observability/tracing.js';
import { openTransport, RUNS_PER_PROCESS, type Transport } from './cluster.js';
import { documentChecks } from './document-checks.js';
import { modelProviderCheck } from './model-checks.js';
import { hasSetting, readsInput } from './evaluator-spec-checks.js';
import type { Config } from './env.js';
import { composeExecution } from './execution.js';
import { startObservability } from './observability.js';
import { processClock } from './process-clock.js';
import { type Command, planProcess, type ProcessPlan } from './roles.js';
import { ProjectSecrets } from './secrets.js';
import { openStorage } from './storage.js';
import { packagePath } from './package-root.js';
import { VERSION } from './version.js';
import { composeWebhooks } from './webhooks.js';

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

/** Opens storage and the transport and wires one process; nothing executes until `start`. */
export async function composeAssay(config: Config, options: ComposeOptions = {}): Promise<Assay> {
  const logger = options.logger ?? silentLogger;
  // Refuses impossible combinations (worker without PostgreSQL/Redis, Redis with SQLite…) before opening anything.
  const plan = planProcess(config, options.command ?? 'serve');
  if (config.optimizeHttpParser) optimizeHttpParser();
  const clock = processClock(options.clock ?? systemClock);
  const { cipher, stores } = await openStorage(config, logger);
  let transport: Transport;
  try {
    transport = await openTransport(config, plan, clock, logger);
  } catch (error) {
    await stores.close();
    throw error;
  }
  const { bus, queue, redisBus, runSlots } = transport;
  const processId = newId('proc');

  // Project secrets and provider settings, encrypted at rest, over the environment's.
  const secretService = new SecretService(stores, cipher, clock, logger);
  const shared = new SharedCredentialsPolicy(config.sharedCredentialsProjects, (id) => stores.projects.get(id));
  const providers = new ProviderService(stores, cipher, clock, config.providers, shared);
  const secrets = new ProjectSecrets((projectId) => secretService.resolveAll(projectId), { values: config.envSecrets, origins: config.envSecretOrigins }, shared);

  const observability = await startObservability(config, plan, logger);
  const { metrics, tracing } = observability;
  const { webhooks, dispatcher, afterStart } = composeWebhooks({ config, stores, cipher, clock, logger, random: options.random ?? Math.random });
  const execution = composeExecution({
    config, clock, logger, stores, bus, providers, secrets, observability,
    sharedLimits: transport.sharedLimits,
    leaseMs: options.leaseMs ?? 15_000,
    ...(options.evaluatorPool ? { evaluatorPool: options.evaluatorPool } : {}),
    onDeliveryQueued: () => dispatcher.wake(),
  });

  // Cluster runs are split into shards executed by many workers at once; their concurrency is
  // shared through Redis (docs/deployment.md, "Shards").
  const sharding = runSlots && stores.shards && queue.shards
    ? { store: stores.shards, queue: queue.shards, runSlots: (runId: string, limit: number) => runSlots.acquirer(runId, limit) }
    : null;
  const host: RunHost = new RunHost(execution.deps, queue, {
    owner: processId, sweepMs: 5_000, soleExecutor: stores.dialect === 'sqlite',
    // In a cluster the sweep must not take more runs than the queue would hand this process.
    ...(plan.mode === 'cluster' ? { maxRuns: RUNS_PER_PROCESS } : {}),
    ...(sharding ? { sharding } : {}),
  });

  // The use cases, and the HTTP app over them.
  const projects = new ProjectService(stores, clock);
  const rowLimits: RowLimits = { maxRows: config.maxRows, maxRowBytes: config.maxRowBytes };
  const experiments = new ExperimentService(stores, clock, [...documentChecks(rowLimits, execution.sandbox), modelProviderCheck((projectId, name) => providers.baseUrlOf(projectId, name))], { readsInput, hasSetting }, targetTemplateReads);
  const datasets = new DatasetService(stores, clock);
  const runs = new RunService(stores, queue, clock, {
    publicUrl: () => config.publicUrl,
    renderRequest: requestRenderers(),
    secretProblems: secretProblemsOf(secrets),
    templateReads: targetTemplateReads,
    // In a cluster the run may execute in any worker: the nudge reaches them all (the flag is the durable request).
    abortLocal: (id) => {
      host.abortLocal(id);
      redisBus?.nudgeAbort(id);
    },
    rowLimits, maxCellsPerRun: config.maxCellsPerRun, bus, catalogue: { find: findEvaluator }, ...(options.pingMs ? { pingMs: options.pingMs } : {}),
    afterStart,
  });
  const compare = new CompareService(stores, { find: findEvaluator });
  const reviews = new ReviewService(stores, clock);
  const http = createHttpApp({
    projects, experiments, datasets, runs, estimates: new RunEstimates(runs, stores.runs, { datasets: stores.datasets, catalogue: { find: findEvaluator }, pricePrompt: promptPricer(providers) }), compare, reviews, secrets: secretService, providers, webhooks, clock, logger,
    describeEvaluators: describeCatalogue,
    ping: () => stores.ping(),
    ...(redisBus ? { redisPing: () => redisBus.ping() } : {}),
    adminToken: config.adminToken,
    accessLog: config.accessLog,
    maxBodyBytes: config.maxBodyBytes,
    maxUploadBytes: config.maxUploadBytes,
    rowLimits,
    // Read on every request: per server process, keyed by API key record id (docs/decisions.md, "Limits").
    limits: config,
    version: VERSION,
    webDir: packagePath('web/dist/'),
    readyTimeoutMs: config.readyTimeoutMs,
    surface: options.command === 'worker' ? 'probes' : 'api',
    ...(observability.http ? { metrics: observability.http } : {}),
  });
  observability.watch({
    activeRuns: () => host.activeRuns,
    queueDepth: () => queue.pending,
    openStreams: () => http.openStreams(),
    modelLimiter: execution.modelLimiter,
    slotWaits: execution.slotWaits,
  });

  const executes = plan.mode === 'embedded' || plan.executes;
  if (executes) redisBus?.onAbort((id) => host.abortLocal(id));
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
      await transport.closeRunSlots();
      await dispatcher.shutdown();
      await execution.evaluatorPool.close();
      await transport.close();
      await stores.close();
      await tracing?.close();
    },
  };
}
