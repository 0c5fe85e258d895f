// HTTP targets (SPEC §4): an agent behind a URL. The url, headers and auth are Liquid templates
// over the row, `parameters` and `secrets`; the body sees the row and `parameters` only. The
// answer's JSON (or text) is the output, narrowed by `outputPath`. Redirects are followed by
// hand, each hop a new exchange through the same (guarded or open) Agent; secret values are
// redacted from every output and error. See docs/decisions.md ("HTTP targets").
import type { HttpTarget } from '../core/model/experiment.js';
import type { TargetDeps } from '../core/model/adapters.js';
import { CallError, type TargetAdapter, type TargetCall, type TargetOutput } from '../core/model/results.js';
import { listenForStop, type Stoppable } from '../core/stop-state.js';
import type { Dispatcher } from 'undici';
import { bodyValue, excerpt, headerValue, MAX_BODY_BYTES, MAX_ERROR_BODY_BYTES, networkError, selectOutput, statusError, timeoutError } from './http-response.js';
import { type Answer, Exchanges, type Outgoing } from '../net/http-transport.js';
import { createGuardedAgent, type GuardSeams, sharedAgent } from '../net/agents.js';
import { Redactor } from './redact.js';
import { readsSecrets, secretsUsed } from './secret-reads.js';
import { renderBody, renderUrl } from './http-request-parts.js';
import { type Scope, renderString, renderTurn } from './templates.js';

const MAX_REDIRECTS = 5;
const REDIRECTS = new Set([301, 302, 303, 307, 308]);
const LIMITS = { success: MAX_BODY_BYTES, other: MAX_ERROR_BODY_BYTES };
/** Why a call's own timer stopped it. */
const TIMED_OUT = Symbol('timed out');

/**
 * Test seams for the network guard (used only when private networks are not allowed): the
 * DNS resolver and the address classifier. Either one gives the target its own guarded Agent.
 */
export type HttpTargetOptions = GuardSeams;

/** undici rejects these bytes in a header value (after fetch-style trimming of whitespace). */
const BAD_HEADER_VALUE = /[^\t\x20-\x7e\x80-\xff]/;

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

/** Header names (lower case) that must not follow a redirect to another origin. */
function sensitiveHeaders(spec: HttpTarget): Set<string> {
  const names = new Set(['authorization', 'proxy-authorization', 'cookie']);
  if (spec.auth?.type === 'api_key') names.add(spec.auth.header.toLowerCase());
  for (const [name, template] of Object.entries(spec.headers ?? {})) {
    if (readsSecrets(template)) names.add(name.toLowerCase());
  }
  return names;
}

/**
 * The secrets of one request's scope, with every read recorded in `reads()`'s current set. The
 * templates' static analysis cannot see every read: `{{ [k].TOKEN }}` with a row column k
 * holding "secrets", or a name built by `{% assign %}`, reads secrets under another spelling
 * (found by the review of 2026-12-05: such a URL was quoted back in an error after a
 * `split | join`, and such a header followed a redirect to another origin). What a render
 * actually read is known for certain, whatever the spelling.
 */
