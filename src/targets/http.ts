// HTTP targets (SPEC §4): an agent behind a URL. The url, headers and auth are Liquid templates
// over the row, `parameters` and `secrets`; the body sees the row and `parameters` only. The
// answer's JSON (or text) is the output, narrowed by `outputPath`. Redirects are followed by
// hand so each hop passes the network guard; secret values are redacted from every output
// and error. See docs/decisions.md ("HTTP targets").
import type { HttpTarget } from '../core/model/experiment.js';
import type { TargetDeps } from '../core/model/adapters.js';
import { CallError, type TargetAdapter, type TargetCall, type TargetOutput } from '../core/model/results.js';
import { bodyValue, excerpt, MAX_BODY_BYTES, networkError, readText, selectOutput, statusError, timeoutError } from './http-response.js';
import { assertPublicHost, type Resolve } from './network-guard.js';
import { Redactor } from './redact.js';
import { type Scope, jsonStringEscape, referencedKeys, renderJsonTemplate, renderString, urlEscape } from './templates.js';

const MAX_REDIRECTS = 5;
const REDIRECTS = new Set([301, 302, 303, 307, 308]);

/** Test seam: the DNS resolver used by the network guard. */
export interface HttpTargetOptions {
  resolve?: Resolve;
}

/** What one call sends; redirects rewrite it hop by hop. */
interface Outgoing {
  url: URL;
  method: string;
  headers: Headers;
  body: string | undefined;
}

