// The Hono application: middleware, the route table and the error handlers. Tested with
// app.request() without opening a port (see *.test.ts beside the routes).
import { Hono } from 'hono';
import type { DatasetService } from '../app/datasets.js';
import type { ExperimentService } from '../app/experiments.js';
import type { ProjectService } from '../app/projects.js';
import { AssayError } from '../core/errors.js';
import type { Logger } from '../core/ports.js';
import { adminAuth, projectAuth } from './auth.js';
import type { HttpEnv } from './context.js';
import { errorResponse, makeErrorHandler } from './errors.js';
import { RouteTable } from './route.js';
import { adminRoutes } from './routes/admin.js';
import { datasetRoutes } from './routes/datasets.js';
import { experimentRoutes } from './routes/experiments.js';
import { metaRoutes } from './routes/meta.js';

export interface HttpDeps {
  projects: ProjectService;
  experiments: ExperimentService;
  datasets: DatasetService;
  ping: () => Promise<void>;
  logger: Logger;
  adminToken: string | undefined;
  maxBodyBytes: number;
  version: string;
}

export interface HttpApp {
  app: Hono<HttpEnv>;
  routes: RouteTable;
}

export function createHttpApp(deps: HttpDeps): HttpApp {
  const app = new Hono<HttpEnv>();
  const routes = new RouteTable(app, {
    project: [projectAuth(deps.projects)],
    admin: [adminAuth(deps.adminToken)],
    none: [],
  });

  metaRoutes(app, routes, deps.ping, deps.version);
  adminRoutes(routes, deps.projects, deps.maxBodyBytes);
  datasetRoutes(routes, deps.datasets, deps.maxBodyBytes);
  experimentRoutes(routes, deps.experiments, deps.maxBodyBytes);

  app.notFound((c) => errorResponse(c, new AssayError('not_found', `No route for ${c.req.method} ${c.req.path}`)));
  app.onError(makeErrorHandler(deps.logger));
  return { app, routes };
}
