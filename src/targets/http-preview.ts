// What an HTTP target sent for one row, for GET …/runs/{runId}/request. Rendered again from
// the run's row and parameters, never with the project's secrets: a url, header or auth
// template that reads `secrets` is shown as its template text, so the view can neither hold a
// secret nor a form of one a filter made (which the redactor would not know). Those parts are
// named in `unrendered`. Everything else is rendered as http.ts renders it.
import type { HttpTarget, Row } from '../core/model/experiment.js';
import { renderBody, renderUrl } from './http-request-parts.js';
import { readsSecrets } from './secret-reads.js';
import { renderString, type Scope } from './templates.js';

export interface HttpRequestPreview {
  method: string;
  url: string;
  headers: Record<string, string>;
  body?: string;
  unrendered: string[];
}

export function httpRequestPreview(spec: HttpTarget, row: Row, parameters: Record<string, unknown>): HttpRequestPreview {
  const scope: Scope = { ...row, parameters };
  const unrendered: string[] = [];
  const shown = (where: string, template: string, render: (t: string) => string): string => {
    if (!readsSecrets(template)) return render(template);
    unrendered.push(where);
    return template;
  };
  const method = spec.method ?? 'POST';
  const url = shown('url', spec.url, (t) => renderUrl(t, scope));
  const headers = Object.create(null) as Record<string, string>;
  const text = (t: string): string => renderString(t, scope);
  for (const [name, template] of Object.entries(spec.headers ?? {})) headers[name.toLowerCase()] = shown(`headers.${name.toLowerCase()}`, template, text).trim();
  const auth = spec.auth;
  if (auth?.type === 'bearer') headers.authorization = `Bearer ${shown('auth.token', auth.token, text)}`;
  if (auth?.type === 'basic') {
    const user = shown('auth.username', auth.username, text);
    const password = shown('auth.password', auth.password, text);
    // Encoded only when both parts are values: base64 of a template would read as a credential.
    headers.authorization = unrendered.some((u) => u.startsWith('auth.')) ? `Basic base64(${user}:${password})` : `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;
  }
  if (auth?.type === 'api_key') headers[auth.header.toLowerCase()] = shown(`headers.${auth.header.toLowerCase()}`, auth.value, text);
  const body = renderBody(spec, method, scope, headers);
  return { method, url, headers: { ...headers }, ...(body === undefined ? {} : { body }), unrendered };
}
