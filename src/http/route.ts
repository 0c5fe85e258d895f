// Declares a route once: the same zod schemas validate its path and query parameters and its
// body and describe it in the OpenAPI document (zod-to-openapi), so the document and the
// validation cannot drift apart. The table also reads the body (bounded, strict UTF-8, JSON or
// YAML with the untrusted-input guards, see body.ts) and applies the per-key limits a route
// names (run starts, open streams), so handlers only call their use case and answer.
import { OpenAPIRegistry } from '@asteasolutions/zod-to-openapi';
import type { Context, Hono, MiddlewareHandler } from 'hono';
import { z } from 'zod';
import { parseOrThrow } from '../app/validation.js';
import { AssayError, isAssayError } from '../core/errors.js';
import { allowedMethods } from './allowed-methods.js';
import { documentBody, jsonBody } from './body.js';
import type { HttpEnv } from './context.js';
import type { HttpLimits } from './limits.js';
import { checkQueryNames, type QueryNames } from './query-names.js';

export type Method = 'get' | 'post' | 'put' | 'delete';
export type AuthKind = 'project' | 'admin' | 'none';

export interface ResponseSpec {
  description: string;
  schema?: z.ZodType;
  /** Default application/json. */
  contentType?: string;
}

/**
 * How the table reads a body before the handler runs:
 * - `json` (default): JSON (whatever the content type, as LangWatch reads it), validated with
 *   the schema; an empty body is `empty` when the body is not required, else a 400.
 * - `document`: JSON or YAML by content type, validated with the schema.
 * - `private`: JSON whose syntax errors never quote it (it may hold a secret), then validated.
 * - `lazy`: not read; the handler gets a reader (JSON, `empty` when empty) to call after its own
 *   checks (a run start answers 404 for an unknown experiment before looking at its body).
 * - `stream`: not read (uploads stream through their own readers).
 * With `validate: 'service'`, the parsed body reaches the handler unvalidated: the use case
 * validates it with its own, more precise messages (experiments, run requests).
 */
export interface BodySpec<B extends z.ZodType = z.ZodType> {
  schema: B;
  /** Media types accepted (documented); default application/json. */
  contentTypes?: string[];
  /** What the docs show for a media type whose body is not `schema` (a CSV upload is text, not JSON). */
  schemaOf?: Record<string, z.ZodType>;
  required?: boolean;
  description?: string;
  read?: 'json' | 'document' | 'private' | 'lazy' | 'stream';
  validate?: 'route' | 'service';
  /** What an empty body reads as when the body is not required (default {}). */
  empty?: unknown;
  /** A lower size limit than ASSAY_MAX_BODY_BYTES (small bodies: secrets, providers). */
  maxBytes?: number;
  /** What the validation error calls the body ('run request', 'secret'…). Default 'body'. */
  name?: string;
  /** The error for an invalid body, when a client expects a particular one (LangWatch's texts). */
  invalid?: (error: z.ZodError) => Error;
}

/**
 * Per-key limits a route takes before its handler runs (src/http/limits.ts): a run-start slot,
 * given back when the handler fails, and an open-stream slot (always, or when the request
 * accepts text/event-stream), handed to the handler to release when its stream ends.
 */
export interface RouteLimits {
  runStart?: boolean;
  stream?: 'always' | 'if-sse';
}

export interface RouteSpec<P extends z.ZodObject | undefined, Q extends z.ZodObject | undefined, B extends BodySpec | undefined = undefined> {
  method: Method;
  /** OpenAPI form: /api/experiments/{slug}. */
  path: string;
  summary: string;
  description?: string;
  tags: string[];
  auth: AuthKind;
  params?: P;
  query?: Q;
  /** Prefixes of query names the handler reads itself (`metadata.`); any other name not in `query` is a 400. */
  queryPrefixes?: string[];
  body?: B;
  limits?: RouteLimits;
  responses: Record<number, ResponseSpec>;
  deprecated?: boolean;
  /**
   * false for a GET with an effect (a secret shown once): Hono answers HEAD with the GET route,
   * so a HEAD (a link checker, a probe) would spend the effect and show nothing. It is a 405
   * instead, and HEAD is left out of the path's Allow.
   */
  head?: false;
}

type Out<S> = S extends z.ZodType ? z.output<S> : Record<string, never>;

