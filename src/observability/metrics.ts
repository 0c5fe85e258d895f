// The Prometheus metrics of one Assay (docs/operations.md lists them with their meaning).
// Each Assay has its own registry, so several in one process (tests) never share counters; the
// process metrics (CPU, memory, event-loop lag, GC) are one registry for the whole process,
// started on first use, because their collectors watch the process, not an Assay.
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import { SeriesCounter, SeriesHistogram } from './series.js';

/** Seconds buckets for calls and cells: 5 ms … 2 min (model calls are slow, agents vary). */
const CALL_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120];
/** Seconds buckets for evaluators: most are microseconds to milliseconds, judges are model calls. */
const EVALUATOR_BUCKETS = [0.0001, 0.001, 0.005, 0.025, 0.1, 0.5, 1, 2.5, 5, 10, 30, 60];
/** Seconds buckets for HTTP requests to Assay itself. */
const REQUEST_BUCKETS = [0.001, 0.005, 0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 10];

let processRegistry: Registry | null = null;

/** CPU, memory, handles, GC and event-loop lag of this process (prom-client's defaults). */
function processMetrics(): Registry {
  if (!processRegistry) {
    processRegistry = new Registry();
    collectDefaultMetrics({ register: processRegistry });
  }
  return processRegistry;
}

/** Live figures read at scrape time. */
export interface GaugeSources {
  activeRuns(): number;
  /** Runs handed to this process's queue and not yet executing. */
  queueDepth(): number;
  openStreams(): number;
  /** Event streams cut for holding a stalled socket (http/sse-stalls.ts). */
  streamsCut(): number;
  /** The process's HTTP connections (http/connections.ts). */
  connections(): { open: number; refusedServerBusy: number; refusedPerClient: number; bodyTimeouts: number };
  /** Per provider/model and quota (the server's key, or the projects' own): the adaptive limit and the calls holding or waiting for a slot. */
  modelLimits(): { provider: string; model: string; quota: 'server' | 'project'; limit: number; inFlight: number; waiting: number }[];
  /** Calls (targets' and judges') of the executions here waiting for a slot, by what holds them (core/engine/slot-waits.ts). */
  runCallsWaiting(): Record<'provider' | 'model' | 'origin', number>;
}

export class AssayMetrics {
  readonly registry = new Registry();
  readonly runsStarted = new Counter({ name: 'assay_runs_started_total', help: 'Run executions begun here (a cluster run\'s coordinator, not its shards); kind=new for a run\'s first, continued after a resume, a crash or a restart', labelNames: ['kind'] as const, registers: [this.registry] });
  readonly runsFinished = new Counter({ name: 'assay_runs_finished_total', help: 'Runs ended by this process, by final status', labelNames: ['status'] as const, registers: [this.registry] });
  readonly cells = new SeriesCounter({ name: 'assay_cells_total', help: 'Committed cells by target type and outcome (passed, failed = an evaluator failed it, error = the target call failed)', labelNames: ['target_type', 'outcome'] as const, registers: [this.registry] });
  readonly cellDuration = new SeriesHistogram({ name: 'assay_cell_duration_seconds', help: 'Wall time of a cell: limiter waits, target call with retries, evaluators', labelNames: ['target_type'] as const, buckets: CALL_BUCKETS, registers: [this.registry] });
  readonly targetCallDuration = new SeriesHistogram({ name: 'assay_target_call_duration_seconds', help: 'Duration of a cell\'s last target call attempt', labelNames: ['target_type', 'outcome'] as const, buckets: CALL_BUCKETS, registers: [this.registry] });
  readonly targetRetries = new Counter({ name: 'assay_target_retries_total', help: 'Target calls retried by the engine', labelNames: ['target_type'] as const, registers: [this.registry] });
  readonly evaluations = new SeriesCounter({ name: 'assay_evaluations_total', help: 'Evaluator results on committed cells, by catalogue evaluator and outcome', labelNames: ['evaluator', 'outcome'] as const, registers: [this.registry] });
  readonly evaluatorDuration = new SeriesHistogram({ name: 'assay_evaluator_duration_seconds', help: 'Duration of one evaluator on one cell', labelNames: ['evaluator'] as const, buckets: EVALUATOR_BUCKETS, registers: [this.registry] });
  readonly providerCalls = new SeriesCounter({ name: 'assay_provider_calls_total', help: 'Calls to model providers (targets and judges) by outcome: ok, throttled (HTTP 429), error, cancelled', labelNames: ['provider', 'model', 'outcome'] as const, registers: [this.registry] });
  readonly providerRetries = new Counter({ name: 'assay_provider_retries_total', help: 'Provider calls that repeat a failed attempt of the same call', labelNames: ['provider', 'model'] as const, registers: [this.registry] });
  readonly providerDuration = new SeriesHistogram({ name: 'assay_provider_call_duration_seconds', help: 'Duration of provider calls', labelNames: ['provider', 'model'] as const, buckets: CALL_BUCKETS, registers: [this.registry] });
  readonly httpRequests = new Counter({ name: 'assay_http_requests_total', help: 'HTTP requests served, by route template (never the raw path) and status', labelNames: ['method', 'route', 'status'] as const, registers: [this.registry] });
  readonly httpDuration = new Histogram({ name: 'assay_http_request_duration_seconds', help: 'Time to the response headers of HTTP requests (an SSE stream counts until it starts)', labelNames: ['method', 'route'] as const, buckets: REQUEST_BUCKETS, registers: [this.registry] });

