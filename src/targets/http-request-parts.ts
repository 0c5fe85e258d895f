// Pieces of an HTTP target's request that the call (http.ts) and the request view
// (http-preview.ts, GET …/runs/{runId}/request) render alike: the URL and the body with its
// default headers. One copy, so the view shows what the call sends.
import type { HttpTarget } from '../core/model/experiment.js';
import type { Redactor } from './redact.js';
import { jsonStringEscape, renderJsonTemplate, renderString, type Scope, urlEscape } from './templates.js';

/** A leading `{{ … }}` (e.g. `{{ base_url }}/chat`) is the URL's base. */
const LEADING_OUTPUT = /^\{\{(?:(?!\{\{|\}\})[\s\S])*\}\}/;

/** The URL: values after a leading base are URL-escaped, the base is not. */
export function renderUrl(template: string, scope: Scope, redactor?: Redactor): string {
  const base = LEADING_OUTPUT.exec(template)?.[0];
  if (base === undefined) return renderString(template, scope, urlEscape, redactor);
  return renderString(base, scope, undefined, redactor) + renderString(template.slice(base.length), scope, urlEscape, redactor);
}

/**
 * The body (none for a GET or without `body`), rendered over the row and parameters only, and
 * the headers every request carries unless the target sets them: content-type from the body,
 * accept, and user-agent (fetch sent `node`; no accept-encoding, as nothing here inflates).
 */
export function renderBody(spec: HttpTarget, method: string, bodyScope: Scope, headers: Record<string, string>): string | undefined {
  let body: string | undefined;
  if (spec.body !== undefined && method !== 'GET') {
    if (typeof spec.body === 'string') {
      body = renderString(spec.body, bodyScope, jsonStringEscape);
      headers['content-type'] ??= parsesAsJson(body) ? 'application/json' : 'text/plain; charset=utf-8';
    } else {
      body = JSON.stringify(renderJsonTemplate(spec.body, bodyScope));
      headers['content-type'] ??= 'application/json';
    }
  }
  headers.accept ??= 'application/json, text/plain;q=0.9, */*;q=0.8';
  headers['user-agent'] ??= 'assay';
  return body;
}

function parsesAsJson(text: string): boolean {
  try {
    JSON.parse(text);
    return true;
  } catch {
    return false;
  }
}
