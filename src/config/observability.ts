// Observability for the composition root (docs/operations.md): Prometheus metrics unless
// ASSAY_METRICS=false, OpenTelemetry traces when an OTLP endpoint is set, and the observers
// and wrappers that feed them (model calls, run executions, HTTP requests, live gauges). The
// rest of the wiring only receives what to plug in; with tracing off no adapter is wrapped.
import type { ExecutionObserver } from '../app/runs/observation.js';
import type { ModelLimiter } from '../core/engine/adaptive-limiter.js';
import type { SlotWaitsRegistry } from '../core/engine/slot-waits.js';
import type { EvaluatorDefinition, TargetFactory } from '../core/model/adapters.js';
import type { ModelCallObserver } from '../core/observe.js';
import type { Logger } from '../core/ports.js';
import { findEvaluator } from '../evaluators/catalogue.js';
import { connectionCounts } from '../http/connections.js';
import type { HttpMetrics } from '../http/observe.js';
import { stalledWrites } from '../http/sse-stalls.js';
import { tracedCatalogue, tracedTargets } from '../observability/instrument.js';
import { AssayMetrics, type GaugeSources } from '../observability/metrics.js';
import { createModelObserver, ModelLabels } from '../observability/model-observer.js';
import { createRunObserver } from '../observability/run-observer.js';
import { startTracing, type Tracing } from '../observability/tracing.js';
import { createTarget } from '../targets/index.js';
import type { Config } from './env.js';
import type { ProcessPlan } from './roles.js';
import { VERSION } from './version.js';

/** The live state the gauges read at each scrape. */
export interface LiveState {
  activeRuns(): number;
  queueDepth(): number;
  openStreams(): number;
  modelLimiter: ModelLimiter;
  slotWaits: SlotWaitsRegistry;
}

/** What the rest of the wiring plugs in: observers, wrapped factories and the HTTP hooks. */
export interface Observability {
  /** Prometheus metrics (null with ASSAY_METRICS=false, and in a worker). */
  metrics: AssayMetrics | null;
  /** The OpenTelemetry SDK's tracer (null unless an OTLP endpoint is set). */
  tracing: Tracing | null;
  /** Observes model calls of targets and judges; undefined when there is nothing to record. */
  modelObserver: ModelCallObserver | undefined;
  /** Observes run executions and the shards of cluster runs. */
  runObserver: ExecutionObserver;
  /** Creates targets, traced when tracing is on. */
  createTarget: TargetFactory;
  /** Finds evaluators, traced when tracing is on. */
  findEvaluator: (type: string) => EvaluatorDefinition | undefined;
  /** The /metrics route and request counting; undefined without metrics. */
  http: HttpMetrics | undefined;
  /** Starts reading the gauges from the live state (a no-op without metrics). */
  watch(live: LiveState): void;
}

/** Starts metrics and tracing as configured and builds what feeds them. */
export async function startObservability(config: Config, plan: ProcessPlan, logger: Logger): Promise<Observability> {
  // A worker without ASSAY_WORKER_PORT answers no HTTP, so it would collect metrics nobody can read.
  const readable = plan.mode === 'embedded' || plan.serves || config.workerPort !== undefined;
  const metrics = config.metrics.enabled && readable ? new AssayMetrics() : null;
  const tracing = config.tracing.enabled ? await startTracing(VERSION) : null;
  const tracer = tracing?.tracer ?? null;
  // One bounded set of provider/model labels, shared by the call metrics and the limit gauges.
  const labels = new ModelLabels();
  return {
    metrics,
    tracing,
    modelObserver: createModelObserver({ metrics, tracer, content: config.tracing.content, labels }),
    runObserver: createRunObserver({ metrics, tracer, logger, labels }),
    createTarget: tracer ? tracedTargets(createTarget, tracer, config.tracing.content) : createTarget,
    findEvaluator: tracer ? tracedCatalogue(findEvaluator, tracer) : findEvaluator,
    http: metrics
      ? {
          token: config.metrics.token,
          contentType: metrics.contentType,
          text: () => metrics.text(),
          request: (method, route, status, seconds) => {
            metrics.httpRequests.inc({ method, route, status: String(status) });
            metrics.httpDuration.observe({ method, route }, seconds);
          },
        }
      : undefined,
    watch: (live) =>
      metrics?.watch({
        activeRuns: live.activeRuns,
        queueDepth: live.queueDepth,
        openStreams: live.openStreams,
        streamsCut: () => stalledWrites.cuts,
        connections: () => connectionCounts,
        modelLimits: () => modelLimitSeries(live.modelLimiter, labels),
        runCallsWaiting: () => live.slotWaits.byKind(),
      }),
  };
}

type LimitSeries = ReturnType<GaugeSources['modelLimits']>[number];

/**
 * One series per provider/model and quota: the server's key (`server`), and every project's own
 * keys together (`project`: their limits, calls and waits summed; a series per project would
 * grow with the projects).
 */
function modelLimitSeries(limiter: ModelLimiter, labels: { of(provider: string, model: string): { provider: string; model: string } }): LimitSeries[] {
  const series = new Map<string, LimitSeries>();
  for (const key of limiter.keyList()) {
    let name = key.replace(/^model:/, '');
    const quota = name.startsWith('@') ? 'project' : 'server';
    if (quota === 'project') name = name.slice(name.indexOf('/') + 1);
    const slash = name.indexOf('/');
    const { provider, model } = labels.of(name.slice(0, Math.max(0, slash)), name.slice(slash + 1));
    const snapshot = limiter.snapshot(key);
    const id = `${quota}\u0000${provider}\u0000${model}`;
    const seen = series.get(id);
    if (seen) {
      seen.limit += snapshot.limit;
      seen.inFlight += snapshot.inUse;
      seen.waiting += snapshot.waiting;
    } else series.set(id, { provider, model, quota, limit: snapshot.limit, inFlight: snapshot.inUse, waiting: snapshot.waiting });
  }
  return [...series.values()];
}
