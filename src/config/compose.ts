// The composition root: the one place that knows every concrete class and wires adapters to
// the ports the app layer needs.
import { DatasetService } from '../app/datasets.js';
import { type DocumentCheck, ExperimentService } from '../app/experiments.js';
import { newId } from '../app/ids.js';
import { ProjectService } from '../app/projects.js';
import { type ExecutorDeps } from '../app/runs/executor.js';
import { RunHost } from '../app/runs/host.js';
import { RunService } from '../app/runs/service.js';
import { ProviderService, SecretService } from '../app/secrets.js';
import { AdaptiveLimiter } from '../core/engine/adaptive-limiter.js';
import { KeyedLimiter } from '../core/engine/limiter.js';
import type { CachedAnswer, TargetCache } from '../core/model/adapters.js';
import { createModelClient } from '../models/client.js';
import type { Issue } from '../core/errors.js';
import { type Clock, type EventBus, type Logger, silentLogger, type Stores, systemClock, type WorkQueue } from '../core/ports.js';
import { describeCatalogue, findEvaluator, validateEvaluatorSettings } from '../evaluators/catalogue.js';
import { createHttpApp, type HttpApp } from '../http/app.js';
import { InProcessEventBus } from '../queue/event-bus.js';
import { InProcessQueue } from '../queue/in-process.js';
import { IsolatedSandbox } from '../sandbox/isolated.js';
import { AesGcmCipher, openStores } from '../storage/index.js';
import { createTarget } from '../targets/index.js';
import { compileCheck } from '../targets/templates.js';
import type { Config } from './env.js';
import { loadSecretKey } from './secret-key.js';
import { ProjectSecrets } from './secrets.js';
import { VERSION } from './version.js';

export interface Assay {
  config: Config;
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
  bus: EventBus;
  queue: WorkQueue;
  http: HttpApp;
  logger: Logger;
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
}

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

export async function composeAssay(config: Config, options: ComposeOptions = {}): Promise<Assay> {
  const logger = options.logger ?? silentLogger;
  const clock = options.clock ?? systemClock;
  const secretKey = await loadSecretKey({ secretKey: config.secretKey, dataDir: config.dataDir });
  if (secretKey.created) logger.info({ file: secretKey.file }, 'generated the key that encrypts stored secrets; keep it with the database');
  if (secretKey.looseMode) logger.warn({ file: secretKey.file }, 'the secret key file is readable by other users; chmod 600 it');
  if (secretKey.source === 'file' && config.databaseUrl !== undefined) {
    logger.warn({ file: secretKey.file }, 'ASSAY_SECRET_KEY is not set: with a shared database every server and worker must use the same key, so set it everywhere');
  }
  const cipher = new AesGcmCipher(secretKey.key);
  const stores = await openStores({ databaseUrl: config.databaseUrl, schema: config.dbSchema, dataDir: config.dataDir });
  const bus = new InProcessEventBus();
  const queue = new InProcessQueue();
  const sandbox = new IsolatedSandbox();
  const secretService = new SecretService(stores, cipher, clock, logger);
  const providers = new ProviderService(stores, cipher, clock, config.providers);
  const secrets = new ProjectSecrets((projectId) => secretService.resolveAll(projectId), config.envSecrets);
  // One adaptive limit per provider/model for the whole process, shared by targets and judges.
  const modelLimiter = new AdaptiveLimiter({ max: () => config.modelConcurrency, clock });
  const modelsFor = (projectId: string) =>
    createModelClient({ settings: (provider) => providers.resolve(projectId, provider), limiter: modelLimiter, clock });
  const cacheFor = (projectId: string): TargetCache => ({
    get: async (key) => {
      const text = await stores.responses.get(projectId, key);
      return text === null ? null : (JSON.parse(text) as CachedAnswer);
    },
    put: (key, answer) => stores.responses.put(projectId, key, JSON.stringify(answer), clock.now()),
  });
  const executorDeps: ExecutorDeps = {
    stores, bus, clock, logger,
    createTarget,
    catalogue: { find: findEvaluator },
    evaluatorDeps: async (projectId) => ({ sandbox, models: modelsFor(projectId) }),
    targetDeps: async (projectId, { cache }) => ({
      sandbox,
      secrets: await secrets.secretsFor(projectId),
      allowPrivateNetworks: config.httpTargetsAllowPrivate,
      models: modelsFor(projectId),
      cache: cache ? cacheFor(projectId) : null,
    }),
    limiter: new KeyedLimiter(() => config.limitPerKey),
    random: Math.random,
    leaseMs: options.leaseMs ?? 15_000,
    pollMs: 250,
  };
  const host = new RunHost(executorDeps, queue, { owner: newId('proc'), sweepMs: 5_000, soleExecutor: stores.dialect === 'sqlite' });
  const projects = new ProjectService(stores, clock);
  const experiments = new ExperimentService(stores, clock, [evaluatorCheck, templateCheck]);
  const datasets = new DatasetService(stores, clock);
  const runs = new RunService(stores, queue, clock, { publicUrl: () => config.publicUrl, abortLocal: (id) => host.abortLocal(id) });
  const http = createHttpApp({
    projects, experiments, datasets, runs, stores, secrets: secretService, providers, bus, clock, logger,
    describeEvaluators: describeCatalogue,
    ping: () => stores.ping(),
    adminToken: config.adminToken,
    maxBodyBytes: config.maxBodyBytes,
    version: VERSION,
    ...(options.pingMs ? { pingMs: options.pingMs } : {}),
  });
  let closed = false;
  return {
    config, stores, projects, experiments, datasets, runs, secrets: secretService, providers, host, bus, queue, http, logger,
    start: () => host.start(),
    close: async () => {
      if (closed) return;
      closed = true;
      await host.shutdown();
      await bus.close();
      await stores.close();
    },
  };
}
