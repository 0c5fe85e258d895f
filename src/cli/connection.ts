// The CLI's connection to a server: endpoint and key from flags or the environment (ASSAY_*
// first, then LANGWATCH_*), the typed client over them with its request timeout
// (ASSAY_REQUEST_TIMEOUT), and client failures as one-line CLI errors (exit code 2).
import { ApiError, AssayClient, ConnectionLostError, NoAnswerError, NotAssayError, REQUEST_TIMEOUT_MS, StreamLostError, UnreachableError } from '../client/index.js';
import { maskCredentials } from '../core/mask-credentials.js';
import { CliError } from './cli-error.js';
import { cliWords } from './flag-words.js';

/** The endpoint checked: http(s), a valid URL, and no credentials (fetch refuses them; the API key is the way to authenticate). */
function checkedEndpoint(raw: string): string {
  const endpoint = raw.replace(/\/+$/, '');
  const shown = maskCredentials(endpoint);
  if (!/^https?:\/\//i.test(endpoint)) throw new CliError(`The endpoint must start with http:// or https:// (got ${shown})`);
  let url: URL;
  try {
    url = new URL(endpoint);
  } catch {
    throw new CliError(`The endpoint is not a valid URL (got ${shown})`);
  }
  if (url.username !== '' || url.password !== '') {
    throw new CliError(`The endpoint ${shown} holds credentials (user:password@), which Assay does not use: give the endpoint without them and the project API key with --api-key or ASSAY_API_KEY`);
  }
  return endpoint;
}

/** The client for the flags and environment; `signal` aborts all its requests (`assay run`'s --timeout and Ctrl-C). */
export function connect(opts: { endpoint?: string; apiKey?: string }, env: NodeJS.ProcessEnv = process.env, signal?: AbortSignal): AssayClient {
  const endpoint = checkedEndpoint(opts.endpoint ?? env.ASSAY_ENDPOINT ?? env.LANGWATCH_ENDPOINT ?? 'http://localhost:5560');
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

/**
 * What a CLI user does about a 401: the server's message speaks of HTTP headers, which the CLI
 * sends for them; they need the flag or the variable that gives it the key.
 */
function keyHint(error: ApiError): string {
  if (error.status !== 401) return '';
  if (error.body.code === 'invalid_credentials') {
    return '\n  hint: the key given (--api-key, else ASSAY_API_KEY, else LANGWATCH_API_KEY) is not a project key of this server: check it, and --endpoint / ASSAY_ENDPOINT';
  }
  return "\n  hint: give a project API key with --api-key KEY or ASSAY_API_KEY=KEY (a server's first start prints the default project's key and writes it to the api-key file in its data directory)";
}

/** Where an issue is in the file the request came from (`file:line`), when the command sent one. */
export type IssueLocation = (path: readonly (string | number)[], message: string) => string | undefined;

/** A client failure as the CLI reports it: the server's message and the fields it names. */
export function asCliError(error: unknown, locate?: IssueLocation): unknown {
  if (error instanceof ApiError) {
    const issues = (error.body.issues ?? [])
      // A bullet that only says again what the headline says (a one-issue 400) is left out; one with a file:line is not.
      .filter((i) => i.message === '' || !error.message.includes(i.message) || locate?.(i.path, i.message) !== undefined)
      .map((i) => {
        const at = locate?.(i.path, i.message);
        return `\n  - ${at === undefined ? '' : `${at}: `}${i.path.join('.') || '(root)'}: ${i.message}`;
      })
      .join('');
    // The API's field names said as the CLI's flags (`retryErrors` as --retry-errors): flag-words.ts.
    return new CliError(`${cliWords(error.message)}${issues}${keyHint(error)}`);
  }
  const known = [UnreachableError, NoAnswerError, NotAssayError, ConnectionLostError, StreamLostError];
  if (known.some((kind) => error instanceof kind)) return new CliError((error as Error).message);
  return error;
}

/** Where and as whom a command connects (--endpoint, --api-key; else the environment). */
export interface ConnectOptions {
  endpoint?: string;
  apiKey?: string;
}

/** Runs `act` with a client for `opts`; what it throws reaches the user as a CLI error. */
export async function withClient<T>(opts: ConnectOptions, act: (client: AssayClient) => Promise<T>): Promise<T> {
  const client = connect(opts);
  try {
    return await act(client);
  } catch (error) {
    throw asCliError(error);
  }
}
