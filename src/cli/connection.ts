// The CLI's connection to a server: endpoint and key from flags or the environment (ASSAY_*
// first, then LANGWATCH_*), the typed client over them with its request timeout
// (ASSAY_REQUEST_TIMEOUT), and client failures as one-line CLI errors (exit code 2).
import { ApiError, AssayClient, NoAnswerError, NotAssayError, REQUEST_TIMEOUT_MS, UnreachableError } from '../client/index.js';
import { CliError } from './cli-error.js';

/** The client for the flags and environment; `signal` aborts all its requests (`assay run`'s --timeout and Ctrl-C). */
export function connect(opts: { endpoint?: string; apiKey?: string }, env: NodeJS.ProcessEnv = process.env, signal?: AbortSignal): AssayClient {
  const endpoint = (opts.endpoint ?? env.ASSAY_ENDPOINT ?? env.LANGWATCH_ENDPOINT ?? 'http://localhost:5560').replace(/\/+$/, '');
  if (!/^https?:\/\//.test(endpoint)) throw new CliError(`The endpoint must start with http:// or https:// (got ${endpoint})`);
  return new AssayClient({
    endpoint,
    apiKey: opts.apiKey ?? env.ASSAY_API_KEY ?? env.LANGWATCH_API_KEY,
    requestTimeoutMs: requestTimeoutMs(env.ASSAY_REQUEST_TIMEOUT),
    ...(signal ? { signal } : {}),
  });
}

/** ASSAY_REQUEST_TIMEOUT: seconds a request may wait for the server's answer (default 30). */
function requestTimeoutMs(raw: string | undefined): number {
  if (raw === undefined || raw.trim() === '') return REQUEST_TIMEOUT_MS;
  const seconds = Number(raw);
  if (!(Number.isFinite(seconds) && seconds > 0 && seconds <= 86_400)) throw new CliError(`ASSAY_REQUEST_TIMEOUT takes a number of seconds up to 86400 (got "${raw}")`);
  return seconds * 1000;
}

/** A client failure as the CLI reports it: the server's message and the fields it names. */
export function asCliError(error: unknown): unknown {
  if (error instanceof ApiError) {
    const issues = (error.body.issues ?? []).map((i) => `\n  - ${i.path.join('.') || '(root)'}: ${i.message}`).join('');
    return new CliError(`${error.message}${issues}`);
  }
  if (error instanceof UnreachableError || error instanceof NoAnswerError || error instanceof NotAssayError) return new CliError(error.message);
  return error;
}