function trackedSecrets(values: Readonly<Record<string, string | undefined>>, reads: () => Set<string>): Record<string, string | undefined> {
  return new Proxy(values as Record<string, string | undefined>, {
    get(target, key, receiver) {
      if (typeof key === 'string' && Object.hasOwn(target, key)) reads().add(key);
      return Reflect.get(target, key, receiver) as unknown;
    },
    ownKeys(target) {
      // Listing them (a loop, `| json`) reads them all.
      for (const key of Object.keys(target)) reads().add(key);
      return Reflect.ownKeys(target);
    },
  });
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
  // A URL rendered from secrets is never quoted in an error before its origin has passed the
  // check: the redactor knows a secret's exact forms only, and a Liquid filter (base64_encode,
  // reverse, split/join, downcase) makes another one, which an "invalid URL: …" message would
  // hand back to the project that cannot otherwise read the value. Once the origin is one the
  // secret is bound to (or the secret is bound nowhere), the origin may be named.
  const urlFromSecrets = readsSecrets(spec.url);
  const method = spec.method ?? 'POST';
  const seamed = options.resolve !== undefined || options.kindOf !== undefined;
  const dispatcher: Dispatcher = deps.allowPrivateNetworks || !seamed ? sharedAgent(!deps.allowPrivateNetworks) : createGuardedAgent(options);

  /**
   * A secret bound to origins (`allowedOrigins`) goes nowhere else: a request whose URL (rendered
   * per row, so it can differ from one row to the next) has another origin fails its cell before
   * anything is sent. Redirects need no check: secret-bearing headers never follow one to another
   * origin, and a URL the server redirects to is the server's, not ours.
   */
  function checkSecretOrigins(origin: string, shownOrigin: (text: string) => string): void {
    const bound = deps.secretOrigins;
    if (bound === undefined) return;
    for (const name of usedNames) {
      const allowed = Object.hasOwn(bound, name) ? bound[name]! : null;
      if (allowed !== null && !allowed.includes(origin)) {
        throw invalid(`secret "${name}" may only be sent to ${allowed.join(', ')} (its allowed origins), not to ${shownOrigin(origin)}`);
      }
    }
  }

  /** Renders url, headers, auth and body for one row; returns what to send and how to redact. */
  function build(input: TargetCall): { outgoing: Outgoing; redactor: Redactor; sensitive: Set<string> } {
    const missing = usedNames.filter((name) => deps.secrets[name] === undefined);
    if (missing.length > 0) throw invalid(`secret ${missing.map((n) => `"${n}"`).join(', ')} is not set`);
    // The scope holds exactly the secrets the redactor knows. A read the static analysis does
    // not see (the name of `{% include {{ secrets.X }} %}`, quoted back in its error) then
    // finds nothing, instead of a value nobody would redact.
    const values = used === 'all' ? deps.secrets : Object.fromEntries(usedNames.map((name) => [name, deps.secrets[name]]));
    let reads = new Set<string>();
    const secrets = usedNames.length > 0 ? trackedSecrets(values, () => reads) : values;
    // Copies with fields set on them, not `{ ...row, parameters }` (docs/decisions.md, "No
    // literal that starts with a spread on the hot path"): this runs for every call.
    const bodyScope: Scope = { ...input.row };
    bodyScope.parameters = input.parameters;
    const withSecrets: Scope = { ...bodyScope };
    withSecrets.secrets = secrets;
    let redactor = baseRedactor;

    const urlText = renderUrl(spec.url, withSecrets, baseRedactor);
    // A URL that read a secret under any spelling is not quoted either.
    const hide = urlFromSecrets || reads.size > 0;
    const shownUrl = (text: string): string => (hide ? '(not shown: the URL template reads secrets)' : text);
    let url: URL;
    try {
      url = new URL(urlText);
    } catch {
      throw invalid(`invalid URL: ${shownUrl(urlText)}`);
    }
    if (url.protocol !== 'http:' && url.protocol !== 'https:') throw invalid(`unsupported URL scheme ${shownUrl(url.protocol)} (http and https only)`);
    checkSecretOrigins(url.origin, shownUrl);

    // No prototype: a header named like an Object.prototype member stays a plain entry.
    const headers = Object.create(null) as Record<string, string>;
    const setHeader = (name: string, value: string): void => {
      const trimmed = value.replace(/^[\t\n\r ]+|[\t\n\r ]+$/g, '');
      if (BAD_HEADER_VALUE.test(trimmed)) throw invalid(`invalid value for header ${name} (control characters are not allowed)`);
      headers[name.toLowerCase()] = trimmed;
    };
    // Renders that see the secrets redact them from their own errors, before those are cut.
    const secretRender = (template: string): string => renderString(template, withSecrets, undefined, baseRedactor);
    // Headers that read a secret, however spelt, never follow a redirect to another origin.
    const sensitiveNow = new Set(sensitive);
    for (const [name, template] of Object.entries(spec.headers ?? {})) {
      reads = new Set<string>();
      setHeader(name, secretRender(template));
      if (reads.size > 0) sensitiveNow.add(name.toLowerCase());
    }
    const auth = spec.auth;
    if (auth?.type === 'bearer') setHeader('authorization', `Bearer ${secretRender(auth.token)}`);
    if (auth?.type === 'basic') {
      const credentials = Buffer.from(`${secretRender(auth.username)}:${secretRender(auth.password)}`).toString('base64');
      setHeader('authorization', `Basic ${credentials}`);
      if (baseRedactor.active) redactor = new Redactor([...secretValues, credentials]);
    }
    if (auth?.type === 'api_key') setHeader(auth.header, secretRender(auth.value));

    const body = renderBody(spec, method, bodyScope, headers);
    return { outgoing: { url, method, headers, body }, redactor, sensitive: sensitiveNow };
  }

  /** Sends the request, following redirects by hand; resolves with the final answer. */
  async function send(first: Outgoing, exchanges: Exchanges, sensitiveHeaders: Set<string>): Promise<{ answer: Answer; url: URL }> {
    let current = first;
    for (let hop = 0; ; hop++) {
      const answer = await exchanges.send(current);
      const location = REDIRECTS.has(answer.status) ? headerValue(answer.headers, 'location') : null;
      if (location === null) return { answer, url: current.url };
      if (hop >= MAX_REDIRECTS) throw invalid(`too many redirects (more than ${MAX_REDIRECTS}) from ${first.url.origin}`);
      current = redirect(current, answer.status, location, sensitiveHeaders);
    }
  }

  function redirect(from: Outgoing, status: number, location: string, sensitiveHeaders: Set<string>): Outgoing {
    let url: URL;
    try {
      url = new URL(location, from.url);
    } catch {
      throw invalid(`invalid redirect location from ${from.url.origin}`);
    }
    if (url.protocol !== 'http:' && url.protocol !== 'https:') throw invalid(`redirect to unsupported scheme ${url.protocol}`);
    const headers = Object.assign(Object.create(null) as Record<string, string>, from.headers);
    // Credentials never follow a redirect to another origin (as fetch itself does).
    if (url.origin !== from.url.origin) for (const name of sensitiveHeaders) delete headers[name];
    // 303, and 301/302 after a POST, continue as a GET without a body (the fetch standard).
    const toGet = status === 303 ? from.method !== 'HEAD' : (status === 301 || status === 302) && from.method === 'POST';
    if (!toGet) return { url, method: from.method, headers, body: from.body };
    delete headers['content-type'];
    return { url, method: 'GET', headers, body: undefined };
  }

  async function call(input: TargetCall): Promise<TargetOutput> {
    let redactor = baseRedactor;
    // Read before rendering: the render queue may run `build` outside this call's trace context.
    const trace = deps.traceHeaders?.();
    try {
      const built = await renderTurn(() => build(input));
      redactor = built.redactor;
      // The agent's own spans join the cell's trace (W3C traceparent); a header the experiment sets wins.
      if (trace) for (const [name, value] of Object.entries(trace)) built.outgoing.headers[name] ??= value;
      // The call's deadline when the engine gave one: listening there makes no AbortSignal.
      return await exchange(built.outgoing, built.sensitive, input.deadline ?? input.signal, redactor);
    } catch (error) {
      throw error instanceof CallError ? redactor.error(error) : error;
    }
  }

  /** One call's exchanges, with the failure turned into a CallError (or the stop reason). */
  async function exchange(outgoing: Outgoing, sensitiveHeaders: Set<string>, runStop: Stoppable | AbortSignal, redactor: Redactor): Promise<TargetOutput> {
    const started = Date.now();
    const exchanges = new Exchanges(dispatcher, LIMITS);
    // One listener and at most one timer per call: cheaper than AbortSignal.any/timeout.
    const unlisten = listenForStop(runStop, (reason) => exchanges.stop(reason));
    const timer = spec.timeoutMs === undefined ? undefined : setTimeout(() => exchanges.stop(TIMED_OUT), spec.timeoutMs);
    try {
      const { answer, url } = await send(outgoing, exchanges, sensitiveHeaders);
      // Every quote of the answer in an error is redacted before it is cut (see excerpt()).
      if (answer.status < 200 || answer.status > 299) throw statusError(answer, url.origin, Date.now(), redactor);
      if (answer.truncated) throw invalid(`response from ${url.origin} is larger than ${MAX_BODY_BYTES / 1024 / 1024} MiB`);
      const contentType = headerValue(answer.headers, 'content-type');
      const value = bodyValue(answer.text, contentType, url.origin, redactor);
      if (spec.outputPath === undefined) return { output: redactor.deep(value) };
      const output = selectOutput(spec.outputPath, value, redactor);
      if (output === undefined) {
        // An HTML error page or plain text: "matched nothing" sent users looking at the path.
        if (value === answer.text) throw invalid(`outputPath ${spec.outputPath} has nothing to read: the response from ${url.origin} is not JSON (content-type ${contentType ?? 'none'}): ${excerpt(answer.text, redactor)}`);
        throw invalid(`outputPath ${spec.outputPath} matched nothing in the response: ${excerpt(answer.text, redactor)}`);
      }
      return { output: redactor.deep(output) };
    } catch (error) {
      if (runStop.aborted) {
        const reason: unknown = runStop.reason;
        // The engine's signal carries its own timeout: that is a timeout, anything else is a stop.
        if (reason instanceof DOMException && reason.name === 'TimeoutError') throw timeoutError(Date.now() - started);
        throw reason;
      }
      if (error === TIMED_OUT && spec.timeoutMs !== undefined) throw timeoutError(spec.timeoutMs);
      if (error instanceof CallError) throw error;
      throw networkError(error, outgoing.url.origin, redactor);
    } finally {
      clearTimeout(timer);
      unlisten();
    }
  }

  return { limitKey: limitKeyOf(spec.url), call };
}

