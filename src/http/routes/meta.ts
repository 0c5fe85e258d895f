// /healthz, the OpenAPI document and the Swagger UI page that browses it (served from the
// swagger-ui-dist package, so /docs works without internet access).
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { OpenApiGeneratorV31 } from '@asteasolutions/zod-to-openapi';
import type { Hono } from 'hono';
import { createRequire } from 'node:module';
import { z } from 'zod';
import type { HttpEnv } from '../context.js';
import type { RouteTable } from '../route.js';

const DOCS_HTML = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Assay API</title>
<link rel="stylesheet" href="/docs/assets/swagger-ui.css"></head>
<body><div id="ui"></div>
<script src="/docs/assets/swagger-ui-bundle.js"></script>
<script>window.ui = SwaggerUIBundle({ url: '/api/openapi.json', dom_id: '#ui' });</script>
</body></html>`;

// The package's own index loads the whole Swagger UI bundle; only its folder is needed here.
const SWAGGER_DIR = path.dirname(createRequire(import.meta.url).resolve('swagger-ui-dist/package.json'));

const ASSETS: Record<string, string> = {
  'swagger-ui.css': 'text/css; charset=utf-8',
  'swagger-ui-bundle.js': 'text/javascript; charset=utf-8',
};

/** The database answered, failed, or said nothing within the time allowed. */
async function check(ping: () => Promise<void>, timeoutMs: number): Promise<'ok' | 'unreachable' | 'timeout'> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<'timeout'>((resolve) => {
    timer = setTimeout(() => resolve('timeout'), timeoutMs);
  });
  try {
    return await Promise.race([ping().then(() => 'ok' as const, () => 'unreachable' as const), late]);
  } finally {
    clearTimeout(timer);
  }
}

/** /livez, /healthz and /readyz: what every process that answers HTTP serves, workers included. */
export function probeRoutes(routes: RouteTable, ping: () => Promise<void>, version: string, readyTimeoutMs: number, redisPing?: () => Promise<void>): void {
  routes.add(
    {
      method: 'get', path: '/healthz', summary: 'Liveness and database check', tags: ['Meta'], auth: 'none',
      responses: {
        200: { description: 'Healthy', schema: z.object({ status: z.literal('ok'), version: z.string() }) },
        503: { description: 'The database does not answer', schema: z.object({ status: z.literal('unavailable'), error: z.string() }) },
      },
    },
    async (c) => {
      try {
        await ping();
        return c.json({ status: 'ok' as const, version });
      } catch {
        return c.json({ status: 'unavailable' as const, error: 'storage_unavailable' }, 503);
      }
    },
  );

  // The process alone: answered from the event loop without touching storage, so a long
  // transaction or a database that hangs does not get a busy but sound process restarted.
  routes.add(
    {
      method: 'get', path: '/livez', summary: 'Liveness of the process alone', tags: ['Meta'], auth: 'none',
      description: 'Always 200 while the process answers HTTP; it checks nothing else (/healthz checks the database, /readyz its dependencies within a timeout).',
      responses: { 200: { description: 'The process answers', schema: z.object({ status: z.literal('ok'), version: z.string() }) } },
    },
    (c) => c.json({ status: 'ok' as const, version }),
  );

  // Readiness for load balancers and orchestrators: the database — and in cluster mode Redis,
  // which carries the queue and the live events — must answer within the timeout. A ping that
  // hangs (a dead connection) counts as down once the timeout passes.
  const state = z.enum(['ok', 'unreachable', 'timeout']);
  const checks = z.object({ database: state, redis: state.optional().describe('Cluster mode only') });
  routes.add(
    {
      method: 'get', path: '/readyz', summary: 'Readiness: the database answers', tags: ['Meta'], auth: 'none',
      description: `200 when the database (and, in cluster mode, Redis) answered within ASSAY_READY_TIMEOUT_MS; 503 otherwise. /healthz stays the liveness check.`,
      responses: {
        200: { description: 'Ready', schema: z.object({ status: z.literal('ready'), checks }) },
        503: { description: 'Not ready', schema: z.object({ status: z.literal('unavailable'), error: z.literal('not_ready'), message: z.string(), checks }) },
      },
    },
    async (c) => {
      const [database, redis] = await Promise.all([check(ping, readyTimeoutMs), redisPing ? check(redisPing, readyTimeoutMs) : undefined]);
      const states = { database, ...(redis ? { redis } : {}) };
      if (database === 'ok' && (redis === undefined || redis === 'ok')) return c.json({ status: 'ready' as const, checks: states });
      const [what, how] = database !== 'ok' ? ['the database', database] : ['Redis', redis!];
      const message = how === 'timeout' ? `${what} did not answer within ${readyTimeoutMs} ms` : `${what} refused the check`;
      return c.json({ status: 'unavailable' as const, error: 'not_ready' as const, message, checks: states }, 503);
    },
  );

}

/** The probes, the OpenAPI document and the Swagger UI page. */
export function metaRoutes(app: Hono<HttpEnv>, routes: RouteTable, ping: () => Promise<void>, version: string, readyTimeoutMs: number, redisPing?: () => Promise<void>): void {
  probeRoutes(routes, ping, version, readyTimeoutMs, redisPing);
  let document: unknown;
  routes.add(
    {
      method: 'get', path: '/api/openapi.json', summary: 'This OpenAPI 3.1 document', tags: ['Meta'], auth: 'none',
      responses: { 200: { description: 'OpenAPI 3.1', schema: z.record(z.string(), z.unknown()) } },
    },
    (c) => {
      // Built on first request, when every route has been registered.
      document ??= new OpenApiGeneratorV31(routes.registry.definitions).generateDocument({
        openapi: '3.1.0',
        info: { title: 'Assay API', version, description: 'Runs saved LLM evaluations; wire-compatible with LangWatch Evaluations V3.' },
      });
      return c.json(document);
    },
  );

  app.get('/docs', (c) => c.html(DOCS_HTML));
  // A trailing slash is how people type a folder: the same page, by its one address.
  app.get('/docs/', (c) => c.redirect('/docs', 301));
  app.get('/docs/assets/:file', async (c) => {
    const file = c.req.param('file');
    const type = ASSETS[file];
    if (!type) return c.json({ error: 'not_found', message: 'No such asset' }, 404);
    const body = await readFile(path.join(SWAGGER_DIR, file));
    return c.body(body, 200, { 'content-type': type, 'cache-control': 'public, max-age=86400' });
  });
}
