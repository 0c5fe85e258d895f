// One JSON POST to a model provider for the lean call paths (openai-chat.ts, anthropic-messages.ts):
// through the shared models Agent, the answer read with a size bound, its shape looked at (a
// RefusedAnswer past net/lean-fetch.ts's bounds) and parsed once, and every
// failure turned into what the AI SDK raises for the same failure (an APICallError for an HTTP
// error or an answer that is not JSON, the signal's reason on abort, `TypeError('fetch failed')`
// with its cause for a network failure, the network guard's CallError for a refused address), so
// client.ts reads the lean paths' failures and the SDK's one way.
import { STATUS_CODES } from 'node:http';
import { APICallError } from '@ai-sdk/provider';
import type { ModelCall } from '../core/model/adapters.js';
import { CallError } from '../core/model/results.js';
import { listenForStop, type StopState } from '../core/stop-state.js';
import { sharedAgent } from '../net/agents.js';
import { answerRefusal, MAX_ANSWER_BYTES, MAX_ERROR_BYTES, tooLarge } from '../net/lean-fetch.js';
import { type Answer, Exchanges } from '../net/http-transport.js';


/** What every call to one endpoint with one provider's settings sends alike. */
export interface JsonEndpoint {
  url: string;
  target: URL;
  /** Lower-case names; shared by the endpoint's calls, never written to. */
  headers: Readonly<Record<string, string>>;
}

/** A 2xx answer, parsed. `invalid` makes the SDK's error for an answer that is not what the protocol says. */
export interface JsonAnswer {
  status: number;
  parsed: unknown;
  headers: Record<string, string | undefined>;
  invalid(detail: string, cause?: unknown): APICallError;
}

function headerRecord(raw: Record<string, string | string[] | undefined>): Record<string, string | undefined> {
  const out: Record<string, string | undefined> = {};
  for (const [k, v] of Object.entries(raw)) out[k.toLowerCase()] = Array.isArray(v) ? v.join(', ') : v;
  return out;
}

/**
 * `{"error": {"message": …}}` — OpenAI's and Anthropic's error bodies alike, as the AI SDK's own
 * handlers read them — or undefined: any other body is not quoted, since it may be anything.
 */
export function errorMessage(text: string): string | undefined {
  try {
    const message = (JSON.parse(text) as { error?: { message?: unknown } } | null)?.error?.message;
    return typeof message === 'string' ? message : undefined;
  } catch {
    return undefined;
  }
}

/**
 * POSTs `body` (sent as `bodyText`) and parses the answer. `guarded`: the base URL was chosen by
 * a project and private networks are not allowed (the network guard's Agent).
 */
export async function postJson(provider: string, endpoint: JsonEndpoint, body: unknown, bodyText: string, call: ModelCall, guarded: boolean): Promise<JsonAnswer> {
  const { url, target, headers } = endpoint;
  // The dispatcher API straight into a bounded list of chunks (net/http-transport.ts): no
  // Readable stream or async iterator per answer.
  const exchanges = new Exchanges(sharedAgent(guarded, 'models'), { success: MAX_ANSWER_BYTES, other: MAX_ERROR_BYTES });
  // A target's call carries its deadline as `deadline`: listening there cancels the request without
  // making the deadline's AbortController (docs/decisions.md, "Deadlines without a signal until
  // one is read"). A judge's call has only its signal.
  const stopped: StopState = call.deadline ?? call.signal;
  if (stopped.aborted) throw stopped.reason;
  const unlisten = listenForStop(call.deadline ?? call.signal, (reason) => exchanges.stop(reason));
  let res: Answer;
  try {
    // The endpoint's frozen headers, shared by its calls: the transport only reads them.
    res = await exchanges.send({ url: target, method: 'POST', headers: headers as Record<string, string>, body: bodyText });
  } catch (error) {
    if (stopped.aborted) throw stopped.reason ?? error;
    if (error instanceof CallError) throw error;
    throw new TypeError('fetch failed', { cause: error });
  } finally {
    unlisten();
  }
  const { text, status } = res;
  const responseHeaders = headerRecord(res.headers);
  if (res.truncated && status >= 200 && status <= 299) throw tooLarge(provider);
  const failure = (message: string, cause?: unknown) =>
    new APICallError({ message, cause, url, requestBodyValues: body, statusCode: status, responseHeaders: responseHeaders as Record<string, string>, responseBody: text });
  if (status < 200 || status > 299) {
    throw failure((text.trim() === '' ? undefined : errorMessage(text)) ?? STATUS_CODES[status] ?? `HTTP ${status}`);
  }
  // An answer that is not what the protocol says fails as the SDK's does ("Invalid JSON response").
  const invalid = (detail: string, cause?: unknown) => failure(`Invalid JSON response: ${detail}`, cause);
  // Its shape before JSON.parse builds it (net/lean-fetch.ts, MODEL_ANSWER_SHAPE).
  const refusal = answerRefusal(text, provider);
  if (refusal) throw refusal;
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw invalid('not JSON', error);
  }
  return { status, parsed, headers: responseHeaders, invalid };
}
