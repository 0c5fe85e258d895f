// Authentication (SPEC §2). Project keys come from, first match wins:
// `Authorization: Basic base64(projectId:key)`, `Authorization: Bearer <key>`, `X-Auth-Token`.
// A malformed Basic header falls through to the next form, as LangWatch's server does.
import { timingSafeEqual, createHash } from 'node:crypto';
import type { Context, MiddlewareHandler } from 'hono';
import { AssayError } from '../core/errors.js';
import type { ProjectService } from '../app/projects.js';
import type { AuthThrottle } from './auth-throttle.js';
import type { HttpEnv } from './context.js';

export const missingCredentials = (): AssayError =>
  new AssayError('missing_credentials', 'Send a project API key as Authorization: Bearer <key>, X-Auth-Token: <key> or Basic base64(projectId:key)', {
    compatText: 'Missing credentials',
  });

export const invalidCredentials = (): AssayError =>
  new AssayError('invalid_credentials', 'The API key is unknown or revoked', { compatText: 'Invalid credentials' });

interface Presented {
  key: string;
  /** Project id (or slug) named by a Basic header. */
  projectId?: string;
}

export function presentedCredentials(c: Context): Presented | null {
  const authorization = c.req.header('authorization')?.trim() ?? '';
  const [scheme, ...rest] = authorization.split(/\s+/);
  const value = rest.join(' ');
  if (scheme?.toLowerCase() === 'basic' && value) {
    try {
      const decoded = Buffer.from(value, 'base64').toString('utf8');
      const colon = decoded.indexOf(':');
      const projectId = decoded.slice(0, colon);
      const key = decoded.slice(colon + 1);
      if (colon > 0 && projectId && key) return { key, projectId };
    } catch {
      // fall through
    }
  }
  if (scheme?.toLowerCase() === 'bearer' && value.trim()) return { key: value.trim() };
  const token = c.req.header('x-auth-token')?.trim();
  if (token) return { key: token };
  return null;
}

/** A refusal of presented credentials, counted against the client's address first. */
async function refused(throttle: AuthThrottle, address: string, error: AssayError = invalidCredentials()): Promise<never> {
  await throttle.failed(address);
  throw error;
}

/**
 * A valid key under a Basic header naming another project: said as such, since "unknown or
 * revoked" sends its holder looking at the key. Nothing is said of the named project (whether it
 * exists); the caller holds the key, so that it is valid is no news to them.
 */
const otherProject = (named: string): AssayError =>
  new AssayError(
    'invalid_credentials',
    `The API key is not a key of project "${named.slice(0, 80)}" (the Basic credentials' user name): send its own project's id there, or the key alone as Authorization: Bearer <key>`,
    { compatText: 'Invalid credentials' },
  );

/** Requires a valid project key and puts its project on the context. */
export function projectAuth(projects: ProjectService, throttle: AuthThrottle): MiddlewareHandler<HttpEnv> {
  return async (c, next) => {
    const presented = presentedCredentials(c);
    if (!presented) throw missingCredentials();
    const address = throttle.address(c);
    await throttle.assertAllowed(address);
    // Keys are short; anything long is not a key and is not worth hashing.
    if (presented.key.length > 200) return refused(throttle, address);
    const found = await projects.identify(presented.key);
    if (!found) return refused(throttle, address);
    const { project, keyId, keyName } = found;
    if (presented.projectId !== undefined && presented.projectId !== project.id && presented.projectId !== project.slug) {
      return refused(throttle, address, otherProject(presented.projectId));
    }
    c.set('project', project);
    c.set('apiKeyId', keyId);
    c.set('apiKeyName', keyName);
    await next();
  };
}

function sameSecret(a: string, b: string): boolean {
  // Hash first so the comparison takes the same time whatever the lengths.
  const ha = createHash('sha256').update(a).digest();
  const hb = createHash('sha256').update(b).digest();
  return timingSafeEqual(ha, hb);
}

/** Requires `Authorization: Bearer $ASSAY_ADMIN_TOKEN`; without that variable the admin API is off (404). */
export function adminAuth(adminToken: string | undefined, throttle: AuthThrottle): MiddlewareHandler<HttpEnv> {
  return async (c, next) => {
    if (adminToken === undefined) {
      throw new AssayError('admin_disabled', 'The admin API is disabled; set ASSAY_ADMIN_TOKEN to enable it');
    }
    const authorization = c.req.header('authorization')?.trim() ?? '';
    const match = /^bearer\s+(.+)$/i.exec(authorization);
    // The admin API's own words: a project key is not what it takes.
    if (!match) throw new AssayError('missing_credentials', 'Send the admin token (ASSAY_ADMIN_TOKEN) as Authorization: Bearer <token>', { compatText: 'Missing credentials' });
    const address = throttle.address(c);
    await throttle.assertAllowed(address);
    if (!sameSecret(match[1]!.trim(), adminToken)) {
      await throttle.failed(address);
      // Not "the API key is unknown": what is wrong is the admin token (and nothing more is said).
      throw new AssayError('invalid_credentials', 'The admin token is wrong: send ASSAY_ADMIN_TOKEN as Authorization: Bearer <token>', { compatText: 'Invalid credentials' });
    }
    await next();
  };
}

/**
 * GET /metrics with ASSAY_METRICS_TOKEN set: requires `Authorization: Bearer <token>` (what
 * Prometheus sends with `authorization: {credentials: …}`); failures count towards the same
 * throttle as the other credentials. Without a token the route is open, as scrapers expect.
 */
export function metricsAuth(token: string | undefined, throttle: AuthThrottle): MiddlewareHandler<HttpEnv> {
  return async (c, next) => {
    if (token === undefined) return next();
    const authorization = c.req.header('authorization')?.trim() ?? '';
    const match = /^bearer\s+(.+)$/i.exec(authorization);
    if (!match) {
      throw new AssayError('missing_credentials', 'Send the metrics token (ASSAY_METRICS_TOKEN) as Authorization: Bearer <token>', { compatText: 'Missing credentials' });
    }
    const address = throttle.address(c);
    await throttle.assertAllowed(address);
    if (!sameSecret(match[1]!.trim(), token)) {
      await throttle.failed(address);
      throw new AssayError('invalid_credentials', 'The metrics token is not ASSAY_METRICS_TOKEN', { compatText: 'Invalid credentials' });
    }
    await next();
  };
}
