// Declares a route once: the same zod schemas validate its path and query parameters and
// describe it in the OpenAPI document (zod-to-openapi). Bodies are parsed in the handler
// with the schema named here, so the document and the validation cannot drift apart.
import { OpenAPIRegistry } from '@asteasolutions/zod-to-openapi';
import type { Context, Hono, MiddlewareHandler } from 'hono';
import { z } from 'zod';
import { parseOrThrow } from '../app/validation.js';
import type { HttpEnv } from './context.js';

export type Method = 'get' | 'post' | 'put' | 'delete';
export type AuthKind = 'project' | 'admin' | 'none';

export interface ResponseSpec {
  description: string;
  schema?: z.ZodType;
  /** Default application/json. */
  contentType?: string;
}

export interface BodySpec {
  schema: z.ZodType;
  /** Media types accepted (documented); default application/json. */
  contentTypes?: string[];
  required?: boolean;
  description?: string;
}

export interface RouteSpec<P extends z.ZodObject | undefined, Q extends z.ZodObject | undefined> {
  method: Method;
  /** OpenAPI form: /api/experiments/{slug}. */
  path: string;
  summary: string;
  description?: string;
  tags: string[];
  auth: AuthKind;
  params?: P;
  query?: Q;
  body?: BodySpec;
  responses: Record<number, ResponseSpec>;
  deprecated?: boolean;
}

type Out<S> = S extends z.ZodType ? z.output<S> : Record<string, never>;

export interface RouteInput<P, Q> {
  params: Out<P>;
  query: Out<Q>;
}

export const errorBodySchema = z
  .object({
    error: z.string().describe('A stable code, or the LangWatch-compatible text for 401s and some 400s'),
    message: z.string().optional(),
    issues: z.array(z.object({ path: z.array(z.union([z.string(), z.number()])), message: z.string() })).optional(),
  })
  .loose();

const STANDARD_ERRORS: Record<number, string> = {
  400: 'Invalid request (validation_error, invalid_json, …)',
  401: 'Missing or invalid credentials',
  404: 'Not found in this project',
  413: 'Body larger than ASSAY_MAX_BODY_BYTES',
};

/** Collects routes for Hono and for the OpenAPI document. */
export class RouteTable {
  readonly registry = new OpenAPIRegistry();
  readonly routes: { method: Method; path: string }[] = [];

  constructor(
    private readonly app: Hono<HttpEnv>,
    private readonly guards: Record<AuthKind, MiddlewareHandler<HttpEnv>[]>,
  ) {
    this.registry.registerComponent('securitySchemes', 'bearer', { type: 'http', scheme: 'bearer', description: 'Project API key (sk-lw-…)' });
    this.registry.registerComponent('securitySchemes', 'xAuthToken', { type: 'apiKey', in: 'header', name: 'X-Auth-Token' });
    this.registry.registerComponent('securitySchemes', 'basic', { type: 'http', scheme: 'basic', description: 'projectId:apiKey' });
    this.registry.registerComponent('securitySchemes', 'admin', { type: 'http', scheme: 'bearer', description: 'ASSAY_ADMIN_TOKEN' });
  }

  add<P extends z.ZodObject | undefined = undefined, Q extends z.ZodObject | undefined = undefined>(
    spec: RouteSpec<P, Q>,
    handler: (c: Context<HttpEnv>, input: RouteInput<P, Q>) => Response | Promise<Response>,
  ): void {
    this.document(spec);
    const honoPath = spec.path.replace(/\{([^}]+)\}/g, ':$1');
    this.routes.push({ method: spec.method, path: spec.path });
    const run: MiddlewareHandler<HttpEnv> = async (c) => {
      const params = spec.params ? parseOrThrow(spec.params, c.req.param(), 'path parameters') : {};
      const query = spec.query ? parseOrThrow(spec.query, c.req.query(), 'query parameters') : {};
      return handler(c, { params, query } as RouteInput<P, Q>);
    };
    this.app.on([spec.method.toUpperCase()], [honoPath], ...this.guards[spec.auth], run);
  }

  private document(spec: RouteSpec<z.ZodObject | undefined, z.ZodObject | undefined>): void {
    const responses: Record<string, { description: string; content?: Record<string, { schema: z.ZodType }> }> = {};
    for (const [status, r] of Object.entries(spec.responses)) {
      responses[status] = r.schema
        ? { description: r.description, content: { [r.contentType ?? 'application/json']: { schema: r.schema } } }
        : { description: r.description };
    }
    for (const [status, description] of Object.entries(STANDARD_ERRORS)) {
      if (responses[status]) continue;
      if (status === '401' && spec.auth === 'none') continue;
      responses[status] = { description, content: { 'application/json': { schema: errorBodySchema } } };
    }
    this.registry.registerPath({
      method: spec.method,
      path: spec.path,
      summary: spec.summary,
      ...(spec.description ? { description: spec.description } : {}),
      tags: spec.tags,
      ...(spec.deprecated ? { deprecated: true } : {}),
      security: spec.auth === 'project' ? [{ bearer: [] }, { xAuthToken: [] }, { basic: [] }] : spec.auth === 'admin' ? [{ admin: [] }] : [],
      request: {
        ...(spec.params ? { params: spec.params } : {}),
        ...(spec.query ? { query: spec.query } : {}),
        ...(spec.body
          ? {
              body: {
                required: spec.body.required ?? true,
                ...(spec.body.description ? { description: spec.body.description } : {}),
                content: Object.fromEntries((spec.body.contentTypes ?? ['application/json']).map((t) => [t, { schema: spec.body!.schema }])),
              },
            }
          : {}),
      },
      responses,
    });
  }
}

/** Lenient paging: anything but a positive integer falls back to the default (LangWatch rules). */
export const pageQuery = z.object({
  page: z
    .string()
    .optional()
    .transform((v) => (v !== undefined && /^\d+$/.test(v) && Number(v) >= 1 ? Math.min(Number(v), 1_000_000) : 1))
    .describe('1-based page; default 1'),
  pageSize: z
    .string()
    .optional()
    .transform((v) => (v !== undefined && /^\d+$/.test(v) && Number(v) >= 1 ? Math.min(Number(v), 200) : 50))
    .describe('Default 50, at most 200'),
});

export { pagination, paginationSchema } from '../core/model/paging.js';
