// The Hono application: middleware, the route table and the error handlers. Tested with
// app.request() without opening a port (see *.test.ts beside the routes).
import { type Context, Hono } from 'hono';
import type { DatasetService } from '../app/datasets.js';
import type { ExperimentService } from '../app/experiments.js';
import type { ProjectService } from '../app/projects.js';
import type { RowLimits } from '../app/row-limits.js';
import type { RunService } from '../app/runs/service.js';
import type { ProviderService } from '../app/providers.js';
import type { WebhookService } from '../app/webhooks/service.js';
import type { SecretService } from '../app/secrets.js';
import { AssayError } from '../core/errors.js';
import type { Clock, Logger } from '../core/ports.js';
import { accessLog, withoutKeys } from './access-log.js';
import { adminAuth, projectAuth } from './auth.js';
import { AuthThrottle } from './auth-throttle.js';
import { clientAddresses } from './client-address.js';
import type { HttpEnv } from './context.js';
import { errorResponse, makeErrorHandler } from './errors.js';
import { createHttpLimits, type LimitSettings } from './limits.js';
import { requestIds } from './request-id.js';
import { RouteTable } from './route.js';
import { adminRoutes } from './routes/admin.js';
import { datasetRoutes } from './routes/datasets.js';
import { evaluatorRoutes } from './routes/evaluators.js';
import { experimentRoutes } from './routes/experiments.js';
import { metaRoutes, probeRoutes } from './routes/meta.js';
import { type HttpMetrics, metricsRoute, requestMetrics } from './observe.js';
import { projectRoutes } from './routes/projects.js';
import type { CompareService } from '../app/runs/compare.js';
import type { RunEstimates } from '../app/runs/estimate.js';
import type { ReviewService } from '../app/runs/reviews.js';
import { runCompareRoutes } from './routes/run-compare.js';
import { runResultRoutes } from './routes/run-results.js';
import { runReviewRoutes } from './routes/run-reviews.js';
import { runRoutes } from './routes/runs.js';
import { secretRoutes } from './routes/secrets.js';
import { webPageRoutes } from './routes/web-page.js';
import { webhookRoutes } from './routes/webhooks.js';

export interface HttpDeps {
  projects: ProjectService;
  experiments: ExperimentService;
  datasets: DatasetService;
  runs: RunService;
  estimates: RunEstimates;
  compare: CompareService;
  reviews: ReviewService;
  secrets: SecretService;
  providers: ProviderService;
  webhooks: WebhookService;
  clock: Clock;
  describeEvaluators: () => unknown[];
  ping: () => Promise<void>;
  /** Cluster mode: Redis must answer too for /readyz. */
  redisPing?: () => Promise<void>;
  logger: Logger;
  /** ASSAY_ACCESS_LOG: a log line per request, with its client (http/access-log.ts). */
  accessLog?: boolean;
  adminToken: string | undefined;
  maxBodyBytes: number;
  /** Streamed CSV / JSON Lines dataset uploads (ASSAY_MAX_UPLOAD_BYTES). */
  maxUploadBytes: number;
  /** Rows per upload and bytes per row (ASSAY_MAX_ROWS, ASSAY_MAX_ROW_BYTES). */
  rowLimits: RowLimits;
  /** Per-key abuse limits (read on every request, so a test may change them). */
  limits: LimitSettings;
  version: string;
  /** The built web page (default web/dist); tests point it elsewhere. */
  webDir?: string;
  /** GET /metrics and the request counters; absent with ASSAY_METRICS=false (then /metrics is a 404). */
  metrics?: HttpMetrics;
  /** How long /readyz waits for the database, ms. */
  readyTimeoutMs?: number;
  /**
   * `api` (default): the whole API. `probes`: only /livez, /healthz, /readyz and /metrics, for an
   * `assay worker` (ASSAY_WORKER_PORT), which executes runs but serves no project.
   */
  surface?: 'api' | 'probes';
}