/** The body as the handler receives it, by read mode and validation. */
type BodyOut<B> = B extends BodySpec<infer S>
  ? B['read'] extends 'lazy'
    ? () => Promise<unknown>
    : B['read'] extends 'stream'
      ? undefined
      : B['validate'] extends 'service'
        ? unknown
        : z.output<S>
  : undefined;

export interface RouteInput<P, Q, B = undefined> {
  params: Out<P>;
  query: Out<Q>;
  body: BodyOut<B>;
  /** Releases the stream slot taken for this request (limits.stream); a no-op when none was. */
  releaseStream: () => void;
}

export interface RouteTableOptions {
  /** ASSAY_MAX_BODY_BYTES. */
  maxBodyBytes: number;
  limits: HttpLimits;
}

export const errorBodySchema = z
  .object({
    error: z.string().describe('A stable code, or the LangWatch-compatible text for 401s and some 400s'),
    message: z.string().optional(),
    issues: z.array(z.object({ path: z.array(z.union([z.string(), z.number()])), message: z.string() })).optional(),
    requestId: z.string().optional().describe("On a 500: the id the server's log has the error under (the answer's X-Request-Id)"),
  })
  .loose();

const STANDARD_ERRORS: Record<number, string> = {
  400: 'Invalid request (validation_error, invalid_json, …); a query parameter the endpoint does not take, or one given twice, is a validation_error',
  401: 'Missing or invalid credentials',
  404: 'Not found in this project',
  413: 'Body larger than ASSAY_MAX_BODY_BYTES (streamed CSV and JSON Lines dataset uploads: ASSAY_MAX_UPLOAD_BYTES), or rows over ASSAY_MAX_ROWS / ASSAY_MAX_ROW_BYTES',
};

/** Bytes of a body a route without one still reads, to tell `{}` (sent by some SDKs) from content. */
const NO_BODY_BYTES = 4096;

/**
 * A route that takes no body refuses one that says something: `{"secret": "…"}` to the webhook
 * secret route, or `{"name", "expiresAt"}` to key creation, was dropped unread. An empty body,
 * whitespace or `{}` is what clients send with no body (LangWatch's SDKs send a JSON content type
 * on every POST), and is taken.
 */
async function refuseBody(c: Context<HttpEnv>): Promise<undefined> {
  if (c.req.method === 'GET' || c.req.method === 'HEAD' || c.req.raw.body === null || c.req.header('content-length') === '0') return undefined;
  const noBody = () => new AssayError('validation_error', `${c.req.method} ${c.req.routePath.replace(/:(\w+)/g, '{$1}')} takes no body; send none (or {})`, { issues: [{ path: [], message: 'no body expected' }] });
  // A large or YAML body is refused for what it is (none is taken), not for its size or type.
  const value = await jsonBody(c, NO_BODY_BYTES, {}).catch((error: unknown) => {
    throw isAssayError(error) && (error.code === 'payload_too_large' || error.code === 'unsupported_media_type') ? noBody() : error;
  });
  const empty = typeof value === 'object' && value !== null && !Array.isArray(value) && Object.keys(value).length === 0;
  if (!empty) throw noBody();
  return undefined;
}

/** Collects routes for Hono and for the OpenAPI document. */
export class RouteTable {
  readonly registry = new OpenAPIRegistry();
  readonly routes: { method: Method; path: string; head?: false }[] = [];
  /** The methods a path answers, for the Allow of a 405 (./allowed-methods.ts). */
  readonly allowed = allowedMethods(this.routes);

  constructor(
    private readonly app: Hono<HttpEnv>,
    private readonly guards: Record<AuthKind, MiddlewareHandler<HttpEnv>[]>,
    private readonly options: RouteTableOptions,
  ) {
    this.registry.registerComponent('securitySchemes', 'bearer', { type: 'http', scheme: 'bearer', description: 'Project API key (sk-lw-…)' });
    this.registry.registerComponent('securitySchemes', 'xAuthToken', { type: 'apiKey', in: 'header', name: 'X-Auth-Token' });
    this.registry.registerComponent('securitySchemes', 'basic', { type: 'http', scheme: 'basic', description: 'projectId:apiKey' });
    this.registry.registerComponent('securitySchemes', 'admin', { type: 'http', scheme: 'bearer', description: 'ASSAY_ADMIN_TOKEN' });
  }