  /** Gauges read from the live state of the process at each scrape. */
  watch(sources: GaugeSources): void {
    const registers = [this.registry];
    new Gauge({ name: 'assay_runs_active', help: 'Runs executing in this process', registers, collect() { this.set(sources.activeRuns()); } });
    new Gauge({ name: 'assay_queue_depth', help: 'Runs queued in this process and not yet executing', registers, collect() { this.set(sources.queueDepth()); } });
    new Gauge({ name: 'assay_sse_streams_open', help: 'Open Server-Sent Events streams', registers, collect() { this.set(sources.openStreams()); } });
    new Gauge({
      name: 'assay_run_calls_waiting', help: 'Calls of the runs executing here (targets\' and judges\') waiting for a slot, by what holds them: a project\'s cap on a provider, a model\'s limit, an HTTP origin\'s', labelNames: ['held_by'] as const, registers,
      collect() { for (const [heldBy, calls] of Object.entries(sources.runCallsWaiting())) this.set({ held_by: heldBy }, calls); },
    });
    // Counted by the process's listeners and streams; read as they stand at each scrape.
    const counted = (value: () => number) =>
      function (this: Counter) {
        this.reset();
        this.inc(value());
      };
    new Counter({ name: 'assay_sse_streams_cut_total', help: 'Event streams cut because their reader stopped reading while stalled streams held more than their budget, or for 60 s', registers, collect: counted(() => sources.streamsCut()) });
    new Gauge({ name: 'assay_connections_open', help: 'HTTP connections open in this process (ASSAY_MAX_CONNECTIONS caps them)', registers, collect() { this.set(sources.connections().open); } });
    new Counter({
      name: 'assay_connections_refused_total', help: 'HTTP connections refused: reason=server_busy over ASSAY_MAX_CONNECTIONS, per_client over ASSAY_MAX_CONNECTIONS_PER_CLIENT', labelNames: ['reason'] as const, registers,
      collect() {
        const c = sources.connections();
        this.reset();
        this.inc({ reason: 'server_busy' }, c.refusedServerBusy);
        this.inc({ reason: 'per_client' }, c.refusedPerClient);
      },
    });
    new Counter({ name: 'assay_request_body_timeouts_total', help: 'Requests answered 408 because their body went silent for ASSAY_BODY_IDLE_TIMEOUT_MS or arrived slower than ASSAY_BODY_MIN_BYTES_PER_SECOND', registers, collect: counted(() => sources.connections().bodyTimeouts) });
    const limits = sources.modelLimits;
    new Gauge({
      name: 'assay_model_concurrency_limit', help: 'Current adaptive concurrency limit per provider/model (halves on 429, grows back); quota=project sums the projects\' own keys', labelNames: ['provider', 'model', 'quota'] as const, registers,
      collect() { this.reset(); for (const l of limits()) this.set({ provider: l.provider, model: l.model, quota: l.quota }, l.limit); },
    });
    new Gauge({
      name: 'assay_model_calls_in_flight', help: 'Calls holding a slot of the provider/model limit', labelNames: ['provider', 'model', 'quota'] as const, registers,
      collect() { this.reset(); for (const l of limits()) this.set({ provider: l.provider, model: l.model, quota: l.quota }, l.inFlight); },
    });
    new Gauge({
      name: 'assay_model_calls_waiting', help: 'Calls waiting for a slot of the provider/model limit', labelNames: ['provider', 'model', 'quota'] as const, registers,
      collect() { this.reset(); for (const l of limits()) this.set({ provider: l.provider, model: l.model, quota: l.quota }, l.waiting); },
    });
  }

  readonly contentType = this.registry.contentType;

  /** The exposition text: process metrics, then Assay's. */
  async text(): Promise<string> {
    return `${await processMetrics().metrics()}\n${await this.registry.metrics()}`;
  }
}
