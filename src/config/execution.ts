// What executing a cell needs, for the composition root: the sandbox for code, the evaluator
// thread pool, the limits of model providers and HTTP origins, each project's model client,
// secrets and response cache, assembled into the ExecutorDeps the run host hands every
// execution. Gathered here because these are the adapters on the hot path of a run.
import type { ExecutorDeps } from '../app/runs/executor.js';
import type { ProviderService } from '../app/providers.js';
import { AdaptiveLimiter, type ModelLimiter } from '../core/engine/adaptive-limiter.js';
import { KeyedLimiter, Semaphore, type SlotLimiter } from '../core/engine/limiter.js';
import { type SlotWaits, SlotWaitsRegistry } from '../core/engine/slot-waits.js';
import { type CachedAnswer, capSlotsOf, modelLimitKey, type TargetCache } from '../core/model/adapters.js';
import type { Clock, EventBus, Logger, ProviderSettings, Stores } from '../core/ports.js';
import { createEvaluatorPool, type EvaluatorPool, type EvaluatorPoolOptions } from '../evaluators/offload/pool.js';
import { createModelClient } from '../models/client.js';
import { splitModel } from '../models/providers.js';
import { IsolatedSandbox } from '../sandbox/isolated.js';
import type { Config } from './env.js';
import type { Observability } from './observability.js';
import type { ProjectSecrets } from './secrets.js';
import type { Transport } from './cluster.js';

/** How long a run's model client reuses provider settings it read. */
const SETTINGS_TTL_MS = 1_000;

/** What the execution parts are built from. */
export interface ExecutionWiring {
  config: Config;
  clock: Clock;
  logger: Logger;
  stores: Stores;
  bus: EventBus;
  providers: ProviderService;
  secrets: ProjectSecrets;
  sharedLimits: Transport['sharedLimits'];
  observability: Pick<Observability, 'createTarget' | 'findEvaluator' | 'modelObserver' | 'runObserver'>;
  leaseMs: number;
  evaluatorPool?: EvaluatorPoolOptions;
  /** A run's finish with a webhook owed is stored: wake the sender. */
  onDeliveryQueued: () => void;
}

/** The executor's dependencies and the parts the root still needs (gauges, shutdown). */
export interface ExecutionParts {
  deps: ExecutorDeps;
  /** Read by the limit gauges. */
  modelLimiter: ModelLimiter;
  /** Read by the gauge of target calls waiting for a slot. */
  slotWaits: SlotWaitsRegistry;
  /** Closed at shutdown. */
  evaluatorPool: EvaluatorPool;
  /** The process's one sandbox; saving an experiment compiles its code here too (document-checks.ts). */
  sandbox: IsolatedSandbox;
}

/** Builds the executor's dependencies; no thread or sandbox starts until a cell needs one. */
export function composeExecution(w: ExecutionWiring): ExecutionParts {
  const { config, clock, stores, providers, secrets, observability } = w;
  const sandbox = new IsolatedSandbox({ memoryBudgetMb: config.sandboxMemoryMb });
  // Offline evaluations too large to run inline; no thread starts until one needs it.
  const evaluatorPool = createEvaluatorPool({
    ...w.evaluatorPool,
    onError: (error) => w.logger.error({ err: error }, 'evaluator worker failed outside a task'),
  });
  // One adaptive limit per provider/model, shared by targets and judges: for the whole process
  // in embedded mode; for every executing process of a cluster, in Redis (docs/deployment.md,
  // "Shared limits").
  const modelLimiter: ModelLimiter = w.sharedLimits?.model ?? new AdaptiveLimiter({ max: () => config.modelConcurrency, clock });
  // Fixed slots: HTTP origins (ASSAY_LIMIT_PER_KEY each) and projects' caps on providers (each
  // key names its size: providerCapKey).
  const httpLimiter: SlotLimiter = w.sharedLimits?.perOrigin ?? new KeyedLimiter((key) => capSlotsOf(key, config.limitPerKey));
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
  const modelObserver = observability.modelObserver;
  // `waits`: a run's count of calls held for a slot, which its judges' waits join.
  const modelsFor = (projectId: string, waits?: SlotWaits) =>
    createModelClient({
      settings: recentSettings(projectId),
      limiter: waits ? waits.countingModel(modelLimiter) : modelLimiter,
      caps: waits ? waits.counting(httpLimiter) : httpLimiter,
      party: projectId, clock, allowPrivateNetworks: config.httpTargetsAllowPrivate,
      ...(modelObserver ? { observer: modelObserver } : {}),
    });
  const cacheFor = (projectId: string): TargetCache => ({
    get: async (key) => {
      const text = await stores.responses.get(projectId, key);
      return text === null ? null : (JSON.parse(text) as CachedAnswer);
    },
    put: (key, answer) => stores.responses.put(projectId, key, JSON.stringify(answer), clock.now()),
  });
  const slotWaits = new SlotWaitsRegistry();
  const deps: ExecutorDeps = {
    stores, bus: w.bus, clock, logger: w.logger,
    createTarget: observability.createTarget,
    catalogue: { find: observability.findEvaluator },
    observer: observability.runObserver,
    evaluatorDeps: async (projectId, waits) => ({ sandbox: sandbox.forOwner(projectId), models: modelsFor(projectId, waits), offload: evaluatorPool }),
    targetDeps: async (projectId, { cache }) => {
      const [resolved, quotas] = await Promise.all([secrets.secretsFor(projectId), providers.quotas(projectId)]);
      return {
        limitKeyOf: (model: string) => modelLimitKey(model, quotas.own.has(splitModel(model).provider) ? projectId : undefined),
        capKeyOf: (model: string) => quotas.caps.get(splitModel(model).provider),
        sandbox: sandbox.forOwner(projectId),
        secrets: resolved.values,
        secretOrigins: resolved.origins,
        allowPrivateNetworks: config.httpTargetsAllowPrivate,
        models: modelsFor(projectId),
        cache: cache ? cacheFor(projectId) : null,
      };
    },
    // HTTP origins and provider caps get fixed limits; provider/model keys share the adaptive
    // limiter with judges.
    // The party is the run's project (cell-runner.ts): projects take a shared key's slots in turns.
    limiter: {
      acquire: (key, signal, party) => (key.startsWith('model:') ? modelLimiter.acquire(key, signal, party) : httpLimiter.acquire(key, signal, party)),
    },
    // What a `waiting` event says of a key: a model's limit now and its pause, a fixed key's size.
    slotWaits,
    slotLook: (key) => (key.startsWith('model:') ? modelLimiter.snapshot(key) : { limit: capSlotsOf(key, config.limitPerKey) }),
    random: Math.random,
    leaseMs: w.leaseMs,
    pollMs: 250,
    onDeliveryQueued: w.onDeliveryQueued,
    ...(config.workerConcurrency !== undefined ? { cellSlots: new Semaphore(config.workerConcurrency) } : {}),
  };
  return { deps, modelLimiter, slotWaits, evaluatorPool, sandbox };
}