  add<P extends z.ZodObject | undefined = undefined, Q extends z.ZodObject | undefined = undefined, B extends BodySpec | undefined = undefined>(
    spec: RouteSpec<P, Q, B>,
    handler: (c: Context<HttpEnv>, input: RouteInput<P, Q, B>) => Response | Promise<Response>,
  ): void {
    this.document(spec);
    const honoPath = spec.path.replace(/\{([^}]+)\}/g, ':$1');
    this.routes.push(spec.head === false ? { method: spec.method, path: spec.path, head: false } : { method: spec.method, path: spec.path });
    const queryNames: QueryNames = { names: new Set(spec.query ? Object.keys(spec.query.shape) : []), prefixes: spec.queryPrefixes ?? [] };
    const run: MiddlewareHandler<HttpEnv> = async (c) => {
      if (spec.head === false && c.req.method === 'HEAD') {
        const allow = this.allowed(c.req.path).join(', ');
        c.header('Allow', allow);
        throw new AssayError('method_not_allowed', `HEAD is not allowed on ${spec.path}: it would spend what a GET shows once; it answers ${allow}`);
      }
      const params = spec.params ? parseOrThrow(spec.params, c.req.param(), 'path parameters') : {};
      checkQueryNames(c.req.url, queryNames);
      const query = spec.query ? parseOrThrow(spec.query, c.req.query(), 'query parameters') : {};
      // Limits first, so a refusal costs nothing; both are given back when the handler fails.
      const key = c.get('apiKeyId');
      const streaming = spec.limits?.stream === 'always' || (spec.limits?.stream === 'if-sse' && (c.req.header('accept') ?? '').includes('text/event-stream'));
      const releaseStream = streaming ? this.options.limits.streams.acquire(key) : () => {};
      let cancelStart = (): void => {};
      try {
        if (spec.limits?.runStart) cancelStart = this.options.limits.runStarts.reserve(key);
        const body = spec.body ? await this.readBody(c, spec.body) : await refuseBody(c);
        return await handler(c, { params, query, body, releaseStream } as RouteInput<P, Q, B>);
      } catch (error) {
        cancelStart();
        releaseStream();
        throw error;
      }
    };
    this.app.on([spec.method.toUpperCase()], [honoPath], ...this.guards[spec.auth], run);
  }

  private async readBody(c: Context<HttpEnv>, spec: BodySpec): Promise<unknown> {
    const max = Math.min(spec.maxBytes ?? Infinity, this.options.maxBodyBytes);
    const empty = spec.required === false ? (spec.empty ?? {}) : undefined;
    const validate = (value: unknown): unknown => {
      if (spec.validate === 'service') return value;
      if (spec.invalid) {
        const parsed = spec.schema.safeParse(value);
        if (!parsed.success) throw spec.invalid(parsed.error);
        return parsed.data;
      }
      return parseOrThrow(spec.schema, value, spec.name ?? 'body');
    };
    switch (spec.read ?? 'json') {
      case 'stream':
        return undefined;
      case 'lazy':
        return () => jsonBody(c, max, empty);
      case 'document':
        return validate(await documentBody(c, max));
      case 'private':
        return validate(await privateJson(c, max, empty));
      case 'json':
        return validate(await jsonBody(c, max, empty));
    }
  }

  private document(spec: RouteSpec<z.ZodObject | undefined, z.ZodObject | undefined, BodySpec | undefined>): void {
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
                content: Object.fromEntries((spec.body.contentTypes ?? ['application/json']).map((t) => [t, { schema: spec.body!.schemaOf?.[t] ?? spec.body!.schema }])),
              },
            }
          : {}),
      },
      responses,
    });
  }
}

/** A JSON body whose syntax errors are reported without quoting it (it may hold a secret). */
async function privateJson(c: Context<HttpEnv>, max: number, empty: unknown): Promise<unknown> {
  try {
    return await jsonBody(c, max, empty);
  } catch (error) {
    if (isAssayError(error) && error.code === 'invalid_json') {
      throw new AssayError('invalid_json', "The request body is not valid JSON (the parser's details are withheld: the body may hold a secret)", { compatText: 'Invalid JSON body' });
    }
    throw error;
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
