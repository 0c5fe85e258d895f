// The CLI's connection to a server: endpoint and key from flags or the environment (ASSAY_*
// first, then LANGWATCH_*), the typed client over them, and client failures as one-line CLI
// errors (exit code 2).
import { ApiError, AssayClient, UnreachableError } from '../client/index.js';
import { CliError } from './cli-error.js';

export function connect(opts: { endpoint?: string; apiKey?: string }, env: NodeJS.ProcessEnv = process.env): AssayClient {
  const endpoint = (opts.endpoint ?? env.ASSAY_ENDPOINT ?? env.LANGWATCH_ENDPOINT ?? 'http://localhost:5560').replace(/\/+$/, '');
  if (!/^https?:\/\//.test(endpoint)) throw new CliError(`The endpoint must start with http:// or https:// (got ${endpoint})`);
  return new AssayClient({ endpoint, apiKey: opts.apiKey ?? env.ASSAY_API_KEY ?? env.LANGWATCH_API_KEY });
}

/** A client failure as the CLI reports it: the server's message and the fields it names. */
export function asCliError(error: unknown): unknown {
  if (error instanceof ApiError) {
    const issues = (error.body.issues ?? []).map((i) => `\n  - ${i.path.join('.') || '(root)'}: ${i.message}`).join('');
    return new CliError(`${error.message}${issues}`);
  }
  if (error instanceof UnreachableError) return new CliError(error.message);
  return error;
}