/** `http:<origin>` when the URL template's origin is literal, else `http:` + its template text. */
function limitKeyOf(urlTemplate: string): string {
  const authority = (/^[^/]*\/\/[^/?#]*/.exec(urlTemplate) ?? /^[^/?#]*/.exec(urlTemplate))?.[0] ?? urlTemplate;
  if (!authority.includes('{')) {
    try {
      return `http:${new URL(urlTemplate).origin}`;
    } catch {
      // fall through to the template text
    }
  }
  return `http:${authority}`;
}

/** The secret names every url/header/auth template reads, or 'all'. */
function secretsUsed(spec: HttpTarget): Set<string> | 'all' {
  const templates = [spec.url, ...Object.values(spec.headers ?? {})];
  const auth = spec.auth;
  if (auth?.type === 'bearer') templates.push(auth.token);
  if (auth?.type === 'basic') templates.push(auth.username, auth.password);
  if (auth?.type === 'api_key') templates.push(auth.value);
  const names = new Set<string>();
  for (const template of templates) {
    let keys: string[] | 'all';
    try {
      keys = referencedKeys(template, 'secrets');
    } catch {
      continue; // an invalid template fails at render time with its own message
    }
    if (keys === 'all') return 'all';
    for (const key of keys) names.add(key);
  }
  return names;
}

/** Header names (lower case) that must not follow a redirect to another origin. */
function sensitiveHeaders(spec: HttpTarget): Set<string> {
  const names = new Set(['authorization', 'proxy-authorization', 'cookie']);
  if (spec.auth?.type === 'api_key') names.add(spec.auth.header.toLowerCase());
  for (const [name, template] of Object.entries(spec.headers ?? {})) {
    if (/secrets/.test(template)) names.add(name.toLowerCase());
  }
  return names;
}

function invalid(message: string): CallError {
  return new CallError(message, { retryable: false });
}

export function createHttpTarget(spec: HttpTarget, deps: TargetDeps, options: HttpTargetOptions = {}): TargetAdapter {
  const used = secretsUsed(spec);
  const usedNames = used === 'all' ? Object.keys(deps.secrets) : [...used];
  const secretValues = usedNames.map((name) => deps.secrets[name]).filter((v): v is string => typeof v === 'string');
  const baseRedactor = new Redactor(secretValues);
  const sensitive = sensitiveHeaders(spec);
  const method = spec.method ?? 'POST';

  /** Renders url, headers, auth and body for one row; returns what to send and how to redact. */
  function build(input: TargetCall): { outgoing: Outgoing; redactor: Redactor } {
    const missing = usedNames.filter((name) => deps.secrets[name] === undefined);
    if (missing.length > 0) throw invalid(`secret ${missing.map((n) => `"${n}"`).join(', ')} is not set`);
    const withSecrets: Scope = { ...input.row, parameters: input.parameters, secrets: deps.secrets };
    const bodyScope: Scope = { ...input.row, parameters: input.parameters };
    let redactor = baseRedactor;

    const urlText = renderUrl(spec.url, withSecrets);
    let url: URL;
    try {
      url = new URL(urlText);
    } catch {
      throw invalid(`invalid URL: ${urlText}`);
    }
    if (url.protocol !== 'http:' && url.protocol !== 'https:') throw invalid(`unsupported URL scheme ${url.protocol} (http and https only)`);

    const headers = new Headers();
    const setHeader = (name: string, value: string): void => {
      try {
        headers.set(name, value);
      } catch {
        throw invalid(`invalid value for header ${name} (control characters are not allowed)`);
      }
    };
    for (const [name, template] of Object.entries(spec.headers ?? {})) setHeader(name, renderString(template, withSecrets));
    const auth = spec.auth;
    if (auth?.type === 'bearer') setHeader('authorization', `Bearer ${renderString(auth.token, withSecrets)}`);
    if (auth?.type === 'basic') {
      const credentials = Buffer.from(`${renderString(auth.username, withSecrets)}:${renderString(auth.password, withSecrets)}`).toString('base64');
      setHeader('authorization', `Basic ${credentials}`);
      if (baseRedactor.active) redactor = new Redactor([...secretValues, credentials]);
    }
    if (auth?.type === 'api_key') setHeader(auth.header, renderString(auth.value, withSecrets));

    let body: string | undefined;
    if (spec.body !== undefined && method !== 'GET') {
      if (typeof spec.body === 'string') {
        body = renderString(spec.body, bodyScope, jsonStringEscape);
        if (!headers.has('content-type')) headers.set('content-type', parsesAsJson(body) ? 'application/json' : 'text/plain; charset=utf-8');
      } else {
        body = JSON.stringify(renderJsonTemplate(spec.body, bodyScope));
        if (!headers.has('content-type')) headers.set('content-type', 'application/json');
      }
    }
    if (!headers.has('accept')) headers.set('accept', 'application/json, text/plain;q=0.9, */*;q=0.8');
    return { outgoing: { url, method, headers, body }, redactor };
  }

  /** Sends the request, following redirects by hand; resolves with the final answer. */
  async function send(first: Outgoing, signal: AbortSignal): Promise<{ response: Response; url: URL }> {
    let current = first;
    for (let hop = 0; ; hop++) {
      if (!deps.allowPrivateNetworks) await untilAborted(assertPublicHost(current.url, options.resolve), signal);
      const response = await fetch(current.url, {
        method: current.method,
        headers: current.headers,
        body: current.body,
        redirect: 'manual',
        signal,
      });
      const location = response.headers.get('location');
      if (!REDIRECTS.has(response.status) || location === null) return { response, url: current.url };
      await response.body?.cancel().catch(() => undefined);
      if (hop >= MAX_REDIRECTS) throw invalid(`too many redirects (more than ${MAX_REDIRECTS}) from ${first.url.origin}`);
      current = redirect(current, response.status, location);
    }
  }

  function redirect(from: Outgoing, status: number, location: string): Outgoing {
    let url: URL;
    try {
      url = new URL(location, from.url);
    } catch {
      throw invalid(`invalid redirect location from ${from.url.origin}`);
    }
    if (url.protocol !== 'http:' && url.protocol !== 'https:') throw invalid(`redirect to unsupported scheme ${url.protocol}`);
    const headers = new Headers(from.headers);
    // Credentials never follow a redirect to another origin (as fetch itself does).
    if (url.origin !== from.url.origin) for (const name of sensitive) headers.delete(name);
    // 303, and 301/302 after a POST, continue as a GET without a body (the fetch standard).
    const toGet = status === 303 ? from.method !== 'HEAD' : (status === 301 || status === 302) && from.method === 'POST';
    if (!toGet) return { url, method: from.method, headers, body: from.body };
    headers.delete('content-type');
    return { url, method: 'GET', headers, body: undefined };
  }

  async function call(input: TargetCall): Promise<TargetOutput> {
    let redactor = baseRedactor;
    try {
      const built = build(input);
      redactor = built.redactor;
      return await exchange(built.outgoing, input.signal, redactor);
    } catch (error) {
      throw error instanceof CallError ? redactor.error(error) : error;
    }
  }

  /** One request/answer exchange, with the failure turned into a CallError (or the stop reason). */
  async function exchange(outgoing: Outgoing, runSignal: AbortSignal, redactor: Redactor): Promise<TargetOutput> {
    const timeout = spec.timeoutMs === undefined ? undefined : AbortSignal.timeout(spec.timeoutMs);
    const signal = timeout ? AbortSignal.any([runSignal, timeout]) : runSignal;
    const started = Date.now();
    try {
      const { response, url } = await send(outgoing, signal);
      if (response.status < 200 || response.status > 299) throw await statusError(response, url.origin, Date.now());
      const { text, truncated } = await readText(response, MAX_BODY_BYTES);
      if (truncated) throw invalid(`response from ${url.origin} is larger than ${MAX_BODY_BYTES / 1024 / 1024} MiB`);
      const value = bodyValue(text, response.headers.get('content-type'), url.origin);
      if (spec.outputPath === undefined) return { output: redactor.deep(value) };
      const output = selectOutput(spec.outputPath, value);
      if (output === undefined) throw invalid(`outputPath ${spec.outputPath} matched nothing in the response: ${excerpt(text)}`);
      return { output: redactor.deep(output) };
    } catch (error) {
      if (runSignal.aborted) {
        const reason: unknown = runSignal.reason;
        // The engine's signal carries its own timeout: that is a timeout, anything else is a stop.
        if (reason instanceof DOMException && reason.name === 'TimeoutError') throw timeoutError(Date.now() - started);
        throw reason;
      }
      if (timeout?.aborted && spec.timeoutMs !== undefined) throw timeoutError(spec.timeoutMs);
      if (error instanceof CallError) throw error;
      throw networkError(error, outgoing.url.origin);
    }
  }

  return { limitKey: limitKeyOf(spec.url), call };
}

/** Settles with `work`, or rejects with the signal's reason as soon as it aborts (a slow DNS lookup). */
function untilAborted<T>(work: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) return Promise.reject(signal.reason as Error);
  return new Promise<T>((resolve, reject) => {
    const onAbort = (): void => reject(signal.reason as Error);
    signal.addEventListener('abort', onAbort, { once: true });
    work.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort));
  });
}

/** A leading `{{ … }}` (e.g. `{{ base_url }}/chat`) is the URL's base. */
const LEADING_OUTPUT = /^\{\{(?:(?!\{\{|\}\})[\s\S])*\}\}/;

/**
 * Renders a URL template with every output percent-encoded, except an output that starts the
 * URL: that one is the scheme and host (`{{ base_url }}/chat`) and is written as is.
 */
function renderUrl(template: string, scope: Scope): string {
  const base = LEADING_OUTPUT.exec(template)?.[0];
  if (base === undefined) return renderString(template, scope, urlEscape);
  return renderString(base, scope) + renderString(template.slice(base.length), scope, urlEscape);
}

function parsesAsJson(text: string): boolean {
  try {
    JSON.parse(text);
    return true;
  } catch {
    return false;
  }
}
