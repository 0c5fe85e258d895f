// The run page (SPEC §9): the built web app in web/dist, served by the API server itself so
// that every runUrl opens without another process. Client-side routing: any GET that accepts
// HTML and is not an API, docs or probe path gets index.html; everything else keeps the JSON
// 404. Design notes: docs/decisions.md, "Run page".
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import type { Context, Hono } from 'hono';
import type { HttpEnv } from '../context.js';

/** web/dist, from src/http/routes or dist/http/routes alike (both are three levels down). */
export const DEFAULT_WEB_DIR = fileURLToPath(new URL('../../../web/dist/', import.meta.url));

/** Vite's assetsDir: `_app` cannot be a project slug (slugs start with [a-z0-9]). */
export const ASSET_PREFIX = '/_app/';

/** Paths the page never answers, whatever the Accept header says. */
const RESERVED = /^\/(api|docs|healthz|livez|metrics|readyz|_app)(\/|$)/;

/**
 * Same-origin only, no inline script or style: model outputs are untrusted, so even an
 * injected element could not run or load anything. React and uPlot set styles through the
 * CSSOM, which style-src does not govern.
 */
export const PAGE_CSP = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "font-src 'self'",
  "connect-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join('; ');

const PAGE_HEADERS = {
  'content-type': 'text/html; charset=utf-8',
  // Always revalidated: it names the hashed assets of the current build.
  'cache-control': 'no-cache',
  'content-security-policy': PAGE_CSP,
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'x-frame-options': 'DENY',
};

const NOT_BUILT = `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Assay</title></head>
<body><h1>The web page is not built</h1><p>Run <code>npm run build:web</code> (npm ci does it) and reload.</p></body></html>`;

const TYPES: Record<string, string> = {
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.woff2': 'font/woff2',
  '.map': 'application/json',
};

/** Whether a request is a browser navigation to one of the page's routes. */
export function wantsPage(c: Context): boolean {
  const method = c.req.method;
  if (method !== 'GET' && method !== 'HEAD') return false;
  if (RESERVED.test(c.req.path)) return false;
  return (c.req.header('accept') ?? '').includes('text/html');
}

export interface WebPage {
  /** index.html for a page route, or null when the request is not one (→ JSON 404). */
  page(c: Context): Promise<Response | null>;
}

/**
 * Registers `/_app/*` (hashed, immutable assets) and returns the page answer for the
 * not-found handler, so page routes can never shadow an API route.
 */
export function webPageRoutes(app: Hono<HttpEnv>, dir: string = DEFAULT_WEB_DIR, notFound: (c: Context) => Response): WebPage {
  const assetsDir = path.join(dir, ASSET_PREFIX);
  // Hashed names never change content, so each is compressed once per process.
  const gzipped = new Map<string, Buffer>();

  app.get(`${ASSET_PREFIX}:file`, async (c) => {
    const file = c.req.param('file');
    const type = TYPES[path.extname(file)];
    if (!type || !/^[\w.-]+$/.test(file) || file.startsWith('.')) return notFound(c);
    let body: Buffer;
    try {
      body = await readFile(path.join(assetsDir, file));
    } catch {
      return notFound(c);
    }
    const headers: Record<string, string> = {
      'content-type': type,
      'cache-control': 'public, max-age=31536000, immutable',
      'x-content-type-options': 'nosniff',
      vary: 'accept-encoding',
    };
    if (/\bgzip\b/.test(c.req.header('accept-encoding') ?? '') && body.length > 1024) {
      let zipped = gzipped.get(file);
      if (!zipped) gzipped.set(file, (zipped = gzipSync(body)));
      return c.body(new Uint8Array(zipped), 200, { ...headers, 'content-encoding': 'gzip' });
    }
    return c.body(new Uint8Array(body), 200, headers);
  });

  return {
    async page(c) {
      if (!wantsPage(c)) return null;
      let html: string;
      try {
        // Read per request (a few KB, in the OS cache): a rebuild is picked up without a restart.
        html = await readFile(path.join(dir, 'index.html'), 'utf8');
      } catch {
        return c.body(NOT_BUILT, 503, PAGE_HEADERS);
      }
      return c.body(html, 200, PAGE_HEADERS);
    },
  };
}
