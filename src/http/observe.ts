// HTTP observability: the request counter's middleware (labelled by route template, never the
// raw path, so a run id or slug in a URL never becomes a series) and GET /metrics.
import type { Context, Hono, MiddlewareHandler } from 'hono';
import { matchedRoutes } from 'hono/route';
import { performance } from 'node:perf_hooks';
import { metricsAuth } from './auth.js';
import type { AuthThrottle } from './auth-throttle.js';
import type { HttpEnv } from './context.js';

/** What the HTTP layer needs from the metrics (src/observability/metrics.ts). */
export interface HttpMetrics {
  /** ASSAY_METRICS_TOKEN, when set. */
  token: string | undefined;
  contentType: string;
  text(): Promise<string>;
  request(method: string, route: string, status: number, seconds: number): void;
}

/** Methods a route template is reported with; anything else is `OTHER`. */
const METHODS = new Set(['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS']);

/** The template of the route that answered (`/api/experiments/:slug/run`), or `unmatched`. */
export function routeOf(c: Context): string {
  const routes = matchedRoutes(c);
  for (let i = routes.length - 1; i >= 0; i--) {
    // Middleware registers as ALL; a handler has its method.
    if (routes[i]!.method !== 'ALL') return routes[i]!.path;
  }
  return 'unmatched';
}

export function requestMetrics(metrics: HttpMetrics): MiddlewareHandler<HttpEnv> {
  return async (c, next) => {
    const started = performance.now();
    try {
      await next();
    } finally {
      const method = METHODS.has(c.req.method) ? c.req.method : 'OTHER';
      // An error thrown past the handlers is answered by onError (500) after this runs.
      const status = c.error && c.res.status < 400 ? 500 : c.res.status;
      metrics.request(method, routeOf(c), status, (performance.now() - started) / 1000);
    }
  };
}

export function metricsRoute(app: Hono<HttpEnv>, metrics: HttpMetrics, throttle: AuthThrottle): void {
  app.get('/metrics', metricsAuth(metrics.token, throttle), async (c) => c.body(await metrics.text(), 200, { 'content-type': metrics.contentType, 'cache-control': 'no-store' }));
}