export interface HttpApp {
  app: Hono<HttpEnv>;
  routes: RouteTable;
  /** SSE streams open now (for the metrics). */
  openStreams(): number;
}

export function createHttpApp(deps: HttpDeps): HttpApp {
  const app = new Hono<HttpEnv>();
  // Every answer names its request (X-Request-Id), as the log lines about it do.
  app.use('*', requestIds());
  // First, so it times and counts every request, refused and failed ones included.
  if (deps.metrics) app.use('*', requestMetrics(deps.metrics));
  const addresses = clientAddresses(deps.limits.trustedProxies);
  if (deps.accessLog) app.use('*', accessLog(deps.logger, addresses));
  // One throttle for project keys and the admin token: a guesser cannot switch between them.
  const throttle = new AuthThrottle(deps.limits.authFailuresPerMinute, addresses, (address, seconds) =>
    deps.logger.warn({ client: address, seconds }, `blocked authentication from ${address} for ${seconds} s: over ASSAY_AUTH_FAILURES_PER_MINUTE (${deps.limits.authFailuresPerMinute}) failed keys or admin tokens in a minute`),
  );
  const limits = createHttpLimits(deps.limits, deps.clock);
  const routes = new RouteTable(
    app,
    { project: [projectAuth(deps.projects, throttle)], admin: [adminAuth(deps.adminToken, throttle)], none: [] },
    { maxBodyBytes: deps.maxBodyBytes, limits },
  );

  const allowed = routes.allowed;
  const noRoute = (c: Context) => {
    // An API key pasted into a path is not echoed back.
    const path = withoutKeys(c.req.path);
    // Without ASSAY_ADMIN_TOKEN the admin API does not exist (admin_disabled): no Allow for it either.
    const allow = deps.adminToken === undefined && c.req.path.startsWith('/api/admin/') ? [] : allowed(c.req.path);
    if (allow.length === 0) return errorResponse(c, new AssayError('not_found', `No route for ${c.req.method} ${path}`));
    c.header('Allow', allow.join(', '));
    return errorResponse(c, new AssayError('method_not_allowed', `${c.req.method} is not allowed on ${path}; it answers ${allow.join(', ')}`));
  };
  app.onError(makeErrorHandler(deps.logger, addresses));
  if (deps.surface === 'probes') {
    probeRoutes(routes, deps.ping, deps.version, deps.readyTimeoutMs ?? 2_000, deps.redisPing);
    if (deps.metrics) metricsRoute(app, deps.metrics, throttle);
    app.notFound(noRoute);
    return { app, routes, openStreams: () => limits.streams.total };
  }
  metaRoutes(app, routes, deps.ping, deps.version, deps.readyTimeoutMs ?? 2_000, deps.redisPing);
  if (deps.metrics) metricsRoute(app, deps.metrics, throttle);
  adminRoutes(routes, deps.projects);
  projectRoutes(routes);
  datasetRoutes(routes, deps.datasets, { json: deps.maxBodyBytes, stream: deps.maxUploadBytes }, deps.rowLimits);
  evaluatorRoutes(routes, deps.describeEvaluators);
  secretRoutes(routes, deps.secrets, deps.providers);
  // Run routes first: /api/experiments/runs… must win over /api/experiments/{slug}.
  runRoutes(routes, {
    runs: deps.runs,
    estimates: deps.estimates,
    reviews: deps.reviews,
    keyActive: (keyId) => deps.projects.keyActive(keyId),
  });
  runResultRoutes(routes, deps.runs, deps.reviews);
  runCompareRoutes(routes, deps.compare);
  runReviewRoutes(routes, deps.reviews);
  webhookRoutes(routes, deps.webhooks);
  experimentRoutes(routes, deps.experiments);

  // The web page answers browser navigations that no route matched (client-side routing).
  const web = webPageRoutes(app, deps.webDir, noRoute);
  app.notFound(async (c) => (await web.page(c)) ?? noRoute(c));
  return { app, routes, openStreams: () => limits.streams.total };
}
